# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired-state logic of flink_job: ensure a job runs (restored and proven), is canceled, or is stopped.

Private to the collection (underscore module). Each ``ensure_*`` takes a FlinkClient and the module's
parameters and returns the module result; FlinkError is raised for every failure (the module turns it
into ``fail_json`` naming URL, status and Flink's message).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
import time

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import (
    FlinkError,
    LOCALLY_TERMINAL_STATES,
    TERMINAL_STATES,
    is_trigger_id,
    poll,
    request_deadline,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots
from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage_mod


class Deadline:
    def __init__(self, timeout):
        self.end = time.monotonic() + timeout

    def left(self):
        return max(0.5, self.end - time.monotonic())


def restore_target(value):
    """``(path, checkpoint id or None)`` from a path or a snapshot dict (pinned_checkpoint / checkpoint)."""
    if value in (None, ""):
        return None, None
    if isinstance(value, dict):
        path = value.get("external_path") or value.get("path")
        if not path:
            raise FlinkError("restore_from is a dict without external_path: %r" % sorted(value))
        return path, value.get("id")
    if isinstance(value, str):
        return value, None
    raise FlinkError("restore_from must be a path or a checkpoint dict, not %s" % type(value).__name__)


def active_jobs(client, name, named=None):
    """The jobs named ``name`` that are not terminal (``named``: the jobs of that name when already read)."""
    return [j for j in (client.find_jobs(name=name) if named is None else named) if j.get("state") not in LOCALLY_TERMINAL_STATES]


def ensure_running(client, params, check_mode):
    name = params["name"]
    deadline = Deadline(params["timeout"])
    restore_path, restore_id = restore_target(params["restore_from"])
    job = client.active_job(name)
    result = dict(changed=False, name=name, uploaded=False, submitted=False)
    if job:
        verdict = existing_matches(client, job, restore_path, restore_id)
        if verdict is None:
            result.update(job_id=job["jid"], state=job.get("state"))
            if restore_path:
                result["restored"] = snapshots.restored_from_rest(client.checkpoints(job["jid"]))
            if not check_mode:
                result.update(confirm_running(client, params, job["jid"], result.get("restored"), deadline))
            elif params.get("check_plan"):
                result.update(check_start_plan(client, params))
            return result
        if not params["replace"]:
            raise FlinkError("job %r already runs (%s) but %s; set replace=true to cancel it and start from %s" % (
                name, job["jid"], verdict, restore_path or "the jar"), job=job["jid"])
    submit = params.get("submit", True)
    # A caller that resolved the jar on this cluster already (flink_handover, before the fence) passes jar_id: one REST
    # call less while the job is down.
    jar_id, uploaded = (params.get("jar_id"), False) if params.get("jar_id") or not submit else resolve_jar(client, params, check_mode)
    try:
        if job or check_mode:
            # before the replace cancels the running job (and in a plan): what the start would fail on
            result["warnings"] = precheck(client, params, jar_id, restore_path, job)
        elif not params.get("prechecked"):
            check_checkpoint_dir(params)  # a wrong one would fail only once the job runs
    except FlinkError as exc:
        if uploaded:
            forget_upload(client, jar_id, exc)
        raise
    if job:
        if check_mode:
            return dict(result, changed=True, job_id=job["jid"], state=job.get("state"), replaced=job["jid"])
        client.cancel(job["jid"])
        try:
            client.wait_job_state(job["jid"], TERMINAL_STATES, deadline.left())
        except FlinkError as exc:
            exc.result.update(changed=True, replaced=job["jid"])  # the cancel is under way
            raise
        result.update(changed=True, replaced=job["jid"])
    if not submit:
        # Application clusters: the node bootstrap starts the job (from the pin it was handed); wait and prove.
        if check_mode:
            return dict(result, job_id=None, state=None)
        return dict(result, **follow(client, params, wait_for_job(client, name, deadline), restore_path, restore_id, deadline))
    if check_mode:
        return dict(result, changed=True, jar_id=jar_id, uploaded=uploaded, submitted=True, job_id=None, state=None,
                    plan_checked=bool(jar_id))
    try:
        result.update(start(client, params, jar_id, restore_path, restore_id, deadline))
    except FlinkError as exc:
        if uploaded:
            forget_upload(client, jar_id, exc)
        if job:  # the replaced job is gone: say so, and where its last state is
            exc.result.update(changed=True, replaced=job["jid"])
            exc.message += " (job %s was cancelled for the replace; %s)" % (job["jid"], (
                "its checkpoints were discarded with it: they were not retained on cancellation" if result.get("warnings")
                else "its retained checkpoints stay in its checkpoint storage"))
        raise
    result.update(changed=True, jar_id=jar_id, uploaded=uploaded, submitted=True)
    return result


def confirm_running(client, params, job_id, restored, deadline):
    """Prove a job found running (from ``restore_from``) as a start is proven: with wait_for running or checkpoint,
    every task RUNNING; with checkpoint, a checkpoint completed since its restore (``first_checkpoint_id``); then the
    watch. It is never cancelled on failure: this run did not start it."""
    out = {}
    if params.get("wait_for") in ("running", "checkpoint"):
        ops.wait_running(client, job_id, deadline.left())
    if params.get("wait_for") == "checkpoint":
        store, base = ops.storage_for(params.get("checkpoint_dir"), params["aws"], None, job_id, client=client,
                                      allow_empty=True)
        after = (restored or {}).get("id") or 0
        # one it has completed since already is proof enough: trigger only when there is none
        trigger = bool(params.get("trigger_checkpoint")) and not checkpointed_since(store, base, job_id, after)
        out["first_checkpoint_id"] = ops.wait_new_checkpoint(client, job_id, deadline.left(), after, store, base,
                                                             trigger=trigger)
    ops.watch_stable(client, job_id, params.get("watch_seconds") or 0)
    return out


def checkpointed_since(store, base, job_id, after):
    """Whether readable storage shows a complete checkpoint of the job newer than ``after``."""
    newest = ops.newest_complete(storage_mod.scan_checkpoints(store, base, job_id)) if store is not None else None
    return newest is not None and newest["id"] > after


def forget_upload(client, jar_id, exc):
    """After a failure, delete the jar this run uploaded unless a job was started from it, so bad input leaves nothing
    behind; what cannot be deleted is reported (``changed``, ``uploaded``)."""
    if not exc.result.get("job_id") and delete_jar(client, jar_id) is None:
        return
    exc.result.update(changed=True, jar_id=jar_id, uploaded=True)


def delete_jar(client, jar_id):
    """Delete an uploaded jar; None, or the FlinkError that kept it."""
    try:
        client.delete("/jars/%s" % jar_id)
    except FlinkError as exc:
        return exc
    return None


def check_plan(client, params, jar_id):
    """Build the job's plan from the jar on the cluster, as a start would, without running it: fails on a wrong entry
    class, arguments the program rejects, or a program that names its job other than ``name``."""
    check_job_name(ops.check_program(client, jar_id, run_body_of(params), params["name"]), params["name"], jar_id)


def precheck(client, params, jar_id, restore_path, job=None):
    """Fail before any change when storage readable from here has no restore point at ``restore_path``, the
    checkpoint directory to watch is unreadable, the jar on the cluster cannot build the job's plan under its name, or
    the cancel of the job to replace (``job``) would delete the restore point. Returns warnings."""
    check_restore_point(restore_path, params["aws"])
    check_checkpoint_dir(params)
    if jar_id and params.get("submit", True):
        check_plan(client, params, jar_id)
    if not job:
        return []
    retained, warnings = cancel_warnings(client, job)
    if not retained and restore_path and snapshots.storage_dir_from_path(snapshots.normalize_path(restore_path), job["jid"]):
        raise FlinkError("refusing to replace job %r (%s): restore_from %s is one of its own checkpoints, which the cancel "
                         "of the replace deletes (its checkpoints are not retained on cancellation); stop it with a "
                         "savepoint (state=stopped) and restore from that" % (job.get("name"), job["jid"], restore_path),
                         job=job["jid"])
    return warnings


def check_start_plan(client, params):
    """Check mode, ``check_plan``, the job runs: would starting it again from ``jar`` (as a patch does once the job is
    stopped) build its plan under its name? The jar is staged on the cluster for the check when it is not there yet,
    and deleted again. ``plan_checked`` is false without a jar to start from (none given, or ``submit=false``)."""
    if not params.get("jar") or not params.get("submit", True):
        return dict(plan_checked=False)
    jar_id, uploaded = resolve_jar(client, params, False)
    out = dict(plan_checked=True)
    try:
        check_plan(client, params, jar_id)
    finally:
        kept = delete_jar(client, jar_id) if uploaded else None
        if kept is not None:
            out["warnings"] = ["the jar staged for the plan check (%s) could not be deleted: %s" % (jar_id, kept)]
    return out


def check_checkpoint_dir(params):
    """Fail when the checkpoint directory the start watches for the first checkpoint (wait_for=checkpoint) is given
    but cannot be read: the job would be started, and then cancelled again."""
    if params.get("checkpoint_dir") and params.get("wait_for") == "checkpoint":
        ops.storage_for(params["checkpoint_dir"], params["aws"])


def check_restore_point(path, aws):
    """Fail when storage readable from here shows no ``_metadata`` at ``path`` (check mode: the run would fail)."""
    if not path:
        return
    snapshot = snapshots.normalize_path(path)  # the snapshot directory (also for .../_metadata)
    try:
        store = storage_mod.local_parent_store(snapshot)
        if store is None and storage_mod.split_uri(snapshot)[0] == "s3":
            store = storage_mod.open_storage(snapshot, aws=aws)
        missing = store is not None and store.metadata_time(snapshot) is None
    except storage_mod.StorageError:
        return  # not readable from here: Flink is the judge
    if missing:
        raise FlinkError("restore_from %s has no _metadata: there is no complete snapshot to restore from" % path)


def check_job_name(actual, name, jar_id):
    """Fail unless the program names its job ``name``: the job is found by that name (a re-run, a replace, a
    restore), so a job running under another name would be started again by every run."""
    if actual is not None and actual != name:
        raise FlinkError("the program of jar %s names its job %r, not %r: set name to %r (the name the program passes "
                         "to execute()), or the job would be looked up under a name it does not have, and every run "
                         "would start another copy" % (jar_id, actual, name, actual))


def existing_matches(client, job, restore_path, restore_id):
    """None when a running job satisfies the request, else why it does not."""
    if not restore_path:
        return None
    restored = snapshots.restored_from_rest(client.checkpoints(job["jid"]))
    if restored is None:
        return "it was not restored from any checkpoint"
    same = snapshots.normalize_path(restored["external_path"]) == snapshots.normalize_path(restore_path)
    if not same or (restore_id is not None and restored["id"] != restore_id):
        if snapshots.storage_dir_from_path(restored["external_path"], job["jid"]):
            raise FlinkError(
                "job %r (%s) runs, but it has restarted from its own checkpoint %s since it was started (a failover), so "
                "Flink no longer tells what it was first started from. If it was started from %s, it has moved past it: "
                "leave it running (replacing it would rewind it to %s and replay what it has processed since). Only if it "
                "was not, cancel it and run again" % (job.get("name"), job["jid"], restored["external_path"], restore_path,
                                                      restore_path), job=job["jid"])
        return "it was restored from %s (id %s), not from %s" % (restored["external_path"], restored["id"], restore_path)
    return None


def resolve_jar(client, params, check_mode):
    """``(jar id, uploaded?)``: an uploaded jar id, or a local / s3 jar uploaded once per content hash."""
    jar = params["jar"]
    if not jar:
        raise FlinkError("job %r does not run and no jar was given to submit it" % params["name"])
    if not jar.startswith("s3://") and not os.path.exists(jar):
        known = ops.find_uploaded_jar(client, jar_id=jar)
        if known:
            return known, False
        raise FlinkError("jar %r is neither a readable file on the controller nor a jar uploaded to %s" % (jar, client.base_url))
    path = fetch_s3_jar(jar, params["aws"]) if jar.startswith("s3://") else jar
    upload_name = ops.jar_upload_name(path, ops.file_sha256(path))
    known = ops.find_uploaded_jar(client, upload_name=upload_name)
    if known or check_mode:
        return known, not known
    return ops.upload_jar(client, path, upload_name), True


def fetch_s3_jar(uri, aws):
    store = storage_mod.open_storage(uri, aws=aws)
    bucket, key = store.bucket, store.prefix
    target = os.path.join(tempfile.gettempdir(), "flinkops-jars", bucket, key.replace("/", "_"))
    if not os.path.isdir(os.path.dirname(target)):
        os.makedirs(os.path.dirname(target))
    try:
        store.s3.download_file(bucket, key, target)
    except Exception as exc:  # boto3 raises several unrelated types here
        raise FlinkError("cannot download jar %s: %s" % (uri, exc))
    return target


def wait_for_job(client, name, deadline):
    """The id of the active job named ``name``, once one appears (started by someone else, e.g. a node bootstrap)."""
    def check():
        running = active_jobs(client, name)
        return bool(running), running[0]["jid"] if running else None

    return poll(check, deadline.left(), "a job named %r to appear on %s" % (name, client.base_url),
                interval=0.1, max_interval=1.0)


def run_body_of(params, restore_path=None):
    """The ``/jars/:id/run`` body for a job's module params (its plan takes the same, minus the restore)."""
    return ops.run_body(params["entry_class"], params["args"], params["parallelism"], restore_path,
                        params["claim_mode"], params["allow_non_restored_state"], params["flink_config"])


def start(client, params, jar_id, restore_path, restore_id, deadline):
    """Submit, then wait as asked, prove the restore and time each step."""
    body = run_body_of(params, restore_path)
    began = time.monotonic()
    job_id = ops.submit(client, jar_id, body, params["name"], deadline.left())
    started = client.find_jobs(job_id=job_id)
    try:
        check_job_name(started[0].get("name") if started else None, params["name"], jar_id)
    except FlinkError as exc:
        # cancelled at once, before it can complete a checkpoint (or, with claim_mode=claim, subsume the restored one)
        clean_up_start(client, params, job_id, started, exc, deadline.left(), restore_path)
        raise
    return follow(client, params, job_id, restore_path, restore_id, deadline, began)


def follow(client, params, job_id, restore_path, restore_id, deadline, began=None):
    """Wait for a started job as ``wait_for`` asks, prove its restore, watch it; time each step from ``began``."""
    began = time.monotonic() if began is None else began
    timings = dict(submit=round(time.monotonic() - began, 3))
    out = dict(job_id=job_id, state="CREATED", timings=timings)
    if params["wait_for"] == "submitted":
        out["state"] = client.job_status(job_id)
        return out
    try:
        ops.wait_running(client, job_id, deadline.left())
        timings["running"] = round(time.monotonic() - began, 3)
        if restore_path:
            out["restored"] = ops.prove_restore(client, job_id, restore_path, restore_id, deadline.left())
        if params["wait_for"] == "checkpoint":
            store, base = ops.storage_for(params["checkpoint_dir"], params["aws"], None, job_id, client=client,
                                          allow_empty=True)
            after = (out.get("restored") or {}).get("id") or 0
            out["first_checkpoint_id"] = ops.wait_new_checkpoint(client, job_id, deadline.left(), after, store, base,
                                                                 trigger=params["trigger_checkpoint"])
            timings["checkpoint"] = round(time.monotonic() - began, 3)
            timings["first_checkpoint_at"] = round(time.time(), 3)
        ops.watch_stable(client, job_id, params.get("watch_seconds") or 0)
    except FlinkError as exc:
        clean_up_start(client, params, job_id, [dict(jid=job_id, state=client.job_status(job_id))], exc, 30.0, restore_path)
        raise
    out["state"] = client.job_status(job_id)
    return out


def clean_up_start(client, params, job_id, started, exc, timeout, restore_path):
    """Cancel what a failed start left active and say so in ``exc`` - unless the start claimed its restore point
    (claim_mode=claim) and the job's checkpoints are not retained on cancellation: the cancel would delete the claimed
    snapshot, the job's only state, so the job is left as it is."""
    active = [j for j in started if j.get("state") not in LOCALLY_TERMINAL_STATES]
    if active and restore_path and params.get("claim_mode") == "claim" and not retained_on_cancel(client, job_id):
        exc.result.update(changed=True, job_id=job_id, cancelled=False, left_running=True)
        exc.message += (" (job %s was left as it is: it claimed %s (claim_mode=claim) and its checkpoints are not "
                        "retained on cancellation, so cancelling it would delete that snapshot; stop it with a savepoint "
                        "or fix it where it runs)" % (job_id, restore_path))
        return
    ops.cleanup_failed_start(client, started, timeout)
    exc.result.update(changed=True, job_id=job_id, cancelled=True)  # it was started, and cancelled again


def retained_on_cancel(client, job_id):
    """Whether a cancel keeps the job's checkpoints (False when Flink cannot tell)."""
    try:
        settings = ops.checkpoint_settings(client, job_id)
    except FlinkError:
        return False
    return settings["enabled"] and settings["retention"] == snapshots.RETAIN


def select_for_stop(client, params):
    """The active job named by ``job_id`` or ``name`` (None when none is active)."""
    if params["job_id"]:
        job = client.resolve_job(job_id=params["job_id"])
        return job if job.get("state") not in LOCALLY_TERMINAL_STATES else None
    return client.active_job(params["name"])


def cancel_warnings(client, job):
    """``(checkpoints retained?, warnings)`` for cancelling ``job``: a cancel discards the checkpoints of a job whose
    retention is not RETAIN_ON_CANCELLATION, and with them its state (unless a savepoint holds it)."""
    settings = ops.checkpoint_settings(client, job["jid"])
    if not settings["enabled"] or snapshots.checkpoints_retained("CANCELED", settings["retention"]):
        return True, []
    return False, ["job %s (%s) has its checkpoints %s: the cancel discards them, and its state with them unless a "
                   "savepoint holds it (state=stopped takes one first)" % (job.get("name"), job["jid"], settings["retention"])]


def ensure_canceled(client, params, check_mode):
    job = select_for_stop(client, params)
    if job is None:
        return dict(changed=False, name=params["name"], job_id=params["job_id"], state=None)
    retained, warnings = cancel_warnings(client, job)
    if check_mode:
        return dict(changed=True, name=job.get("name"), job_id=job["jid"], state=job.get("state"),
                    checkpoints_retained=retained, warnings=warnings)
    with request_deadline(time.monotonic() + params["timeout"]):  # a hanging cancel request counts against timeout
        client.cancel(job["jid"])
        try:
            state = client.wait_job_state(job["jid"], TERMINAL_STATES, params["timeout"])[0]
        except FlinkError as exc:
            exc.result.update(changed=True, name=job.get("name"), job_id=job["jid"])  # the cancel is under way
            raise
    return dict(changed=True, name=job.get("name"), job_id=job["jid"], state=state, checkpoints_retained=retained,
                warnings=warnings)


def ensure_stopped(client, params, check_mode):
    if params["trigger_id"] and not is_trigger_id(params["trigger_id"]):
        raise FlinkError("invalid trigger_id %r: Flink trigger ids are 32 hexadecimal characters" % params["trigger_id"])
    job = select_for_stop(client, params)
    if job is None and params["trigger_id"]:
        # A re-run after the stop: the same trigger id returns the same savepoint.
        job = client.resolve_job(job_id=params["job_id"], name=None if params["job_id"] else params["name"])
    if job is None:
        return dict(changed=False, name=params["name"], job_id=params["job_id"], state=None, savepoint_path=None)
    if check_mode:
        return dict(changed=True, name=job.get("name"), job_id=job["jid"], state=job.get("state"), savepoint_path=None)
    outcome = ops.savepoint(client, job["jid"], stop=True, drain=params["drain"], target_directory=params["target_directory"],
                            fmt=params["savepoint_format"], trigger_id=params["trigger_id"], timeout=params["timeout"])
    state = client.wait_job_state(job["jid"], TERMINAL_STATES, params["timeout"])[0]
    return dict(changed=outcome["changed"], name=job.get("name"), job_id=job["jid"], state=state,
                savepoint_path=outcome["location"], trigger_id=outcome["trigger_id"])

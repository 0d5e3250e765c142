# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pinning with a ledger, and the handover of a job from one cluster to another through its pin.

Private to the collection (underscore module). Used by flink_checkpointing (``ledger`` option) and by
flink_handover, so a pin is recorded the same way whichever task takes it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_jobs as jobs
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots


def ledger_resume_point(client, ledger, key, job_name, new_ami):
    """``(entry, job)``: the unfinished ledger entry a re-run must continue from (or None), and the active job of that
    name already restored from its pin (or None: the pinned job is stopped and nothing runs from the pin yet).

    An entry is stale (and ignored) when the job moved on from the recorded pin, so its old pin must not be reused:
    a job of that name runs on the source cluster from anything but the pin (for example after a rollback), or the
    newest job of that name was restored within the lineage, got past the pin and ended (its sinks committed output
    past the pin: the lineage continues from that job's final state, which the caller then pins).
    """
    entry = ledger.get(key)
    if not _ledger.is_resumable(entry, new_ami):
        return None, None
    named = client.find_jobs(name=job_name)  # newest first
    active = jobs.active_jobs(client, job_name, named)
    if not active:
        return (None if _moved_past(client, named, entry) else entry), None
    restored = snapshots.restored_from_rest(client.checkpoints(active[0]["jid"]))
    if restored and snapshots.normalize_path(restored["external_path"]) == snapshots.normalize_path(entry["checkpoint_path"]):
        return entry, active[0]
    return None, None


def _moved_past(client, newest, entry):
    """Whether the newest (ended) job of ``newest`` (the jobs of the entry's name, newest first) continued the lineage
    past the entry's pin: it was restored (from the pin or from a later state of the lineage) and holds a newer state
    than the pin (checkpoint ids grow along a lineage across restores)."""
    if not newest or newest[0]["jid"] == entry.get("old_job_id") or entry.get("checkpoint_id") is None:
        return False
    try:
        stats = client.checkpoints(newest[0]["jid"])
    except FlinkError as exc:
        if exc.status == 404:  # checkpointing off: it holds no state of the lineage
            return False
        raise
    state_id = _lineage_state_id(stats)
    if state_id is None:
        return False  # started afresh, not from the lineage
    if state_id <= entry["checkpoint_id"]:
        # a view of the checkpoint statistics made before the job ended may miss its last checkpoints: read a fresh one
        fresh_at = ops.terminal_event_time(client, newest[0]["jid"]) + client.cache_timeouts()["checkpoint_stats"] + ops.CACHE_MARGIN
        if fresh_at > time.monotonic():
            time.sleep(fresh_at - time.monotonic())
            state_id = _lineage_state_id(client.checkpoints(newest[0]["jid"]))
    return (state_id or 0) > entry["checkpoint_id"]


def _lineage_state_id(stats):
    """The id of the newest state a restored job holds (its newest checkpoint, else its restore point), or None for a
    job that was not restored."""
    restored = snapshots.restored_from_rest(stats)
    if restored is None:
        return None
    latest = snapshots.latest_completed(stats, include_savepoints=True) or {}
    return max(latest.get("id") or 0, restored.get("id") or 0)


def resumed_result(key, entry, running):
    """The flink_checkpointing result of a pin resumed from the ledger (``running``: the job restored from it)."""
    reason = "resumed from the ledger entry written at %s" % entry.get("pinned_at")
    if running is not None:
        reason += ("; job %s already runs restored from this pin (a restore the ledger has not recorded yet): the pin "
                   "is its restore point, and it checkpoints past it" % running["jid"])
    return dict(changed=False, resumed=True, method="ledger", job_state=running.get("state") if running else None,
                running_job_id=running["jid"] if running else None, ledger_key=key, ledger_entry=entry,
                pinned_checkpoint=_ledger.pin_from_entry(entry), pin_is_final=True, pin_reason=reason, timings={})


def pin_with_ledger(client, job_name, ledger_uri, cluster, suspend_args, run_id=None, old_ami=None, new_ami=None,
                    aws=None, check_mode=False):
    """Suspend + pin ``job_name`` and record the pin before returning; resume from an unfinished entry.

    Returns the flink_checkpointing result plus ``ledger_entry``, ``ledger_key`` and ``resumed``.
    """
    if not ledger_uri:
        result = ops.suspend(client, client.resolve_job(name=job_name), check_mode=check_mode, **suspend_args)
        return dict(result, resumed=False, ledger_key=None, ledger_entry=None)
    ledger = _ledger.open_ledger(ledger_uri, aws=aws)
    key = _ledger.entry_key(cluster, job_name)
    entry, running = ledger_resume_point(client, ledger, key, job_name, new_ami)
    if entry is not None:
        return resumed_result(key, entry, running)
    job = client.resolve_job(name=job_name)
    ledger.check_writable(key, dry=check_mode)  # the pin is recorded right after the fence: a ledger it cannot go to fails now
    result = ops.suspend(client, job, check_mode=check_mode, **suspend_args)
    result.update(resumed=False, ledger_key=key, ledger_entry=None)
    pin = result.get("pinned_checkpoint")
    if check_mode or pin is None:
        return result
    if not result["changed"]:  # (read only then: the record below is inside the job's downtime)
        previous = ledger.get(key)
        if records_pin(previous, pin):
            # a re-run on the job fenced before: its pin is recorded already (and may be finished: never reopened)
            return dict(result, ledger_entry=previous)
    try:
        result["ledger_entry"] = _ledger.record_pin(ledger, key, pin, cluster, job_name, run_id=run_id, old_ami=old_ami,
                                                    new_ami=new_ami, extra=dict(fence_method=result.get("method"),
                                                                                fence_timings=result.get("timings")))
    except FlinkError as exc:
        raise exc.restated("job %s is fenced and its pin is checkpoint %s at %s, but the pin could not be recorded in the "
                           "ledger: %s" % (job_name, pin.get("id"), pin.get("external_path"), exc.message),
                           changed=result["changed"], pinned_checkpoint=pin, job_state=result.get("job_state"),
                           method=result.get("method"))
    result["changed"] = True
    return result


def records_pin(entry, pin):
    """Whether ledger ``entry`` records ``pin`` (same job, same checkpoint)."""
    return bool(entry) and entry.get("old_job_id") == pin.get("job_id") and entry.get("checkpoint_id") == pin.get("id") \
        and entry.get("checkpoint_path") == pin.get("external_path")


def check_target_free(source, target, name):
    """Refuse a target that runs a job of that name while the job still runs on the source (not fenced yet): that job
    cannot come from this handover's pin, and the start after the fence would find it in the way (the job would be
    down on both clusters). A re-run after the fence finds the source's job ended and the target's from the pin."""
    there = target.active_job(name)
    if not there:
        return
    here = source.active_job(name)
    if here and here["jid"] != there["jid"]:  # (one cluster as source and target: the same job)
        raise FlinkError("refusing to hand job %r over: %s already runs a job of that name (%s, %s) while it still runs "
                         "on %s (%s); cancel the one on the target first, or restart it there with flink_job" % (
                             name, target.base_url, there["jid"], there.get("state"), source.base_url, here["jid"]),
                         job=there["jid"])


def handover(source, target, params, check_mode=False):
    """Move a job from ``source`` to ``target`` (FlinkClients) through its pin, in one call.

    Fence and pin on the source, record the pin in the ledger, start the job on the target from the pin,
    prove the restore and wait for its first checkpoint. Downtime runs from the fence to that checkpoint.
    """
    # Stage the jar on the target before the job stops (an upload must not count as downtime) and build the job's plan
    # there: a wrong entry class or program arguments fail now, with the job still running on the source.
    jar_id, uploaded = jobs.resolve_jar(target, params, check_mode)
    try:
        if jar_id:
            ops.check_program(target, jar_id, jobs.run_body_of(params), params["name"])
        jobs.check_checkpoint_dir(dict(params, checkpoint_dir=params["target_checkpoint_dir"]))
        check_target_free(source, target, params["name"])
    except FlinkError as exc:
        if uploaded:  # the job itself was not touched
            jobs.forget_upload(target, jar_id, exc)
        raise
    began = time.monotonic()
    suspend_args = dict(mode=params["mode"], method=params["method"], timeout=params["timeout"],
                        allow_no_checkpoint=False, checkpoint_dir=params["checkpoint_dir"], aws=params["aws"])
    pinned = pin_with_ledger(source, params["name"], params["ledger"], params["cluster"], suspend_args,
                             run_id=params["run_id"], old_ami=params["old_ami"], new_ami=params["new_ami"],
                             aws=params["aws"], check_mode=check_mode)
    pin = pinned["pinned_checkpoint"]
    if check_mode:
        return dict(changed=True, pin=pin, pin_is_final=False, target=dict(changed=True), timings={})
    pinned_at = time.monotonic()
    run_params = dict(params, jar=jar_id, jar_id=jar_id, restore_from=pin, checkpoint_dir=params["target_checkpoint_dir"], replace=False,
                      prechecked=True)
    try:
        started = jobs.ensure_running(target, run_params, check_mode=False)
    except FlinkError as exc:
        recorded = "recorded in the ledger as %s" % pinned["ledger_key"] if pinned["ledger_key"] else "not recorded: no ledger"
        if exc.result.get("left_running"):
            now = "job %s was left on the new cluster: it claimed the pin, which a cancel would delete" % exc.result["job_id"]
        elif exc.result.get("job_id") and not exc.result.get("cancelled"):
            # a run without an answer: the job may yet start on the target, and a second copy from the pin would
            # write the output after it twice
            now = "job %s may still start on the new cluster: make sure it has not before restarting the job anywhere" % (
                exc.result["job_id"])
        else:
            now = "the job is stopped and can be restarted from it, on the old cluster too"
        message = "handover of job %s failed after the pin (checkpoint %s at %s, %s; %s): %s" % (
            params["name"], pin["id"], pin["external_path"], recorded, now, exc.message)
        raise exc.restated(message, changed=pinned["changed"] or bool(exc.result.get("changed")), pin=pin,
                           old_job_id=pin.get("job_id"), ledger_key=pinned["ledger_key"])
    entry = None
    if params["ledger"]:
        ledger = _ledger.open_ledger(params["ledger"], aws=params["aws"])
        entry = _ledger.update_status(ledger, pinned["ledger_key"], "restored",
                                      dict(new_job_id=started.get("job_id"), restored_at=_ledger.utc_now()))[0]
    finished = time.monotonic()
    timings = dict(pinned["timings"] or {})
    timings.update(pin_total=round(pinned_at - began, 3), restore=started.get("timings") or {},
                   downtime=round(finished - began, 3) if pinned["changed"] else None, total=round(finished - began, 3))
    started["uploaded"] = uploaded
    return dict(changed=pinned["changed"] or started["changed"] or uploaded, pin=pin, resumed=pinned["resumed"],
                method=pinned["method"], ledger_key=pinned["ledger_key"], ledger_entry=entry, target=started,
                job_id=started.get("job_id"), old_job_id=pin.get("job_id"), timings=timings)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations on jobs shared by the modules: pre-flight checks, suspension (native or fence), the final
pin, checkpoint and savepoint triggers.

Private to the collection (underscore module). The modules are thin wrappers over these functions, so the
same code pins a job whether it is called from flink_checkpointing, flink_job or flink_handover.

Finality
--------
A pin is final when no checkpoint of the job can complete after it: the job is terminal (its checkpoint
coordinator is gone) or its checkpointing was suspended natively. Even then, ``/jobs/:id/checkpoints``
is served from a cache (``rest.cache.checkpoint-statistics.timeout``), so a read right after the event can
be one checkpoint behind. :func:`final_checkpoint` therefore only trusts a REST answer that is either
confirmed by a storage listing (``_metadata`` is written before a checkpoint completes, so the newest
``chk-N/_metadata`` bounds every completed checkpoint) or read after the cache has expired since the event.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import re
import time

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import (
    ACTIVE_STATES,
    FlinkError,
    FlinkOperationFailed,
    FlinkTimeoutError,
    FlinkUnsupported,
    LOCALLY_TERMINAL_STATES,
    TERMINAL_STATES,
    new_trigger_id,
    poll,
    summarize_throwable,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots
from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage_mod

CACHE_MARGIN = 0.1  # seconds added to a cache timeout before a read counts as fresh
FAST_POLL = 0.05  # longest poll interval while a job is down (fence, restore): each poll can add it to the downtime
NATIVE_ROUTE = "/jobs/%s/checkpointing"
NATIVE_STATUS_ROUTE = "/jobs/%s/checkpointing-suspension/%s"
# how long a run whose answer was lost is looked for (at least; 3 request timeouts when longer): the JobManager answers
# once it has built the job's graph from the jar and submitted it, so the job appears about when the answer would have
SUBMIT_GRACE = 10.0


class JobError(FlinkError):
    """A job cannot be acted on safely (a pre-flight refusal); nothing was changed."""


def now_ms():
    return int(time.time() * 1000)


# --------------------------------------------------------------------------- settings
def checkpoint_settings(client, job_id):
    """``/jobs/:id/checkpoints/config`` shaped by checkpointing_summary (enabled=False when off)."""
    try:
        config = client.checkpoint_config(job_id)
    except FlinkError as exc:
        if exc.status == 404:
            config = None
        else:
            raise
    return snapshots.checkpointing_summary(config)


def preflight(client, job, require_retention=True, allow_no_checkpoint=False, store=None, base=None):
    """Refuse a job that could not be restored after it is stopped; return its checkpoint settings.

    Raises JobError (nothing changed) when checkpointing is off, checkpoints are deleted on
    cancellation (``require_retention``), or no checkpoint has completed (unless ``allow_no_checkpoint``).
    With a readable ``store`` the completed checkpoints are counted there, so the REST checkpoint
    statistics cache is not warmed right before the job is stopped (see final_checkpoint).
    """
    job_id, name = job["jid"], job.get("name")
    label = "%s (%s)" % (name, job_id)
    settings = checkpoint_settings(client, job_id)
    config_url = client.url_for("/jobs/%s/checkpoints/config" % job_id)
    if not settings["enabled"]:
        raise JobError("refusing to stop job %s: checkpointing is off, so it could only restart from scratch" % label,
                       job=job_id, url=config_url, method="GET")
    if require_retention and settings["retention"] != snapshots.RETAIN:
        raise JobError("refusing to fence job %s: its checkpoints are %s, so cancelling it would leave no checkpoint "
                       "to restore from (set execution.checkpointing.externalized-checkpoint-retention: "
                       "RETAIN_ON_CANCELLATION, or stop it with a savepoint)" % (label, settings["retention"]),
                       job=job_id, url=config_url, method="GET")
    has_checkpoint = store is not None and newest_complete(storage_mod.scan_checkpoints(store, base, job_id)) is not None
    if not has_checkpoint:
        # A cached statistics view of a fast-checkpointing job can show every entry as discarded (subsumed
        # since), so "has completed a checkpoint" is read from the counts.
        stats = client.checkpoints(job_id)
        # a job restored from a snapshot that has not completed a checkpoint since still has that snapshot as its state
        has_checkpoint = snapshots.completed_count(stats) > 0 or restore_point_entry(stats) is not None
        if store is not None:
            check_storage_is_the_jobs(stats, base, job_id, label)
    if not has_checkpoint and not allow_no_checkpoint:
        raise JobError("refusing to stop job %s: it has no completed checkpoint yet (set allow_no_checkpoint to "
                       "accept a restart from empty state)" % label,
                       job=job_id, url=client.url_for("/jobs/%s/checkpoints" % job_id), method="GET")
    return settings


def check_storage_is_the_jobs(stats, base, job_id, label):
    """Refuse a checkpoint storage ``base`` that holds no checkpoint of the job while Flink reports one completed
    elsewhere (say ``checkpoint_dir`` names another cluster's directory): no pin could be confirmed in storage."""
    latest = snapshots.latest_completed(stats)
    path = (latest or {}).get("external_path")
    actual = snapshots.storage_dir_from_path(path, job_id)

    def root(uri):
        return snapshots.normalize_path(storage_mod.job_checkpoint_root(uri, job_id))

    if actual and root(actual) != root(base):
        raise JobError("refusing to stop job %s: checkpoint_dir %s holds no checkpoint of it, but Flink reports its latest "
                       "completed checkpoint at %s; set checkpoint_dir to %s (the directory that holds <job id>/chk-N) or "
                       "leave it unset" % (label, base, path, actual), job=job_id)


# --------------------------------------------------------------------------- storage
def storage_for(checkpoint_dir, aws=None, latest_path=None, job_id=None, client=None, allow_empty=False):
    """The (storage, base uri) used to confirm checkpoints, or (None, None).

    An explicit ``checkpoint_dir`` must be readable (StorageError otherwise). Without it, a local
    ``file:`` directory is used when this machine can read it: the one a REST checkpoint path names, else
    the cluster's ``execution.checkpointing.dir`` (when the job has checkpoints there, or ``allow_empty``
    for a job that has just started).
    """
    if checkpoint_dir:
        store = storage_mod.open_storage(checkpoint_dir, aws=aws)
        store.check_readable()
        return store, checkpoint_dir
    bases = [snapshots.storage_dir_from_path(latest_path, job_id)]
    if client is not None:
        bases.append(client.checkpoint_storage_dir())
    for base in bases:
        if not base or storage_mod.split_uri(base)[0] != "file":
            continue
        store = storage_mod.open_storage(base)
        try:
            store.check_readable()
        except storage_mod.StorageError:
            continue
        if latest_path or allow_empty or storage_mod.scan_checkpoints(store, base, job_id):
            return store, base
    return None, None


def newest_complete(listing):
    for entry in listing:
        if entry["complete"]:
            return entry
    return None


# --------------------------------------------------------------------------- finality
def final_checkpoint(client, job_id, event_at, store=None, base=None, include_savepoints=False, timeout=60.0,
                     ended=None):
    """The last completed checkpoint of a job whose checkpointing ended at ``event_at`` (monotonic clock).

    Returns ``(entry, reason)``; entry is the raw REST entry (None when the job never completed one).
    Fast path: a REST view (even a cached one) lists the newest ``chk-N/_metadata`` of storage as completed;
    or storage alone is the record (see storage_is_final: pass ``ended``, the job's overview entry with the
    terminal state a fresh status read returned). Otherwise renewed views are polled for the newest of storage until
    the cache period since ``event_at`` has passed, and (without storage) the REST checkpoint-statistics cache is
    waited out from ``event_at`` and read again.
    """
    stats = client.checkpoints(job_id)
    entry = snapshots.latest_completed(stats, include_savepoints)
    newest = None
    if store is not None:
        newest = newest_complete(storage_mod.scan_checkpoints(store, base, job_id))
        restore_point = restore_point_entry(stats)
        if newest is None and entry is None and restore_point is not None:
            # the restore is known to any view made after the job started; nothing of its own completed
            return restore_point, RESTORE_POINT_REASON
        if newest is not None:
            # Even a stale view proves completion (it is final); storage proves nothing newer exists.
            newer = _newer_in_view(stats, newest)  # storage lost a completed one: it is not the record
            known = None if newer else snapshots.completed_entry(stats, newest["id"])
            if known is not None and not (include_savepoints and entry and entry.get("is_savepoint") and
                                          (entry.get("id") or 0) > (known.get("id") or 0)):
                return known, "chk-%s is the newest _metadata in storage and REST reports it completed" % newest["id"]
            if not (include_savepoints or newer) and storage_is_final(client, stats, newest, ended):
                return storage_entry(newest), STORAGE_FINAL_REASON % (newest["id"], ended["state"])
    ttl = client.cache_timeouts()["checkpoint_stats"]
    fresh_at = event_at + ttl + CACHE_MARGIN
    if fresh_at - time.monotonic() > timeout:
        raise FlinkError("the REST checkpoint cache (%.1fs) is longer than the time left (%.1fs)" % (ttl, timeout), job=job_id)
    if store is not None and newest is not None and not include_savepoints:
        # A cached view expires a cache period after it was made, often well before fresh_at: poll until a
        # view lists the newest chk-N of storage as completed (proof), or until every view is fresh.
        known = _poll_until_known(client, job_id, store, base, fresh_at)
        if known is not None:
            return known, "chk-%s is the newest _metadata in storage and a renewed REST view reports it completed" % known["id"]
    wait = fresh_at - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    stats = client.checkpoints(job_id)
    entry = snapshots.latest_completed(stats, include_savepoints) or restore_point_entry(stats)
    if entry is not None and entry.get("restore_point"):
        return entry, RESTORE_POINT_REASON
    return entry, "read %.2fs after checkpointing ended (REST cache %.2fs)" % (ttl + CACHE_MARGIN, ttl)


# the terminal states reached through DefaultExecutionGraph.onTerminalState, which shuts the checkpoint coordinator
# down in the same JobManager main-thread step as the state change (a status read cannot come between them)
COORDINATOR_ENDED_STATES = frozenset(("CANCELED", "FAILED"))
STORAGE_FINAL_REASON = ("chk-%s is the newest _metadata in storage, the record of completed checkpoints: the job is %s "
                        "(its checkpoint coordinator has shut down) and the cluster has no high availability (a "
                        "checkpoint whose _metadata is written is completed)")


def storage_is_final(client, stats, newest, ended):
    """Whether ``newest`` (the newest complete ``chk-N`` of the job's storage) is its last completed checkpoint, with
    no REST view to confirm it (the statistics cache may hold a view from before the job ended).

    It is when all of these hold:
    * ``ended`` (the job's overview entry) has a terminal state where the coordinator has shut down, read fresh: a
      checkpoint completes under the coordinator's lock and shutdown takes it, so nothing completes after, and the
      status route answers after the main-thread step that shut the coordinator down;
    * the cluster runs without high availability: the standalone checkpoint store adds a checkpoint right after its
      ``_metadata`` is written, and cannot fail to (an HA store can, and its checkpoint is then discarded);
    * nothing says otherwise: the (possibly stale) view does not list ``newest`` as failed (the caller has checked
      that it knows no newer completed one), and ``newest`` was written after the job started (not left by an
      earlier run under the same job id).
    """
    if not ended or ended.get("state") not in COORDINATOR_ENDED_STATES or not client.without_high_availability():
        return False
    started_ms = ended.get("start-time") or 0
    if started_ms <= 0 or not newest.get("metadata_time") or newest["metadata_time"] * 1000.0 < started_ms:
        return False
    history = (stats or {}).get("history") or []
    return not any(item.get("id") == newest["id"] and item.get("status") == "FAILED" for item in history if item)


def storage_entry(newest):
    """A storage listing entry as a completed checkpoint entry of ``/jobs/:id/checkpoints``."""
    completed = int(newest["metadata_time"] * 1000) if newest.get("metadata_time") else None
    return dict(id=newest["id"], external_path=newest["path"], status="COMPLETED", is_savepoint=False,
                checkpoint_type="CHECKPOINT", latest_ack_timestamp=completed, discarded=False, source="storage")


RESTORE_POINT_REASON = ("the job has completed no checkpoint since it was restored: the snapshot it was restored from "
                        "is its last state")


def restore_point_entry(stats):
    """What a job that has completed no checkpoint (``stats``: its ``/jobs/:id/checkpoints``) was restored from, as a
    completed REST entry (its last state: a restart from nothing would lose it), or None."""
    restored = snapshots.restored_from_rest(stats)
    if restored is None or not restored["external_path"] or snapshots.latest_completed(stats, include_savepoints=True):
        return None
    return dict(id=restored["id"], external_path=restored["external_path"], status="COMPLETED",
                is_savepoint=restored["kind"] == "savepoint", restore_point=True)


def _poll_until_known(client, job_id, store, base, until):
    """Poll renewed REST views until one lists the newest complete ``chk-N`` of storage (listed again each
    time) as completed, or ``until`` passes."""
    delay = 0.05
    while time.monotonic() < until:
        time.sleep(min(delay, max(0.0, until - time.monotonic())))
        delay = min(delay * 1.5, 0.25)
        newest = newest_complete(storage_mod.scan_checkpoints(store, base, job_id))
        known = _confirmed(client.checkpoints(job_id), newest) if newest else None
        if known is not None:
            return known
    return None


def _newer_in_view(stats, newest):
    """Whether a REST view knows a completed checkpoint newer than ``newest`` of storage (its _metadata is gone)."""
    latest = snapshots.latest_completed(stats)
    return latest is not None and (latest.get("id") or 0) > newest["id"]


def _confirmed(stats, newest):
    """The REST entry of ``newest`` (storage's newest complete chk-N) when the view lists it completed and knows no
    newer completed checkpoint (storage would then have lost one: not the record), else None."""
    known = snapshots.completed_entry(stats, newest["id"])
    return None if known is None or _newer_in_view(stats, newest) else known


def terminal_event_time(client, job_id):
    """Monotonic time by which a job that is already terminal had ended (conservative).

    Uses the server's own clock (``now`` and ``end-time`` of ``/jobs/:id``) so clock skew does not matter;
    when the cached job view does not show the end yet, the job ended less than a cache period ago.
    """
    detail = client.job(job_id)
    end, server_now = detail.get("end-time") or -1, detail.get("now") or 0
    if end > 0 and server_now >= end and detail.get("state") in LOCALLY_TERMINAL_STATES:
        return time.monotonic() - (server_now - end) / 1000.0
    return time.monotonic()


# --------------------------------------------------------------------------- in-flight checkpoints
def wait_in_flight(client, job_id, timeout, store=None, base=None):
    """Wait until the checkpoints in flight now have completed or failed (``scheduled`` mode).

    With a readable store, in-flight checkpoints are the ``chk-N`` directories without ``_metadata`` newer
    than the newest complete one, settled when ``_metadata`` appears or the directory goes; REST is asked
    only about ones that linger past the REST cache period (abandoned directories). Without a store,
    ``IN_PROGRESS`` entries of the REST statistics are waited for. Returns the ids waited for.
    """
    ttl = client.cache_timeouts()["checkpoint_stats"]
    started = time.monotonic()

    def open_in_storage():
        listing = storage_mod.scan_checkpoints(store, base, job_id)
        done = newest_complete(listing)
        floor = done["id"] if done else 0
        return set(c["id"] for c in listing if not c["complete"] and c["id"] > floor)

    def open_in_rest():
        stats = client.checkpoints(job_id)
        return set(h.get("id") for h in stats.get("history") or [] if h.get("status") == "IN_PROGRESS")

    def in_flight():
        if store is None:
            return open_in_rest()
        ids = open_in_storage()
        if ids and time.monotonic() - started > ttl + CACHE_MARGIN:
            ids &= open_in_rest()
        return ids

    first = in_flight()
    if not first:
        return []
    pending = set(first)

    def check():
        pending.intersection_update(in_flight())
        return (not pending), sorted(first)

    return poll(check, timeout, "in-flight checkpoints %s of job %s to finish" % (sorted(first), job_id),
                interval=0.02, max_interval=0.2, job=job_id)


# --------------------------------------------------------------------------- suspension
def native_available(client, job_id):
    """Whether the cluster has the native suspension API (probed without changing anything)."""
    try:
        client.get(NATIVE_STATUS_ROUTE % (job_id, new_trigger_id()))
    except FlinkUnsupported:
        return False
    except FlinkError as exc:
        # The route exists but does not know this trigger id (or refuses a GET): the API is there.
        if exc.status in (400, 404, 405, 409):
            return True
        # No answer, or a server error: the probe tells nothing, and guessing "absent" would cancel the job.
        raise exc.restated("cannot tell whether the cluster offers native checkpoint suspension (%s); nothing was "
                           "changed: retry, or choose method=native or method=fence" % exc.message, changed=False)
    return True


def native_request(client, job_id, action, timeout):
    """POST a native suspend/resume and wait for it. Raises FlinkUnsupported when the cluster lacks the API."""
    answer = client.post(NATIVE_ROUTE % job_id, body={"action": action})
    request_id = answer.get("request-id")
    if not request_id:
        raise FlinkError("native checkpointing %s was accepted without a request-id" % action, job=job_id,
                         method="POST", url=client.url_for(NATIVE_ROUTE % job_id))
    try:
        operation = client.wait_operation(NATIVE_STATUS_ROUTE % (job_id, request_id), timeout,
                                          "native checkpointing %s of job %s" % (action, job_id))
    except FlinkError as exc:
        # accepted: a wait that ran out leaves the request to Flink (it may still take effect); a failed one did not
        exc.result.update(changed=not isinstance(exc, FlinkOperationFailed), request_id=request_id)
        raise
    return request_id, operation


def fence(client, job_id, timeout):
    """Cancel the job (ending its checkpoint coordinator) and wait until it is terminal.

    Returns (terminal state, monotonic time it was seen, seconds the cancel took).
    """
    started = time.monotonic()
    client.cancel(job_id)
    # The job is down from here on: poll the (fresh, cheap) status route often, not with the usual backoff.
    state, seen_at = client.wait_job_state(job_id, TERMINAL_STATES, timeout, max_interval=FAST_POLL)
    return state, seen_at, seen_at - started


def suspend(client, job, mode="scheduled", method="auto", timeout=120.0, allow_no_checkpoint=False,
            checkpoint_dir=None, aws=None, check_mode=False):
    """Suspend checkpointing of ``job`` (a /jobs/overview entry) and pin its final checkpoint.

    Returns a result dict: changed, method, job_state, pinned_checkpoint (shaped snapshot, final),
    pin_reason, timings. Already fenced (terminal) jobs give changed=False and the same pin.
    """
    job_id = job["jid"]
    started = time.monotonic()
    deadline = started + timeout

    def left():
        return max(0.1, deadline - time.monotonic())

    state = client.job_status(job_id)
    job = dict(job, state=state)
    if state in LOCALLY_TERMINAL_STATES:
        return _already_fenced(client, job, checkpoint_dir, aws, allow_no_checkpoint, left())
    if state not in ACTIVE_STATES:
        raise JobError("job %s is in state %s and cannot be suspended" % (job_id, state), job=job_id)

    use_native = method == "native" or (method == "auto" and native_available(client, job_id))
    store, base = storage_for(checkpoint_dir, aws, None, job_id, client=client)
    settings = preflight(client, job, require_retention=not use_native, allow_no_checkpoint=allow_no_checkpoint,
                         store=store, base=base)
    if check_mode:
        latest = snapshots.latest_completed(client.checkpoints(job_id))
        return dict(changed=True, method="native" if use_native else "fence", job_state=state,
                    pinned_checkpoint=snapshots.snapshot_from_rest(latest, job, source="rest", now_ms=now_ms()),
                    pin_is_final=False, pin_reason="check mode: the checkpoint most likely to be pinned",
                    settings=settings, timings={})

    ttl = client.cache_timeouts()["checkpoint_stats"]
    if ttl + CACHE_MARGIN >= left():
        raise JobError("refusing to suspend job %s: its pin may have to wait out the REST checkpoint cache (%.1fs), which "
                       "is longer than the time left (%.1fs of timeout %.1fs); raise timeout" % (job_id, ttl, left(), timeout),
                       job=job_id)
    timings = {}
    waited = []
    if mode == "scheduled":
        waited = wait_in_flight(client, job_id, left(), store, base)
        timings["in_flight_wait"] = round(time.monotonic() - started, 3)
    fence_started = time.monotonic()
    timings["fence_started_at"] = round(time.time(), 3)
    if use_native:
        try:
            request_id, operation = native_request(client, job_id, "suspend", left())
        except FlinkUnsupported:
            if method == "native":
                raise FlinkError("method=native, but the cluster has no native checkpoint suspension API "
                                 "(POST %s answered 404); use method=auto or fence" % (NATIVE_ROUTE % job_id), job=job_id)
            use_native = False
        except FlinkError as exc:
            if exc.result.get("changed"):  # the suspension may be in effect: a re-run pins (or finds it suspended)
                exc.result.update(method="native", pin_reason="the suspension may have taken effect; re-run to pin")
            raise
        else:
            event_at = time.monotonic()
            job_state = client.job_status(job_id)
            timings["suspend"] = round(event_at - fence_started, 3)
    if not use_native:
        if settings["retention"] != snapshots.RETAIN:
            preflight(client, job, require_retention=True, allow_no_checkpoint=allow_no_checkpoint, store=store, base=base)
        try:
            job_state, event_at, cancel_took = fence(client, job_id, left())
        except FlinkError as exc:
            exc.result.update(method="fence", **_failed_fence(client, job_id, exc))
            raise
        request_id, operation = None, None
        timings["cancel"] = round(cancel_took, 3)
    changed = _native_changed(operation, "suspend") if use_native else True
    try:
        # A job that ends FINISHED was stopped with a savepoint (one raced the fence): that savepoint is its last state
        # (its sinks committed up to it, and the stop deleted its chk-*).
        entry, reason = final_checkpoint(client, job_id, event_at, store, base, include_savepoints=job_state == "FINISHED",
                                         timeout=left(), ended=None if use_native else dict(job, state=job_state))
        timings["pin"] = round(time.monotonic() - fence_started, 3)
        timings["total"] = round(time.monotonic() - started, 3)
        pin = _pin_or_fail(client, job, entry, store, allow_no_checkpoint, job_state)
    except FlinkError as exc:
        # checkpointing has ended: a re-run pins the same checkpoint (changed=false)
        exc.result.update(changed=changed, method="native" if use_native else "fence", job_state=job_state,
                          request_id=request_id, timings=timings)
        raise
    return dict(changed=changed, method="native" if use_native else "fence", job_state=job_state,
                pinned_checkpoint=pin, pin_is_final=True, pin_reason=reason, request_id=request_id,
                in_flight_waited=waited, settings=settings, timings=timings)


def _failed_fence(client, job_id, exc):
    """``changed`` and ``pin_reason`` of a fence that failed with ``exc``: in the wait for the terminal state, or in
    the cancel request itself (then the job's own state tells whether the cancel took effect)."""
    if exc.method != "PATCH":
        return dict(changed=True, pin_reason="the job was cancelled but did not end in time; re-run to pin once it has")
    if exc.unanswered:
        return dict(changed=True, pin_reason="the cancel got no answer and may have reached Flink; re-run to pin once "
                                             "the job has ended")
    try:
        state = client.job_status(job_id)
    except FlinkError:
        state = None
    if state in TERMINAL_STATES or state == "CANCELLING":
        return dict(changed=True, job_state=state, pin_reason="the job was cancelled; re-run to pin once it has ended")
    return dict(changed=False, job_state=state, pin_reason="the cancel failed: the job was not fenced, nothing was pinned")


def store_for_path(path, stores):
    """The storage that can confirm ``path``: one of ``stores`` (``(storage, base)`` pairs) holding it, else a local
    directory that holds it (see local_parent_store), else None."""
    for store, base in stores:
        if store is not None and snapshots.normalize_path(path).startswith(snapshots.normalize_path(base)):
            return store
    return storage_mod.local_parent_store(path)


def _already_fenced(client, job, checkpoint_dir, aws, allow_no_checkpoint, timeout):
    job_id = job["jid"]
    store, base = storage_for(checkpoint_dir, aws, None, job_id, client=client)
    # A terminal job's last state may be a savepoint (stopped or cancelled with one; a stop deletes its chk-*).
    entry, reason = final_checkpoint(client, job_id, terminal_event_time(client, job_id), store, base,
                                     include_savepoints=True, timeout=timeout)
    pin = _pin_or_fail(client, job, entry, store, allow_no_checkpoint, job["state"])
    return dict(changed=False, method="fence", job_state=job["state"], pinned_checkpoint=pin, pin_is_final=True,
                pin_reason="job already %s; %s" % (job["state"], reason), settings=checkpoint_settings(client, job_id),
                timings={})


def _pin_or_fail(client, job, entry, store, allow_no_checkpoint, job_state):
    job = dict(job, state=job_state)
    pin = snapshots.snapshot_from_rest(entry, job, source=(entry or {}).get("source") or "rest", now_ms=now_ms())
    if pin is None:
        if allow_no_checkpoint:
            return None
        raise JobError("job %s (%s) has no completed checkpoint to pin" % (job.get("name"), job["jid"]), job=job["jid"])
    pin["is_final"] = True
    if entry.get("restore_point"):  # it may lie in another job's directory, or in storage not readable here
        pin["restore_point"] = True
        store = store_for_path(pin["external_path"], [(store, store.uri if store is not None else None)])
    if store is not None and pin["kind"] == "checkpoint":
        if store.metadata_time(pin["external_path"]) is None:
            raise JobError("pinned checkpoint %s of job %s has no _metadata in storage: it cannot be restored" % (
                pin["external_path"], job["jid"]), job=job["jid"])
        pin["validated"] = True
    else:
        pin["validated"] = False
    return pin


def resume(client, job, method="auto", timeout=60.0, check_mode=False):
    """Resume checkpointing. A terminal (fenced) job cannot be resumed in place."""
    job_id = job["jid"]
    state = client.job_status(job_id)
    if state in LOCALLY_TERMINAL_STATES:
        raise JobError("job %s (%s) is %s: a fenced job cannot resume checkpointing in place; restart it from its "
                       "pinned checkpoint with flinkops.fleet.flink_job (restore_from)" % (job.get("name"), job_id, state),
                       job=job_id)
    use_native = method == "native" or (method == "auto" and native_available(client, job_id))
    if not use_native:
        if method == "native":
            raise FlinkError("method=native, but the cluster has no native checkpoint suspension API", job=job_id)
        return dict(changed=False, method="fence", job_state=state,
                    msg="job is %s and its checkpointing was never suspended natively: nothing to resume" % state)
    if check_mode:
        return dict(changed=True, method="native", job_state=state)
    try:
        request_id, operation = native_request(client, job_id, "resume", timeout)
    except FlinkUnsupported:
        raise FlinkError("method=native, but the cluster has no native checkpoint suspension API "
                         "(POST %s answered 404): there is nothing to resume" % (NATIVE_ROUTE % job_id), job=job_id)
    return dict(changed=_native_changed(operation, "resume"), method="native", job_state=client.job_status(job_id),
                request_id=request_id)


def _native_changed(operation, action):
    """Whether a native request changed anything: the fork reports ``previous-state`` when it knows."""
    previous = str((operation or {}).get("previous-state") or "").lower()
    if not previous:
        return True
    return previous != ("suspended" if action == "suspend" else "active")


# --------------------------------------------------------------------------- checkpoints and savepoints
def trigger_checkpoint(client, job_id, checkpoint_type="configured", timeout=120.0, trigger_id=None, resolve_path=True):
    """Trigger one checkpoint and wait for it; returns dict(id, trigger_id, external_path).

    ``resolve_path=False`` skips the external path (None): it comes from the cached checkpoint details, which can
    lag the completion by the REST cache period.
    """
    trigger_id = client.trigger("/jobs/%s/checkpoints" % job_id, {"checkpointType": checkpoint_type.upper()},
                                trigger_id=trigger_id)
    try:
        operation = client.wait_operation("/jobs/%s/checkpoints/%s" % (job_id, trigger_id), timeout,
                                          "checkpoint of job %s" % job_id, interval=0.02, max_interval=0.1)
    except FlinkError as exc:
        # a wait that ran out leaves the checkpoint to Flink (it may still complete); a failed one changed nothing
        exc.result.update(changed=not isinstance(exc, FlinkOperationFailed), trigger_id=trigger_id, job_id=job_id)
        raise
    checkpoint_id = operation.get("checkpointId")
    path = checkpoint_path(client, job_id, checkpoint_id) if resolve_path else None
    return dict(id=checkpoint_id, trigger_id=trigger_id, external_path=path)


def checkpoint_path(client, job_id, checkpoint_id, timeout=None):
    """External path of a completed checkpoint (the details endpoint is cached: retry until it knows it)."""
    if checkpoint_id is None:
        return None
    ttl = client.cache_timeouts()["checkpoint_stats"]

    def check():
        try:
            detail = client.get("/jobs/%s/checkpoints/details/%s" % (job_id, checkpoint_id))
        except FlinkError as exc:
            if exc.status == 404:
                return False, None
            raise
        return bool(detail.get("external_path")), detail.get("external_path")

    return poll(check, timeout or ttl + 2.0, "details of checkpoint %s of job %s" % (checkpoint_id, job_id), job=job_id)


def savepoint_status_path(job_id, trigger_id):
    return "/jobs/%s/savepoints/%s" % (job_id, trigger_id)


def savepoint(client, job_id, stop=False, drain=False, cancel_job=False, target_directory=None, fmt="canonical",
              trigger_id=None, wait=True, timeout=600.0):
    """Trigger a savepoint (or stop-/cancel-with-savepoint) with a client trigger id and wait for it.

    The same ``trigger_id`` twice never starts two savepoints: an operation Flink already knows is joined
    (``changed`` False). Returns dict(changed, trigger_id, location, format, operation).
    """
    existing = client.operation_status(savepoint_status_path(job_id, trigger_id)) if trigger_id else None
    changed = existing is None
    if changed:
        fmt_type = fmt.upper()
        if stop:
            body = {"drain": bool(drain), "formatType": fmt_type}
            if target_directory:
                body["targetDirectory"] = target_directory
            trigger_id = client.trigger("/jobs/%s/stop" % job_id, body, trigger_id=trigger_id)
        else:
            body = {"cancel-job": bool(cancel_job), "formatType": fmt_type}
            if target_directory:
                body["target-directory"] = target_directory
            trigger_id = client.trigger("/jobs/%s/savepoints" % job_id, body, trigger_id=trigger_id)
    if not wait:
        return dict(changed=changed, trigger_id=trigger_id, location=None, format=fmt, operation=None)
    kind = "stop-with-savepoint" if stop else ("cancel-with-savepoint" if cancel_job else "savepoint")
    try:
        operation = client.wait_operation(savepoint_status_path(job_id, trigger_id), timeout,
                                          "%s of job %s" % (kind, job_id), interval=0.05)
    except FlinkError as exc:
        # Past the trigger, the operation is Flink's: a wait that ran out leaves it running (the job may still stop),
        # so the caller gets its trigger id to join it again. One that failed changed nothing.
        exc.result.update(changed=changed and not isinstance(exc, FlinkOperationFailed), trigger_id=trigger_id, job_id=job_id)
        raise
    return dict(changed=changed, trigger_id=trigger_id, location=operation.get("location"), format=fmt,
                operation=operation)


def jobs_needing(client, path):
    """``[(job, why)]``: the jobs of the cluster that still need the snapshot at ``path`` to be restored.

    A job that ended needs it when it is its newest restorable state (and no job of that name runs); a running job
    restored from it needs it until it completes a checkpoint of its own (a failover before that restores from it).
    A ``chk-N`` of a job's own checkpoint storage is needed while the job runs (its recovery point, or state files its
    later incremental checkpoints share) and after it ended while no job of that name runs (its last state, or files
    that state shares). Jobs the JobManager no longer lists (``jobstore.expiration-time``) are not known here.
    """
    target = snapshots.normalize_path(path)
    jobs = client.jobs_overview()
    running = set(j.get("name") for j in jobs if j.get("state") not in LOCALLY_TERMINAL_STATES)
    needing = []
    for job in jobs:
        ended = job.get("state") in LOCALLY_TERMINAL_STATES
        if ended and job.get("name") in running:
            continue  # a later run of the job carries its state on
        if snapshots.storage_dir_from_path(target, job["jid"]):
            needing.append((job, "it is a checkpoint of that job (%s), which %s" % (
                job.get("state"), "may share state files with its later checkpoints" if ended else
                "it recovers from, or whose later checkpoints may share its state files")))
            continue
        try:
            stats = client.checkpoints(job["jid"])
        except FlinkError as exc:
            if exc.status == 404:
                continue  # checkpointing off
            raise
        if ended:
            newest = snapshots.latest_completed(stats, include_savepoints=True)
            if newest and snapshots.normalize_path(newest.get("external_path")) == target:
                needing.append((job, "its last state (the job is %s and no job of that name runs)" % job.get("state")))
            continue
        restored = snapshots.restored_from_rest(stats)
        if restored and snapshots.normalize_path(restored["external_path"]) == target and not snapshots.completed_count(stats):
            needing.append((job, "it was restored from it and has completed no checkpoint since"))
    return needing


def dispose_savepoint(client, path, timeout=300.0):
    """Dispose a savepoint through the JobManager (``/savepoint-disposal``).

    A request without an answer may have deleted it (the error says changed); once accepted, a wait that runs out
    leaves the disposal to Flink (changed too).
    """
    # SavepointDisposalRequest has no triggerId field (Flink rejects unknown fields): not retried.
    trigger_id = client.post("/savepoint-disposal", {"savepoint-path": path}).get("request-id")
    try:
        client.wait_operation("/savepoint-disposal/%s" % trigger_id, timeout, "disposal of savepoint %s" % path)
    except FlinkError as exc:
        exc.result.update(changed=not isinstance(exc, FlinkOperationFailed), trigger_id=trigger_id)
        raise
    return trigger_id


# --------------------------------------------------------------------------- jars and job submission
def jar_upload_name(path, digest):
    """The file name a jar is uploaded under: its content hash is part of it, so an upload is found again."""
    base = os.path.basename(path)
    stem = base[:-4] if base.lower().endswith(".jar") else base
    return "%s-%s.jar" % (re.sub(r"[^A-Za-z0-9._-]", "_", stem), digest[:16])


def file_sha256(path):
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except OSError as exc:  # a directory, no permission, ...
        raise FlinkError("cannot read jar %s on the controller: %s" % (path, exc.strerror or exc))
    return digest.hexdigest()


def find_uploaded_jar(client, upload_name=None, jar_id=None):
    """The id of an uploaded jar with that upload name (content hash) or id, or None."""
    for entry in client.jars():
        if (jar_id and entry.get("id") == jar_id) or (upload_name and entry.get("name") == upload_name):
            return entry.get("id")
    return None


def upload_jar(client, path, upload_name):
    with open(path, "rb") as handle:
        answer = client.request("POST", "/jars/upload", files={"jarfile": (upload_name, handle, "application/x-java-archive")},
                                retry=False)
    if answer.get("status") not in (None, "success"):
        raise FlinkError("jar upload of %s was not accepted: %s" % (path, answer), method="POST",
                         url=client.url_for("/jars/upload"))
    return os.path.basename(answer.get("filename") or "")


def run_body(entry_class=None, args=None, parallelism=None, restore_path=None, claim_mode="no_claim",
             allow_non_restored_state=False, flink_config=None):
    """Body of ``POST /jars/:id/run`` (``programArgsList``: Flink 2.x ignores the old ``programArgs`` string)."""
    body = {}
    if entry_class:
        body["entryClass"] = entry_class
    if args:
        body["programArgsList"] = [str(a) for a in args]
    if parallelism:
        body["parallelism"] = int(parallelism)
    if restore_path:
        body["savepointPath"] = restore_path
        body["claimMode"] = claim_mode.upper()
        body["allowNonRestoredState"] = bool(allow_non_restored_state)
    if flink_config:
        body["flinkConfiguration"] = dict((str(k), str(v)) for k, v in flink_config.items())
    return body


PLAN_FIELDS = ("entryClass", "programArgsList", "parallelism", "flinkConfiguration")


def check_program(client, jar_id, body, name):
    """Build the job's dataflow plan from an uploaded jar without running anything (``POST /jars/:id/plan``).

    The JobManager runs the program's main() up to the graph: a missing entry class or program arguments the job
    rejects fail here, before a job is stopped for a restart that could not happen. Returns the plan's job name.
    """
    path = "/jars/%s/plan" % jar_id
    try:
        answer = client.post(path, body=dict((k, v) for k, v in body.items() if k in PLAN_FIELDS), retry=True)
    except FlinkError as exc:
        raise exc.restated("job %r cannot be built from jar %s with its entry class, arguments and settings: %s" % (
            name, jar_id, exc.message))
    return (answer.get("plan") or {}).get("name")


def submit(client, jar_id, body, name, timeout):
    """Run an uploaded jar under a job id chosen here; returns it.

    Never blindly retried. The chosen id makes the outcome of a run whose answer was lost knowable: the job is looked
    for by that id (``/jobs/:id/status`` is fresh) while the JobManager may still be starting it. A run that failed
    with an answer and left that job behind has it cancelled, so nothing half-runs.
    """
    job_id = new_trigger_id()  # JobID: 32 hex characters, like a trigger id
    path = "/jars/%s/run" % jar_id
    try:
        answer = client.post(path, body=dict(body, jobId=job_id))
    except FlinkError as exc:
        if exc.status is None and not exc.unanswered:
            raise  # it never reached Flink
        if exc.unanswered or exc.status == 504:  # no answer from the JobManager (504: none reached a gateway in time)
            if _job_appears(client, job_id, min(timeout, max(SUBMIT_GRACE, 3 * client.timeout))):
                return job_id  # the run went through; its answer was lost
            raise exc.restated(
                "the JobManager did not answer the run of job %r, and job %s has not appeared since (%s): it may still "
                "start. Look for job %s before running this again, or a second copy could start" % (
                    name, job_id, exc.message, job_id), changed=True, job_id=job_id)
        cleanup_failed_start(client, client.find_jobs(job_id=job_id), timeout)
        raise
    started = answer.get("jobid")
    if not started:
        raise FlinkError("jar run returned no job id: %s" % answer, method="POST", url=client.url_for(path))
    return started


def _job_appears(client, job_id, timeout):
    """Whether the JobManager knows job ``job_id`` within ``timeout`` s (polled on the fresh status route)."""
    def check():
        try:
            return True, client.job_status(job_id)
        except FlinkError as exc:
            # Flink 2.x answers an unknown job id with HTTP 500 and FlinkJobNotFoundException (404 elsewhere)
            if exc.status == 404 or (exc.status == 500 and "FlinkJobNotFoundException" in (exc.flink_message or "")):
                return False, None
            raise

    try:
        poll(check, timeout, "job %s to appear" % job_id, interval=0.05, max_interval=0.5)
    except FlinkTimeoutError:
        return False
    return True


def cleanup_failed_start(client, jobs, timeout):
    """Cancel jobs left active by a failed start (best effort, never masks the original error)."""
    for job in jobs:
        if job.get("state") not in LOCALLY_TERMINAL_STATES:
            try:
                client.cancel(job["jid"])
                client.wait_job_state(job["jid"], TERMINAL_STATES, min(timeout, 30.0))
            except FlinkError:
                pass


def _exceptions(client, job_id, limit):
    """``(history entries, root exception text)`` of ``/jobs/:id/exceptions``; empty when Flink cannot tell."""
    try:
        body = client.get("/jobs/%s/exceptions" % job_id, params={"maxExceptions": limit})
    except FlinkError:
        return [], None
    return (body.get("exceptionHistory") or {}).get("entries") or [], body.get("root-exception")


def job_failure(client, job_id):
    """Flink's root exception of a failed job (``/jobs/:id/exceptions``), for error messages."""
    history, root = _exceptions(client, job_id, 1)
    text = (history[0].get("stacktrace") if history else None) or root
    return summarize_throwable(text) if text else None


def wait_running(client, job_id, timeout):
    """Wait until the job is RUNNING with every task RUNNING (fresh ``/jobs/overview``).

    A job that fails or finishes on the way raises with Flink's root exception (the caller cleans up a job stuck
    restarting: see _flink_jobs.clean_up_start).
    """
    url = client.url_for("/jobs/overview")

    def check():
        for job in client.jobs_overview():
            if job.get("jid") != job_id:
                continue
            state = job.get("state")
            tasks = job.get("tasks") or {}
            if state == "RUNNING" and tasks.get("total") and tasks.get("running") == tasks.get("total"):
                return True, job
            if state in LOCALLY_TERMINAL_STATES:
                raise FlinkError("job %s reached %s instead of RUNNING" % (job_id, state), job=job_id,
                                 method="GET", url=url, flink_message=job_failure(client, job_id))
            return False, None
        return False, None

    return poll(check, timeout, "all tasks of job %s to run" % job_id, interval=0.02, max_interval=FAST_POLL,
                job=job_id, method="GET", url=url)


def restored_from(client, job_id, timeout):
    """``latest.restored`` of a job that was started from a snapshot (waits out a stale stats view)."""
    ttl = client.cache_timeouts()["checkpoint_stats"]
    return poll(lambda: _restored_now(client, job_id), min(timeout, ttl + 1.0), "job %s to report what it was restored from" % job_id,
                interval=0.05, max_interval=0.25, job=job_id)


def _restored_now(client, job_id):
    restored = snapshots.restored_from_rest(client.checkpoints(job_id))
    return restored is not None, restored


def prove_restore(client, job_id, expected_path, expected_id=None, timeout=10.0):
    """Fail loudly unless the job was restored from ``expected_path`` (and checkpoint ``expected_id``)."""
    try:
        restored = restored_from(client, job_id, timeout)
    except FlinkError:
        raise FlinkError("restore proof failed: job %s reports no restored checkpoint, expected %s" % (job_id, expected_path),
                         job=job_id, method="GET", url=client.url_for("/jobs/%s/checkpoints" % job_id))
    same_path = snapshots.normalize_path(restored["external_path"]) == snapshots.normalize_path(expected_path)
    if not same_path or (expected_id is not None and restored["id"] != expected_id):
        raise FlinkError("restore proof failed: job %s was restored from %s (id %s), expected %s (id %s)" % (
            job_id, restored["external_path"], restored["id"], expected_path, expected_id),
            job=job_id, method="GET", url=client.url_for("/jobs/%s/checkpoints" % job_id))
    return restored


def wait_new_checkpoint(client, job_id, timeout, after_id=0, store=None, base=None, trigger=False):
    """Wait for the first checkpoint of the job newer than ``after_id`` to complete; returns its id.

    With a readable store, ``chk-N/_metadata`` appearing is seen at once; otherwise the REST statistics
    are polled (they may lag by the cache period). ``trigger`` asks for a checkpoint right away.
    """
    if trigger:
        # Only the id is needed: resolving the path would wait for the cached checkpoint details (up to the cache
        # period after the checkpoint completed), and that wait would count as downtime in the module's timings.
        return trigger_checkpoint(client, job_id, timeout=timeout, resolve_path=False)["id"]
    # REST is asked too once a cache period has passed, in case the job writes elsewhere than ``base``.
    rest_from = time.monotonic() + (client.cache_timeouts()["checkpoint_stats"] if store is not None else 0.0)

    def check():
        if store is not None:
            newest = newest_complete(storage_mod.scan_checkpoints(store, base, job_id))
            if newest is not None and newest["id"] > after_id:
                return True, newest["id"]
        if time.monotonic() >= rest_from:
            entry = snapshots.latest_completed(client.checkpoints(job_id))
            if entry is not None and entry.get("id", 0) > after_id:
                return True, entry["id"]
        state = client.job_status(job_id)
        if state in LOCALLY_TERMINAL_STATES or state in ("RESTARTING", "FAILING"):
            raise FlinkError("job %s reached %s before completing a checkpoint" % (job_id, state), job=job_id,
                             flink_message=job_failure(client, job_id))
        return False, None

    return poll(check, timeout, "a new checkpoint of job %s" % job_id, interval=0.02, max_interval=0.2, job=job_id)


def watch_stable(client, job_id, seconds, since_ms=None):
    """Fail if the job leaves RUNNING or records an exception (a restart) within ``seconds``.

    ``since_ms``: exceptions at or after this epoch time count (default: the job's start).
    """
    if not seconds:
        return dict(watched_seconds=0)
    if since_ms is None:
        since_ms = next((j.get("start-time") for j in client.jobs_overview() if j.get("jid") == job_id), 0) or 0
    end = time.monotonic() + seconds
    while True:
        state = client.job_status(job_id)
        if state != "RUNNING":
            raise FlinkError("job %s became %s during the %.0fs watch window" % (job_id, state, seconds), job=job_id,
                             flink_message=job_failure(client, job_id))
        failures = _exceptions_since(client, job_id, since_ms)
        if failures:
            raise FlinkError("job %s restarted during the %.0fs watch window" % (job_id, seconds), job=job_id,
                             flink_message=failures[0])
        if time.monotonic() >= end:
            return dict(watched_seconds=seconds)
        time.sleep(min(0.5, max(0.05, end - time.monotonic())))


def _exceptions_since(client, job_id, since_ms):
    entries = _exceptions(client, job_id, 5)[0]
    return [summarize_throwable(e.get("stacktrace") or e.get("exceptionName") or "")
            for e in entries if (e.get("timestamp") or 0) >= since_ms]


def job_details(client, job, include_checkpoints):
    """A /jobs/overview entry with its checkpoint settings and latest checkpoint (flink_job_info's shape)."""
    info = snapshots.job_summary(job)
    if not include_checkpoints:
        return info
    info["checkpointing"] = checkpoint_settings(client, info["job_id"])
    stats = client.checkpoints(info["job_id"])
    now = now_ms()
    # A cached view of a running job that checkpoints fast may show every entry discarded (subsumed since); the
    # newest completed one still tells its id and age (with discarded=true). An ended job's discarded checkpoints
    # are gone for good (deleted when it finished, or on cancellation without retention): none is reported then.
    latest = snapshots.latest_completed(stats)
    if info["state"] not in LOCALLY_TERMINAL_STATES:
        latest = latest or (stats.get("latest") or {}).get("completed")
    elif not snapshots.checkpoints_retained(info["state"], info["checkpointing"]["retention"]):
        latest = None  # a HistoryServer's archive was written before the discard
    info["latest_checkpoint"] = snapshots.snapshot_from_rest(latest, job, now_ms=now)
    info["latest_savepoint"] = snapshots.snapshot_from_rest((stats.get("latest") or {}).get("savepoint"), job, now_ms=now)
    info["restored_from"] = snapshots.restored_from_rest(stats)
    info["checkpoint_counts"] = stats.get("counts") or {}
    storage = snapshots.storage_dir_from_path((latest or {}).get("external_path"), info["job_id"])
    info["checkpointing"]["storage_dir"] = storage or (client.checkpoint_storage_dir() if info["checkpointing"]["enabled"] else None)
    return info


def job_plan_details(client, job, checkpoint_dir=None, aws=None):
    """Like job_details, but the latest checkpoint comes from storage when it is readable.

    The REST checkpoint statistics are then not read at all: a plan taken right before a fence must not warm
    their cache, or the pin that follows would have to wait for it (see final_checkpoint).
    """
    info = snapshots.job_summary(job)
    store, base = storage_for(checkpoint_dir, aws, None, info["job_id"], client=client)
    if store is None:
        return job_details(client, job, True)
    info["checkpointing"] = checkpoint_settings(client, info["job_id"])
    info["checkpointing"]["storage_dir"] = base
    newest = newest_complete(storage_mod.scan_checkpoints(store, base, info["job_id"]))
    info["latest_checkpoint"] = snapshots.snapshot_from_storage(newest, "checkpoint", job, now_ms=now_ms()) if newest else None
    return info

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic about jobs, checkpoints and savepoints: shaping REST answers, choosing and validating snapshots.

No I/O here: functions take decoded REST bodies (or storage listings) and return plain dicts, so they are
unit-tested without a cluster. Private to the collection (underscore module).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

RETAIN = "RETAIN_ON_CANCELLATION"
DELETE = "DELETE_ON_CANCELLATION"
NOT_EXTERNALIZED = "NO_EXTERNALIZED_CHECKPOINTS"


def iso_time(millis):
    """Epoch milliseconds -> ISO 8601 UTC text (None for missing / non-positive values)."""
    if not millis or millis <= 0:
        return None
    stamp = datetime.datetime.fromtimestamp(millis / 1000.0, tz=datetime.timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_summary(job):
    """A job from ``/jobs/overview`` (or ``/jobs/:id``) in the collection's shape."""
    start = job.get("start-time")
    end = job.get("end-time")
    return dict(
        job_id=job.get("jid"),
        name=job.get("name"),
        state=job.get("state"),
        start_time=iso_time(start),
        start_time_ms=start if start and start > 0 else None,
        end_time=iso_time(end),
        end_time_ms=end if end and end > 0 else None,
        duration_ms=job.get("duration"),
        tasks=job.get("tasks"),
    )


def retention_of(config):
    """Externalized-checkpoint retention from a ``/jobs/:id/checkpoints/config`` body."""
    ext = (config or {}).get("externalization") or {}
    if not ext.get("enabled"):
        return NOT_EXTERNALIZED
    return DELETE if ext.get("delete_on_cancellation") else RETAIN


def checkpoints_retained(state, retention):
    """Whether Flink keeps the checkpoints of a job that ended in ``state`` (True when it cannot tell).

    A job that FINISHED (stop-with-savepoint, or bounded input) has its checkpoints discarded under every
    retention; a CANCELED one keeps them only with RETAIN_ON_CANCELLATION, a FAILED one with either externalized
    retention. Flink never discards savepoints.
    """
    if retention is None:
        return True
    if state == "FINISHED":
        return False
    if state == "CANCELED":
        return retention == RETAIN
    if state == "FAILED":
        return retention in (RETAIN, DELETE)
    return True


def completed_high_water(checkpoints):
    """The highest checkpoint id a ``/jobs/:id/checkpoints`` body reports completed or restored (0 when none).

    A fresh view of an ended job is authoritative: a ``chk-N/_metadata`` in storage above this id belongs to a
    checkpoint Flink never completed (its finalization failed or was cut short), so nothing may restore from it.
    """
    body = checkpoints or {}
    latest = body.get("latest") or {}
    entries = [latest.get("completed"), latest.get("savepoint"), latest.get("restored")] + list(body.get("history") or [])
    # (a restored entry has no status)
    ids = [e["id"] for e in entries if e and isinstance(e.get("id"), int) and e.get("status", "COMPLETED") == "COMPLETED"]
    return max(ids or [0])


def ended_job_candidates(candidates, state, retention, checkpoints=None):
    """The candidates of a job that has ended which can still be restored from.

    Drops its checkpoints when Flink discards them on that end (checkpoints_retained: the directories may still be
    listed while Flink deletes them), and checkpoints found only in storage above the fresh REST view's
    completed_high_water (``checkpoints``: that view; None when there is none).
    """
    keep = checkpoints_retained(state, retention)
    high = completed_high_water(checkpoints) if checkpoints is not None else None
    kept = []
    for snap in candidates:
        if snap["kind"] == "checkpoint":
            if not keep:
                continue
            if high is not None and snap["source"] == "storage" and (snap.get("id") or 0) > high:
                continue
        kept.append(snap)
    return kept


def checkpointing_summary(config):
    """Checkpoint settings of a job; ``config`` None means checkpointing is off."""
    if not config:
        return dict(enabled=False, interval_ms=None, mode=None, retention=None, timeout_ms=None,
                    max_concurrent=None, min_pause_ms=None, state_backend=None, checkpoint_storage=None,
                    unaligned=None)
    interval = config.get("interval")
    # Flink reports Long.MAX_VALUE as the interval of a job whose periodic checkpoints are disabled.
    enabled = interval is not None and 0 < interval < 2 ** 62
    return dict(
        enabled=enabled,
        interval_ms=interval if enabled else None,
        mode=(config.get("mode") or "").upper() or None,
        retention=retention_of(config),
        timeout_ms=config.get("timeout"),
        max_concurrent=config.get("max_concurrent"),
        min_pause_ms=config.get("min_pause"),
        state_backend=config.get("state_backend"),
        checkpoint_storage=config.get("checkpoint_storage"),
        unaligned=config.get("unaligned_checkpoints"),
    )


def snapshot_from_rest(entry, job=None, source="rest", now_ms=None):
    """A completed checkpoint/savepoint entry of ``/jobs/:id/checkpoints`` in the collection's shape."""
    if not entry:
        return None
    completed = entry.get("latest_ack_timestamp") or entry.get("trigger_timestamp")
    is_savepoint = bool(entry.get("is_savepoint")) or "SAVEPOINT" in str(entry.get("checkpoint_type") or "")
    job = job or {}
    result = dict(
        id=entry.get("id"),
        external_path=entry.get("external_path"),
        kind="savepoint" if is_savepoint else "checkpoint",
        checkpoint_type=entry.get("checkpoint_type"),
        savepoint_format=entry.get("savepointFormat"),
        completed_at=iso_time(completed),
        completed_at_ms=completed,
        age_seconds=None,
        state_size=entry.get("state_size"),
        checkpointed_size=entry.get("checkpointed_size"),
        discarded=bool(entry.get("discarded")),
        job_id=job.get("jid") or job.get("job_id"),
        job_name=job.get("name"),
        job_state=job.get("state"),
        source=source,
    )
    if now_ms and completed:
        result["age_seconds"] = round(max(0.0, (now_ms - completed) / 1000.0), 3)
    return result


def restored_from_rest(checkpoints):
    """``latest.restored`` of a ``/jobs/:id/checkpoints`` body: what the job was restored from (or None)."""
    restored = ((checkpoints or {}).get("latest") or {}).get("restored")
    if not restored:
        return None
    path = restored.get("external_path")
    # Flink flags every restore through savepointPath as is_savepoint; a chk-N path is a checkpoint.
    is_checkpoint = bool(path) and re.search(r"/chk-\d+/?$", path) is not None
    return dict(
        id=restored.get("id"),
        external_path=path,
        kind="checkpoint" if is_checkpoint or not restored.get("is_savepoint") else "savepoint",
        restored_at=iso_time(restored.get("restore_timestamp")),
        restored_at_ms=restored.get("restore_timestamp"),
    )


def latest_completed(checkpoints, include_savepoints=False):
    """The newest restorable snapshot entry in a ``/jobs/:id/checkpoints`` body (raw entry, or None).

    Considers ``latest.completed`` and the history; with ``include_savepoints`` also savepoints.
    Discarded entries and entries without an external path are never returned.
    """
    body = checkpoints or {}
    latest = body.get("latest") or {}
    candidates = [latest.get("completed")]
    if include_savepoints:
        candidates.append(latest.get("savepoint"))
    candidates.extend(body.get("history") or [])
    usable = [c for c in candidates if restorable_entry(c, include_savepoints)]
    if not usable:
        return None
    # ids order a job's snapshots by the state they hold: a savepoint may complete after a checkpoint with a higher id
    return max(usable, key=lambda c: (c.get("id") or 0, c.get("latest_ack_timestamp") or 0))


def restorable_entry(entry, include_savepoints=True):
    if not entry or entry.get("discarded"):
        return False
    status = entry.get("status")
    if status is not None and status != "COMPLETED":
        return False
    if not entry.get("external_path"):
        return False
    if not include_savepoints and (entry.get("is_savepoint") or "SAVEPOINT" in str(entry.get("checkpoint_type") or "")):
        return False
    return True


def storage_dir_from_path(external_path, job_id):
    """The checkpoint base dir from a checkpoint path ``<dir>/<job_id>/chk-N`` (None if not that shape)."""
    if not external_path or not job_id:
        return None
    match = re.match(r"^(.*)/%s/chk-\d+/?$" % re.escape(job_id), external_path)
    return match.group(1) if match else None


def is_job_id(value):
    """Whether ``value`` looks like a Flink job id (32 hex characters)."""
    return bool(value) and re.match(r"^[0-9a-fA-F]{32}$", str(value)) is not None


def snapshot_from_storage(entry, kind, job=None, now_ms=None):
    """A storage listing entry (see _storage.scan_*) in the collection's snapshot shape."""
    job = job or {}
    completed = int(entry["metadata_time"] * 1000) if entry.get("metadata_time") else None
    result = dict(
        id=entry.get("id"),
        external_path=entry["path"],
        kind=kind,
        checkpoint_type=None,
        savepoint_format=None,
        completed_at=iso_time(completed),
        completed_at_ms=completed,
        age_seconds=None,
        state_size=None,
        checkpointed_size=None,
        discarded=False,
        job_id=job.get("jid") or job.get("job_id"),
        job_name=job.get("name"),
        job_state=job.get("state"),
        source="storage",
    )
    if now_ms and completed:
        result["age_seconds"] = round(max(0.0, (now_ms - completed) / 1000.0), 3)
    return result


def rest_snapshots(checkpoints, job=None, include_savepoints=False, now_ms=None, source="rest"):
    """Every restorable snapshot a ``/jobs/:id/checkpoints`` body names, shaped, without duplicates."""
    body = checkpoints or {}
    latest = body.get("latest") or {}
    entries = [latest.get("completed")] + ([latest.get("savepoint")] if include_savepoints else [])
    entries.extend(body.get("history") or [])
    found = {}
    for entry in entries:
        if restorable_entry(entry, include_savepoints):
            found.setdefault(normalize_path(entry["external_path"]), snapshot_from_rest(entry, job, source=source, now_ms=now_ms))
    return list(found.values())


def normalize_path(path):
    """Compare snapshot paths across spellings (``file:/x``, ``file:///x``, ``/x``, trailing slashes, ``/_metadata``,
    ``s3a://`` and ``s3p://`` for ``s3://``)."""
    if not path:
        return path
    text = path.rstrip("/")
    if text.endswith("/_metadata"):  # Flink restores from a snapshot directory or from its _metadata file alike
        text = text[:-len("/_metadata")]
    if text.startswith("file:"):
        text = "/" + text[len("file:"):].lstrip("/")
    elif re.match(r"^s3[ap]://", text):
        text = "s3://" + text[len("s3a://"):]  # one bucket, whichever S3 file system plugin wrote the path
    return text


def merge_candidates(*groups):
    """Newest first, one entry per path; REST entries (with sizes) win over storage ones for the same path."""
    merged = {}
    for group in groups:
        for snap in group or []:
            key = normalize_path(snap["external_path"])
            current = merged.get(key)
            if current is None or (current["source"] == "storage" and snap["source"] != "storage"):
                if current is not None and snap.get("completed_at_ms") is None:
                    snap = dict(snap, completed_at_ms=current["completed_at_ms"], completed_at=current["completed_at"])
                merged[key] = snap
    return newest_first(merged.values())


def newest_first(snaps):
    """Snapshots of one job, newest state first.

    Those with an id (every checkpoint, and savepoints REST knows) are ordered by it: the job's checkpoint counter
    orders the state they hold, whatever the order their files were written or copied in (``_metadata`` times of
    synced storage say nothing). Savepoints found only in storage have no id; they go by completion time between
    the others.
    """
    def when(snap):
        return snap.get("completed_at_ms") or 0

    numbered = sorted((s for s in snaps if s.get("id") is not None), key=lambda s: (s["id"], when(s)), reverse=True)
    timed = sorted((s for s in snaps if s.get("id") is None), key=when, reverse=True)
    ordered = []
    while numbered and timed:
        ordered.append((numbered if when(numbered[0]) >= when(timed[0]) else timed).pop(0))
    return ordered + numbered + timed


def too_old(snapshot, max_age):
    """Whether a snapshot is older than ``max_age`` seconds (None: no limit)."""
    if max_age is None or snapshot is None or snapshot.get("age_seconds") is None:
        return False
    return snapshot["age_seconds"] > max_age


def completed_count(checkpoints):
    """How many checkpoints the job has completed (from the counts of a ``/jobs/:id/checkpoints`` body)."""
    return ((checkpoints or {}).get("counts") or {}).get("completed") or 0


def completed_entry(checkpoints, checkpoint_id):
    """The COMPLETED, not discarded entry with ``checkpoint_id`` in a ``/jobs/:id/checkpoints`` body, or None."""
    body = checkpoints or {}
    latest = body.get("latest") or {}
    for entry in [latest.get("completed"), latest.get("savepoint")] + list(body.get("history") or []):
        if entry and entry.get("id") == checkpoint_id and restorable_entry(entry):
            return entry
    return None

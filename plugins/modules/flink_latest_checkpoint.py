#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_latest_checkpoint
short_description: Find a Flink job's latest restorable checkpoint (and every available one), and say whether it is final
version_added: 0.1.0
description:
  - Finds the newest checkpoint (optionally savepoint) a job can be restored from, from the JobManager REST API, a
    HistoryServer, or by scanning the checkpoint storage (C(file://) or C(s3://)), and lists every restorable snapshot
    found as RV(candidates).
  - Never returns a snapshot that cannot be restored; completed, not discarded, with an external path, and with
    C(_metadata) present where the storage is readable (O(validate)).
  - Says whether the answer is final (RV(checkpoint.is_final)) and why. It is final when the job is terminal and the
    answer cannot be stale; Flink's REST checkpoint statistics are cached (3 s by default), so a terminal job's answer is
    confirmed by a storage listing or read again after the cache has expired.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - flinkops.fleet.flink
  - flinkops.fleet.checkpoint_dir
  - flinkops.fleet.aws_storage
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only; behaves the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  job_id:
    description:
      - Id of the job. One of O(job_id) and O(job_name) is required.
      - With O(source=storage) and O(job_id), no REST endpoint is needed.
    type: str
  job_name:
    description:
      - Name of the job; the active job of that name, or else the most recent terminal one.
    type: str
    aliases: [name]
  source:
    description:
      - V(rest) reads the JobManager (O(url)).
      - V(history_server) reads a HistoryServer (O(history_server_url), or O(url)); archived jobs are terminal, so its
        answer is final.
      - V(storage) scans O(checkpoint_dir) (and O(savepoint_dir)) only.
      - V(auto) reads REST and cross-checks it against storage when O(checkpoint_dir) is given or the job's
        checkpoints are on a local path this machine can read.
    type: str
    choices: [auto, rest, history_server, storage]
    default: auto
  history_server_url:
    description:
      - URL of the HistoryServer for O(source=history_server); defaults to O(url).
    type: str
  savepoint_dir:
    description:
      - Savepoint directory to scan for C(savepoint-*/_metadata) of the job when O(include_savepoints=true).
      - Defaults to the cluster's C(execution.checkpointing.savepoint-dir) when it is a readable local path.
    type: str
  include_savepoints:
    description:
      - Consider savepoints too; the newest completed snapshot of either kind wins.
    type: bool
    default: false
  max_age:
    description:
      - Fail if the latest snapshot is older than this many seconds.
    type: float
  wait_final:
    description:
      - Wait (up to O(timeout)) until the answer is final, that is until the job is terminal.
    type: bool
    default: false
  validate:
    description:
      - Confirm that C(_metadata) exists for every returned snapshot where the storage is readable; snapshots
        without it are dropped.
    type: bool
    default: true
  allow_none:
    description:
      - Return RV(checkpoint=null) instead of failing when the job has no restorable snapshot.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to wait at most (for O(wait_final) and for the REST cache to expire).
    type: float
    default: 60
seealso:
  - module: flinkops.fleet.flink_checkpointing
"""

EXAMPLES = r"""
- name: Latest checkpoint of a running job (not final, for planning)
  flinkops.fleet.flink_latest_checkpoint:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    max_age: 900
  register: latest

- name: Wait until the job is stopped, then return its final checkpoint, cross-checked in S3
  flinkops.fleet.flink_latest_checkpoint:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    wait_final: true
    checkpoint_dir: s3://flink-state/checkpoints
    aws_region: eu-west-1

- name: Everything restorable for a job id, from storage alone
  flinkops.fleet.flink_latest_checkpoint:
    job_id: 5f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11
    source: storage
    checkpoint_dir: file:///data/flink/checkpoints
    savepoint_dir: file:///data/flink/savepoints
    include_savepoints: true
  register: available
"""

RETURN = r"""
checkpoint:
  description: The newest restorable snapshot; null only with O(allow_none=true).
  returned: always
  type: dict
  contains:
    id:
      description: Checkpoint id (null for a savepoint found only in storage).
      type: int
    external_path:
      description: Path to restore from.
      type: str
    kind:
      description: V(checkpoint) or V(savepoint).
      type: str
    completed_at:
      description: Completion time, ISO 8601 UTC.
      type: str
    age_seconds:
      description: Seconds since completion.
      type: float
    state_size:
      description: Full state size in bytes (REST only).
      type: int
    job_id:
      description: Job id.
      type: str
    job_name:
      description: Job name (when known from REST).
      type: str
    job_state:
      description: Job state when read.
      type: str
    source:
      description: Where the answer came from, V(rest), V(history_server) or V(storage).
      type: str
    is_final:
      description: Whether no newer checkpoint of the job can complete.
      type: bool
    final_reason:
      description: Why the answer is (or is not) final.
      type: str
    restore_point:
      description:
        - Present (true) when the job has completed no checkpoint since it was restored, and this is what it was
          restored from (a checkpoint or savepoint of an earlier job of the lineage) - its state.
      type: bool
      returned: for a restore point
job_id:
  description: Id of the job.
  returned: always
  type: str
job_state:
  description: State of the job when read (null when only storage was scanned).
  returned: always
  type: str
candidates:
  description: Every restorable snapshot found, newest first (same shape as RV(checkpoint), without the finality keys).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import LOCALLY_TERMINAL_STATES, TERMINAL_STATES
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import (
    FlinkModule,
    aws_options,
    client_from_params,
    job_argument_spec,
    aws_storage_argument_spec,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots
from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage_mod


def rest_view(module, client, job, store, base, include_savepoints):
    """(job, REST checkpoint statistics, is_final, reason) for a job known to ``client``."""
    params = module.params
    job_id = job["jid"]
    state = client.job_status(job_id)
    event_at = None
    if state not in LOCALLY_TERMINAL_STATES and params["wait_final"]:
        state, event_at = client.wait_job_state(job_id, TERMINAL_STATES, params["timeout"])
    job = dict(job, state=state)
    if state in LOCALLY_TERMINAL_STATES:
        event_at = event_at or ops.terminal_event_time(client, job_id)
        ops.final_checkpoint(client, job_id, event_at, store, base, include_savepoints, timeout=params["timeout"])
        reason = "job is %s: its checkpoint coordinator is gone and the REST answer was confirmed fresh" % state
        final = True
    else:
        reason = "job is %s: a newer checkpoint may complete at any time" % state
        final = False
    # final_checkpoint has made sure the next read is fresh (storage-confirmed or read after the cache expired).
    return job, client.checkpoints(job_id), final, reason


def restore_point(stats, job, include_savepoints, source):
    """``[snapshot]``: what a job that has completed no checkpoint since its restore was restored from (its state)."""
    entry = ops.restore_point_entry(stats) if stats else None
    snap = snapshots.snapshot_from_rest(entry, job, source=source, now_ms=ops.now_ms())
    if snap is None or (snap["kind"] == "savepoint" and not include_savepoints):
        return []
    return [dict(snap, restore_point=True)]


def require_archived(module, client, job):
    """Fail unless ``job`` has ended: a HistoryServer only archives ended jobs, so ``client`` is a JobManager."""
    if job.get("state") not in TERMINAL_STATES:
        module.fail_json(msg="source=history_server: job %s (%s) is %s on %s, so that is a JobManager, not a HistoryServer "
                             "(it archives ended jobs only); use source=rest or source=auto for a running job" % (
                                 job.get("name"), job["jid"], job.get("state"), client.base_url),
                         job_id=job["jid"], job_state=job.get("state"))


def storage_view(store, base, savepoint_store, savepoint_base, job, include_savepoints):
    now = ops.now_ms()
    found = []
    if store is not None:
        for chk in storage_mod.scan_checkpoints(store, base, job["jid"]):
            if chk["complete"]:
                found.append(snapshots.snapshot_from_storage(chk, "checkpoint", job, now_ms=now))
    if include_savepoints and savepoint_store is not None:
        for spt in storage_mod.scan_savepoints(savepoint_store, savepoint_base, job["jid"]):
            found.append(snapshots.snapshot_from_storage(spt, "savepoint", job, now_ms=now))
    return found


def validated(candidates, stores, listed):
    """Drop candidates whose ``_metadata`` is missing in a storage this module can read.

    Entries seen in the storage listing (``listed``: normalized paths) are validated by it; only paths
    that REST alone names are checked again (a running job deletes subsumed checkpoints all the time).
    """
    kept = []
    for snap in candidates:
        path = snap["external_path"]
        if snapshots.normalize_path(path) in listed:
            kept.append(dict(snap, validated=True))
            continue
        store = ops.store_for_path(path, stores)
        if store is None or store.metadata_time(path) is not None:
            kept.append(dict(snap, validated=store is not None))
    return kept


def open_savepoint_store(module, client):
    params = module.params
    savepoint_dir = params["savepoint_dir"] or (client.savepoint_dir() if client else None)
    if not params["include_savepoints"] or not savepoint_dir:
        return None, None
    try:
        store = storage_mod.open_storage(savepoint_dir, aws=aws_options(params))
        store.check_readable()
    except storage_mod.StorageError:
        if params["savepoint_dir"]:
            raise
        return None, None
    return store, savepoint_dir


def find(module):
    params = module.params
    source = params["source"]
    client = None
    if source == "history_server":
        client = client_from_params(dict(params, url=params["history_server_url"] or params["url"]), history_server=True)
    elif source != "storage" or params["job_name"] or params["url"]:
        client = module.client
    if source == "storage" and not params["checkpoint_dir"]:
        module.fail_json(msg="source=storage needs checkpoint_dir")
    if client is not None:
        job = client.resolve_job(job_id=params["job_id"], name=params["job_name"])
    else:
        job = dict(jid=params["job_id"], name=None, state=None)
    if not snapshots.is_job_id(job["jid"]):
        module.fail_json(msg="invalid job_id %r: a Flink job id is 32 hexadecimal characters" % job["jid"])
    if source == "history_server":
        require_archived(module, client, job)
    store, base = None, None
    # a HistoryServer's archive predates the discard of checkpoints after the job's end: checked in storage too
    if source in ("auto", "storage", "history_server") or params["checkpoint_dir"]:
        latest_path = None
        if client is not None and not params["checkpoint_dir"]:
            latest_path = (snapshots.latest_completed(client.checkpoints(job["jid"])) or {}).get("external_path")
        store, base = ops.storage_for(params["checkpoint_dir"], aws_options(params), latest_path, job["jid"], client=client)
    savepoint_store, savepoint_base = open_savepoint_store(module, client if source != "history_server" else None)
    include = params["include_savepoints"]

    stats, final, reason = None, False, "job state unknown: storage was scanned without asking Flink"
    if source == "history_server":
        stats, final = client.checkpoints(job["jid"]), True
        reason = "archived by the HistoryServer after the job ended (%s)" % job["state"]
    elif client is not None and source != "storage":
        job, stats, final, reason = rest_view(module, client, job, store, base, include)
    elif client is not None:
        job = dict(job, state=client.job_status(job["jid"]))
        final = job["state"] in LOCALLY_TERMINAL_STATES
        reason = "job is %s (storage listing)" % job["state"]
    rest_source = "history_server" if source == "history_server" else "rest"
    rest_found = snapshots.rest_snapshots(stats, job, include, now_ms=ops.now_ms(), source=rest_source) if stats else []
    rest_found.extend(restore_point(stats, job, include, rest_source))
    listed = storage_view(store, base, savepoint_store, savepoint_base, job, include)
    candidates = snapshots.merge_candidates(rest_found, listed)
    if final and client is not None:
        retention = ops.checkpoint_settings(client, job["jid"])["retention"]
        ended = snapshots.ended_job_candidates(candidates, job["state"], retention, stats)
        if len(ended) < len(candidates) and not snapshots.checkpoints_retained(job["state"], retention):
            reason += "; Flink discards the checkpoints of a job that is %s with %s, so only savepoints remain" % (
                job["state"], retention)
        candidates = ended
    if params["validate"]:
        candidates = validated(candidates, [(store, base), (savepoint_store, savepoint_base)],
                               set(snapshots.normalize_path(snap["external_path"]) for snap in listed))
    return result_for(module, job, candidates, final, reason)


def result_for(module, job, candidates, final, reason):
    latest = dict(candidates[0], is_final=final, final_reason=reason) if candidates else None
    if latest is None and not module.params["allow_none"]:
        module.fail_json(msg="job %s (%s) has no restorable checkpoint%s%s" % (
            job.get("name"), job["jid"], " or savepoint" if module.params["include_savepoints"] else "",
            " (%s)" % reason if final else ""), job_id=job["jid"], job_state=job.get("state"), candidates=[])
    if snapshots.too_old(latest, module.params["max_age"]):
        module.fail_json(msg="latest %s of job %s is %.0fs old, more than max_age %.0fs: %s" % (
            latest["kind"], job["jid"], latest["age_seconds"], module.params["max_age"], latest["external_path"]),
            checkpoint=latest, candidates=candidates)
    return dict(changed=False, checkpoint=latest, candidates=candidates, job_id=job["jid"], job_state=job.get("state"))


def main():
    spec = job_argument_spec()
    spec.update(aws_storage_argument_spec())
    spec.update(checkpoint_dir=dict(type="str"))
    spec.update(
        source=dict(type="str", default="auto", choices=["auto", "rest", "history_server", "storage"]),
        history_server_url=dict(type="str"),
        savepoint_dir=dict(type="str"),
        include_savepoints=dict(type="bool", default=False),
        max_age=dict(type="float"),
        wait_final=dict(type="bool", default=False),
        validate=dict(type="bool", default=True),
        allow_none=dict(type="bool", default=False),
        timeout=dict(type="float", default=60.0),
    )
    module = FlinkModule(argument_spec=spec, supports_check_mode=True,
                         required_one_of=[("job_id", "job_name")], mutually_exclusive=[("job_id", "job_name")])
    module.run(find)


if __name__ == "__main__":
    main()

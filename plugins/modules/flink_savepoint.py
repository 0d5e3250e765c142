#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_savepoint
short_description: Trigger, stop-with, cancel-with and dispose Flink savepoints
version_added: 0.1.0
description:
  - With O(state=present), triggers a savepoint of a running job and waits for it; with O(stop=true) the job is
    stopped with a savepoint (optionally draining it), with O(cancel_job=true) it is cancelled with a savepoint.
  - A caller-supplied O(trigger_id) makes retries idempotent; the same trigger id returns the same savepoint with
    RV(ignore:changed=false) instead of taking a second one (while Flink still remembers the operation,
    C(rest.async.store-duration), 5 minutes by default).
  - With O(state=absent), disposes the savepoint at O(path) through the JobManager; an absent savepoint is no change.
  - Flink reports a failed savepoint as C(COMPLETED) with a failure cause; this module fails with Flink's message.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - flinkops.fleet.flink
  - flinkops.fleet.aws_storage
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Triggers and disposes nothing; reports what would be done.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  job_id:
    description:
      - Id of the job (for O(state=present)).
    type: str
  job_name:
    description:
      - Name of the job (for O(state=present)); the active job of that name, or with a known O(trigger_id) the most
        recent one.
    type: str
    aliases: [name]
  state:
    description:
      - V(present) takes a savepoint; V(absent) disposes the savepoint at O(path).
    type: str
    choices: [present, absent]
    default: present
  stop:
    description:
      - Stop the job with a savepoint (C(POST /jobs/<id>/stop)). The job ends C(FINISHED).
      - Stopping with a savepoint deletes the job's retained C(chk-*) checkpoints; keep the returned savepoint.
    type: bool
    default: false
  drain:
    description:
      - With O(stop=true), emit the maximum watermark and flush all event-time timers before stopping (ends the
        stream for good; do not use it to move a job). Without O(stop=true) it is an error.
    type: bool
    default: false
  cancel_job:
    description:
      - Cancel the job after the savepoint completed (cancel-with-savepoint).
    type: bool
    default: false
  format:
    description:
      - V(canonical) is portable across state backends; V(native) is the state backend's own format, faster to take
        and to restore.
    type: str
    choices: [canonical, native]
    default: canonical
  target_directory:
    description:
      - Directory for the savepoint; the cluster's default savepoint directory when not set.
    type: str
  trigger_id:
    description:
      - Client-chosen trigger id (32 hexadecimal characters). The same id never takes two savepoints; a re-run joins
        the operation Flink knows by that id (not changed). A failure after the trigger returns it too.
      - Flink's operation status does not say which kind an id was used for; with O(stop=true) or O(cancel_job=true),
        an id of a plain savepoint fails once the job keeps running for a few seconds after it.
    type: str
  wait:
    description:
      - Wait for the savepoint to complete. Without waiting, RV(savepoint_path) is not returned.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the savepoint (or disposal).
    type: float
    default: 600
  path:
    description:
      - Savepoint path to dispose, for O(state=absent), as an absolute path or a URI such as C(s3://bucket/savepoints/savepoint-...).
      - Where its storage is readable here, a path without C(_metadata) is refused (it is no savepoint).
    type: str
  force:
    description:
      - With O(state=absent), dispose the savepoint even when a job of the cluster still needs it.
      - Without it, the disposal is refused when the savepoint is the newest restorable state of a job that has ended
        (and no job of that name runs), or the restore point of a running job that has completed no checkpoint since.
        A checkpoint (C(<dir>/<job id>/chk-N)) of a job is refused while the job runs (its recovery point, or state
        files its later incremental checkpoints share) and after it ended while no job of that name runs.
      - A C(file:) path in a directory the controller does not have is disposed through the JobManager's file system
        (RV(existed) is false when it has no such snapshot either).
        Only jobs the JobManager still lists are known (C(jobstore.expiration-time), one hour by default).
    type: bool
    default: false
seealso:
  - module: flinkops.fleet.flink_checkpointing
  - module: flinkops.fleet.flink_latest_checkpoint
"""

EXAMPLES = r"""
- name: Savepoint before a risky change, retry-safe
  flinkops.fleet.flink_savepoint:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    trigger_id: "{{ 'orders-enrichment-2026-11-21' | hash('md5') }}"
    format: native
  register: sp

- name: Stop the job with a savepoint in a given directory
  flinkops.fleet.flink_savepoint:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    stop: true
    target_directory: s3://flink-state/savepoints

- name: Dispose an old savepoint
  flinkops.fleet.flink_savepoint:
    url: http://10.0.1.5:8081
    state: absent
    path: s3://flink-state/savepoints/savepoint-5f0b6e-0123456789ab
"""

RETURN = r"""
savepoint_path:
  description: Path of the savepoint (present), or the path disposed (absent).
  returned: always
  type: str
  sample: s3://flink-state/savepoints/savepoint-5f0b6e-0123456789ab
trigger_id:
  description: Trigger id of the savepoint operation (pass it again to retry idempotently).
  returned: when O(state=present)
  type: str
format:
  description: Savepoint format.
  returned: when O(state=present)
  type: str
job_id:
  description: Id of the job.
  returned: when O(state=present)
  type: str
job_state:
  description: State of the job afterwards (V(FINISHED) after stop, V(CANCELED) after cancel-with-savepoint).
  returned: when O(state=present)
  type: str
duration_seconds:
  description: Seconds the operation took.
  returned: always
  type: float
existed:
  description: For O(state=absent), whether the savepoint existed (null when the storage could not be read).
  returned: when O(state=absent)
  type: bool
"""

import os
import time

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import (
    FlinkOperationFailed,
    FlinkTimeoutError,
    TERMINAL_STATES,
    is_trigger_id,
)
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import (
    FlinkModule,
    aws_options,
    job_argument_spec,
    select_job,
    aws_storage_argument_spec,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots
from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage_mod

# Seconds a job may take to leave RUNNING after a joined stop- or cancel-with-savepoint reported completion (Flink
# moves it to CANCELLING or FINISHED before it completes the operation: a margin for the status read).
JOINED_STOP_GRACE = 3.0
STOPPING_STATES = TERMINAL_STATES | frozenset(("CANCELLING", "FAILING", "SUSPENDED"))


def present(module):
    params = module.params
    client = module.client
    job = select_job(module)
    job_id = job["jid"]
    started = time.monotonic()
    known = client.operation_status(ops.savepoint_status_path(job_id, params["trigger_id"])) if params["trigger_id"] else None
    state = client.job_status(job_id)
    if known is None and state != "RUNNING":
        module.fail_json(msg="cannot take a savepoint of job %s (%s): it is %s, not RUNNING" % (job.get("name"), job_id, state),
                         job_id=job_id, job_state=state)
    result = dict(job_id=job_id, format=params["format"], trigger_id=params["trigger_id"])
    if module.check_mode:
        return dict(result, changed=known is None, savepoint_path=None, job_state=state, duration_seconds=0.0)
    outcome = ops.savepoint(client, job_id, stop=params["stop"], drain=params["drain"], cancel_job=params["cancel_job"],
                            target_directory=params["target_directory"], fmt=params["format"],
                            trigger_id=params["trigger_id"], wait=params["wait"], timeout=params["timeout"])
    if params["wait"] and (params["stop"] or params["cancel_job"]):
        state = wait_stopped(client, job_id, outcome, max(1.0, params["timeout"] - (time.monotonic() - started)))
    else:
        state = client.job_status(job_id)
    return dict(result, changed=outcome["changed"], trigger_id=outcome["trigger_id"], savepoint_path=outcome["location"],
                job_state=state, duration_seconds=round(time.monotonic() - started, 3))


def wait_stopped(client, job_id, outcome, timeout):
    """The terminal state the job reaches after a stop- or cancel-with-savepoint.

    A joined operation (a known ``trigger_id``) has completed already, and Flink reports a stop or cancel with
    savepoint complete only once the job has left RUNNING. A job still RUNNING then means that trigger id named a plain
    savepoint (Flink's operation status does not tell the kinds apart).
    """
    if not outcome["changed"]:
        try:
            client.wait_job_state(job_id, STOPPING_STATES, min(timeout, JOINED_STOP_GRACE))
        except FlinkTimeoutError as exc:
            raise exc.restated("trigger_id %s names a savepoint that completed without stopping job %s (a plain savepoint "
                               "taken with that id); use a new trigger_id to stop the job" % (outcome["trigger_id"], job_id),
                               changed=False, trigger_id=outcome["trigger_id"], savepoint_path=outcome["location"])
    return client.wait_job_state(job_id, TERMINAL_STATES, timeout)[0]


def absent(module):
    params = module.params
    path = params["path"]
    started = time.monotonic()
    existed, snapshot = savepoint_exists(path, aws_options(params))
    if existed is False:
        return dict(changed=False, savepoint_path=path, existed=False, duration_seconds=0.0)
    if not snapshot:
        module.fail_json(msg="refusing to dispose %s: it is no savepoint (there is no _metadata in it)" % path,
                         savepoint_path=path, existed=True)
    needing = [] if params["force"] else ops.jobs_needing(module.client, path)
    if needing:
        module.fail_json(msg="refusing to dispose %s: %s; set force=true to dispose it anyway" % (path, "; ".join(
            "job %s (%s) needs it: %s" % (job.get("name"), job["jid"], why) for job, why in needing)),
            savepoint_path=path, existed=existed, needed_by=[job["jid"] for job, why in needing])
    if not module.check_mode:
        try:
            ops.dispose_savepoint(module.client, path, timeout=params["timeout"])
        except FlinkOperationFailed as exc:
            if existed is None and NOT_FOUND in str(exc):  # the JobManager's storage has no such snapshot (any more)
                return dict(changed=False, savepoint_path=path, existed=False, duration_seconds=round(time.monotonic() - started, 3))
            raise
    return dict(changed=True, savepoint_path=path, existed=existed, duration_seconds=round(time.monotonic() - started, 3))


# how Flink's disposal fails for a path its file system does not have
NOT_FOUND = "Cannot find checkpoint or savepoint"


def not_here(path):
    """Whether ``path`` is a ``file:`` path whose parent directory this machine does not have: it names the
    JobManager's file system, which the controller may not share (its existence is then unknown here)."""
    scheme = storage_mod.split_uri(path)[0]
    return scheme == "file" and not os.path.isdir(os.path.dirname(snapshots.normalize_path(path)))


def savepoint_exists(path, aws):
    """``(exists, is a snapshot)`` of ``path`` where its storage is readable from here; ``(None, True)`` when it is not
    (the JobManager decides). A snapshot is a ``_metadata`` file or a directory with one: Flink disposes nothing else."""
    try:
        if not_here(path):
            return None, True
        store = storage_mod.open_storage(path, aws=aws)
        if not store.exists(path):
            return False, False
    except storage_mod.StorageError as exc:
        if "malformed" in exc.message or "unsupported" in exc.message:
            raise
        return None, True
    if path.rstrip("/").endswith("/_metadata"):
        return True, True
    try:
        return True, store.metadata_time(path) is not None
    except storage_mod.StorageError:
        return True, True


def run(module):
    if module.params["state"] == "absent":
        return absent(module)
    return present(module)


def main():
    spec = job_argument_spec()
    spec.update(aws_storage_argument_spec())
    spec.update(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        stop=dict(type="bool", default=False),
        drain=dict(type="bool", default=False),
        cancel_job=dict(type="bool", default=False),
        format=dict(type="str", default="canonical", choices=["canonical", "native"]),
        target_directory=dict(type="str"),
        trigger_id=dict(type="str"),
        wait=dict(type="bool", default=True),
        timeout=dict(type="float", default=600.0),
        path=dict(type="str"),
        force=dict(type="bool", default=False),
    )
    module = FlinkModule(
        argument_spec=spec, supports_check_mode=True,
        mutually_exclusive=[("job_id", "job_name"), ("stop", "cancel_job")],
        required_if=[("state", "absent", ("path",)), ("state", "present", ("job_id", "job_name"), True)],
    )
    if module.params["drain"] and not module.params["stop"]:
        module.fail_json(msg="drain needs stop=true: only stop-with-savepoint drains the job (emits MAX_WATERMARK)")
    if module.params["trigger_id"] and not is_trigger_id(module.params["trigger_id"]):
        module.fail_json(msg="invalid trigger_id %r: Flink trigger ids are 32 hexadecimal characters" % module.params["trigger_id"])
    module.run(run)


if __name__ == "__main__":
    main()

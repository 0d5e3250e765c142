#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_checkpointing
short_description: Suspend or resume a Flink job's checkpointing and pin its final checkpoint
version_added: 0.1.0
description:
  - With O(state=suspended), stops a job's checkpointing so that no checkpoint can complete afterwards, and returns
    that last completed checkpoint as RV(pinned_checkpoint) (the I(pin)). A job restarted from the pin neither loses
    nor duplicates work, because nothing newer can exist.
  - Upstream Flink has no REST call to pause checkpointing. O(method=fence) ends the job's checkpoint coordinator
    instead (cancels the job, which must retain its checkpoints on cancellation) and waits for the terminal state.
    O(method=native) uses the suspension API of Flink builds that offer it
    (C(POST /jobs/<id>/checkpointing)); the job keeps running.
  - The pin is read so that Flink's REST cache cannot make it stale (see RV(pin_reason)).
  - Before changing anything the job is checked; a job whose checkpointing is off, whose checkpoints are deleted on
    cancellation (for a fence), or that has no completed checkpoint is refused with the reason.
  - With O(ledger), the pin is recorded in the pin ledger before the module returns, and an unfinished ledger entry for
    the job is resumed instead of pinning again (a re-run after a crash gets the same pin).
  - With O(state=triggered), triggers one checkpoint and waits for it.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - flinkops.fleet.flink
  - flinkops.fleet.checkpoint_dir
  - flinkops.fleet.aws_storage
  - flinkops.fleet.ledger
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Changes nothing; returns the method that would be used and the checkpoint that would most likely be pinned.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  job_id:
    description:
      - Id of the job. One of O(job_id) and O(job_name) is required.
    type: str
  job_name:
    description:
      - Name of the job. Two active jobs with this name are an error that lists both.
      - When no job of that name is active, the most recent terminal one is used (so a re-run finds a fenced job).
    type: str
    aliases: [name]
  state:
    description:
      - V(suspended) stops checkpointing and pins the final checkpoint; running it again on a suspended (fenced) job
        changes nothing and returns the same pin.
      - V(resumed) resumes native suspension. A fenced job is terminal and cannot resume in place; it is restarted
        from its pin with M(flinkops.fleet.flink_job), and this module fails saying so.
      - V(triggered) triggers one checkpoint and waits for it.
    type: str
    choices: [suspended, resumed, triggered]
    default: suspended
  mode:
    description:
      - V(scheduled) starts no new checkpoint but lets checkpoints in flight finish first (bounded by O(timeout)),
        so the pin is as new as possible.
      - V(coordinator) also aborts checkpoints and savepoints in flight at once, for the shortest stop.
    type: str
    choices: [scheduled, coordinator]
    default: scheduled
  method:
    description:
      - V(native) uses the cluster's checkpoint suspension API and fails if it has none.
      - V(fence) cancels the job (checkpoints must be retained on cancellation) and waits for its terminal state.
      - V(auto) uses V(native) where the cluster offers it (a 404 for the route means it does not), else V(fence).
    type: str
    choices: [auto, native, fence]
    default: auto
  timeout:
    description:
      - Seconds the whole operation may take, including waiting for checkpoints in flight.
      - The pin may have to wait out the cluster's REST checkpoint statistics cache
        (C(rest.cache.checkpoint-statistics.timeout), 3 s by default); a timeout not longer than that is refused
        before the job is touched.
    type: float
    default: 120
  allow_no_checkpoint:
    description:
      - Allow suspending a job that has no completed checkpoint; RV(pinned_checkpoint) is then null and the job can
        only restart from empty state.
      - A job restored from a snapshot that has completed no checkpoint since has that snapshot as its state, so that
        snapshot is pinned (RV(pinned_checkpoint.restore_point)), with or without this option.
    type: bool
    default: false
  checkpoint_type:
    description:
      - With O(state=triggered), V(configured) takes the job's configured kind of checkpoint, V(full) a full one.
    type: str
    choices: [configured, full]
    default: configured
notes:
  - Cancelling the job is what makes a fence race-free. Restore the job from RV(pinned_checkpoint.external_path) with
    M(flinkops.fleet.flink_job), on the same or another cluster.
seealso:
  - module: flinkops.fleet.flink_latest_checkpoint
  - module: flinkops.fleet.flink_savepoint
"""

EXAMPLES = r"""
- name: Suspend checkpointing of a job and pin its final checkpoint
  flinkops.fleet.flink_checkpointing:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    state: suspended
    mode: coordinator
  register: suspended

- name: Show the pin
  ansible.builtin.debug:
    msg: "restart from {{ suspended.pinned_checkpoint.external_path }} (id {{ suspended.pinned_checkpoint.id }})"

- name: Confirm the pin against S3 at once instead of waiting out the REST cache
  flinkops.fleet.flink_checkpointing:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    checkpoint_dir: s3://flink-state/checkpoints
    aws_region: eu-west-1

- name: Take one full checkpoint now
  flinkops.fleet.flink_checkpointing:
    url: http://10.0.1.5:8081
    job_name: orders-enrichment
    state: triggered
    checkpoint_type: full
  register: full_checkpoint
"""

RETURN = r"""
job_id:
  description: Id of the job acted on.
  returned: always
  type: str
job_name:
  description: Name of the job.
  returned: always
  type: str
method:
  description: How checkpointing was suspended, V(native) or V(fence).
  returned: when O(state=suspended) or O(state=resumed)
  type: str
  sample: fence
job_state:
  description: State of the job afterwards (V(CANCELED) after a fence).
  returned: always
  type: str
  sample: CANCELED
pinned_checkpoint:
  description:
    - The last completed checkpoint of the job; no checkpoint of the job can complete after it. Same shape as
      RV(flinkops.fleet.flink_latest_checkpoint#module:checkpoint).
    - Null only with O(allow_no_checkpoint=true) and no checkpoint.
  returned: when O(state=suspended)
  type: dict
  contains:
    id:
      description: Checkpoint id.
      type: int
      sample: 42
    external_path:
      description: Path to restore from.
      type: str
      sample: s3://flink-state/checkpoints/5f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11/chk-42
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
      description: Full state size in bytes (null for a pin taken from storage).
      type: int
    source:
      description:
        - Where the pin was read. V(rest) for the JobManager's checkpoint statistics; V(storage) when the storage
          listing was the record (a fenced job on a cluster without high availability whose statistics view was
          older than its last checkpoint).
      type: str
      sample: rest
    job_id:
      description: The (old) job id the checkpoint belongs to.
      type: str
    job_name:
      description: Job name.
      type: str
    is_final:
      description: Always true for a pin.
      type: bool
    validated:
      description: Whether C(_metadata) was seen in storage.
      type: bool
    restore_point:
      description:
        - Present (true) when the job had completed no checkpoint since it was restored, so its last state is what it
          was restored from (a snapshot of an earlier job of the lineage, under that job's id); it is pinned, never
          nothing.
      type: bool
      returned: for a restore point
pin_is_final:
  description: Whether RV(pinned_checkpoint) is final (false only in check mode).
  returned: when O(state=suspended)
  type: bool
pin_reason:
  description:
    - Why the pin cannot be stale (storage listing confirmed by REST, storage as the record of a fenced job on a
      cluster without high availability, or read after the REST cache expired).
  returned: when O(state=suspended)
  type: str
in_flight_waited:
  description: Ids of checkpoints in flight that O(mode=scheduled) waited for.
  returned: when O(state=suspended)
  type: list
  elements: int
settings:
  description: The job's checkpoint settings (interval, mode, retention) checked before acting.
  returned: when O(state=suspended)
  type: dict
resumed:
  description: Whether the pin was taken from an unfinished ledger entry instead of pinning again.
  returned: when O(ledger) is set
  type: bool
running_job_id:
  description:
    - For a resumed pin, the job of that name that already runs restored from it (a restore the ledger has not
      recorded yet, for example when a run stopped right after it); null when the pinned job is stopped and nothing
      runs from the pin. RV(job_state) is then that job's state.
  returned: when RV(resumed=true)
  type: str
ledger_key:
  description: Key of the ledger entry (C(<cluster>/<job name>)).
  returned: when O(ledger) is set
  type: str
ledger_entry:
  description: The ledger entry as written (null in check mode).
  returned: when O(ledger) is set
  type: dict
timings:
  description: Seconds spent per step (in_flight_wait, cancel or suspend, pin, total).
  returned: when O(state=suspended)
  type: dict
  sample: {cancel: 0.142, pin: 0.158, total: 0.201}
checkpoint:
  description: The triggered checkpoint (id, external_path, trigger_id).
  returned: when O(state=triggered)
  type: dict
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import (
    FlinkModule,
    aws_options,
    job_argument_spec,
    ledger_argument_spec,
    select_job,
    aws_storage_argument_spec,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _patching as patching


def run(module):
    params = module.params
    client = module.client
    if params["state"] == "suspended" and params["ledger"]:
        # The ledger is read first: after an in-place rotation the job may exist nowhere but in the ledger.
        if not params["job_name"]:
            module.fail_json(msg="ledger needs job_name (ledger entries are kept by job name)")
        pinned = patching.pin_with_ledger(client, params["job_name"], params["ledger"], params["cluster"], suspend_args(params),
                                          run_id=params["run_id"], old_ami=params["old_ami"], new_ami=params["new_ami"],
                                          aws=aws_options(params), check_mode=module.check_mode)
        pin = pinned.get("pinned_checkpoint") or {}
        return dict(pinned, job_id=pin.get("job_id"), job_name=params["job_name"])
    job = select_job(module)
    result = dict(job_id=job["jid"], job_name=job.get("name"))
    if params["state"] == "suspended":
        result.update(ops.suspend(client, job, check_mode=module.check_mode, **suspend_args(params)))
    elif params["state"] == "resumed":
        result.update(ops.resume(client, job, method=params["method"], timeout=params["timeout"],
                                 check_mode=module.check_mode))
    else:
        result.update(trigger(module, client, job))
    return result


def suspend_args(params):
    return dict(mode=params["mode"], method=params["method"], timeout=params["timeout"],
                allow_no_checkpoint=params["allow_no_checkpoint"], checkpoint_dir=params["checkpoint_dir"],
                aws=aws_options(params))


def trigger(module, client, job):
    state = client.job_status(job["jid"])
    if state != "RUNNING":
        module.fail_json(msg="cannot trigger a checkpoint of job %s: it is %s, not RUNNING" % (job["jid"], state),
                         job_id=job["jid"], job_state=state)
    if module.check_mode:
        return dict(changed=True, job_state=state, checkpoint=None)
    checkpoint = ops.trigger_checkpoint(client, job["jid"], module.params["checkpoint_type"], module.params["timeout"])
    return dict(changed=True, job_state=state, checkpoint=checkpoint)


def main():
    spec = job_argument_spec()
    spec.update(aws_storage_argument_spec())
    spec.update(checkpoint_dir=dict(type="str"))
    spec.update(ledger_argument_spec())
    spec.update(
        state=dict(type="str", default="suspended", choices=["suspended", "resumed", "triggered"]),
        mode=dict(type="str", default="scheduled", choices=["scheduled", "coordinator"]),
        method=dict(type="str", default="auto", choices=["auto", "native", "fence"]),
        timeout=dict(type="float", default=120.0),
        allow_no_checkpoint=dict(type="bool", default=False),
        checkpoint_type=dict(type="str", default="configured", choices=["configured", "full"]),
    )
    module = FlinkModule(argument_spec=spec, supports_check_mode=True,
                         required_one_of=[("job_id", "job_name")], mutually_exclusive=[("job_id", "job_name")],
                         required_by={"ledger": ("cluster",)})
    module.run(run)


if __name__ == "__main__":
    main()

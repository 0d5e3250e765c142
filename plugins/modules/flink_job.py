#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_job
short_description: Run a Flink job (optionally restored from a pinned checkpoint and proven), cancel or stop it
version_added: 0.1.0
description:
  - With O(state=running), makes sure one job named O(name) runs on the cluster; submits it from O(jar) when it does
    not, restored from O(restore_from) when given, and proves the restore (C(latest.restored) must be that path).
  - Never starts a second copy. A job of that name already running (restored from the same path, when O(restore_from) is
    given) is no change; one running from other state is an error unless O(replace=true).
  - With O(state=canceled), cancels the job and waits for the terminal state; with O(state=stopped), stops it with a
    savepoint (the code of M(flinkops.fleet.flink_savepoint)).
  - A failed start (bad restore path, wrong entry class, state that does not map) fails with Flink's message and leaves
    nothing of that job running.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - flinkops.fleet.flink
  - flinkops.fleet.aws_storage
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports whether it would upload, submit, cancel or stop, and changes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  name:
    description:
      - Name of the job (as the program names it, for example C(env.execute(name)) or C(pipeline.name)).
      - Required with O(state=running); with O(state=canceled) or O(state=stopped), O(name) or O(job_id).
      - With O(state=running) the job is found by this name, so it must be the name the program gives it. Check mode
        compares it with the job's plan (when the jar is on the cluster); a run that starts a job under another name
        cancels that job at once and fails, rather than starting one more copy on every run.
    type: str
    aliases: [job_name]
  job_id:
    description:
      - Id of the job to cancel or stop.
    type: str
  state:
    description:
      - V(running), V(canceled) or V(stopped) (stop-with-savepoint).
    type: str
    choices: [running, canceled, stopped]
    default: running
  jar:
    description:
      - The job's jar, as a path on the controller, an C(s3://bucket/key) URI, or the id of a jar already uploaded to
        the cluster.
      - A jar with the same content (SHA-256) uploaded earlier is reused instead of uploading it again.
      - Required to submit; not needed when the job already runs.
    type: str
  entry_class:
    description:
      - Main class; defaults to the jar manifest's.
    type: str
  args:
    description:
      - Program arguments, sent as C(programArgsList).
    type: list
    elements: str
    default: []
  parallelism:
    description:
      - Job parallelism; the cluster default when not set.
    type: int
  flink_config:
    description:
      - Per-job Flink configuration (C(flinkConfiguration) of the run request), for example C(pipeline.name).
    type: dict
  restore_from:
    description:
      - Checkpoint or savepoint to start from, as a path, or the dict returned as C(pinned_checkpoint) by
        M(flinkops.fleet.flink_checkpointing) or C(checkpoint) by M(flinkops.fleet.flink_latest_checkpoint) (its
        C(external_path) and C(id) are used, and the restored id is proven too).
    type: raw
  claim_mode:
    description:
      - V(no_claim) leaves the snapshot to its owner (the default; safe for a pin a rollback may need again). Flink
        makes the new job's first checkpoint a full one.
      - V(claim) hands the snapshot to the new job, which deletes it once its own checkpoints subsume it. With
        incremental checkpoints the first one after the restore can then be incremental (much faster for large
        RocksDB state); the new job may keep referencing the snapshot's shared files.
    type: str
    choices: [no_claim, claim]
    default: no_claim
  allow_non_restored_state:
    description:
      - Allow state in the snapshot that maps to no operator of the job.
    type: bool
    default: false
  wait_for:
    description:
      - V(submitted) returns once Flink accepted the job.
      - V(running) waits until the job and every one of its tasks is C(RUNNING).
      - V(checkpoint) also waits for the first checkpoint completed after the start (the proof that the job makes
        progress from the restored state).
    type: str
    choices: [submitted, running, checkpoint]
    default: running
  trigger_checkpoint:
    description:
      - With O(wait_for=checkpoint), trigger that first checkpoint at once instead of waiting for the configured
        interval.
    type: bool
    default: false
  check_plan:
    description:
      - In check mode, when a job named O(name) already runs, also check what starting it again from O(jar) needs -
        the jar builds the job's plan under that name with O(entry_class), O(args) and the settings
        (C(POST /jars/:id/plan), nothing runs). The jar is uploaded for the check when the cluster does not have it,
        and deleted again. The C(flinkops.fleet.flink_patch) role sets it before the fence of a patch, so that a
        wrong entry class or arguments fail while the job still runs instead of after it was stopped.
      - Ignored outside check mode, and without O(jar) or with O(submit=false).
    type: bool
    default: false
  submit:
    description:
      - With V(false), never submit; wait (up to O(timeout)) for a job named O(name) that someone else starts, for
        example the bootstrap of an application cluster's node that was handed the pin path, then prove its restore
        from O(restore_from), wait as O(wait_for) says and watch it, as for a job this module started.
    type: bool
    default: true
  watch_seconds:
    description:
      - After the job runs (and completed its first checkpoint with O(wait_for=checkpoint)), watch it this many seconds
        and fail if it leaves C(RUNNING) or records an exception (a restart). Also applies to a job already running.
    type: float
    default: 0
  replace:
    description:
      - Replace a running job of that name that runs from other state than O(restore_from) (cancel it, then submit).
      - The running job is cancelled only after the checks a start would fail on pass, in check mode as well - the
        restore point exists in storage readable from the controller, the jar is found, and the jar builds the job's
        plan with its entry class and arguments under O(name). A start that fails after the cancel says the job was
        replaced (RV(replaced)); its retained checkpoints stay in its checkpoint storage.
    type: bool
    default: false
  checkpoint_dir:
    description:
      - Checkpoint directory of the cluster, to see the first new checkpoint at once by its C(_metadata) instead of
        through the cached REST statistics. A readable local C(file:) directory of the cluster is used by default.
    type: str
  target_directory:
    description:
      - Savepoint directory for O(state=stopped).
    type: str
  drain:
    description:
      - With O(state=stopped), drain the job (ends the stream for good).
    type: bool
    default: false
  savepoint_format:
    description:
      - Savepoint format for O(state=stopped).
    type: str
    choices: [canonical, native]
    default: canonical
  trigger_id:
    description:
      - Trigger id for O(state=stopped), for idempotent retries (32 hexadecimal characters).
    type: str
  timeout:
    description:
      - Seconds the whole operation may take.
    type: float
    default: 300
seealso:
  - module: flinkops.fleet.flink_checkpointing
  - module: flinkops.fleet.flink_savepoint
"""

EXAMPLES = r"""
# Check the restore before stopping anything: bad inputs fail while the job still runs, and the restore task below
# starts without building its module payload while the job is down.
- name: Check the restore's inputs on the new cluster
  flinkops.fleet.flink_job:
    url: http://new-jm:8081
    name: orders-enrichment
    jar: /opt/jobs/orders-enrichment-1.4.2.jar
    entry_class: com.example.OrdersEnrichment
    args: [--env, prod]
    parallelism: 4
  check_mode: true
  changed_when: false

- name: Pin the job on the old cluster
  flinkops.fleet.flink_checkpointing:
    url: http://old-jm:8081
    job_name: orders-enrichment
  register: pinned

- name: Restore it on the new cluster from the pin and prove it makes progress
  flinkops.fleet.flink_job:
    url: http://new-jm:8081
    name: orders-enrichment
    jar: /opt/jobs/orders-enrichment-1.4.2.jar
    entry_class: com.example.OrdersEnrichment
    args: [--env, prod]
    parallelism: 4
    restore_from: "{{ pinned.pinned_checkpoint }}"
    wait_for: checkpoint
  register: restored

- name: Stop a job with a savepoint
  flinkops.fleet.flink_job:
    url: http://new-jm:8081
    name: orders-enrichment
    state: stopped
    target_directory: s3://flink-state/savepoints
"""

RETURN = r"""
job_id:
  description: Id of the job (the new one after a submit).
  returned: always
  type: str
name:
  description: Job name.
  returned: always
  type: str
state:
  description: Job state afterwards.
  returned: always
  type: str
  sample: RUNNING
jar_id:
  description: Id of the uploaded jar used.
  returned: when a jar was resolved
  type: str
uploaded:
  description: Whether the jar was uploaded by this run (false when an identical jar was reused).
  returned: when O(state=running)
  type: bool
submitted:
  description: Whether a job was submitted by this run.
  returned: when O(state=running)
  type: bool
plan_checked:
  description:
    - In check mode, whether the job's plan was built on the cluster from the jar, entry class, arguments and settings
      (C(POST /jars/:id/plan), nothing runs); possible when the jar is uploaded there already (with O(check_plan) and
      the job running, the jar is uploaded for the check and deleted again). A wrong entry class or program arguments
      the job rejects then fail the check.
  returned: in check mode, when a job would be submitted, or with O(check_plan) when the job runs
  type: bool
checkpoints_retained:
  description:
    - Whether Flink keeps the job's checkpoints when it is cancelled (C(RETAIN_ON_CANCELLATION), or checkpointing is
      off). When false the task warns - the cancel discards them, and the job's state with them unless a savepoint
      holds it (O(state=stopped) takes one first).
  returned: when O(state=canceled) and a job was (or, in check mode, would be) cancelled
  type: bool
replaced:
  description:
    - Id of the job O(replace=true) cancelled (in check mode, would cancel) to start from O(restore_from). Also set when
      the start fails after that cancel.
  returned: when a running job was replaced
  type: str
restored:
  description: What the job was restored from (C(id), C(external_path)), proven against O(restore_from).
  returned: when O(restore_from) is set
  type: dict
first_checkpoint_id:
  description: Id of the first checkpoint completed after the start (O(wait_for=checkpoint)).
  returned: when O(wait_for=checkpoint)
  type: int
timings:
  description:
    - Seconds from submit to accepted, to all tasks running, and to the first checkpoint;
      C(first_checkpoint_at) is the epoch time that checkpoint was seen.
  returned: when a job was submitted
  type: dict
  sample: {submit: 0.12, running: 0.61, checkpoint: 0.83, first_checkpoint_at: 1795240934.5}
savepoint_path:
  description: Savepoint of O(state=stopped).
  returned: when O(state=stopped)
  type: str
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import (
    FlinkModule,
    aws_options,
    aws_storage_argument_spec,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_jobs as jobs


def run(module):
    params = dict(module.params, aws=aws_options(module.params))
    client = module.client
    if params["state"] == "running":
        return jobs.ensure_running(client, params, module.check_mode)
    if params["state"] == "canceled":
        return jobs.ensure_canceled(client, params, module.check_mode)
    return jobs.ensure_stopped(client, params, module.check_mode)


def main():
    spec = aws_storage_argument_spec()
    spec.update(
        name=dict(type="str", aliases=["job_name"]),
        job_id=dict(type="str"),
        state=dict(type="str", default="running", choices=["running", "canceled", "stopped"]),
        jar=dict(type="str"),
        entry_class=dict(type="str"),
        args=dict(type="list", elements="str", default=[]),
        parallelism=dict(type="int"),
        flink_config=dict(type="dict"),
        restore_from=dict(type="raw"),
        claim_mode=dict(type="str", default="no_claim", choices=["no_claim", "claim"]),
        allow_non_restored_state=dict(type="bool", default=False),
        wait_for=dict(type="str", default="running", choices=["submitted", "running", "checkpoint"]),
        trigger_checkpoint=dict(type="bool", default=False),
        replace=dict(type="bool", default=False),
        watch_seconds=dict(type="float", default=0.0),
        submit=dict(type="bool", default=True),
        check_plan=dict(type="bool", default=False),
        checkpoint_dir=dict(type="str"),
        target_directory=dict(type="str"),
        drain=dict(type="bool", default=False),
        savepoint_format=dict(type="str", default="canonical", choices=["canonical", "native"]),
        trigger_id=dict(type="str"),
        timeout=dict(type="float", default=300.0),
    )
    module = FlinkModule(argument_spec=spec, supports_check_mode=True,
                         required_if=[("state", "running", ("name",))],
                         required_one_of=[("name", "job_id")])
    module.run(run)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_handover
short_description: Move a Flink job from one cluster to another through its pinned checkpoint, in one call
version_added: 0.1.0
description:
  - Suspends checkpointing of job O(name) on the source cluster (O(url)) and pins its final checkpoint (as
    M(flinkops.fleet.flink_checkpointing)), records the pin in the pin O(ledger), starts the job on the target cluster
    (O(target_url)) from the pin (as M(flinkops.fleet.flink_job)), proves the restore and waits for its first checkpoint.
  - One module call instead of several tasks, because Flink restarts a job from a checkpoint faster than Ansible
    starts a task; the job's downtime is what Flink takes plus one poll interval.
  - A re-run after a crash resumes from the ledger's pin and never pins twice; a job already running on the target
    from the pin is no change.
  - Before the job stops, the jar is staged on the target and the job's plan is built there from it (C(POST
    /jars/:id/plan), nothing runs). A wrong entry class or program arguments the job rejects fail with the job still
    running on the source.
  - If the start on the target fails after the pin, the module fails with C(changed=true) naming the pin (RV(pin)),
    which stays recorded; restart the job from it, on the source cluster too. The pin is kept intact, because the
    target starts with claim mode C(NO_CLAIM) by default.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - flinkops.fleet.flink
  - flinkops.fleet.aws_storage
  - flinkops.fleet.ledger
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Changes nothing; reports the checkpoint that would most likely be pinned and what would be submitted.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  name:
    description:
      - Name of the job.
    type: str
    required: true
    aliases: [job_name]
  target_url:
    description:
      - REST URL of the cluster the job moves to. The other target connection options default to the source's.
      - Before the fence, the target must build the job's plan from the jar, its O(target_checkpoint_dir) must be
        readable, and it must not run a job of that name while the job still runs on the source (that job could not
        come from this handover's pin); any of these fails with the job still running on the source.
    type: str
    required: true
  target_token:
    description:
      - Bearer token for the target cluster.
    type: str
  target_username:
    description:
      - Basic-auth user for the target cluster.
    type: str
  target_password:
    description:
      - Basic-auth password for the target cluster.
    type: str
  target_headers:
    description:
      - Extra HTTP headers for the target cluster.
    type: dict
  target_validate_certs:
    description:
      - Validate the target's TLS certificate.
    type: bool
  target_ca_path:
    description:
      - CA bundle for the target cluster.
    type: path
  target_client_cert:
    description:
      - Client certificate for the target cluster.
    type: path
  target_client_key:
    description:
      - Client key for the target cluster.
    type: path
  target_request_timeout:
    description:
      - Per-request timeout for the target cluster.
    type: float
  target_retries:
    description:
      - Read retries for the target cluster.
    type: int
  jar:
    description:
      - The job's jar (controller path, C(s3://) URI or uploaded jar id), reused on the target when already uploaded.
    type: str
    required: true
  entry_class:
    description:
      - Main class.
    type: str
  args:
    description:
      - Program arguments (C(programArgsList)).
    type: list
    elements: str
    default: []
  parallelism:
    description:
      - Parallelism; keep it as on the source so the checkpoint maps one to one.
    type: int
  flink_config:
    description:
      - Per-job Flink configuration for the run request.
    type: dict
  claim_mode:
    description:
      - V(no_claim) keeps the pin intact for a rollback; V(claim) hands it to the new job.
    type: str
    choices: [no_claim, claim]
    default: no_claim
  allow_non_restored_state:
    description:
      - Allow state that maps to no operator.
    type: bool
    default: false
  mode:
    description:
      - V(coordinator) aborts checkpoints in flight at once (shortest stop); V(scheduled) lets them finish first.
    type: str
    choices: [scheduled, coordinator]
    default: coordinator
  method:
    description:
      - How checkpointing is ended on the source, see M(flinkops.fleet.flink_checkpointing).
    type: str
    choices: [auto, native, fence]
    default: auto
  wait_for:
    description:
      - V(checkpoint) (the default) waits for the first checkpoint after the restore, V(running) for all tasks running.
    type: str
    choices: [running, checkpoint]
    default: checkpoint
  trigger_checkpoint:
    description:
      - Trigger the first checkpoint on the target at once instead of waiting for the configured interval.
    type: bool
    default: false
  checkpoint_dir:
    description:
      - Checkpoint directory of the source cluster, to prove the pin from storage at once (see
        M(flinkops.fleet.flink_checkpointing)).
    type: str
  target_checkpoint_dir:
    description:
      - Checkpoint directory of the target cluster, to see the first checkpoint at once.
    type: str
  timeout:
    description:
      - Seconds the whole handover may take.
    type: float
    default: 300
"""

EXAMPLES = r"""
- name: Move a job to the blue/green replacement cluster
  flinkops.fleet.flink_handover:
    url: http://10.0.1.5:8081
    target_url: http://10.0.2.7:8081
    name: orders-enrichment
    jar: /opt/jobs/orders-enrichment-1.4.2.jar
    entry_class: com.example.OrdersEnrichment
    parallelism: 4
    ledger: ssm:/flinkops/ledger
    cluster: orders
    new_ami: ami-0123456789abcdef0
  register: moved
"""

RETURN = r"""
pin:
  description:
    - The pinned checkpoint the job was restarted from (shape of RV(flinkops.fleet.flink_checkpointing#module:pinned_checkpoint)).
    - Also returned when the start on the target failed after the pin (with RV(old_job_id) and RV(ledger_key)).
  returned: always
  type: dict
resumed:
  description: Whether the pin came from an unfinished ledger entry (a re-run) instead of a new fence.
  returned: success
  type: bool
method:
  description: How the source was stopped (V(fence), V(native), or V(ledger) when resumed).
  returned: success
  type: str
job_id:
  description: Id of the job on the target cluster.
  returned: success
  type: str
old_job_id:
  description: Id of the job on the source cluster.
  returned: success, and on a failure after the pin
  type: str
target:
  description: The result of starting the job on the target (as M(flinkops.fleet.flink_job) returns it).
  returned: always
  type: dict
ledger_key:
  description: Ledger key of the pin.
  returned: success, and on a failure after the pin
  type: str
ledger_entry:
  description: The ledger entry after the restore (status V(restored)).
  returned: success
  type: dict
timings:
  description:
    - Seconds per step; C(downtime) runs from the fence to the first checkpoint of the restored job (null when the
      pin was resumed from the ledger).
  returned: always
  type: dict
  sample: {cancel: 0.11, pin: 0.16, pin_total: 0.2, restore: {submit: 0.15, running: 0.4, checkpoint: 0.55}, downtime: 0.78}
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import (
    CONNECTION_KEYS,
    FlinkModule,
    aws_options,
    aws_storage_argument_spec,
    client_from_params,
    ledger_argument_spec,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _patching as patching


def target_client(params):
    """Client for the target: ``target_*`` options, falling back to the source's (but never its URL)."""
    merged = dict(params)
    for key in CONNECTION_KEYS:
        value = params.get("target_" + key)
        merged[key] = value if value is not None or key == "url" else params.get(key)
    return client_from_params(merged)


def run(module):
    params = dict(module.params, aws=aws_options(module.params))
    return patching.handover(module.client, target_client(params), params, check_mode=module.check_mode)


def main():
    spec = aws_storage_argument_spec()
    spec.update(ledger_argument_spec())
    spec.update(
        name=dict(type="str", required=True, aliases=["job_name"]),
        target_url=dict(type="str", required=True),
        target_token=dict(type="str", no_log=True),
        target_username=dict(type="str"),
        target_password=dict(type="str", no_log=True),
        target_headers=dict(type="dict"),
        target_validate_certs=dict(type="bool"),
        target_ca_path=dict(type="path"),
        target_client_cert=dict(type="path"),
        target_client_key=dict(type="path", no_log=False),
        target_request_timeout=dict(type="float"),
        target_retries=dict(type="int"),
        jar=dict(type="str", required=True),
        entry_class=dict(type="str"),
        args=dict(type="list", elements="str", default=[]),
        parallelism=dict(type="int"),
        flink_config=dict(type="dict"),
        claim_mode=dict(type="str", default="no_claim", choices=["no_claim", "claim"]),
        allow_non_restored_state=dict(type="bool", default=False),
        mode=dict(type="str", default="coordinator", choices=["scheduled", "coordinator"]),
        method=dict(type="str", default="auto", choices=["auto", "native", "fence"]),
        wait_for=dict(type="str", default="checkpoint", choices=["running", "checkpoint"]),
        trigger_checkpoint=dict(type="bool", default=False),
        checkpoint_dir=dict(type="str"),
        target_checkpoint_dir=dict(type="str"),
        timeout=dict(type="float", default=300.0),
    )
    module = FlinkModule(argument_spec=spec, supports_check_mode=True, required_together=[("ledger", "cluster")])
    module.run(run)


if __name__ == "__main__":
    main()

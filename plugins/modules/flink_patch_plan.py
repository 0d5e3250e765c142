#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_patch_plan
short_description: Plan the patch of one Flink cluster (which jobs move, which are refused and why)
version_added: 0.1.0
description:
  - Reads the cluster's jobs (by the names in O(jobs)), their checkpoint settings and latest checkpoint, and the pin
    ledger, and combines them with the AMI rotation plan into the plan the C(flinkops.fleet.flink_patch) role prints
    in check mode and acts on otherwise.
  - A job is refused when its checkpointing is off, its checkpoints are not retained on cancellation, it has no
    checkpoint, or its latest checkpoint is older than O(max_checkpoint_age). A job with an unfinished pin in the ledger
    is resumed from it.
  - A cluster whose nodes are all on the target AMI and whose jobs all run is skipped.
  - Where the checkpoint storage is readable (O(checkpoint_dir), or a local directory of the cluster), the latest
    checkpoint is read from it rather than from the REST statistics, so that planning right before a fence does not
    warm Flink's REST checkpoint cache (which would delay the pin that follows).
  - Read-only.
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
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  cluster:
    description:
      - Name of the cluster (its ledger key prefix).
    type: str
    required: true
  jobs:
    description:
      - The jobs the cluster must run, each a dict with at least C(name).
    type: list
    elements: dict
    required: true
  ami_plan:
    description:
      - The node plan of the C(flinkops.fleet.ami_rotation) role (C(ami_rotation_plan)), each node with an C(action).
    type: list
    elements: dict
    default: []
  target_ami:
    description:
      - Target AMI id (an unfinished ledger pin is resumed only for the same target).
    type: str
  strategy:
    description:
      - Strategy of the patch, for the plan's text.
    type: str
    default: blue_green
  ledger:
    description:
      - Pin ledger location, see M(flinkops.fleet.flink_checkpointing).
    type: str
  max_checkpoint_age:
    description:
      - Refuse jobs whose latest checkpoint is older than this many seconds.
    type: float
    default: 900
  method:
    description:
      - The suspension method the patch will use; V(native) does not need retention on cancellation.
    type: str
    choices: [auto, native, fence]
    default: auto
  reachable:
    description:
      - When false, the cluster is not asked (for example its nodes are gone after a finished blue/green patch);
        every job then needs an unfinished ledger pin, or the cluster is skipped when it is on the target AMI.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Plan the patch of a cluster
  flinkops.fleet.flink_patch_plan:
    url: http://10.0.1.5:8081
    cluster: orders
    jobs:
      - name: orders-enrichment
    ami_plan: "{{ ami_rotation_plan }}"
    target_ami: "{{ ami_rotation_target_ami }}"
    ledger: ssm:/flinkops/ledger
  register: plan
"""

RETURN = r"""
status:
  description: V(patch), V(skip) (nothing to do) or V(refuse) (unsafe; see RV(reason)).
  returned: always
  type: str
reason:
  description: Why the cluster is skipped or refused.
  returned: always
  type: str
work:
  description: Whether the cluster needs patching.
  returned: always
  type: bool
jobs:
  description: One line per configured job (job, job_id, state, action, safe, reason, checkpointing, latest checkpoint).
  returned: always
  type: list
  elements: dict
unlisted_jobs:
  description:
    - Active jobs on the cluster that are not in O(jobs) (job, job_id, state). Replacing the nodes would kill them
      without a pin, so a cluster with work to do and such a job is refused.
  returned: always
  type: list
  elements: dict
nodes_to_rotate:
  description: Number of nodes not on the target AMI.
  returned: always
  type: int
lines:
  description: The plan as readable text lines.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import (
    FlinkModule,
    aws_options,
    aws_storage_argument_spec,
)
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger
from ansible_collections.flinkops.fleet.plugins.module_utils import _plan


def ledger_entries(params):
    if not params["ledger"]:
        return {}
    ledger = _ledger.open_ledger(params["ledger"], aws=aws_options(params))
    entries = {}
    for spec in params["jobs"]:
        entry = ledger.get(_ledger.entry_key(params["cluster"], spec["name"]))
        if entry:
            entries[spec["name"]] = entry
    return entries


def plan(module):
    params = module.params
    names = [spec.get("name") for spec in params["jobs"]]
    if not all(names) or len(set(names)) != len(names):
        module.fail_json(msg="every job needs a unique name; got %r" % names)
    infos, unlisted = [], []
    if params["reachable"]:
        client = module.client
        overview = client.jobs_overview()
        for name in names:
            infos.extend(ops.job_plan_details(client, job, params["checkpoint_dir"], aws_options(params))
                         for job in client.find_jobs(name=name, overview=overview))
        unlisted = _plan.unlisted_jobs(overview, names)
    result = _plan.cluster_plan(params["jobs"], infos, ledger_entries(params), params["ami_plan"],
                                params["max_checkpoint_age"], params["method"], params["target_ami"], unlisted)
    result["lines"] = _plan.plan_lines(result, params["cluster"], params["strategy"], params["target_ami"])
    result["changed"] = False
    return result


def main():
    spec = aws_storage_argument_spec()
    spec.update(
        cluster=dict(type="str", required=True),
        jobs=dict(type="list", elements="dict", required=True),
        ami_plan=dict(type="list", elements="dict", default=[]),
        target_ami=dict(type="str"),
        strategy=dict(type="str", default="blue_green"),
        ledger=dict(type="str"),
        max_checkpoint_age=dict(type="float", default=900.0),
        method=dict(type="str", default="auto", choices=["auto", "native", "fence"]),
        reachable=dict(type="bool", default=True),
        checkpoint_dir=dict(type="str"),
    )
    module = FlinkModule(argument_spec=spec, supports_check_mode=True)
    module.run(plan)


if __name__ == "__main__":
    main()

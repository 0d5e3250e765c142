#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_patch_report
short_description: Record a cluster's patch result in the run's JSON and HTML report
version_added: 0.1.0
description:
  - Writes the result of one cluster to C(<report_dir>/<run_id>/clusters/<cluster>.json) and regenerates the merged
    C(report.json) and C(report.html) of the run (AMIs before and after, pin, downtime with a timeline per job,
    verification, rollback). Clusters of one wave may call it at the same time; the merge is locked.
  - Used by the C(flinkops.fleet.flink_patch) role in an C(always) section, so the report exists whatever happened.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Writes the report in check mode too (the plan is its content).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  report_dir:
    description:
      - Directory of reports; the run's report goes to a sub-directory named after O(run_id).
    type: path
    required: true
  run_id:
    description:
      - Id of the patch run.
    type: str
    required: true
  cluster:
    description:
      - Name of the cluster.
    type: str
    required: true
  result:
    description:
      - The cluster's result (status, strategy, AMIs, jobs with pin, downtime, verification, rollback, error).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Record the result of this cluster
  flinkops.fleet.flink_patch_report:
    report_dir: /var/lib/flinkops/reports
    run_id: "{{ flink_patch_run_id }}"
    cluster: "{{ inventory_hostname }}"
    result: "{{ flink_patch_result }}"
"""

RETURN = r"""
json:
  description: Path of the merged JSON report.
  returned: always
  type: str
html:
  description: Path of the HTML report.
  returned: always
  type: str
dir:
  description: Directory of the run's report.
  returned: always
  type: str
summary:
  description: Clusters by status, jobs moved, maximum and mean downtime so far in the run.
  returned: always
  type: dict
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flinkops.fleet.plugins.module_utils._report import write_report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            report_dir=dict(type="path", required=True),
            run_id=dict(type="str", required=True),
            cluster=dict(type="str", required=True),
            result=dict(type="dict", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for key in ("run_id", "cluster"):
        if not re.match(r"^[A-Za-z0-9_.:-]+$", params[key]):
            module.fail_json(msg="%s %r may only contain letters, digits and _.:-" % (key, params[key]))
    try:
        paths = write_report(params["report_dir"], params["run_id"], params["cluster"], params["result"])
    except (OSError, ValueError) as exc:
        module.fail_json(msg="cannot write the report under %s: %s" % (params["report_dir"], exc))
    module.exit_json(changed=True, **paths)


if __name__ == "__main__":
    main()

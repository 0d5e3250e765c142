#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_cluster_info
short_description: Facts about a Flink cluster (version, TaskManagers, slots, jobs by state)
version_added: 0.1.0
description:
  - Reads the Flink REST API of a JobManager and returns the Flink version, TaskManagers, total and free task slots,
    job counts by state, the checkpoint and savepoint directories and the REST cache timeouts.
  - Read-only; it never changes the cluster.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
  - flinkops.fleet.flink
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
options: {}
seealso:
  - module: flinkops.fleet.flink_job_info
"""

EXAMPLES = r"""
- name: Read the cluster
  flinkops.fleet.flink_cluster_info:
    url: http://10.0.1.5:8081
  register: cluster

- name: Wait until the new cluster has enough free slots for the jobs it takes over
  flinkops.fleet.flink_cluster_info:
    url: "{{ new_cluster_url }}"
  register: new_cluster
  until: new_cluster.slots_available >= 8
  retries: 60
  delay: 2
"""

RETURN = r"""
flink_version:
  description: Version of Flink the JobManager runs.
  returned: always
  type: str
  sample: 2.3.0
flink_commit:
  description: Git commit Flink was built from.
  returned: always
  type: str
  sample: 1b2c3d4
taskmanagers:
  description: Number of registered TaskManagers.
  returned: always
  type: int
  sample: 2
slots_total:
  description: Task slots of all TaskManagers.
  returned: always
  type: int
  sample: 8
slots_available:
  description: Free task slots.
  returned: always
  type: int
  sample: 4
jobs:
  description: Job counts by state.
  returned: always
  type: dict
  contains:
    running:
      description: Jobs that are not finished, cancelled or failed.
      type: int
    finished:
      description: Finished jobs.
      type: int
    cancelled:
      description: Cancelled jobs.
      type: int
    failed:
      description: Failed jobs.
      type: int
  sample: {running: 1, finished: 0, cancelled: 2, failed: 0}
checkpoint_dir:
  description: Cluster-wide checkpoint directory (C(execution.checkpointing.dir)), if configured.
  returned: always
  type: str
  sample: s3://flink-state/checkpoints
savepoint_dir:
  description: Cluster-wide default savepoint directory, if configured.
  returned: always
  type: str
  sample: s3://flink-state/savepoints
rest_cache_seconds:
  description:
    - How long REST reads of C(/jobs/<id>) (RV(rest_cache_seconds.execution_graph)) and C(/jobs/<id>/checkpoints)
      (RV(rest_cache_seconds.checkpoint_stats)) may lag behind the job.
  returned: always
  type: dict
  sample: {execution_graph: 3.0, checkpoint_stats: 3.0}
  contains:
    execution_graph:
      description: Seconds C(/jobs/<id>) may lag behind (C(web.refresh-interval)).
      returned: always
      type: float
    checkpoint_stats:
      description: Seconds C(/jobs/<id>/checkpoints) may lag behind (C(rest.cache.checkpoint-statistics.timeout)).
      returned: always
      type: float
features:
  description: Features the web frontend reports (from C(/config)).
  returned: always
  type: dict
  sample: {web-submit: true, web-cancel: true, web-history: false}
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import FlinkModule


def cluster_facts(client):
    """Facts about the cluster behind ``client``."""
    overview = client.overview()
    config = client.config()
    return dict(
        changed=False,
        flink_version=overview.get("flink-version") or config.get("flink-version"),
        flink_commit=overview.get("flink-commit") or config.get("flink-revision"),
        taskmanagers=overview.get("taskmanagers", 0),
        slots_total=overview.get("slots-total", 0),
        slots_available=overview.get("slots-available", 0),
        jobs=dict(
            running=overview.get("jobs-running", 0),
            finished=overview.get("jobs-finished", 0),
            cancelled=overview.get("jobs-cancelled", 0),
            failed=overview.get("jobs-failed", 0),
        ),
        checkpoint_dir=client.checkpoint_storage_dir(),
        savepoint_dir=client.savepoint_dir(),
        rest_cache_seconds=client.cache_timeouts(),
        features=config.get("features") or {},
    )


def main():
    module = FlinkModule(argument_spec={}, supports_check_mode=True)
    module.run(lambda m: cluster_facts(m.client))


if __name__ == "__main__":
    main()

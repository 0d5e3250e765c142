#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_job_info
short_description: List Flink jobs with their checkpoint configuration and latest checkpoint
version_added: 0.1.0
description:
  - Lists the jobs of a Flink JobManager or HistoryServer, optionally filtered by id, name and state.
  - For each job it returns the checkpoint configuration (interval, mode, retention on cancellation, storage) and the
    latest completed checkpoint.
  - Read-only; it never changes the cluster.
  - The latest checkpoint is read from C(/jobs/<id>/checkpoints), which Flink caches (3 s by default), so for a running
    job it may be one checkpoint behind. Use M(flinkops.fleet.flink_latest_checkpoint) for an answer that is final.
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
options:
  job_id:
    description:
      - Only the job with this id (32 hex characters).
    type: str
  name:
    description:
      - Only jobs with exactly this name. Several jobs (for example earlier runs) may share a name.
    type: str
    aliases: [job_name]
  state:
    description:
      - Only jobs in one of these states, for example V(RUNNING) or V(CANCELED). Case-insensitive.
    type: list
    elements: str
  include_checkpoints:
    description:
      - Read each job's checkpoint configuration and latest checkpoint (two more requests per job).
    type: bool
    default: true
  history_server:
    description:
      - O(url) is a HistoryServer (C(historyserver.web.port), 8082 by default), which serves the archives of ended
        jobs without the C(/v1) prefix of a JobManager.
      - An archive is written when the job ends, before Flink discards checkpoints it does not retain; the latest
        checkpoint of a job that finished, or was cancelled without C(RETAIN_ON_CANCELLATION), is null.
    type: bool
    default: false
seealso:
  - module: flinkops.fleet.flink_cluster_info
"""

EXAMPLES = r"""
- name: All running jobs with their checkpoint settings
  flinkops.fleet.flink_job_info:
    url: http://10.0.1.5:8081
    state: [RUNNING]
  register: running

- name: Refuse to patch a cluster whose jobs would lose state on cancellation
  ansible.builtin.assert:
    that: item.checkpointing.retention == 'RETAIN_ON_CANCELLATION'
    fail_msg: "{{ item.name }} deletes its checkpoints on cancellation"
  loop: "{{ running.jobs }}"

- name: One job by name
  flinkops.fleet.flink_job_info:
    name: orders-enrichment
  environment:
    FLINK_REST_URL: http://10.0.1.5:8081

- name: Jobs archived by a HistoryServer (ended jobs, also of clusters that are gone)
  flinkops.fleet.flink_job_info:
    url: http://10.0.1.9:8082
    history_server: true
    state: [CANCELED]
"""

RETURN = r"""
jobs:
  description: Matching jobs, newest first. Empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    job_id:
      description: Job id.
      type: str
      sample: 5f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11
    name:
      description: Job name.
      type: str
    state:
      description: Job state (from the uncached job overview).
      type: str
      sample: RUNNING
    start_time:
      description: Start time, ISO 8601 UTC.
      type: str
    end_time:
      description: End time, ISO 8601 UTC, for terminal jobs.
      type: str
    duration_ms:
      description: Run time in milliseconds.
      type: int
    tasks:
      description: Task counts by state.
      type: dict
    checkpointing:
      description: Checkpoint configuration; RV(jobs[].checkpointing.enabled=false) when checkpointing is off.
      returned: when O(include_checkpoints=true)
      type: dict
      contains:
        enabled:
          description: Whether periodic checkpoints are on.
          type: bool
        interval_ms:
          description: Checkpoint interval.
          type: int
        mode:
          description: V(EXACTLY_ONCE) or V(AT_LEAST_ONCE).
          type: str
        retention:
          description:
            - V(RETAIN_ON_CANCELLATION), V(DELETE_ON_CANCELLATION) or V(NO_EXTERNALIZED_CHECKPOINTS).
            - Only V(RETAIN_ON_CANCELLATION) lets a job be stopped by cancellation and restored from its checkpoint.
          type: str
        storage_dir:
          description: Directory the job's C(<job_id>/chk-N) checkpoints are written to, when known.
          type: str
    latest_checkpoint:
      description: Latest completed checkpoint (may lag by the REST cache for running jobs); null if none.
      returned: when O(include_checkpoints=true)
      type: dict
      contains:
        id:
          description: Checkpoint id.
          type: int
        external_path:
          description: Path to restore from.
          type: str
        completed_at:
          description: Completion time, ISO 8601 UTC.
          type: str
        age_seconds:
          description: Seconds since completion.
          type: float
        state_size:
          description: Full state size in bytes.
          type: int
    latest_savepoint:
      description: Latest completed savepoint, if any.
      returned: when O(include_checkpoints=true)
      type: dict
    restored_from:
      description: The checkpoint or savepoint the job was restored from, if any.
      returned: when O(include_checkpoints=true)
      type: dict
    checkpoint_counts:
      description: Checkpoint counts (completed, failed, in_progress, restored, total).
      returned: when O(include_checkpoints=true)
      type: dict
"""

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import FlinkModule, client_from_params
from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots

# org.apache.flink.api.common.JobStatus
JOB_STATES = frozenset(("INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING", "CANCELED", "FINISHED",
                        "RESTARTING", "SUSPENDED", "RECONCILING"))


def list_jobs(module):
    params = module.params
    job_id = params["job_id"]
    if job_id is not None and not snapshots.is_job_id(job_id):
        module.fail_json(msg="invalid job_id %r: a Flink job id is 32 hexadecimal characters" % job_id)
    states = [s.upper() for s in params["state"] or []]
    unknown = sorted(set(states) - JOB_STATES)
    if unknown:
        module.fail_json(msg="unknown job state(s) %s in state; Flink's job states are %s" % (
            ", ".join(unknown), ", ".join(sorted(JOB_STATES))))
    client = client_from_params(params, history_server=True) if params["history_server"] else module.client
    jobs = client.find_jobs(job_id=job_id, name=params["name"], states=states)
    return dict(changed=False, jobs=[ops.job_details(client, job, params["include_checkpoints"]) for job in jobs])


def main():
    module = FlinkModule(
        argument_spec=dict(
            job_id=dict(type="str"),
            name=dict(type="str", aliases=["job_name"]),
            state=dict(type="list", elements="str"),
            include_checkpoints=dict(type="bool", default=True),
            history_server=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.run(list_jobs)


if __name__ == "__main__":
    main()

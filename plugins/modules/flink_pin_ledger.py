#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flink_pin_ledger
short_description: Read the pin ledger and move its entries to restored, done or rolled back
version_added: 0.1.0
description:
  - The pin ledger records every pin (written by M(flinkops.fleet.flink_checkpointing) and
    M(flinkops.fleet.flink_handover) before anything else changes) so that a re-run after a crash resumes from it.
  - With O(state=query), returns one entry (O(cluster) and O(job_name)) or every entry (of O(cluster), or all).
  - With O(state=restored), O(state=done) or O(state=rolled_back), moves an entry to that status; an entry already
    there with the same O(fields) is no change. Finished entries (V(done), V(rolled_back)) are replaced by the next pin.
  - Does not talk to Flink.
author:
  - flinkops.fleet developers (@flinkops)
extends_documentation_fragment:
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
  ledger:
    description:
      - Ledger location (directory, C(ssm:/prefix) or C(s3://bucket/prefix)), see M(flinkops.fleet.flink_checkpointing).
    type: str
    required: true
  cluster:
    description:
      - Cluster name of the entry.
    type: str
  job_name:
    description:
      - Job name of the entry.
    type: str
    aliases: [name]
  state:
    description:
      - V(query) reads; the other values set the entry's status.
    type: str
    choices: [query, restored, done, rolled_back]
    default: query
  fields:
    description:
      - Extra fields stored with a status change (for example the new job id or a failure reason).
      - The ledger's own fields (C(status), C(cluster), C(job_name), C(old_job_id), C(checkpoint_id),
        C(checkpoint_path), C(checkpoint_kind), C(pinned_at), C(updated_at), C(previous)) are refused - the recorded pin
        is never rewritten.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Mark the pin of a job done after the restored job was verified
  flinkops.fleet.flink_pin_ledger:
    ledger: ssm:/flinkops/ledger
    cluster: orders
    job_name: orders-enrichment
    state: done
    fields:
      verified_checkpoint: 4312

- name: Every unfinished pin of the fleet
  flinkops.fleet.flink_pin_ledger:
    ledger: ssm:/flinkops/ledger
  register: ledger
"""

RETURN = r"""
entry:
  description: The entry of O(cluster)/O(job_name) after the call (null when there is none).
  returned: when O(job_name) is set
  type: dict
  sample: {cluster: orders, job_name: orders-enrichment, status: pinned, checkpoint_id: 4311,
           checkpoint_path: s3://flink-state/checkpoints/5f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11/chk-4311}
entries:
  description: All entries read (of O(cluster) if given), by key.
  returned: when O(state=query) and O(job_name) is not set
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import aws_options, aws_storage_argument_spec
from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger


def query(ledger, params):
    if params["job_name"]:
        return dict(changed=False, entry=ledger.get(_ledger.entry_key(params["cluster"], params["job_name"])))
    keys = ledger.list()
    if params["cluster"]:
        prefix = _ledger.entry_key(params["cluster"], "x")[:-1]
        keys = [k for k in keys if k.startswith(prefix)]
    return dict(changed=False, entries=dict((k, ledger.get(k)) for k in keys))


def set_status(ledger, params, check_mode):
    key = _ledger.entry_key(params["cluster"], params["job_name"])
    errors = _ledger.field_errors(params["fields"])
    if errors:
        raise _ledger.LedgerError("; ".join(errors))
    if check_mode:
        entry = ledger.get(key)
        if entry is None:
            raise _ledger.LedgerError("no ledger entry %s to mark %s" % (key, params["state"]))
        wanted = dict(params["fields"], status=params["state"])
        return dict(changed=any(entry.get(k) != v for k, v in wanted.items()), entry=entry)
    entry, changed = _ledger.update_status(ledger, key, params["state"], params["fields"])
    return dict(changed=changed, entry=entry)


def main():
    spec = aws_storage_argument_spec()
    spec.update(
        ledger=dict(type="str", required=True),
        cluster=dict(type="str"),
        job_name=dict(type="str", aliases=["name"]),
        state=dict(type="str", default="query", choices=["query", "restored", "done", "rolled_back"]),
        fields=dict(type="dict", default={}),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_by={"job_name": ("cluster",)},
                           required_if=[("state", status, ("cluster", "job_name")) for status in ("restored", "done", "rolled_back")])
    params = module.params
    try:
        ledger = _ledger.open_ledger(params["ledger"], aws=aws_options(params))
        if params["state"] == "query":
            result = query(ledger, params)
        else:
            result = set_status(ledger, params, module.check_mode)
    except FlinkError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

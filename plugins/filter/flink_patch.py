# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the ``flinkops.fleet.flink_patch`` role.

* ``flink_patch_inventory_errors``: problems in one cluster's settings, checked before anything changes;
* ``flink_patch_rest_url``: the JobManager REST URL from an ami_rotation node list;
* ``flink_patch_job_results``: per-job results with downtime and timeline marks for the report.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import bound_errors

STRATEGIES = ("blue_green", "in_place")


# The keys of a flink_patch_jobs entry (what the restore passes to flinkops.fleet.flink_job): a misspelt one would be
# ignored, and the job restored without the setting.
JOB_KEYS = ("name", "jar", "entry_class", "args", "parallelism", "flink_config", "claim_mode", "allow_non_restored_state")


# Lower bounds of the role's numeric settings (variable suffix: (bound, whether the bound itself is allowed)). Checked
# before anything changes: a wait of 0 or less would only fail once the jobs are stopped and the nodes rotating.
NUMBER_BOUNDS = {
    "job_timeout": (0, False), "request_timeout": (0, False), "max_checkpoint_age": (0, False),
    "rotation_wait_timeout": (0, False), "rotation_wait_delay": (0, True), "rotation_batch_size": (0, True),
    "watch_seconds": (0, True), "cluster_wait_retries": (1, True), "cluster_wait_delay": (0, True),
}


def inventory_errors(settings):
    """Problems in one cluster's settings: ``jobs``, ``strategy``, ``asg_names``, ``node_filters``, target AMI sources,
    ``numbers`` (``{variable suffix: value}``, see NUMBER_BOUNDS)."""
    errors = bound_errors(settings.get("numbers") or {}, NUMBER_BOUNDS, prefix="flink_patch_")
    strategy = settings.get("strategy")
    if strategy not in STRATEGIES:
        errors.append("unknown strategy %r (use %s)" % (strategy, " or ".join(STRATEGIES)))
    application = bool(settings.get("application_mode"))
    if application and not settings.get("bootstrap_parameter"):
        errors.append("application_mode needs bootstrap_parameter (the SSM parameter the node bootstrap reads)")
    jobs = settings.get("jobs")
    if not isinstance(jobs, list):
        errors.append("jobs must be a list of job dicts, not %s" % type(jobs).__name__)
        jobs = []
    names = []
    for index, job in enumerate(jobs):
        if not isinstance(job, dict) or not job.get("name"):
            errors.append("job #%d has no name" % (index + 1))
            continue
        names.append(job["name"])
        unknown = sorted(set(job) - set(JOB_KEYS))
        if unknown:
            errors.append("job %s: unknown key(s) %s (a job has %s)" % (job["name"], ", ".join(unknown), ", ".join(JOB_KEYS)))
        if not application or job.get("jar"):
            errors.extend(_jar_errors(job))
        if job.get("args") is not None and not isinstance(job.get("args"), list):
            errors.append("job %s: args must be a list (sent as programArgsList)" % job["name"])
    duplicates = sorted(set(n for n in names if names.count(n) > 1))
    if duplicates:
        errors.append("duplicate job names: %s (jobs are matched by name)" % ", ".join(duplicates))
    if application and len(jobs) != 1:
        errors.append("an application cluster runs exactly one job (got %d)" % len(jobs))
    if not settings.get("asg_names") and not settings.get("node_filters"):
        errors.append("no nodes selected: set asg_names and/or node_filters")
    sources = [k for k in ("target_ami_id", "target_ami_ssm_parameter", "target_ami_filters") if settings.get(k)]
    if len(sources) != 1:
        errors.append("exactly one of target_ami_id, target_ami_ssm_parameter, target_ami_filters is required (got %s)"
                      % (", ".join(sources) or "none"))
    return errors


def _jar_errors(job):
    jar = job.get("jar")
    if not jar:
        return ["job %s has no jar" % job["name"]]
    if str(jar).startswith("s3://") or re.match(r"^[0-9a-f-]{36}_.+\.jar$", str(jar)):
        return []
    if not os.path.isfile(jar):
        return ["job %s: jar %s does not exist on the controller" % (job["name"], jar)]
    return []


def rest_url(nodes, role="jobmanager", port=8081, scheme="http"):
    """The REST URL of the cluster's JobManager from a node list (``address`` may carry a port)."""
    managers = [n for n in nodes or [] if n.get("role") == role and n.get("address")]
    if not managers:
        return ""
    address = sorted(managers, key=lambda n: n.get("id") or "")[0]["address"]
    if re.match(r"^[a-z]+://", address):
        return address
    if re.search(r":\d+$", address):
        return "%s://%s" % (scheme, address)
    return "%s://%s:%s" % (scheme, address, port)


def job_results(jobs, moves=None, pins=None, restores=None, verified=None, rollbacks=None):
    """Per-job results for the report: pin, new job, downtime (fence to first checkpoint) and marks.

    ``moves`` are flink_handover results (blue/green); ``pins`` flink_checkpointing and ``restores``
    flink_job results (in place); ``verified`` flink_job results of the verification; ``rollbacks`` the rollback's
    flink_job results (their ``item`` names the job). Each a list (registered loop results), possibly shorter or
    absent when the patch stopped early.
    """
    rolled = {}
    for result in rollbacks or []:
        item = result.get("item")
        name = (item[0] if isinstance(item, (list, tuple)) else item or {}).get("job_name")
        if name and not result.get("skipped"):
            rolled[name] = dict(job_id=result.get("job_id"), restored=(result.get("restored") or {}).get("external_path"),
                                failed=bool(result.get("failed")), msg=result.get("msg"))
    out = []
    for index, job in enumerate(jobs or []):
        move, pin, restore, check = (_nth(moves, index), _nth(pins, index), _nth(restores, index), _nth(verified, index))
        line = dict(job=job.get("name"), old_job_id=None, pin_id=None, pin_path=None, new_job_id=None, downtime=None,
                    marks={}, verified=bool(check) and not check.get("failed"), resumed=False, rollback=None)
        if move:
            _from_move(line, move)
        elif pin:
            _from_pin_and_restore(line, pin, restore)
        line["rollback"] = rolled.get(job.get("name"))
        out.append(line)
    return out


def _nth(results, index):
    if not results or index >= len(results):
        return None
    item = results[index]
    return None if item.get("skipped") else item


def _from_move(line, move):
    pin = move.get("pin") or {}
    timings = move.get("timings") or {}
    restore = timings.get("restore") or {}
    line.update(old_job_id=move.get("old_job_id") or pin.get("job_id"), pin_id=pin.get("id"), pin_path=pin.get("external_path"),
                new_job_id=move.get("job_id"), downtime=timings.get("downtime"), resumed=bool(move.get("resumed")))
    base = timings.get("pin_total")
    if base is not None:
        line["marks"] = dict(pinned=base, running=_plus(base, restore.get("running")), checkpoint=_plus(base, restore.get("checkpoint")))


def _from_pin_and_restore(line, pin, restore):
    pinned = pin.get("pinned_checkpoint") or {}
    timings = pin.get("timings") or {}
    line.update(old_job_id=pinned.get("job_id"), pin_id=pinned.get("id"), pin_path=pinned.get("external_path"),
                resumed=bool(pin.get("resumed")))
    if not restore:
        return
    line["new_job_id"] = restore.get("job_id")
    rt = restore.get("timings") or {}
    fenced_at, first_at = timings.get("fence_started_at"), rt.get("first_checkpoint_at")
    if fenced_at and first_at:
        line["downtime"] = round(first_at - fenced_at, 3)
        start = line["downtime"] - (rt.get("checkpoint") or 0)
        line["marks"] = dict(pinned=timings.get("pin"), running=_plus(start, rt.get("running")), checkpoint=line["downtime"])


def _plus(base, delta):
    return None if base is None or delta is None else round(base + delta, 3)


def unsettled(fences, strategy):
    """The jobs a blue/green rollback must not restart on the old cluster: the fence on the new cluster failed for a
    reason other than "no such job" (unreachable, timed out), so the job may run there, past its pin.

    ``fences`` is the registered loop of the rollback's flink_checkpointing calls (``failed_when: false``). In place,
    the nodes are rotated back before the restart, so nothing can run on the new ones.
    """
    if strategy != "blue_green":
        return []
    names = []
    for result in (fences or {}).get("results") or []:
        if result.get("skipped") or "pinned_checkpoint" in result:
            continue
        if "no job named" in str(result.get("msg") or ""):
            continue
        names.append((result.get("item") or {}).get("job_name"))
    return names


class FilterModule:
    """Filters of the flink_patch role."""

    def filters(self):
        return dict(flink_patch_inventory_errors=inventory_errors, flink_patch_rest_url=rest_url,
                    flink_patch_job_results=job_results, flink_patch_unsettled=unsettled)

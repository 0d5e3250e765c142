# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning logic of a cluster patch: which jobs can be moved safely, and whether there is work.

Private to the collection (underscore module). Inputs are plain dicts (job info as flink_job_info
returns it, ledger entries, the AMI rotation plan); outputs are the plan the flink_patch role prints
in check mode and acts on otherwise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger
from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots


def job_plan(spec, running, ledger_entry, max_age, method, target_ami):
    """The plan line of one configured job.

    ``spec``: the inventory's job (name, jar, ...); ``running``: its flink_job_info entry on the cluster
    (None when no job of that name is active); ``ledger_entry``: its ledger entry (or None).
    """
    name = spec.get("name")
    line = dict(job=name, job_id=None, state=None, action="move", safe=True, reason=None, checkpointing=None,
                latest_checkpoint_id=None, latest_checkpoint_age=None, latest_checkpoint_path=None, resume_pin=None)
    if _ledger.is_resumable(ledger_entry, target_ami):
        line.update(action="resume", resume_pin=_ledger.pin_from_entry(ledger_entry),
                    reason="an unfinished pin from run %s is resumed, not pinned again" % ledger_entry.get("run_id"))
    if running is None:
        if line["action"] != "resume":
            line.update(safe=False, action="refuse",
                        reason="no active job named %r on the cluster and no unfinished pin in the ledger" % name)
        return line
    settings = running.get("checkpointing") or {}
    latest = running.get("latest_checkpoint") or {}
    line.update(job_id=running.get("job_id"), state=running.get("state"), checkpointing=settings,
                latest_checkpoint_id=latest.get("id"), latest_checkpoint_age=latest.get("age_seconds"),
                latest_checkpoint_path=latest.get("external_path"))
    if line["action"] == "resume":
        return line
    refusal = refusal_reason(settings, latest, max_age, method)
    if refusal:
        line.update(safe=False, action="refuse", reason=refusal)
    return line


def refusal_reason(settings, latest, max_age, method):
    """Why a running job cannot be stopped and restored safely, or None."""
    if not settings.get("enabled"):
        return "checkpointing is off: the job could only restart from empty state"
    if method != "native" and settings.get("retention") != snapshots.RETAIN:
        return "checkpoints are %s, so cancelling the job would leave nothing to restore" % settings.get("retention")
    if not latest:
        return "the job has no completed checkpoint yet"
    age = latest.get("age_seconds")
    if max_age and age is not None and age > max_age:
        return "the latest checkpoint is %.3gs old, older than max_checkpoint_age %.3gs" % (age, max_age)
    return None


ENDED_STATES = ("FINISHED", "CANCELED", "FAILED", "SUSPENDED")


def unlisted_jobs(overview, names):
    """The active jobs of a ``/jobs/overview`` list whose name is not among the configured ``names``."""
    return [dict(job=job.get("name"), job_id=job.get("jid"), state=job.get("state")) for job in overview
            if job.get("state") not in ENDED_STATES and job.get("name") not in names]


def cluster_plan(specs, jobs_info, ledger_entries, ami_plan, max_age, method, target_ami, unlisted=None):
    """Plan of a cluster: per-job lines, whether it is safe, and whether there is anything to do.

    ``ami_plan``: the ami_rotation plan (a list of node dicts with ``action``); ``unlisted``: active jobs that are
    not configured (see unlisted_jobs): the node replacement would kill them without a pin.
    """
    active = {}
    for job in jobs_info:
        if job.get("state") not in ENDED_STATES:
            active.setdefault(job.get("name"), job)
    ledger_entries = ledger_entries or {}
    lines = [job_plan(spec, active.get(spec.get("name")), ledger_entries.get(spec.get("name")), max_age, method, target_ami)
             for spec in specs]
    nodes_to_rotate = [n for n in ami_plan or [] if n.get("action") != "skip"]
    resumes = [line for line in lines if line["action"] == "resume"]
    refused = [line for line in lines if not line["safe"]]
    on_target = not nodes_to_rotate
    all_running = all(line["state"] == "RUNNING" for line in lines)
    if on_target and all_running and not resumes:
        status, reason = "skip", "every node is on the target AMI and every job runs"
        refused = []
        for line in lines:
            line["action"] = "none"
            line["safe"] = True
            line["reason"] = None
    elif refused or unlisted:
        reasons = ["%s: %s" % (line["job"], line["reason"]) for line in refused]
        reasons.extend("%s: %s" % (job["job"], UNLISTED_REASON % (job["job_id"], job["state"])) for job in unlisted or [])
        status, reason = "refuse", "; ".join(reasons)
    else:
        status, reason = "patch", None
    return dict(status=status, reason=reason, jobs=lines, unlisted_jobs=list(unlisted or []),
                nodes_to_rotate=len(nodes_to_rotate), work=status == "patch")


UNLISTED_REASON = ("job %s (%s) runs on the cluster but is not in the jobs to patch: replacing the nodes would kill it "
                   "without a pin; add it to the jobs (or stop it) first")


def plan_lines(plan, cluster, strategy, target_ami):
    """Readable lines of a cluster plan for Ansible output."""
    reason = ": " + plan["reason"] if plan.get("reason") else ""
    out = ["%s: %s (%s, target %s)%s" % (cluster, plan["status"].upper(), strategy, target_ami, reason)]
    for line in plan["jobs"]:
        age = line.get("latest_checkpoint_age")
        out.append("  job %s [%s] %s: latest checkpoint %s%s%s" % (
            line["job"], line.get("state") or "-", line["action"], line.get("latest_checkpoint_id"),
            " (%.0fs old)" % age if age is not None else "",
            " - " + line["reason"] if line.get("reason") else ""))
    for job in plan.get("unlisted_jobs") or []:
        out.append("  job %s [%s] not in the jobs to patch%s" % (
            job["job"], job["state"], " - refused: the node replacement would kill it" if plan["status"] == "refuse" else ""))
    return out

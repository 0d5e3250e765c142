# -*- coding: utf-8 -*-
"""Fleet waves: N in_place clusters (one local Flink cluster each, nodes in moto) patched by playbooks/patch_fleet.yml
in one wave; wall time of the run against N."""

import os
import resource
import shutil
import time

from benchmarks.common import BenchError, iso_to_epoch, median, tree_cpu_seconds, wait_for
from tests.harness import localfleet
from tests.harness.ansible import run_playbook
from tests.harness.flink import FlinkCluster, start_clusters
from tests.harness.moto import aws_env
from tests.harness.paths import REPO_ROOT, VENV_PYTHON
from tests.harness.rest import FlinkRest

PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "patch_fleet.yml")
# Action plugins that run on the controller alone: no module process (and a skipped task of any kind costs the same).
CONTROLLER_ACTIONS = frozenset("ansible.builtin.%s" % a for a in (
    "set_fact", "include_tasks", "import_tasks", "include_role", "debug", "assert", "fail", "set_stats", "meta",
    "validate_argument_spec", "include_vars", "add_host", "group_by"))
# One task of each kind, as ansible-playbook runs them in the patch (the tasks the cost model counts).
COST_TASKS = {
    "controller": "ansible.builtin.set_fact:\n        __bench: 1",
    "flinkops": "flinkops.fleet.flink_cluster_info:\n        url: '{url}'",
    "amazon_aws": "amazon.aws.ec2_instance_info:\n        filters:\n          'tag:bench': cost",
    "module": "ansible.builtin.command: /bin/true\n      changed_when: false",
}


def task_kind(action, host_result):
    """``controller`` / ``flinkops`` / ``amazon_aws`` / ``module``: what a task costs the controller's CPU."""
    if host_result.get("skipped") or action in CONTROLLER_ACTIONS:
        return "controller"
    if action.startswith("flinkops.fleet."):
        return "flinkops"
    if action.startswith("amazon.aws."):
        return "amazon_aws"
    return "module"


def task_mix(result):
    """``{kind: number of task runs}`` of a playbook result (a task counts once per host it ran on)."""
    mix = {}
    for play in result.plays:
        for entry in play.get("tasks", []):
            for host_result in (entry.get("hosts") or {}).values():
                kind = task_kind(host_result.get("action") or "", host_result)
                mix[kind] = mix.get(kind, 0) + 1
    return mix


def task_costs(url, env, workdir, repeat=12):
    """CPU seconds one task of each kind costs (ansible-playbook, its worker and the module process), measured as the
    difference between a playbook with ``repeat`` such tasks and the same playbook without them."""
    costs, bases = {}, []
    for kind, body in sorted(COST_TASKS.items()):
        spent = []
        # a controller-only task costs ~0.015 s: fewer than 12 would drown it in the noise of the playbook start
        tasks_of_kind = max(repeat, 12) if kind == "controller" else repeat
        for count in (0, tasks_of_kind):
            tasks = "".join("    - name: %s %d\n      %s\n" % (kind, i, body.format(url=url)) for i in range(count))
            path = os.path.join(workdir, "cost-%s-%d.yml" % (kind, count))
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("- name: Task cost\n  hosts: localhost\n  connection: local\n  gather_facts: false\n"
                             "  tasks:\n    - name: Start\n      ansible.builtin.set_fact:\n        __bench: 0\n" + tasks)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            run = run_playbook(path, env=env, timeout=300)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if run.failed:
                raise BenchError("task cost playbook %s failed:\n%s" % (path, run.describe(3000)))
            spent.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        costs[kind] = round((spent[1] - spent[0]) / tasks_of_kind, 3)
        bases.append(spent[0])
    costs["playbook"] = round(median(bases), 3)  # ansible-playbook start-up with one controller task
    return costs


def slowest_tasks(result, limit=12):
    """``[[task name, seconds, modules run]]`` of the playbook's longest tasks (a task spans all hosts of the wave)."""
    found = {}
    for name, start, end, hosts in ((t["task"].get("name", ""), iso_to_epoch((t["task"].get("duration") or {}).get("start")),
                                     iso_to_epoch((t["task"].get("duration") or {}).get("end")), t.get("hosts") or {})
                                    for play in result.plays for t in play.get("tasks", [])):
        if start is None or end is None:
            continue
        entry = found.setdefault(name, [name, 0.0, 0])
        entry[1] = round(entry[1] + end - start, 3)
        entry[2] += len(hosts)
    return sorted(found.values(), key=lambda e: -e[1])[:limit]


def run_wave(count, moto, workdir, jar, flink_home=None, log=print, cost_repeat=12):
    """Patch ``count`` in_place clusters in one wave; returns a dict with the wall time and per-job downtimes."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    moto.reset()
    clusters = [FlinkCluster("f%d-%d" % (count, index), os.path.join(workdir, "c%d" % index), flink_home=flink_home,
                             slots=2, jvm_opts="") for index in range(count)]
    info = dict(clusters=count)
    try:
        started = time.monotonic()
        start_clusters(clusters, timeout=60 + 30 * count)
        info["start_seconds"] = round(time.monotonic() - started, 1)
        ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
        old_ami, new_ami = localfleet.make_amis(ec2)
        hosts = {}
        for index, cluster in enumerate(clusters):
            name = "f%d" % index
            spec = localfleet.job_spec(jar, os.path.join(workdir, "out-%s" % name), checkpoint_interval=1000)
            rest = FlinkRest(cluster.url)
            job_id = rest.submit_jar(jar, entry_class=spec["entry_class"], args=spec["args"], parallelism=1)
            rest.wait_checkpoints(job_id, 2, timeout=120)
            hosts[name] = dict(localfleet.add_cluster(ec2, autoscaling, name, old_ami, cluster), flink_patch_strategy="in_place",
                               flink_patch_jobs=[spec])
        common = localfleet.common_vars(workdir, moto.endpoint_url, VENV_PYTHON, new_ami)
        inventory = localfleet.write_inventory(os.path.join(workdir, "inventory.json"), localfleet.inventory(hosts, common))
        env = aws_env(moto.endpoint_url)
        # One wave of N clusters runs N hosts in parallel only with forks >= N (Ansible's default is 5).
        env["ANSIBLE_FORKS"] = str(max(5, count))
        time.sleep(3.5)  # let the REST caches of the submission's reads expire, as for a fleet nobody watched
        jvm_pids = [pid for cluster in clusters for pid in cluster.pids]
        moto_pids = [moto.proc.pid] if getattr(moto, "proc", None) else []
        other_before = tree_cpu_seconds(jvm_pids), tree_cpu_seconds(moto_pids)
        launched = time.monotonic()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_playbook(PLAYBOOK, inventory=inventory, env=env, timeout=900)
        info["wall_seconds"] = round(time.monotonic() - launched, 2)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of ansible-playbook, its workers and every module they ran (the Flink JVMs are not in it)
        info["ansible_cpu_seconds"] = round(cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime, 2)
        # the other CPU users of the machine during the run: the clusters' JVMs and moto_server (all AWS calls)
        info["flink_cpu_seconds"] = round(tree_cpu_seconds(jvm_pids) - other_before[0], 2)
        info["moto_cpu_seconds"] = round(tree_cpu_seconds(moto_pids) - other_before[1], 2)
        info["slowest_tasks"] = slowest_tasks(result)
        info["task_mix"] = task_mix(result)
        if result.failed:
            raise BenchError("patch_fleet.yml failed for %d clusters:\n%s" % (count, result.describe(6000)))
        report = localfleet.newest_report(os.path.join(workdir, "reports"))[0]
        jobs = [job for cluster in report["clusters"].values() for job in cluster["jobs"]]
        info["statuses"] = sorted(set(c["status"] for c in report["clusters"].values()))
        info["downtimes"] = [job.get("downtime") for job in jobs]
        info["tasks"] = len(result.tasks)
        for cluster in clusters:
            wait_for(lambda c=cluster: [j for j in FlinkRest(c.url).jobs_overview() if j["state"] == "RUNNING"], 30,
                     "the restored job on %s" % cluster.name, interval=0.2)
        log("  %d cluster(s) in one wave: %.1fs (downtimes %s)" % (count, info["wall_seconds"], info["downtimes"]))
        if count == 1:  # what each kind of task in that mix costs, on a live cluster and moto
            info["task_costs"] = task_costs(clusters[0].url, env, workdir, repeat=cost_repeat)
            log("  task CPU costs: %s" % info["task_costs"])
    except Exception as exc:  # pylint: disable=broad-except
        info["error"] = "%s: %s" % (type(exc).__name__, str(exc)[:4000])
        log("  fleet wave of %d failed: %s" % (count, info["error"][:2000]))
    finally:
        for cluster in clusters:
            cluster.stop()
    return info

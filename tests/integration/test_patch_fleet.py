# -*- coding: utf-8 -*-
"""patch_fleet.yml end to end: real local Flink clusters, EC2 nodes in moto, real ansible-playbook runs.

One fleet of two clusters patched in one wave: ``bg`` (blue_green: its new nodes map to a second local Flink
cluster) and ``ip`` (in_place: its replaced JobManager node maps back to the same local cluster, as behind a
stable DNS name). Exactly-once is proven on the test job's committed output of each lineage.
"""

import json
import os
import sys
import threading
import time

import pytest

from tests.harness import localfleet
from tests.harness.mission import snapshot_metadata, wait_snapshot_discarded
from tests.harness.moto import aws_env
from tests.harness.rest import FlinkRest
from tests.harness.testjob import job_args, verify_exactly_once
from tests.integration.ami_rotation.aws_stub import AwsStub
from tests.integration.ami_rotation.fleet import running_instances

pytestmark = pytest.mark.integration

PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "patch_fleet.yml")
JOB = localfleet.JOB_NAME


def active_jobs(cluster, name=JOB):
    return [j for j in FlinkRest(cluster.url).jobs_overview() if j["name"] == name and j["state"] == "RUNNING"]


def wait_checkpoints(cluster, job_id, count=2, timeout=60):
    rest = FlinkRest(cluster.url)
    rest.wait_checkpoints(job_id, count, timeout=timeout)


def stop_and_verify(cluster, output):
    """Stop the lineage's running job with a savepoint (commits pending files) and check exactly-once."""
    (job,) = active_jobs(cluster)
    FlinkRest(cluster.url).stop_with_savepoint(job["jid"], "file://" + cluster.savepoint_dir)
    return verify_exactly_once(output)


def report(workdir):
    return localfleet.newest_report(os.path.join(workdir, "reports"))


@pytest.fixture
def build_fleet(moto, flink_cluster, submit_test_job, test_job_jar, workdir):
    """``build_fleet(bg=True, ip=True, bg_new_config=None)``: clusters running the test job, their nodes in moto.

    bg: an old and a new local Flink cluster (blue_green); ip: one local Flink cluster (in_place).
    """

    def build(bg=True, ip=True, bg_new_config=None):
        moto.reset()
        ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
        old_ami, new_ami = localfleet.make_amis(ec2)
        fleet = dict(old_ami=old_ami, new_ami=new_ami, ec2=ec2, autoscaling=autoscaling, outputs={},
                     env=aws_env(moto.endpoint_url))
        hosts = {}
        if bg:
            fleet["bg_old"] = flink_cluster(name="bg-old", rest_cache="3 s")
            fleet["bg_new"] = flink_cluster(name="bg-new", rest_cache="3 s", config=bg_new_config)
            hosts["bg"] = dict(localfleet.add_cluster(ec2, autoscaling, "bg", old_ami, fleet["bg_old"], fleet["bg_new"]),
                               flink_patch_strategy="blue_green",
                               flink_patch_new_checkpoint_dir="file://" + fleet["bg_new"].checkpoint_dir)
        if ip:
            fleet["ip"] = flink_cluster(name="ip", rest_cache="3 s")
            # in place, the new job may own its pin (same checkpoint storage): claim mode, so the first checkpoint
            # after the restore can be incremental; blue/green keeps the default no_claim
            hosts["ip"] = dict(localfleet.add_cluster(ec2, autoscaling, "ip", old_ami, fleet["ip"]), flink_patch_strategy="in_place",
                               flink_patch_claim_mode="claim")
        for name in hosts:
            cluster = fleet["bg_old" if name == "bg" else "ip"]
            fleet["outputs"][name] = os.path.join(workdir, "out-" + name)
            hosts[name]["flink_patch_jobs"] = [localfleet.job_spec(test_job_jar, fleet["outputs"][name])]
            job_id = submit_test_job(cluster, fleet["outputs"][name], checkpoint_interval=300, name=JOB)
            wait_checkpoints(cluster, job_id)
        common = localfleet.common_vars(workdir, moto.endpoint_url, sys.executable, new_ami)
        fleet["inventory"] = localfleet.write_inventory(os.path.join(workdir, "inventory.json"),
                                                        localfleet.inventory(hosts, common))
        return fleet

    return build


@pytest.mark.slow
@pytest.mark.max_clusters(3)
def test_patch_fleet_plan_patch_rerun_exactly_once(ansible, build_fleet, workdir):
    fleet = build_fleet()
    ec2 = fleet["ec2"]
    before = {name: running_instances(ec2, name) for name in ("bg", "ip")}

    # 1. Check mode is a plan: nothing changes anywhere.
    plan = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], check=True, env=fleet["env"])
    assert plan.rc == 0, plan.describe()
    assert {name: running_instances(ec2, name) for name in ("bg", "ip")} == before
    assert len(active_jobs(fleet["bg_old"])) == 1 and len(active_jobs(fleet["ip"])) == 1
    assert not active_jobs(fleet["bg_new"])
    planned, _dir = report(workdir)
    assert {c["status"] for c in planned["clusters"].values()} == {"planned"}

    # 2. The patch.
    old_ids = {name: active_jobs(fleet[key])[0]["jid"] for name, key in (("bg", "bg_old"), ("ip", "ip"))}
    started = time.time()
    run = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert run.rc == 0, run.describe()
    print("patch run took %.1fs" % (time.time() - started))
    result, report_dir = report(workdir)
    assert os.path.exists(os.path.join(report_dir, "report.html"))
    for name in ("bg", "ip"):
        cluster = result["clusters"][name]
        assert cluster["status"] == "patched", cluster
        (job,) = cluster["jobs"]
        assert job["old_job_id"] == old_ids[name]
        assert job["pin_id"] and job["new_job_id"] and job["verified"], job
        assert job["downtime"] is not None and job["downtime"] > 0
        print("%s: pin %s, downtime %.3fs" % (name, job["pin_id"], job["downtime"]))
        # every node now runs the target AMI
        assert set(running_instances(ec2, name).values()) == {fleet["new_ami"]}
    # blue/green: the job runs on the new cluster, restored from the pin; nothing left on the old one
    (moved,) = active_jobs(fleet["bg_new"])
    restored = FlinkRest(fleet["bg_new"].url).checkpoints(moved["jid"])["latest"]["restored"]
    assert restored["id"] == result["clusters"]["bg"]["jobs"][0]["pin_id"]
    assert not active_jobs(fleet["bg_old"])
    # in place: the job runs again on the same cluster, from the pin
    (again,) = active_jobs(fleet["ip"])
    assert again["jid"] != old_ids["ip"]
    # the ledger closed both pins
    for name in ("bg", "ip"):
        with open(os.path.join(workdir, "ledger", name, JOB + ".json"), encoding="utf-8") as handle:
            assert json.load(handle)["status"] == "done"

    # 3. A second run right after changes nothing.
    rerun = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert rerun.rc == 0, rerun.describe()
    second, _dir = report(workdir)
    assert {c["status"] for c in second["clusters"].values()} == {"skipped"}, second
    assert [j["jid"] for j in active_jobs(fleet["bg_new"])] == [moved["jid"]]
    assert [j["jid"] for j in active_jobs(fleet["ip"])] == [again["jid"]]

    # 4. Claim mode (ip) handed the pin to the new job, which discards it once its own checkpoints subsume it
    #    (num-retained 3); no_claim (bg) leaves the pin intact.
    pins = dict((name, ledger_entry(workdir, name)["checkpoint_path"]) for name in ("bg", "ip"))
    assert wait_snapshot_discarded(pins["ip"], 60), "the in_place job restored in claim mode did not take over its pin"
    assert os.path.isfile(snapshot_metadata(pins["bg"])), "no_claim must leave the blue_green pin intact"

    # 5. Exactly once across the move, for both lineages.
    for name, key in (("bg", "bg_new"), ("ip", "ip")):
        summary = stop_and_verify(fleet[key], fleet["outputs"][name])
        assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


def ledger_entry(workdir, cluster):
    try:
        with open(os.path.join(workdir, "ledger", cluster, JOB + ".json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


@pytest.mark.slow
def test_crash_after_pin_and_after_rotation_resumes_from_the_same_pin(ansible, build_fleet, workdir):
    fleet = build_fleet(bg=False, ip=True)
    ec2, new_ami = fleet["ec2"], fleet["new_ami"]
    old_id = active_jobs(fleet["ip"])[0]["jid"]

    # Crash 1: the controller dies right after the pin is in the ledger (before the rotation finished).
    first = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"],
                                 kill_when=lambda: (ledger_entry(workdir, "ip") or {}).get("status") == "pinned")
    assert first.killed == "condition met", first.describe()
    pin = ledger_entry(workdir, "ip")
    assert pin["old_job_id"] == old_id and pin["checkpoint_id"]
    assert not active_jobs(fleet["ip"])  # fenced

    # Crash 2: the re-run dies once every node runs the new AMI (before or while the job is restored).
    second = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"],
                                  kill_when=lambda: set(running_instances(ec2, "ip").values()) == {new_ami})
    assert second.killed == "condition met", second.describe()
    assert ledger_entry(workdir, "ip")["checkpoint_id"] == pin["checkpoint_id"]  # never pinned twice

    # The third run finishes from the same pin.
    third = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert third.rc == 0, third.describe()
    entry = ledger_entry(workdir, "ip")
    assert entry["status"] == "done" and entry["checkpoint_id"] == pin["checkpoint_id"]
    assert entry["pinned_at"] == pin["pinned_at"]
    (job,) = active_jobs(fleet["ip"])
    restored = FlinkRest(fleet["ip"].url).checkpoints(job["jid"])["latest"]["restored"]
    assert restored["id"] == pin["checkpoint_id"]
    assert set(running_instances(ec2, "ip").values()) == {new_ami}
    summary = stop_and_verify(fleet["ip"], fleet["outputs"]["ip"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


@pytest.mark.slow
@pytest.mark.max_clusters(2)
def test_failed_restore_rolls_back_to_the_old_nodes_from_the_same_pin(ansible, build_fleet, workdir):
    # The new cluster's TaskManager makes the test job fail at once: the restore there never checkpoints.
    fleet = build_fleet(bg=True, ip=False, bg_new_config={"env.java.opts.taskmanager": "-Dfleet.test.fail=true"})
    ec2, old_ami = fleet["ec2"], fleet["old_ami"]
    old_nodes = running_instances(ec2, "bg")
    run = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert run.rc != 0
    result, _dir = report(workdir)
    cluster = result["clusters"]["bg"]
    assert cluster["status"] == "rolled_back", cluster
    assert "rolled back" in cluster["error"] or cluster["rolled_back"] == [JOB]
    entry = ledger_entry(workdir, "bg")
    assert entry["status"] == "rolled_back"
    # the job runs again on the old nodes, from the same pin; the replacement nodes are gone, the old ones stay
    (job,) = active_jobs(fleet["bg_old"])
    restored = FlinkRest(fleet["bg_old"].url).checkpoints(job["jid"])["latest"]["restored"]
    assert restored["id"] == entry["checkpoint_id"]
    assert not active_jobs(fleet["bg_new"])
    assert running_instances(ec2, "bg") == old_nodes
    assert set(old_nodes.values()) == {old_ami}
    summary = stop_and_verify(fleet["bg_old"], fleet["outputs"]["bg"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


@pytest.mark.slow
def test_application_cluster_gets_the_pin_through_its_bootstrap_parameter(ansible, build_fleet, workdir, moto, submit_test_job):
    """in_place application cluster: the role pins, writes the SSM parameter, rotates; a simulated node bootstrap
    starts the job from the parameter's path once the new nodes run; the role proves the restore."""
    fleet = build_fleet(bg=False, ip=True)
    parameter = "/flink/ip/restore-path"
    with open(fleet["inventory"], encoding="utf-8") as handle:
        data = json.load(handle)
    host = data["all"]["children"]["flink_clusters"]["hosts"]["ip"]
    host.update(flink_patch_application_mode=True, flink_patch_bootstrap_parameter=parameter)
    localfleet.write_inventory(fleet["inventory"], data)
    ec2, ssm = fleet["ec2"], moto.client("ssm")
    booted = {}

    def bootstrap():
        """What a node's user data does on an application cluster: read the restore path, start the job from it."""
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not booted:
            if set(running_instances(ec2, "ip").values()) == {fleet["new_ami"]}:
                path = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
                booted["path"] = path
                booted["job"] = submit_test_job(fleet["ip"], fleet["outputs"]["ip"], savepoint_path=path,
                                                checkpoint_interval=300, name=JOB)
                return
            time.sleep(0.2)

    node = threading.Thread(target=bootstrap, daemon=True)
    node.start()
    run = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    node.join(timeout=10)
    assert run.rc == 0, run.describe()
    entry = ledger_entry(workdir, "ip")
    assert entry["status"] == "done"
    assert booted["path"] == entry["checkpoint_path"]  # the bootstrap was handed the pin, before the nodes booted
    (job,) = active_jobs(fleet["ip"])
    assert job["jid"] == booted["job"]
    restored = FlinkRest(fleet["ip"].url).checkpoints(job["jid"])["latest"]["restored"]
    assert restored["id"] == entry["checkpoint_id"]
    result, _dir = report(workdir)
    assert result["clusters"]["ip"]["status"] == "patched"
    summary = stop_and_verify(fleet["ip"], fleet["outputs"]["ip"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


@pytest.mark.slow
def test_in_place_broken_ami_rolls_the_nodes_back_and_restarts_from_the_pin(ansible, build_fleet, workdir):
    """The new AMI's JobManager never answers (its nodes map to a dead endpoint): after the pin and the rotation the
    cluster cannot come up, so the rollback rotates the nodes back to the old AMI and restarts the job from its pin."""
    fleet = build_fleet(bg=False, ip=True)
    ec2, old_ami, new_ami = fleet["ec2"], fleet["old_ami"], fleet["new_ami"]
    with open(fleet["inventory"], encoding="utf-8") as handle:
        data = json.load(handle)
    host = data["all"]["children"]["flink_clusters"]["hosts"]["ip"]
    host["flink_patch_address_pool"]["jobmanager@" + new_ami] = [localfleet.UNUSED_ADDRESS]
    host["flink_patch_cluster_wait_retries"] = 4
    localfleet.write_inventory(fleet["inventory"], data)
    old_id = active_jobs(fleet["ip"])[0]["jid"]

    run = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert run.rc != 0
    result, _dir = report(workdir)
    cluster = result["clusters"]["ip"]
    assert cluster["status"] == "rolled_back", cluster
    assert set(running_instances(ec2, "ip").values()) == {old_ami}  # the AMI change is undone
    entry = ledger_entry(workdir, "ip")
    assert entry["status"] == "rolled_back" and entry["old_job_id"] == old_id
    (job,) = active_jobs(fleet["ip"])
    restored = FlinkRest(fleet["ip"].url).checkpoints(job["jid"])["latest"]["restored"]
    assert restored["id"] == entry["checkpoint_id"]
    assert cluster["jobs"][0]["rollback"]["job_id"] == job["jid"]
    # no restore ran on the new nodes: the report must not take the read-only check before the fence for one
    assert cluster["jobs"][0]["new_job_id"] is None and cluster["jobs"][0]["downtime"] is None, cluster["jobs"][0]
    summary = stop_and_verify(fleet["ip"], fleet["outputs"]["ip"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


@pytest.mark.slow
def test_rollback_after_the_restored_job_checkpointed_restarts_from_its_checkpoint_not_the_pin(ansible, build_fleet, workdir):
    """The restored job (claim mode: it owns the pin) completes checkpoints of its own, then fails once during the
    verification's watch window. The rollback must restart the lineage from that job's final checkpoint, not from
    the pin: the new job's exactly-once sink committed output past the pin, which a restart from the pin would
    write twice (and the claimed pin may be gone)."""
    fleet = build_fleet(bg=False, ip=True)
    marker = os.path.join(workdir, "failed-once")
    with open(fleet["inventory"], encoding="utf-8") as handle:
        data = json.load(handle)
    host = data["all"]["children"]["flink_clusters"]["hosts"]["ip"]
    host["flink_patch_jobs"][0]["args"] += ["--fail-once-after-checkpoints", "3", "--fail-once-marker", marker]
    localfleet.write_inventory(fleet["inventory"], data)
    old_id = active_jobs(fleet["ip"])[0]["jid"]

    run = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert run.rc != 0
    assert os.path.exists(marker), "the restored job never reached its injected failure"
    result, _dir = report(workdir)
    cluster = result["clusters"]["ip"]
    assert cluster["status"] == "rolled_back", cluster
    # the report names the cause, not just "One or more items failed"
    assert cluster["error"].startswith("Verify each job"), cluster["error"]
    assert "%s: " % JOB in cluster["error"] and ("restarted during" in cluster["error"] or "became" in cluster["error"]), cluster["error"]
    entry = ledger_entry(workdir, "ip")
    assert entry["status"] == "rolled_back" and entry["old_job_id"] == old_id
    patched_job = cluster["jobs"][0]["new_job_id"]
    assert patched_job and patched_job != old_id, cluster["jobs"][0]
    (job,) = active_jobs(fleet["ip"])
    assert job["jid"] not in (old_id, patched_job)
    restored = FlinkRest(fleet["ip"].url).checkpoints(job["jid"])["latest"]["restored"]
    # restarted from the patched job's own final checkpoint (newer than the pin), in its directory
    assert restored["id"] > entry["checkpoint_id"] and patched_job in restored["external_path"], (restored, entry)
    summary = stop_and_verify(fleet["ip"], fleet["outputs"]["ip"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


@pytest.mark.max_clusters(1)
def test_in_place_restores_a_clusters_jobs_side_by_side(ansible, moto, flink_cluster, submit_test_job, test_job_jar, workdir):
    """Two jobs on one in_place cluster: both are restored from their own pins at the same time (the second job's
    downtime does not include the first one's restore and first checkpoint, which a 2.5 s snapshot delay makes
    long), exactly once each."""
    moto.reset()
    ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
    old_ami, new_ami = localfleet.make_amis(ec2)
    cluster = flink_cluster(name="ip2", rest_cache="3 s")
    names = [JOB, JOB + "-b"]
    outputs = dict((name, os.path.join(workdir, "out-" + name)) for name in names)
    specs = [dict(localfleet.job_spec(test_job_jar, outputs[name], name=name),
                  args=job_args(outputs[name], checkpoint_interval=300, snapshot_delay_ms=2500, name=name)) for name in names]
    host = dict(localfleet.add_cluster(ec2, autoscaling, "ip2", old_ami, cluster), flink_patch_strategy="in_place",
                flink_patch_jobs=specs)
    old_ids = {}
    for name in names:
        old_ids[name] = submit_test_job(cluster, outputs[name], checkpoint_interval=300, snapshot_delay_ms=2500, name=name)
    for name in names:
        wait_checkpoints(cluster, old_ids[name])
    common = localfleet.common_vars(workdir, moto.endpoint_url, sys.executable, new_ami)
    inventory = localfleet.write_inventory(os.path.join(workdir, "inventory.json"), localfleet.inventory({"ip2": host}, common))

    run = ansible.run_playbook(PLAYBOOK, inventory=inventory, env=aws_env(moto.endpoint_url))
    assert run.rc == 0, run.describe()
    result, _dir = report(workdir)
    jobs = result["clusters"]["ip2"]["jobs"]
    assert result["clusters"]["ip2"]["status"] == "patched"
    assert [j["job"] for j in jobs] == names and all(j["verified"] and j["downtime"] for j in jobs), jobs
    rest = FlinkRest(cluster.url)
    started = {}
    for job in jobs:
        assert job["old_job_id"] == old_ids[job["job"]]
        restored = rest.checkpoints(job["new_job_id"])["latest"]["restored"]
        assert restored["id"] == job["pin_id"] and old_ids[job["job"]] in restored["external_path"]
        started[job["job"]] = rest.get("/jobs/%s" % job["new_job_id"])["start-time"] / 1000.0
    # one after another, the second would start > 2.5 s after the first (its restore and first checkpoint)
    assert abs(started[names[1]] - started[names[0]]) < 2.0, started
    for name in names:
        (active,) = active_jobs(cluster, name)
        rest.stop_with_savepoint(active["jid"], "file://" + cluster.savepoint_dir)
        summary = verify_exactly_once(outputs[name])
        assert summary["duplicates"] == 0 and summary["missing"] == 0, (name, summary)


@pytest.mark.slow
def test_a_clean_up_failure_after_the_proof_never_rolls_the_proven_jobs_back(ansible, build_fleet, workdir, moto):
    """Blue/green: every job is restored and proven on the new cluster, then AWS refuses to delete an old group. The
    cluster fails as cleanup_incomplete, with AWS's cause; nothing is rolled back: the job keeps running on the new
    cluster (exactly once), the old cluster runs nothing, the pin stays open (restored) for the clean-up."""
    fleet = build_fleet(bg=True, ip=False)
    with open(fleet["inventory"], encoding="utf-8") as handle:
        inventory = json.load(handle)
    fault = {"DeleteAutoScalingGroup": (1, "AccessDenied", "not allowed to delete groups (injected)")}
    with AwsStub(moto, faults=fault) as stub:
        inventory["all"]["children"]["flink_clusters"]["hosts"]["bg"]["flink_patch_aws_endpoint_url"] = stub.endpoint_url
        path = localfleet.write_inventory(os.path.join(workdir, "inventory-stub.json"), inventory)
        run = ansible.run_playbook(PLAYBOOK, inventory=path, env=fleet["env"])
    assert "DeleteAutoScalingGroup" in stub.actions(), "the fault was not reached: %r" % stub.seen
    assert run.rc != 0
    failure = run.task("Fail the cluster without a rollback (every job is proven on the target AMI)", host="bg")
    assert "nothing was rolled back" in failure["msg"] and "AccessDenied" in failure["msg"], failure
    result, _dir = report(workdir)
    cluster = result["clusters"]["bg"]
    assert cluster["status"] == "cleanup_incomplete" and cluster["rolled_back"] == [], cluster
    assert ledger_entry(workdir, "bg")["status"] == "restored"
    assert not active_jobs(fleet["bg_old"]) and len(active_jobs(fleet["bg_new"])) == 1
    summary = stop_and_verify(fleet["bg_new"], fleet["outputs"]["bg"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary


@pytest.mark.slow
def test_crash_after_the_restore_reruns_to_done_without_a_second_restore(ansible, build_fleet, workdir):
    """The controller dies once the ledger says the job is restored (before the verification and the closing of the
    pin). The re-run proves the running job (no second copy, no new pin, no rollback) and closes the pin."""
    fleet = build_fleet(bg=False, ip=True)
    first = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"],
                                 kill_when=lambda: (ledger_entry(workdir, "ip") or {}).get("status") == "restored")
    assert first.killed == "condition met", first.describe()
    pin = ledger_entry(workdir, "ip")
    (restored_job,) = active_jobs(fleet["ip"])
    second = ansible.run_playbook(PLAYBOOK, inventory=fleet["inventory"], env=fleet["env"])
    assert second.rc == 0, second.describe()
    entry = ledger_entry(workdir, "ip")
    assert entry["status"] == "done" and entry["checkpoint_id"] == pin["checkpoint_id"]
    assert entry["pinned_at"] == pin["pinned_at"]
    assert [j["jid"] for j in active_jobs(fleet["ip"])] == [restored_job["jid"]]
    assert set(running_instances(fleet["ec2"], "ip").values()) == {fleet["new_ami"]}
    summary = stop_and_verify(fleet["ip"], fleet["outputs"]["ip"])
    assert summary["duplicates"] == 0 and summary["missing"] == 0, summary

# -*- coding: utf-8 -*-
"""patch_fleet.yml with bad inventories (clear error, nothing changed) and through ansible-runner (as AWX runs it)."""

import copy
import os
import sys

import pytest

from tests.harness import localfleet
from tests.harness.moto import aws_env
from tests.harness.rest import FlinkRest
from tests.integration.ami_rotation.fleet import running_instances, snapshot
from tests.integration.ami_rotation.aws_stub import AwsStub

pytestmark = pytest.mark.integration

PLAYBOOK = os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "patch_fleet.yml")


@pytest.fixture
def one_cluster(moto, flink_cluster, submit_test_job, test_job_jar, workdir):
    """One in_place cluster running the test job; returns (inventory dict, cluster, aws env, ec2, autoscaling)."""
    moto.reset()
    ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
    old_ami, new_ami = localfleet.make_amis(ec2)
    flink = flink_cluster(name="one", rest_cache="100 ms")
    host = dict(localfleet.add_cluster(ec2, autoscaling, "one", old_ami, flink), flink_patch_strategy="in_place")
    output = os.path.join(workdir, "out")
    host["flink_patch_jobs"] = [localfleet.job_spec(test_job_jar, output)]
    job_id = submit_test_job(flink, output, checkpoint_interval=300, name=localfleet.JOB_NAME)
    FlinkRest(flink.url).wait_checkpoints(job_id, 2, timeout=60)
    common = localfleet.common_vars(workdir, moto.endpoint_url, sys.executable, new_ami)
    return dict(inventory=localfleet.inventory({"one": host}, common), flink=flink, job_id=job_id, moto=moto,
                env=aws_env(moto.endpoint_url), ec2=ec2, autoscaling=autoscaling, new_ami=new_ami, output=output)


def broken(inventory, **changes):
    data = copy.deepcopy(inventory)
    host = data["all"]["children"]["flink_clusters"]["hosts"]["one"]
    for key, value in changes.items():
        if callable(value):
            value(host)
        else:
            host[key] = value
    return data


def _duplicate_job(host):
    host["flink_patch_jobs"] = host["flink_patch_jobs"] * 2


def _job_setting(**setting):
    def change(host):
        host["flink_patch_jobs"] = [dict(host["flink_patch_jobs"][0], **setting)]
    return change


CASES = [
    ("unknown strategy", dict(flink_patch_strategy="rolling"), "rolling"),
    ("missing job jar", dict(jobs=_job_setting(jar="/nonexistent/job.jar")), "/nonexistent/job.jar does not exist"),
    ("duplicate job names", dict(jobs=_duplicate_job), "duplicate job names: fleet-test-job"),
    ("misspelt job key", dict(jobs=_job_setting(paralelism=2)), "job fleet-test-job: unknown key(s) paralelism"),
    # caught by the restore's own argument checks, run read-only before the fence
    ("job parallelism not a number", dict(jobs=_job_setting(parallelism="four")), "unable to convert to int"),
    ("unknown claim mode", dict(jobs=_job_setting(claim_mode="legacy")), "claim_mode must be one of"),
    # the plan of the running job, built from its jar before the fence (check_plan)
    ("wrong entry class", dict(jobs=_job_setting(entry_class="no.such.Main")), "cannot be built from jar"),
    ("job parallelism 0", dict(jobs=_job_setting(parallelism=0)), "parallelism must be >= 1 (got 0)"),
    ("relative new checkpoint dir", dict(flink_patch_new_checkpoint_dir="checkpoints"),
     "checkpoint_dir must be an absolute path or a URI"),
    ("unreachable cluster", dict(flink_patch_rest_url="http://127.0.0.1:9"), "cannot reach Flink REST API"),
    ("no node selector", dict(flink_patch_node_filters={}), "no nodes selected"),
    ("two AMI sources", dict(flink_patch_target_ami_ssm_parameter="/x/y"), "exactly one of target_ami_id"),
    ("unsafe: checkpoint too old", dict(flink_patch_max_checkpoint_age=0.000001), "older than max_checkpoint_age"),
]


@pytest.mark.parametrize("label,changes,message", CASES, ids=[c[0] for c in CASES])
def test_bad_inventory_fails_before_any_change(ansible, one_cluster, label, changes, message):
    before = snapshot(one_cluster["ec2"], one_cluster["autoscaling"])
    rest = FlinkRest(one_cluster["flink"].url)
    jars = rest.get("/jars")["files"]
    run = ansible.run_playbook(PLAYBOOK, inventory=broken(one_cluster["inventory"], **changes), env=one_cluster["env"])
    assert run.rc != 0, label
    assert message in run.stdout + run.stderr, (label, run.describe())
    assert snapshot(one_cluster["ec2"], one_cluster["autoscaling"]) == before, label
    assert rest.get("/jars")["files"] == jars, (label, "a jar was left on the cluster")
    assert FlinkRest(one_cluster["flink"].url).job_status(one_cluster["job_id"]) == "RUNNING", label


def test_a_job_left_out_refuses_the_cluster_and_the_report_says_why(ansible, one_cluster, submit_test_job, workdir):
    """A second job runs on the cluster but is not in flink_patch_jobs: replacing the nodes would kill it without a
    pin, so the cluster is refused before anything changes. The report carries the cause of a failure that came before
    any change (here: the refusal, and a target AMI that does not exist)."""
    flink, job_id = one_cluster["flink"], one_cluster["job_id"]
    side = submit_test_job(flink, os.path.join(workdir, "side"), checkpoint_interval=300, name="side-job")
    before = snapshot(one_cluster["ec2"], one_cluster["autoscaling"])
    reports = os.path.join(workdir, "reports")
    no_ami = ansible.run_playbook(PLAYBOOK, inventory=broken(one_cluster["inventory"], flink_patch_target_ami_id="ami-0123456789abcdef0"),
                                  env=one_cluster["env"])
    assert no_ami.rc != 0 and "ami-0123456789abcdef0" in no_ami.stdout, no_ami.describe()
    cluster = localfleet.newest_report(reports)[0]["clusters"]["one"]
    assert cluster["status"] == "failed" and "ami-0123456789abcdef0" in cluster["error"] and "not found" in cluster["error"], cluster
    run = ansible.run_playbook(PLAYBOOK, inventory=one_cluster["inventory"], env=one_cluster["env"])
    assert run.rc != 0, run.describe()
    message = "side-job: job %s (RUNNING) runs on the cluster but is not in the jobs to patch" % side
    assert message in run.stdout, run.describe()
    cluster = localfleet.newest_report(reports)[0]["clusters"]["one"]
    assert cluster["status"] == "refused" and message in cluster["error"], cluster
    assert any("job side-job [RUNNING] not in the jobs to patch - refused" in line for line in cluster["plan"]), cluster["plan"]
    assert snapshot(one_cluster["ec2"], one_cluster["autoscaling"]) == before
    rest = FlinkRest(flink.url)
    assert rest.job_status(job_id) == "RUNNING" and rest.job_status(side) == "RUNNING"
    assert not os.path.exists(os.path.join(workdir, "ledger", "one", localfleet.JOB_NAME + ".json")), "no pin was taken"


def _groups(autoscaling):
    """``{asg: (instance ids, launch template version)}`` of every ASG."""
    return dict((g["AutoScalingGroupName"], (sorted(i["InstanceId"] for i in g["Instances"]), g["LaunchTemplate"]["Version"]))
                for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"])


def test_blue_green_bring_up_failure_leaves_the_jobs_running_untouched(ansible, one_cluster, workdir):
    """AWS refuses a new ASG: the bring-up removes what it created, the rollback has nothing left to remove (it ran
    into the missing blue/green description before), the cluster fails with AWS's cause, and nothing was fenced:
    the job keeps running and checkpointing under the same id, no pin in the ledger, no new node or ASG left."""
    flink, job_id = one_cluster["flink"], one_cluster["job_id"]
    ec2, autoscaling = one_cluster["ec2"], one_cluster["autoscaling"]
    instances, groups = running_instances(ec2, "one"), _groups(autoscaling)
    assert {version for _members, version in groups.values()} == {"$Latest"}
    rest = FlinkRest(flink.url)
    checkpoints = rest.get("/jobs/%s/checkpoints" % job_id)["counts"]["completed"]
    fault = {"CreateAutoScalingGroup": (1, "LimitExceeded", "You have reached the limit of auto scaling groups (injected)")}
    with AwsStub(one_cluster["moto"], faults=fault) as stub:
        inventory = broken(one_cluster["inventory"], flink_patch_strategy="blue_green",
                           flink_patch_aws_endpoint_url=stub.endpoint_url)
        run = ansible.run_playbook(PLAYBOOK, inventory=inventory, env=one_cluster["env"])
    assert "CreateAutoScalingGroup" in stub.actions(), "the fault was not reached: %r" % stub.seen
    assert run.rc != 0
    failure = run.task("Fail the cluster", host="one")
    assert "patch of cluster one failed" in failure["msg"] and "LimitExceeded" in failure["msg"], failure
    assert "no job had been fenced, every job runs as before" in failure["msg"], failure
    data = localfleet.newest_report(os.path.join(workdir, "reports"))[0]
    cluster = data["clusters"]["one"]
    assert cluster["status"] == "rolled_back" and cluster["rolled_back"] == [], cluster
    assert "LimitExceeded" in cluster["error"] and "bring-up failed" in cluster["error"], cluster
    assert not os.path.exists(os.path.join(workdir, "ledger", "one", localfleet.JOB_NAME + ".json")), "no pin was taken"
    assert rest.job_status(job_id) == "RUNNING"
    rest.wait_checkpoints(job_id, checkpoints + 2, timeout=30)
    assert running_instances(ec2, "one") == instances
    # the same groups with the same members; each old group launched from $Latest, which is now the new AMI's
    # version (left by the bring-up): it is held on the version it launched from
    assert _groups(autoscaling) == dict((name, (members, "1")) for name, (members, _version) in groups.items())


@pytest.mark.slow
def test_patch_through_ansible_runner_produces_artifacts(ansible, one_cluster, workdir):
    inventory = localfleet.write_inventory(os.path.join(workdir, "inventory.json"), one_cluster["inventory"])
    run = ansible.run_runner(PLAYBOOK, inventory=inventory, env=one_cluster["env"])
    assert run.status == "successful" and run.rc == 0, run
    # AWX reads set_stats data from the playbook_on_stats event (ansible-runner's artifact_data)
    (stats_event,) = [e for e in run.events if e.get("event") == "playbook_on_stats"]
    stats = stats_event["event_data"]["artifact_data"]
    result = stats["flink_patch_results"]["one"]
    assert result["status"] == "patched", result
    assert result["jobs"][0]["verified"] and result["jobs"][0]["pin_id"]
    assert os.path.exists(stats["flink_patch_report"])
    assert os.path.isdir(run.artifacts_dir)

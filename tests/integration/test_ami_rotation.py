# -*- coding: utf-8 -*-
"""flinkops.fleet.ami_rotation through real ``ansible-playbook`` runs against ``moto_server`` on 127.0.0.1.

``replace`` and ``blue_green`` run for real against moto. moto does NOT implement the ASG instance refresh API
(Start/Describe/CancelInstanceRefresh answer HTTP 500), so the ``instance_refresh`` strategy runs through
:mod:`tests.integration.ami_rotation.aws_stub`: a loopback proxy that forwards everything to moto and answers
the three refresh actions with recorded-shape AWS XML and scripted statuses; the same proxy injects AWS errors
(moto never runs out of capacity or quota) to drive the blue/green bring-up's rescue. See
:mod:`tests.integration.ami_rotation.fleet` for the moto behaviours the fixtures rely on (verified empirically).
Node addresses are mapped to loopback endpoints; the 10.x/172.31.x addresses moto invents are never contacted.
"""

import os

import pytest

from tests.harness.moto import aws_env
from tests.integration.ami_rotation import fleet
from tests.integration.ami_rotation.aws_stub import AwsStub

pytestmark = pytest.mark.integration

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ami_rotation", "rotate.yml")
CLUSTER = "prod-a"


@pytest.fixture
def aws(moto):
    """A clean moto with an old and a new x86_64 AMI and cluster prod-a (1 jobmanager, 2 taskmanagers) on the old one."""
    moto.reset()
    ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
    old = fleet.make_ami(ec2, "flink-node-2024.01")
    new = fleet.make_ami(ec2, "flink-node-2024.02")
    cluster = fleet.make_cluster(ec2, autoscaling, CLUSTER, old)
    return {"moto": moto, "ec2": ec2, "asg": autoscaling, "old": old, "new": new, "cluster": cluster}


def run(ansible, aws, check=False, endpoint=None, **extra):
    """Run rotate.yml with the connection vars, fast polling and loopback addresses for the current nodes."""
    current = sorted(fleet.running_instances(aws["ec2"], CLUSTER))
    extra_vars = {
        "ami_rotation_aws_endpoint_url": endpoint or aws["moto"].endpoint_url,
        "ami_rotation_aws_region": "us-east-1",
        "ami_rotation_asg_names": aws["cluster"]["asgs"],
        "ami_rotation_target_ami_id": aws["new"],
        "ami_rotation_address_map": dict((iid, "127.0.0.1:%d" % (18000 + n)) for n, iid in enumerate(current)),
        "ami_rotation_address_pool": ["127.0.0.1:%d" % (19000 + n) for n in range(8)],
        "ami_rotation_wait_delay": 0,
        "ami_rotation_wait_retries": 10,
        "ami_rotation_wait_timeout": 30,
    }
    extra_vars.update(extra)
    return ansible.run_playbook(PLAYBOOK, extra_vars=extra_vars, check=check, env=aws_env())


def changed_tasks(result):
    return [t["task"]["name"] for t in result.tasks for res in t["hosts"].values() if res.get("changed")]


def all_on(aws, ami):
    instances = fleet.running_instances(aws["ec2"], CLUSTER)
    return bool(instances) and set(instances.values()) == {ami}


def test_replace_check_mode_then_rotate_then_idempotent(ansible, aws):
    before = fleet.snapshot(aws["ec2"], aws["asg"])

    plan = run(ansible, aws, check=True)
    assert not plan.failed, plan.describe()
    result = plan.task("Report ami_rotation_result")["ami_rotation_result"]
    assert [(p["current_ami"], p["target_ami"], p["action"]) for p in result["plan"]] == [(aws["old"], aws["new"], "replace")] * 3
    assert all(p["address"].startswith("127.0.0.1:") for p in result["plan"])
    assert result["changed"] is False and result["check_mode"] is True
    assert changed_tasks(plan) == []
    assert fleet.snapshot(aws["ec2"], aws["asg"]) == before, "check mode changed something"

    rotated = run(ansible, aws, ami_rotation_batch_size=2)
    assert not rotated.failed, rotated.describe()
    result = rotated.task("Report ami_rotation_result")["ami_rotation_result"]
    assert result["changed"] is True
    assert {n["ami"] for n in result["nodes_before"]} == {aws["old"]}
    assert {n["ami"] for n in result["nodes_after"]} == {aws["new"]} and len(result["nodes_after"]) == 3
    assert all_on(aws, aws["new"])
    groups = aws["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=aws["cluster"]["asgs"])["AutoScalingGroups"]
    assert sorted(g["DesiredCapacity"] for g in groups) == [1, 2], "capacity was decremented"
    template = aws["ec2"].describe_launch_templates(LaunchTemplateIds=[aws["cluster"]["template_id"]])["LaunchTemplates"][0]
    assert (template["DefaultVersionNumber"], template["LatestVersionNumber"]) == (1, 2), "old versions kept, default unchanged"

    after = fleet.snapshot(aws["ec2"], aws["asg"])
    again = run(ansible, aws)
    assert not again.failed, again.describe()
    result = again.task("Report ami_rotation_result")["ami_rotation_result"]
    assert result["changed"] is False and {p["action"] for p in result["plan"]} == {"skip"}
    assert changed_tasks(again) == []
    assert fleet.snapshot(aws["ec2"], aws["asg"]) == after


def test_replace_points_version_pinned_asgs_at_the_new_version(ansible, aws):
    """ASGs pinned to a launch template version number (as Terraform's ``latest_version`` writes them) are pointed at
    the new version: they run the target AMI and launch it from then on."""
    asgs = aws["cluster"]["asgs"]
    for name in asgs:
        aws["asg"].update_auto_scaling_group(AutoScalingGroupName=name, LaunchTemplate={
            "LaunchTemplateId": aws["cluster"]["template_id"], "Version": "1"})
    result = run(ansible, aws)
    assert not result.failed, result.describe()
    assert all_on(aws, aws["new"])
    groups = aws["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=asgs)["AutoScalingGroups"]
    assert {g["AutoScalingGroupName"]: g["LaunchTemplate"]["Version"] for g in groups} == dict((name, "2") for name in asgs)
    assert fleet.replacement_ami(aws["ec2"], aws["asg"], asgs[0]) == aws["new"]


def test_plan_target_from_filters_and_ssm(ansible, aws):
    newest = fleet.make_newest_ami(aws["ec2"], "flink-node-2024.03")
    by_filter = run(ansible, aws, entry="plan", ami_rotation_target_ami_id="",
                    ami_rotation_target_ami_filters={"name": "flink-node-*"}, ami_rotation_target_ami_owners=["self"])
    assert not by_filter.failed, by_filter.describe()
    assert by_filter.task("Report ami_rotation_result")["ami_rotation_result"]["target_ami"] == newest

    aws["moto"].client("ssm").put_parameter(Name="/flinkops/test/flink-node-ami", Value=aws["new"], Type="String")
    by_ssm = run(ansible, aws, entry="plan", ami_rotation_target_ami_id="",
                 ami_rotation_target_ami_ssm_parameter="/flinkops/test/flink-node-ami",
                 ami_rotation_node_filters={"tag:flink:cluster": CLUSTER, "tag:flink:role": "taskmanager"}, ami_rotation_asg_names=[])
    assert not by_ssm.failed, by_ssm.describe()
    result = by_ssm.task("Report ami_rotation_result")["ami_rotation_result"]
    assert result["target_ami"] == aws["new"]
    assert [n["role"] for n in result["nodes_before"]] == ["taskmanager", "taskmanager"]
    assert changed_tasks(by_filter) + changed_tasks(by_ssm) == []


def test_filters_matching_two_amis_of_the_newest_second_fail_before_any_change(ansible, aws):
    """AWS dates images to the second: two matches created in the newest second leave no newest one. The plan names
    both instead of picking one by chance; the nodes stay on their AMI."""
    tied = fleet.make_tied_amis(aws["ec2"], ["flink-node-2024.04-x", "flink-node-2024.04-y"])
    before = fleet.snapshot(aws["ec2"], aws["asg"])
    result = run(ansible, aws, ami_rotation_target_ami_id="",
                 ami_rotation_target_ami_filters={"name": "flink-node-*"}, ami_rotation_target_ami_owners=["self"])
    assert result.failed
    failure = result.task("Fail before any change when the rotation cannot be done")
    assert "is not the only newest match" in failure["msg"] and "ami_rotation_target_ami_id" in failure["msg"], failure
    assert all(image in failure["msg"] for image in tied), failure
    assert changed_tasks(result) == []
    assert fleet.snapshot(aws["ec2"], aws["asg"]) == before


@pytest.mark.parametrize("max_age", [60, 0])
def test_rotation_uses_the_planned_ami_all_nodes_in_one_batch_and_resolves_a_new_source_afresh(ansible, aws, max_age):
    """plan.yml then main.yml in one play rotate to the AMI the plan resolved (the SSM parameter moved meanwhile), with
    ami_rotation_batch_size 0 in one batch (one wait) and without describing the AMI again; a later entry point with
    another target source (a rollback's explicit old AMI) resolves it afresh."""
    newest = fleet.make_ami(aws["ec2"], "flink-node-2024.03")
    parameter = "/flinkops/test/flink-node-ami"
    aws["moto"].client("ssm").put_parameter(Name=parameter, Value=aws["new"], Type="String")
    playbook = os.path.join(os.path.dirname(PLAYBOOK), "plan_then_rotate.yml")
    extra = plan_then_rotate_vars(aws, ssm_parameter=parameter, moved_to=newest, back_to=aws["old"], batch=0,
                                  ami_rotation_plan_max_age=max_age)
    result = ansible.run_playbook(playbook, extra_vars=extra, env=aws_env())
    assert not result.failed, result.describe()
    report = result.task("Report")["msg"]
    assert report["planned"]["target_ami"] == aws["new"]
    assert report["rotated"]["target_ami"] == aws["new"], "the rotation did not use the planned AMI"
    assert {n["ami"] for n in report["rotated"]["nodes_after"]} == {aws["new"]} and len(report["rotated"]["nodes_after"]) == 3
    assert report["back"]["target_ami"] == aws["old"], "the rotation back took the AMI of the earlier plan"
    assert all_on(aws, aws["old"])

    def runs(name):
        return [res for t in result.tasks if t["task"]["name"].endswith(" : " + name) for res in t["hosts"].values() if not res.get("skipped")]
    # plan + rotate back describe the AMI, the nodes and the groups; the rotation right after the plan takes the whole
    # plan while it is younger than ami_rotation_plan_max_age (the AMI always: the planned AMI is the target)
    fresh = 1 if max_age == 0 else 0
    assert len(runs("Validate the inputs")) == 2 + fresh
    assert len(runs("Describe the target AMI")) == 2
    assert len(runs("Describe the auto scaling groups")) == 2 + fresh
    # nodes: plan, rotate back (a new target), and after each rotation
    assert len(runs("Describe the nodes")) == 4 + fresh
    # one batch per rotation: 3 nodes in 2 ASGs, one wait each
    assert len(runs("Wait for InService replacements")) == 2
    assert len(runs("Terminate the batch inside its ASG without decrementing the desired capacity")) == 2


def plan_then_rotate_vars(aws, **extra):
    """The extra vars of plan_then_rotate.yml for cluster prod-a (loopback addresses, fast polling) plus ``extra``."""
    current = sorted(fleet.running_instances(aws["ec2"], CLUSTER))
    extra.update({
        "ami_rotation_aws_endpoint_url": aws["moto"].endpoint_url, "ami_rotation_aws_region": "us-east-1",
        "ami_rotation_asg_names": aws["cluster"]["asgs"],
        "ami_rotation_address_map": dict((iid, "127.0.0.1:%d" % (18000 + n)) for n, iid in enumerate(current)),
        "ami_rotation_address_pool": ["127.0.0.1:%d" % (19000 + n) for n in range(16)],
        "ami_rotation_wait_delay": 0, "ami_rotation_wait_retries": 10, "ami_rotation_wait_timeout": 30})
    return extra


def test_rotation_with_other_inputs_than_the_plan_plans_again(ansible, aws):
    """A rotation whose inputs differ from the fresh plan's (here a batch size the plan never checked) does not take
    that plan: it plans and validates again, and refuses the bad input before any change."""
    parameter = "/flinkops/test/flink-node-ami"
    aws["moto"].client("ssm").put_parameter(Name=parameter, Value=aws["new"], Type="String")
    before = fleet.running_instances(aws["ec2"], CLUSTER)
    extra = plan_then_rotate_vars(aws, ssm_parameter=parameter, moved_to=aws["new"], back_to=aws["old"], batch=0,
                                  rotate_batch=-1, ami_rotation_plan_max_age=600)
    result = ansible.run_playbook(os.path.join(os.path.dirname(PLAYBOOK), "plan_then_rotate.yml"), extra_vars=extra, env=aws_env())
    assert result.failed
    assert "ami_rotation_batch_size >= 0" in result.describe()
    assert fleet.running_instances(aws["ec2"], CLUSTER) == before
    assert [name for name in changed_tasks(result) if "ami_rotation" in name] == []


def test_blue_green_up_rerun_then_remove_old(ansible, aws):
    old_ids = sorted(fleet.running_instances(aws["ec2"], CLUSTER))
    up = run(ansible, aws, entry="blue_green_up", ami_rotation_blue_green_tags={"flink:generation": "green"})
    assert not up.failed, up.describe()
    green = up.task("Report ami_rotation_blue_green")["ami_rotation_blue_green"]
    assert sorted(green["old_instance_ids"]) == old_ids
    assert len(green["new_nodes"]) == 3 and {n["ami"] for n in green["new_nodes"]} == {aws["new"]}
    assert sorted(n["address"] for n in green["new_nodes"]) == ["127.0.0.1:19000", "127.0.0.1:19001", "127.0.0.1:19002"]
    assert sorted(green["new_asgs"]) == sorted("%s-%s" % (name, aws["new"]) for name in aws["cluster"]["asgs"])
    # the old nodes are untouched; the old ASGs launched from $Latest, which is now the new AMI's version: they are
    # held on the version they launched from, so a replacement on the old side still gets the old AMI
    assert set(fleet.instance_amis(aws["ec2"], old_ids).values()) == {aws["old"]}
    assert all(fleet.asg_instances(aws["asg"], name) for name in aws["cluster"]["asgs"])
    assert green["held_asgs"] == dict((name, 1) for name in aws["cluster"]["asgs"]), green
    assert fleet.replacement_ami(aws["ec2"], aws["asg"], aws["cluster"]["asgs"][1]) == aws["old"]

    snap = fleet.snapshot(aws["ec2"], aws["asg"])
    again = run(ansible, aws, entry="blue_green_up", ami_rotation_blue_green_tags={"flink:generation": "green"},
                ami_rotation_address_map={})
    assert not again.failed, again.describe()
    assert fleet.snapshot(aws["ec2"], aws["asg"]) == snap, "second bring-up changed something"
    assert again.task("Report ami_rotation_blue_green")["ami_rotation_blue_green"]["held_asgs"] == {}

    removed = run(ansible, aws, entry="blue_green_up", then="blue_green_remove_old",
                  ami_rotation_blue_green_tags={"flink:generation": "green"})
    assert not removed.failed, removed.describe()
    assert not any(fleet.asg_instances(aws["asg"], name) for name in aws["cluster"]["asgs"])
    assert not aws["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=aws["cluster"]["asgs"])["AutoScalingGroups"]
    assert all_on(aws, aws["new"]) and len(fleet.running_instances(aws["ec2"], CLUSTER)) == 3


def test_blue_green_rollback_removes_only_the_new_nodes(ansible, aws):
    standalone = _standalone_nodes(aws, 1)[0]["InstanceId"]
    old = fleet.running_instances(aws["ec2"], CLUSTER)
    result = run(ansible, aws, entry="blue_green_up", then="blue_green_remove_new", ami_rotation_asg_names=[],
                 ami_rotation_node_filters={"tag:flink:cluster": CLUSTER})
    assert not result.failed, result.describe()
    green = result.task("Report ami_rotation_blue_green")["ami_rotation_blue_green"]
    assert len(green["new_nodes"]) == 4
    assert [n for n in green["new_nodes"] if not n["asg"]][0]["ami"] == aws["new"]
    assert standalone in green["old_instance_ids"]
    assert fleet.running_instances(aws["ec2"], CLUSTER) == old, "rollback must leave exactly the old nodes"
    assert not aws["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=green["new_asgs"])["AutoScalingGroups"]


def _standalone_nodes(aws, count):
    """``count`` jobmanagers of the cluster outside any ASG (blue/green launches a tagged twin for each)."""
    return aws["ec2"].run_instances(
        ImageId=aws["old"], MinCount=count, MaxCount=count, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "flink:cluster", "Value": CLUSTER},
                                                                 {"Key": "flink:role", "Value": "jobmanager"}]}])["Instances"]


# (not InsufficientInstanceCapacity: amazon.aws retries that one, and the retry would succeed)
@pytest.mark.parametrize("action,nth,code,label", [
    ("RunInstances", 2, "InstanceLimitExceeded", "standalone"),
    ("CreateAutoScalingGroup", 2, "LimitExceeded", "%s-taskmanager" % CLUSTER),
], ids=["second_standalone_twin", "second_asg"])
def test_blue_green_bring_up_failure_removes_what_it_created_and_a_rerun_recovers(ansible, aws, action, nth, code, label):
    """AWS fails the bring-up half-way (after a new ASG and, for the standalone case, both new ASGs and a first
    twin are up): the rescue removes exactly what this run created, the old nodes stay, the error names the failed
    item and its cause, and a re-run brings the new nodes up."""
    standalone = sorted(i["InstanceId"] for i in _standalone_nodes(aws, 2))
    old = fleet.running_instances(aws["ec2"], CLUSTER)
    old_members = {name: fleet.asg_instances(aws["asg"], name) for name in aws["cluster"]["asgs"]}
    new_asgs = ["%s-%s" % (name, aws["new"]) for name in aws["cluster"]["asgs"]]
    fault = {action: (nth, code, "You have reached a limit of this account (injected)")}
    with AwsStub(aws["moto"], faults=fault) as stub:
        result = run(ansible, aws, endpoint=stub.endpoint_url, entry="blue_green_up",
                     ami_rotation_asg_names=[], ami_rotation_node_filters={"tag:flink:cluster": CLUSTER})
    assert action in stub.actions(), "the fault was not reached: %r" % stub.seen
    assert result.failed
    failure = result.task("Fail after the cleanup of the new nodes")
    assert "bring-up failed and the new nodes were removed (old nodes untouched)" in failure["msg"], failure
    assert code in failure["msg"], failure
    named = standalone[nth - 1] if label == "standalone" else label
    assert named in failure["msg"], failure
    assert fleet.running_instances(aws["ec2"], CLUSTER) == old, "the rescue must leave exactly the old nodes"
    assert {name: fleet.asg_instances(aws["asg"], name) for name in aws["cluster"]["asgs"]} == old_members
    assert not aws["asg"].describe_auto_scaling_groups(AutoScalingGroupNames=new_asgs)["AutoScalingGroups"]
    # the new launch template version stays (it is $Latest now), and the old side still launches the old AMI
    assert fleet.replacement_ami(aws["ec2"], aws["asg"], aws["cluster"]["asgs"][0]) == aws["old"]
    if label != "standalone":
        return  # one re-run is enough to show the recovery

    again = run(ansible, aws, entry="blue_green_up", ami_rotation_asg_names=[],
                ami_rotation_node_filters={"tag:flink:cluster": CLUSTER}, ami_rotation_address_map={})
    assert not again.failed, again.describe()
    green = again.task("Report ami_rotation_blue_green")["ami_rotation_blue_green"]
    assert len(green["new_nodes"]) == 5 and {n["ami"] for n in green["new_nodes"]} == {aws["new"]}
    assert sorted(green["new_asgs"]) == sorted(new_asgs)
    assert set(fleet.instance_amis(aws["ec2"], list(old)).values()) == {aws["old"]}


def _disable(aws):
    aws["ec2"].disable_image(ImageId=aws["new"])
    return {}


def _arm(aws):
    return {"ami_rotation_target_ami_id": fleet.make_ami(aws["ec2"], "flink-node-arm", arch="arm64")}


BAD_INPUT = {
    "unknown_asg": (lambda aws: {"ami_rotation_asg_names": ["no-such-asg"]}, "auto scaling group no-such-asg not found"),
    "ami_not_found": (lambda aws: {"ami_rotation_target_ami_id": "ami-0123456789abcdef0"}, "not found"),
    "ami_not_available": (_disable, "is not available (state: disabled)"),
    "wrong_architecture": (_arm, "has architecture arm64 but the nodes are x86_64"),
    "empty_node_set": (lambda aws: {"ami_rotation_asg_names": [], "ami_rotation_node_filters": {"tag:flink:cluster": "nope"}},
                       "no nodes found"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_fails_before_any_change(ansible, aws, case):
    make_vars, message = BAD_INPUT[case]
    extra = make_vars(aws)
    before = fleet.snapshot(aws["ec2"], aws["asg"])
    result = run(ansible, aws, **extra)
    assert result.failed
    failure = result.task("Fail before any change when the rotation cannot be done")
    assert failure.get("failed") and message in failure["msg"], failure
    assert changed_tasks(result) == []
    assert fleet.snapshot(aws["ec2"], aws["asg"]) == before


def test_instance_refresh_success_stubbed(ansible, aws):
    """Stubbed refresh API (moto lacks it); the stub replaces the instances in moto when it reports Successful."""
    with AwsStub(aws["moto"], ["Pending", "InProgress", "Successful"]) as stub:
        result = run(ansible, aws, endpoint=stub.endpoint_url, ami_rotation_strategy="instance_refresh",
                     ami_rotation_refresh_min_healthy_percentage=50, ami_rotation_refresh_instance_warmup=0)
    assert not result.failed, result.describe()
    assert stub.actions().count("StartInstanceRefresh") == 2 and "CancelInstanceRefresh" not in stub.actions()
    start = [p for a, p in stub.calls if a == "StartInstanceRefresh"][0]
    assert start["Preferences.MinHealthyPercentage"] == "50" and start["Preferences.SkipMatching"] == "true"
    assert all_on(aws, aws["new"])
    assert result.task("Report ami_rotation_result")["ami_rotation_result"]["changed"] is True


@pytest.mark.parametrize("script,cancelled,message", [
    (["InProgress", "Failed"], False, "status Failed (instance failed health checks)"),
    (["InProgress"], True, "timed out"),
], ids=["failed", "timeout"])
def test_instance_refresh_failure_is_reported_stubbed(ansible, aws, script, cancelled, message):
    with AwsStub(aws["moto"], script, reason="instance failed health checks") as stub:
        result = run(ansible, aws, endpoint=stub.endpoint_url, ami_rotation_strategy="instance_refresh",
                     ami_rotation_asg_names=[aws["cluster"]["asgs"][0]], ami_rotation_wait_retries=3)
    assert result.failed
    failure = result.task("Fail unless the instance refresh succeeded for %s" % aws["cluster"]["asgs"][0])
    assert message in failure["msg"], failure
    assert ("CancelInstanceRefresh" in stub.actions()) is cancelled

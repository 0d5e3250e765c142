# -*- coding: utf-8 -*-
"""Unit tests of plugins/filter/ami_rotation.py: the decisions of the ami_rotation role without AWS.

The instance refresh classification is tested here on recorded ``autoscaling_instance_refresh_info`` shapes
(moto does not implement instance refresh); the integration tests run it through a stub of that API.
"""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.flinkops.fleet.plugins.filter import ami_rotation as f


def inst(iid, ami="ami-old", asg="g1", role="taskmanager", arch="x86_64", ip="10.0.0.1", **tags):
    all_tags = {"flink:role": role, "flink:cluster": "c"}
    if asg:
        all_tags["aws:autoscaling:groupName"] = asg
    all_tags.update(tags)
    return {"instance_id": iid, "image_id": ami, "architecture": arch, "private_ip_address": ip,
            "private_dns_name": "ip-%s.ec2.internal" % ip.replace(".", "-"), "state": {"name": "running"},
            "tags": all_tags, "security_groups": [{"group_id": "sg-1"}], "instance_type": "t3.micro"}


def test_nodes_address_precedence():
    instances = [inst("i-3", role="jobmanager", ip="10.0.0.3"), inst("i-1", ip="10.0.0.1", addr="127.0.0.1:9"),
                 inst("i-2", ip="10.0.0.2"), inst("i-4", ip="10.0.0.4")]
    nodes = f.nodes(instances, address_map={"i-2": "127.0.0.1:2"}, address_tag="addr",
                    address_pool={"jobmanager": ["127.0.0.1:8081"]})
    assert [(n["id"], n["address"]) for n in nodes] == [
        ("i-1", "127.0.0.1:9"), ("i-2", "127.0.0.1:2"), ("i-3", "127.0.0.1:8081"), ("i-4", "10.0.0.4")]
    assert nodes[0]["tags"] == {"flink:role": "taskmanager", "flink:cluster": "c", "addr": "127.0.0.1:9"}
    assert nodes[0]["security_group_ids"] == ["sg-1"]
    assert f.nodes([inst("i-1")], address_attribute="private_dns_name")[0]["address"] == "ip-10-0-0-1.ec2.internal"
    assert [n["address"] for n in f.nodes([inst("i-1"), inst("i-2")], address_pool=["a", "b"])] == ["a", "b"]
    with pytest.raises(AnsibleFilterError):
        f.nodes([], address_attribute="bogus")


def test_target_errors():
    nodes = f.nodes([inst("i-1")])
    ok = {"image_id": "ami-new", "state": "available", "architecture": "x86_64"}
    assert f.target_errors([ok], "ami-new", nodes) == []
    assert "not found" in f.target_errors([], "ami-new", nodes)[0]
    assert "not found" in f.target_errors([], "", nodes, source="SSM parameter /x")[0]
    assert "not available (state: pending)" in f.target_errors([dict(ok, state="pending")], "ami-new", nodes)[0]
    assert "architecture arm64 but the nodes are x86_64" in f.target_errors([dict(ok, architecture="arm64")], "ami-new", nodes)[0]


def test_newest_image():
    images = [{"image_id": "ami-a", "creation_date": "2024-01-01T00:00:00.000Z"},
              {"image_id": "ami-b", "creation_date": "2024-03-01T00:00:00.000Z"},
              {"image_id": "ami-c", "creation_date": "2024-02-01T00:00:00.000Z"}]
    assert f.newest_image(images) == "ami-b"
    assert f.newest_image([]) == ""


def test_plan_and_plan_errors():
    nodes = f.nodes([inst("i-1", ami="ami-new"), inst("i-2"), inst("i-3", asg="")])
    plan = f.plan(nodes, "ami-new", "replace")
    assert [(p["id"], p["action"]) for p in plan] == [("i-3", "replace"), ("i-1", "skip"), ("i-2", "replace")]
    assert "not in one: i-3" in f.plan_errors(plan, "replace")[0]
    assert f.plan_errors(f.plan(nodes, "ami-new", "blue_green"), "blue_green") == []
    assert "no nodes found" in f.plan_errors([], "replace", ["g1"])[0]
    assert f.plan_line(plan[2]) == "i-2 (g1/taskmanager @ 10.0.0.1): ami-old -> ami-new: replace"
    with pytest.raises(AnsibleFilterError):
        f.plan(nodes, "ami-new", "yolo")


def _template(default=1, latest=2, images=("ami-old", "ami-new")):
    return {"launch_template_id": "lt-1", "launch_template_name": "t", "default_version_number": default,
            "latest_version_number": latest,
            "versions": [{"version_number": n + 1, "launch_template_data": {"image_id": img}} for n, img in enumerate(images)]}


@pytest.mark.parametrize("spec,set_default,template,needs,update", [
    ("$Latest", False, _template(images=("ami-old",), latest=1), True, False),
    ("$Default", False, _template(images=("ami-old",), latest=1), True, True),
    ("$Default", True, _template(images=("ami-old",), latest=1), True, False),
    ("1", False, _template(images=("ami-old",), latest=1), True, True),
    ("$Latest", False, _template(), False, False),  # a previous run already created the version
    ("2", False, _template(), False, False),
])
def test_template_plan(spec, set_default, template, needs, update):
    groups = [{"auto_scaling_group_name": "g1", "launch_template": {"launch_template_id": "lt-1", "version": spec}},
              {"auto_scaling_group_name": "g2", "launch_template": {"launch_template_id": "lt-1", "version": spec}}]
    entries = f.template_plan(groups, [template], "ami-new", set_default, ["g1", "g2"])
    assert [(e["needs_version"], e["update_asg"]) for e in entries] == [(needs, update)] * 2
    todo = f.templates_to_version(entries)
    assert len(todo) == (1 if needs else 0)  # one version per template even when shared by two ASGs


def test_template_plan_rejects_launch_configurations():
    with pytest.raises(AnsibleFilterError, match="no launch template"):
        f.template_plan([{"auto_scaling_group_name": "g1", "launch_config_name": "lc"}], [], "ami-new")


def test_replacements_ready():
    before = ["i-1", "i-2"]
    instances = [{"instance_id": "i-2", "auto_scaling_group_name": "g1", "lifecycle_state": "InService"},
                 {"instance_id": "i-9", "auto_scaling_group_name": "g1", "lifecycle_state": "Pending"}]
    assert not f.replacements_ready(instances, before, {"g1": 1})
    instances[1]["lifecycle_state"] = "InService"
    assert f.replacements_ready(instances, before, {"g1": 1})
    assert not f.replacements_ready(instances, before, {"g1": 1, "g2": 1})


# Recorded shape of autoscaling_instance_refresh_info (snake_case of DescribeInstanceRefreshes).
RECORDED = {"instance_refresh_id": "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b", "auto_scaling_group_name": "g1",
            "status": "InProgress", "status_reason": "Waiting for instances to warm up", "percentage_complete": 50,
            "instances_to_update": 1, "preferences": {"min_healthy_percentage": 90, "skip_matching": True}}


@pytest.mark.parametrize("status,state", [
    ("Pending", "running"), ("InProgress", "running"), ("Baking", "running"), ("Cancelling", "running"),
    ("Successful", "successful"), ("Failed", "failed"), ("Cancelled", "failed"), ("RollbackSuccessful", "failed"),
])
def test_refresh_state(status, state):
    assert f.refresh_state([dict(RECORDED, status=status)], RECORDED["instance_refresh_id"]) == state
    assert f.refresh_state(dict(RECORDED, status=status)) == state


def test_refresh_state_unknown_id():
    assert f.refresh_state([RECORDED], "other") == "unknown"
    assert f.refresh_state([], None) == "unknown"


def test_blue_green_name_and_tags():
    assert f.blue_green_name("prod-a-tm", "ami-1") == "prod-a-tm-ami-1"
    assert f.blue_green_name("prod-a-tm-ami-0ab", "ami-1") == "prod-a-tm-ami-1"
    assert f.blue_green_name("prod-a-tm", "ami-1", {"prod-a-tm": "green-tm"}) == "green-tm"
    tags = [{"key": "flink:cluster", "value": "c", "propagate_at_launch": True},
            {"key": "aws:cloudformation:stack-name", "value": "s", "propagate_at_launch": True}]
    assert f.asg_tags(tags, {"flink:cluster": "c-green"}, {"m": "x"}) == [
        {"flink:cluster": "c-green", "propagate_at_launch": True}, {"m": "x", "propagate_at_launch": True}]


def test_short_groups():
    groups = [{"auto_scaling_group_name": "a", "desired_capacity": 2,
               "instances": [{"lifecycle_state": "InService"}, {"lifecycle_state": "Pending"}]},
              {"auto_scaling_group_name": "b", "desired_capacity": 1, "instances": [{"lifecycle_state": "InService"}]}]
    assert f.short_groups(groups) == ["a"]


def test_wrong_ami_takes_instances_or_nodes_and_reports_missing_ids():
    instances = [{"instance_id": "i-1", "image_id": "ami-new"}, {"instance_id": "i-2", "image_id": "ami-old"}]
    assert f.wrong_ami(instances, "ami-new") == ["i-2 (runs ami-old)"]
    nodes = [{"id": "i-1", "ami": "ami-new"}, {"id": "i-2", "ami": "ami-old"}, {"id": "i-3", "ami": "ami-old"}]
    assert f.wrong_ami(nodes, "ami-new", ["i-1", "i-3", "i-9"]) == ["i-3 (runs ami-old)", "i-9 (not found)"]
    assert f.wrong_ami(nodes, "ami-new", []) == []

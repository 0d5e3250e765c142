# -*- coding: utf-8 -*-
"""The flink_fleet inventory plugin through the real ansible-inventory, against EC2 in moto."""

import json
import os
import subprocess

import pytest

from tests.harness.ansible import ansible_env, ensure_collection_link
from tests.harness.moto import aws_env
from tests.harness.paths import VENV_BIN
from tests.integration.ami_rotation.fleet import make_ami, make_cluster

pytestmark = pytest.mark.integration


def plain(value):
    """ansible-inventory --list marks plugin-provided values (data from AWS) unsafe: compare the plain values."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def test_clusters_from_ec2_tags(moto, workdir):
    moto.reset()
    ensure_collection_link()
    ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
    ami = make_ami(ec2, "flink-node-2026.10")
    make_cluster(ec2, autoscaling, "orders", ami, sizes={"jobmanager": 1, "taskmanager": 2})
    made = make_cluster(ec2, autoscaling, "payments", ami, sizes={"jobmanager": 1, "taskmanager": 1})
    for asg in made["asgs"]:
        autoscaling.create_or_update_tags(Tags=[dict(ResourceId=asg, ResourceType="auto-scaling-group", Key="flink:patch-strategy",
                                                     Value="in_place", PropagateAtLaunch=True)])
    payments_ids = [i["InstanceId"] for r in ec2.describe_instances(Filters=[dict(Name="tag:flink:cluster", Values=["payments"])])[
        "Reservations"] for i in r["Instances"]]
    ec2.create_tags(Resources=payments_ids, Tags=[dict(Key="flink:patch-strategy", Value="in_place")])
    ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1)  # untagged: not a Flink node
    config = os.path.join(workdir, "fleet.flink_fleet.yml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write("plugin: flinkops.fleet.flink_fleet\nregions: [us-east-1]\nendpoint_url: %s\n"
                     "keyed_groups:\n  - key: flink_patch_strategy | default('unset')\n    prefix: strategy\n" % moto.endpoint_url)
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-inventory"), "-i", config, "--list"], capture_output=True, text=True,
                          env=ansible_env(aws_env(moto.endpoint_url), callback=None), check=False)
    assert proc.returncode == 0, proc.stderr
    data = plain(json.loads(proc.stdout))
    assert sorted(data["flink_clusters"]["hosts"]) == ["orders", "payments"]
    orders = data["_meta"]["hostvars"]["orders"]
    assert orders["flink_patch_node_filters"] == {"tag:flink:cluster": "orders"}
    assert orders["flink_fleet_amis"] == [ami] and len(orders["flink_fleet_nodes"]) == 3
    assert orders["flink_fleet_asgs"] == ["orders-jobmanager", "orders-taskmanager"]
    assert "flink_patch_strategy" not in orders
    assert data["_meta"]["hostvars"]["payments"]["flink_patch_strategy"] == "in_place"
    assert data["strategy_in_place"]["hosts"] == ["payments"] and data["strategy_unset"]["hosts"] == ["orders"]


def test_unreachable_endpoint_is_a_clear_error(workdir):
    ensure_collection_link()
    config = os.path.join(workdir, "bad.flink_fleet.yml")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write("plugin: flinkops.fleet.flink_fleet\nregions: [us-east-1]\nendpoint_url: http://127.0.0.1:9\n")
    env = dict(aws_env("http://127.0.0.1:9"), AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-inventory"), "-i", config, "--list"], capture_output=True, text=True,
                          env=ansible_env(env, callback=None), check=False)
    assert "cannot list EC2 instances in us-east-1" in proc.stdout + proc.stderr

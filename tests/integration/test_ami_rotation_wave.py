# -*- coding: utf-8 -*-
"""Wave-wide describes of ami_rotation's plan, through real ``ansible-playbook`` runs of several clusters on moto.

The clusters of one serial batch read their target AMIs, nodes, groups and launch templates in one call each, made by
one of them (run_once) for all the clusters it can serve; each cluster takes its own part. These tests check that
every cluster's plan is exactly the plan it makes alone (``serial: 1``), with the linear and the free strategy, that
only the clusters a describe was made for take from it, and that a bad cluster fails alone, before any change.
"""

import pytest

from tests.harness.moto import aws_env
from tests.integration.ami_rotation import fleet

pytestmark = pytest.mark.integration

PLAY = """
- name: Plan several clusters in one wave
  hosts: clusters
  connection: local
  gather_facts: false
  strategy: %(strategy)s
  serial: %(serial)s
  tasks:
    - name: Plan the rotation
      ansible.builtin.include_role:
        name: flinkops.fleet.ami_rotation
        tasks_from: %(entry)s

    - name: Report the plan
      ansible.builtin.debug:
        msg:
          target: "{{ ami_rotation_target_ami }}"
          nodes: "{{ ami_rotation_plan | map(attribute='id') | sort }}"
          actions: "{{ ami_rotation_plan | map(attribute='action') | unique | sort }}"
          groups: "{{ __ami_rotation_groups | map(attribute='auto_scaling_group_name') | sort }}"
          templates: "{{ __ami_rotation_launch_templates | map(attribute='launch_template_id') | sort }}"
"""
WAVE_NODES = "Describe the nodes of the wave's clusters at once"


@pytest.fixture
def wave(moto):
    """A clean moto: old and new AMIs, clusters w1..w4 on the old one (1 jobmanager and 1 taskmanager each)."""
    moto.reset()
    ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
    old, new = fleet.make_ami(ec2, "flink-node-old"), fleet.make_ami(ec2, "flink-node-new")
    clusters = dict((name, fleet.make_cluster(ec2, autoscaling, name, old, sizes={"jobmanager": 1, "taskmanager": 1}))
                    for name in ("w1", "w2", "w3", "w4"))
    return {"moto": moto, "ec2": ec2, "asg": autoscaling, "old": old, "new": new, "clusters": clusters}


def cluster_vars(wave, name, by="asg_names", **extra):
    """Host vars of cluster ``name``: its nodes by ASG names or by its tag."""
    found = {"ami_rotation_asg_names": wave["clusters"][name]["asgs"]} if by == "asg_names" else \
        {"ami_rotation_node_filters": {"tag:flink:cluster": name}}
    return dict(found, ami_rotation_target_ami_id=wave["new"], **extra)


def plan(ansible, wave, hosts, strategy="linear", serial="100%", entry="plan"):
    common = {"ami_rotation_aws_endpoint_url": wave["moto"].endpoint_url, "ami_rotation_aws_region": "us-east-1",
              "ami_rotation_wait_delay": 0, "ami_rotation_wait_retries": 10, "ami_rotation_wait_timeout": 30}
    inventory = {"all": {"children": {"clusters": {"hosts": hosts, "vars": common}}}}
    return ansible.run_playbook(PLAY % {"strategy": strategy, "serial": serial, "entry": entry}, inventory=inventory,
                                env=aws_env())


def reports(result, hosts):
    return dict((h, result.task("Report the plan", host=h)["msg"]) for h in hosts)


def ran(result, name, hosts):
    """The hosts on which task ``name`` ran (was not skipped)."""
    return sorted(h for h in hosts for r in result.task_results(name, host=h)
                  if not r.get("skipped") and not all(i.get("skipped") for i in r.get("results") or [{}]))


def expected(wave, name):
    cluster = wave["clusters"][name]
    return {"target": wave["new"], "nodes": sorted(fleet.running_instances(wave["ec2"], name)), "actions": ["replace"],
            "groups": sorted(cluster["asgs"]), "templates": [cluster["template_id"]]}


@pytest.mark.parametrize("strategy", ["linear", "free"])
def test_each_cluster_of_a_wave_plans_exactly_what_it_plans_alone(ansible, wave, strategy):
    # w1-w3: nodes by their tag (one describe for the three); w4: by ASG names, another filter shape, on its own
    hosts = dict((name, cluster_vars(wave, name, by="node_filters")) for name in ("w1", "w2", "w3"))
    hosts["w4"] = cluster_vars(wave, "w4")
    together = plan(ansible, wave, hosts, strategy=strategy)
    assert not together.failed, together.describe()
    alone = plan(ansible, wave, hosts, serial=1)
    assert not alone.failed, alone.describe()
    assert reports(together, hosts) == reports(alone, hosts) == dict((h, expected(wave, h)) for h in hosts)
    assert ran(alone, WAVE_NODES, hosts) == [] and ran(alone, "Describe the nodes", hosts) == sorted(hosts)
    if strategy == "linear":
        # one call made for w1-w3, which described nothing themselves; w4 (not served) described its own nodes
        assert len(ran(together, WAVE_NODES, hosts)) == 1
        for name in ("Describe the nodes", "Describe the auto scaling groups", "Describe the launch templates of the ASGs",
                     "Describe the target AMI"):
            assert ran(together, name, hosts) == ["w4"], name


def test_clusters_by_asg_names_share_one_describe_and_other_credentials_do_not(ansible, wave):
    hosts = dict((name, cluster_vars(wave, name)) for name in ("w1", "w2", "w3", "w4"))
    # w4 connects with other credentials (moto takes any): it must read with them, not take w1's reads
    hosts["w4"].update(ami_rotation_aws_access_key="AKIAOTHER", ami_rotation_aws_secret_key="other-secret")
    result = plan(ansible, wave, hosts)
    assert not result.failed, result.describe()
    assert reports(result, hosts) == dict((h, expected(wave, h)) for h in hosts)
    assert len(ran(result, WAVE_NODES, hosts)) == 1
    assert ran(result, "Describe the nodes", hosts) == ran(result, "Describe the auto scaling groups", hosts) == ["w4"]
    assert "other-secret" not in result.stdout


def test_a_bad_cluster_in_a_wave_fails_alone_before_any_change(ansible, wave):
    hosts = dict((name, cluster_vars(wave, name)) for name in ("w1", "w2", "w3", "w4"))
    hosts["w2"]["ami_rotation_target_ami_id"] = "nonsense"  # malformed: the wave's AMI call fails for all
    hosts["w3"]["ami_rotation_asg_names"] = hosts["w3"]["ami_rotation_asg_names"] + ["w3-nope"]
    before = fleet.snapshot(wave["ec2"], wave["asg"])
    result = plan(ansible, wave, hosts)
    assert result.stats["w2"]["failures"] and result.stats["w3"]["failures"], result.describe()
    fail = "Fail before any change when the rotation cannot be done"
    assert "nonsense" in result.task(fail, host="w2")["msg"]
    assert "not found" in result.task(fail, host="w2")["msg"]
    assert result.task(fail, host="w3")["msg"] == "ami_rotation: auto scaling group w3-nope not found"
    assert reports(result, ["w1", "w4"]) == dict((h, expected(wave, h)) for h in ["w1", "w4"])
    # the wave's AMI call failed (one malformed id): every cluster asked for its own AMI; nodes still came from the wave
    assert ran(result, "Describe the target AMI", hosts) == sorted(hosts)
    assert ran(result, "Describe the nodes", hosts) == []
    assert fleet.snapshot(wave["ec2"], wave["asg"]) == before


def test_an_unknown_ami_in_a_wave_is_not_found_for_its_cluster_only(ansible, wave):
    hosts = dict((name, cluster_vars(wave, name)) for name in ("w1", "w2"))
    hosts["w2"]["ami_rotation_target_ami_id"] = "ami-0123456789abcdef0"  # well-formed, absent from the answer
    result = plan(ansible, wave, hosts)
    assert result.stats["w2"]["failures"] and not result.stats["w1"]["failures"], result.describe()
    assert "ami-0123456789abcdef0 not found" in result.task("Fail before any change when the rotation cannot be done", host="w2")["msg"]
    assert reports(result, ["w1"]) == {"w1": expected(wave, "w1")}


def test_clusters_rotated_side_by_side_discover_their_new_nodes_in_one_describe(ansible, wave):
    hosts = dict((name, cluster_vars(wave, name, by="node_filters" if name < "w3" else "asg_names"))
                 for name in ("w1", "w2", "w3", "w4"))
    before = dict((name, set(fleet.running_instances(wave["ec2"], name))) for name in hosts)
    result = plan(ansible, wave, hosts, entry="main")
    assert not result.failed, result.describe()
    for name in hosts:
        after = fleet.running_instances(wave["ec2"], name)
        assert set(after.values()) == {wave["new"]} and not set(after) & before[name]
        reported = result.task("Publish ami_rotation_result", host=name)["ansible_facts"]["ami_rotation_result"]
        assert sorted(n["id"] for n in reported["nodes_after"]) == sorted(after), name
    # in the plan and after the rotation, w1+w2 (by tag) shared one describe, w3+w4 (other filter shape) their own
    assert ran(result, "Describe the nodes", hosts) == ["w3", "w3", "w4", "w4"]
    assert len(ran(result, WAVE_NODES, hosts)) == 2

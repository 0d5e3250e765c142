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
    assert f.newest_tied(images) == []
    assert f.newest_tied([]) == []


def test_images_of_the_newest_second_are_no_target():
    """Creation dates have one-second steps: two images of the newest second leave no newest one (refused); a tie
    below the newest does not matter."""
    images = [{"image_id": "ami-a", "creation_date": "2024-03-01T00:00:00.000Z"},
              {"image_id": "ami-b", "creation_date": "2024-03-01T00:00:00.000Z"},
              {"image_id": "ami-c", "creation_date": "2024-01-01T00:00:00.000Z"},
              {"image_id": "ami-d", "creation_date": "2024-01-01T00:00:00.000Z"}]
    newest = f.newest_image(images)
    tied = f.newest_tied(images)
    assert sorted([newest] + tied) == ["ami-a", "ami-b"]
    nodes = f.nodes([inst("i-1")])
    described = [{"image_id": newest, "state": "available", "architecture": "x86_64", "creation_date": "2024-03-01T00:00:00.000Z"}]
    errors = f.target_errors(described, newest, nodes, source="filters {}", tied=tied)
    assert len(errors) == 1
    assert "not the only newest match: %s was created in the same second (2024-03-01T00:00:00.000Z)" % tied[0] in errors[0]
    assert "ami_rotation_target_ami_id" in errors[0]
    assert sorted([f.newest_image(images[2:])] + f.newest_tied(images[2:])) == ["ami-c", "ami-d"]
    assert f.newest_tied(images[1:]) == []


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


@pytest.mark.parametrize("spec,set_default,template,needs,update,follows", [
    ("$Latest", False, _template(images=("ami-old",), latest=1), True, False, True),
    ("$Default", False, _template(images=("ami-old",), latest=1), True, True, False),
    ("$Default", True, _template(images=("ami-old",), latest=1), True, False, True),
    ("1", False, _template(images=("ami-old",), latest=1), True, True, False),
    ("$Latest", False, _template(), False, False, True),  # a previous run already created the version
    ("2", False, _template(), False, False, False),
])
def test_template_plan(spec, set_default, template, needs, update, follows):
    groups = [{"auto_scaling_group_name": "g1", "launch_template": {"launch_template_id": "lt-1", "version": spec}},
              {"auto_scaling_group_name": "g2", "launch_template": {"launch_template_id": "lt-1", "version": spec}}]
    entries = f.template_plan(groups, [template], "ami-new", set_default, ["g1", "g2"])
    assert [(e["needs_version"], e["update_asg"], e["follows_new"]) for e in entries] == [(needs, update, follows)] * 2
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


# Wave-wide describes: which clusters one describe can serve, and which part of it each cluster takes.
def req(cluster=None, asgs=(), key="conn", image="ami-new", at=1.0, **filters):
    if cluster:
        filters["tag:flink:cluster"] = cluster
    return f.wave_request(key, list(asgs), filters, image, at)


def described(item, **data):
    """A registered run_once describe, looped over its one wave item."""
    return {"results": [dict(data, item=item, changed=False)]}


def test_wave_request_normalises_filters_and_reads_nothing_without_any():
    r = f.wave_request("k", ["g2", "g1"], {"tag:a": "x", "tag:b": ["2", 1], "tag:c": True}, "ami-1", 5.0)
    assert r == {"key": "k", "filters": {"tag:a": ["x"], "tag:b": ["1", "2"], "tag:c": ["true"],
                                         "tag:aws:autoscaling:groupName": ["g1", "g2"]},
                 "asgs": ["g1", "g2"], "image": "ami-1", "at": 5.0}
    assert f.wave_request("k", [], {}, "ami-1", 5.0) == {}


def test_wave_unions_the_one_tag_the_clusters_differ_in():
    requests = {"a": req("a"), "b": req("b", image="ami-b"), "c": req("c", key="other"), "d": req("d", role="x"),
                "e": {}, "f": req(asgs=["g-f"])}
    w = f.wave(requests, "a")
    assert sorted(w["members"]) == ["a", "b"]  # c: other connection; d: other filter keys; f: ASGs instead of a tag
    assert w["split"] == "tag:flink:cluster" and w["filters"] == {"tag:flink:cluster": ["a", "b"]}
    assert w["images"] == ["ami-b", "ami-new"] and w["asgs"] == []
    # by ASG names only: the ASG tag is the split
    by_asg = f.wave({"x": req(asgs=["x-jm", "x-tm"]), "y": req(asgs=["y-jm"])}, "y")
    assert by_asg["filters"] == {"tag:aws:autoscaling:groupName": ["x-jm", "x-tm", "y-jm"]}
    assert by_asg["asgs"] == ["x-jm", "x-tm", "y-jm"]
    # a cluster with nothing to read, or unknown, makes no describe
    assert f.wave(requests, "e")["members"] == {} and f.wave(requests, "zz")["members"] == {}


def test_wave_members_differ_in_at_most_one_tag_and_never_in_escaped_values():
    requests = {"a": req("a", **{"tag:env": "prod"}), "b": req("b", **{"tag:env": "prod"}),
                "c": req("c", **{"tag:env": "test"}), "d": req("a", **{"tag:env": "dev"}), "e": req("a", **{"tag:env": "prod"}),
                "f": req("f", **{"tag:env": "prod"})}
    w = f.wave(requests, "a")
    # b and f differ in tag:flink:cluster, e in nothing, c in two tags; d alone differs in tag:env (fewer peers)
    assert sorted(w["members"]) == ["a", "b", "e", "f"] and w["split"] == "tag:flink:cluster"
    assert w["filters"] == {"tag:flink:cluster": ["a", "b", "f"], "tag:env": ["prod"]}
    assert sorted(f.wave(requests, "d")["members"]) == ["a", "d", "e"]  # from d, the one split it has is tag:env
    # a non-tag filter or an escaped wildcard cannot be matched again per cluster: no union on it
    assert sorted(f.wave({"a": req(**{"vpc-id": "v1"}), "b": req(**{"vpc-id": "v2"})}, "a")["members"]) == ["a"]
    assert sorted(f.wave({"a": req("a"), "b": req("b\\*")}, "a")["members"]) == ["a"]


def test_wave_share_gives_each_cluster_its_own_nodes_groups_templates_and_image():
    requests = {"a": req("a", at=1.0), "b": req("b", image="ami-b", at=2.0)}
    item = f.wave(requests, "a")
    instances = [inst("i-1", asg="a-tm", cluster_tag="x"), inst("i-2", asg="b-tm"), inst("i-3", asg="")]
    instances[0]["tags"]["flink:cluster"] = "a"
    instances[1]["tags"]["flink:cluster"] = "b"
    instances[2]["tags"]["flink:cluster"] = "b"
    groups = [{"auto_scaling_group_name": "a-tm", "launch_template": {"launch_template_id": "lt-a"}},
              {"auto_scaling_group_name": "b-tm", "launch_template": {"launch_template_id": "lt-b"}}]
    data = {"images": described(item, images=[{"image_id": "ami-new"}, {"image_id": "ami-b"}]),
            "instances": described(item, instances=instances),
            "groups": described(dict(item, asgs=["a-tm", "b-tm"]), results=groups),
            "templates": described(dict(item, template_ids=["lt-a", "lt-b"]),
                                   launch_templates=[{"launch_template_id": "lt-a"}, {"launch_template_id": "lt-b"}])}
    a = f.wave_share(data, "a", requests["a"])
    assert a == {"images": [{"image_id": "ami-new"}], "instances": [instances[0]], "groups": [groups[0]],
                 "templates": [{"launch_template_id": "lt-a"}]}
    b = f.wave_share(data, "b", requests["b"])
    assert [i["instance_id"] for i in b["instances"]] == ["i-2", "i-3"] and b["groups"] == [groups[1]]
    assert b["images"] == [{"image_id": "ami-b"}] and b["templates"] == [{"launch_template_id": "lt-b"}]


def test_wave_share_serves_nothing_that_was_not_made_for_this_very_request():
    requests = {"a": req("a", asgs=["a-tm"]), "b": req("b", asgs=["b-tm"])}
    item = f.wave(requests, "a")
    instances = [inst("i-1", asg="a-tm")]
    instances[0]["tags"]["flink:cluster"] = "a"
    ok = {"instances": described(item, instances=instances),
          "groups": described(dict(item, asgs=["a-tm", "b-tm"]), results=[{"auto_scaling_group_name": "a-tm"}])}
    assert f.wave_share(ok, "a", requests["a"])["groups"] == [{"auto_scaling_group_name": "a-tm"}]
    none = dict.fromkeys(f.WAVE_PARTS)
    # a newer plan of the same cluster (another time stamp), a cluster the wave did not serve, no request
    assert f.wave_share(ok, "a", dict(requests["a"], at=9.0)) == none
    assert f.wave_share(ok, "c", requests["a"]) == none
    assert f.wave_share(ok, "a", {}) == none
    # a failed or skipped describe serves nothing; a failed groups call still leaves the nodes
    failed = {"instances": {"results": [dict(ok["instances"]["results"][0], failed=True)]}}
    assert f.wave_share(failed, "a", requests["a"]) == none
    # failed_when: false hides a module failure: a result without its data is a failed call
    hidden = {"instances": {"results": [{"failed": False, "msg": "AccessDenied", "item": item}]}}
    assert f.wave_share(hidden, "a", requests["a"]) == none
    skipped = {"instances": {"results": [{"skipped": True, "item": item}]}}
    assert f.wave_share(skipped, "a", requests["a"]) == none
    partial = dict(ok, groups={"results": [dict(ok["groups"]["results"][0], failed=True)]})
    assert f.wave_share(partial, "a", requests["a"]) == dict(none, instances=instances)
    # groups described for fewer ASGs than the cluster wants (another cluster's call): the cluster asks itself
    short = dict(ok, groups=described(dict(item, asgs=["b-tm"]), results=[]))
    assert f.wave_share(short, "a", requests["a"])["groups"] is None
    # an image the cluster did not ask for in the wave is not taken from it
    images = {"images": described(item, images=[{"image_id": "ami-new"}])}
    assert f.wave_share(images, "a", dict(requests["a"], image=""))["images"] is None


def test_wave_share_matches_ec2_wildcards_of_the_split_tag():
    requests = {"a": req("prod-*"), "b": req("test-?")}
    item = f.wave(requests, "a")
    instances = []
    for iid, cluster in (("i-1", "prod-1"), ("i-2", "test-1"), ("i-3", "test-12"), ("i-4", "Prod-1")):
        instances.append(inst(iid))
        instances[-1]["tags"]["flink:cluster"] = cluster
    instances.append(inst("i-5"))
    del instances[-1]["tags"]["flink:cluster"]
    data = {"instances": described(item, instances=instances)}
    assert [i["instance_id"] for i in f.wave_share(data, "a", requests["a"])["instances"]] == ["i-1"]
    assert [i["instance_id"] for i in f.wave_share(data, "b", requests["b"])["instances"]] == ["i-2"]


def test_group_names_and_template_ids():
    assert f.group_names([inst("i-1", asg="b"), inst("i-2", asg="a"), inst("i-3", asg="b"), inst("i-4", asg="")]) == ["a", "b"]
    groups = [{"launch_template": {"launch_template_id": "lt-2"}}, {"launch_configuration_name": "lc"},
              {"launch_template": {"launch_template_id": "lt-1"}}, {"launch_template": {"launch_template_id": "lt-2"}}]
    assert f.template_ids(groups) == ["lt-1", "lt-2"]
    assert f.group_names(None) == f.template_ids(None) == []

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: flink_fleet
short_description: Flink clusters discovered from EC2 instance tags, one inventory host per cluster
version_added: 0.1.0
description:
  - Lists the running EC2 instances that carry the cluster tag (C(flink:cluster) by default) and makes one host per tag
    value, in group O(group), ready for the C(flinkops.fleet.flink_patch) role and C(playbooks/patch_fleet.yml).
  - Each host gets C(flink_patch_cluster_name), C(flink_patch_node_filters) selecting the cluster's nodes by their tag
    (so a blue/green patch finds the replacement nodes too), C(flink_patch_strategy) from the strategy tag when the
    nodes carry one, and facts about the nodes (C(flink_fleet_nodes), C(flink_fleet_amis), C(flink_fleet_asgs)).
  - The jobs of a cluster (C(flink_patch_jobs)) cannot come from tags; put them in C(host_vars/<cluster>.yml) or set
    them with O(compose).
  - Uses the standard AWS credential chain of boto3 (environment, profile, instance role).
author:
  - flinkops.fleet developers (@flinkops)
requirements:
  - boto3
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin; the inventory file must be named C(*.flink_fleet.yml) or C(*.flink_fleet.yaml).
    type: str
    required: true
    choices: [flinkops.fleet.flink_fleet]
  regions:
    description: AWS regions to search.
    type: list
    elements: str
    default: [us-east-1]
  endpoint_url:
    description: EC2 endpoint URL (for tests or EC2-compatible endpoints).
    type: str
    env:
      - name: AWS_ENDPOINT_URL_EC2
      - name: AWS_ENDPOINT_URL
  profile:
    description: Named AWS profile.
    type: str
    env:
      - name: AWS_PROFILE
  cluster_tag:
    description: Tag whose value names a node's Flink cluster.
    type: str
    default: "flink:cluster"
  strategy_tag:
    description: Tag whose value (C(blue_green) or C(in_place)) becomes C(flink_patch_strategy) when all nodes agree.
    type: str
    default: "flink:patch-strategy"
  filters:
    description: Extra EC2 DescribeInstances filters (name -> value or list of values), for example an environment tag.
    type: dict
    default: {}
  group:
    description: Group the cluster hosts are put in.
    type: str
    default: flink_clusters
"""

EXAMPLES = r"""
# fleet.flink_fleet.yml
plugin: flinkops.fleet.flink_fleet
regions: [eu-west-1]
filters:
  tag:environment: prod
keyed_groups:
  - key: flink_patch_strategy | default('unset')
    prefix: strategy
"""

try:
    import boto3

    HAS_BOTO3 = True
except ImportError:
    HAS_BOTO3 = False

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

ACTIVE_STATES = ["pending", "running"]


def instance_tags(instance):
    return dict((t.get("Key"), t.get("Value")) for t in instance.get("Tags") or [])


def group_clusters(instances, cluster_tag, strategy_tag):
    """``{cluster: host vars}`` from DescribeInstances instances (pure; unit-tested)."""
    clusters = {}
    for inst in sorted(instances, key=lambda i: i.get("InstanceId", "")):
        tags = instance_tags(inst)
        name = tags.get(cluster_tag)
        if not name:
            continue
        entry = clusters.setdefault(name, dict(nodes=[], strategies=set()))
        entry["nodes"].append(dict(id=inst.get("InstanceId"), ami=inst.get("ImageId"), role=tags.get("flink:role", ""),
                                   asg=tags.get("aws:autoscaling:groupName", ""), private_ip=inst.get("PrivateIpAddress", "")))
        if tags.get(strategy_tag):
            entry["strategies"].add(tags[strategy_tag])
    hosts = {}
    for name, entry in clusters.items():
        nodes = entry["nodes"]
        host = dict(
            flink_patch_cluster_name=name,
            flink_patch_node_filters={"tag:%s" % cluster_tag: name},
            flink_fleet_nodes=nodes,
            flink_fleet_amis=sorted(set(n["ami"] for n in nodes)),
            flink_fleet_asgs=sorted(set(n["asg"] for n in nodes if n["asg"])),
        )
        if len(entry["strategies"]) == 1:
            host["flink_patch_strategy"] = next(iter(entry["strategies"]))
        hosts[name] = host
    return hosts


def ec2_filters(cluster_tag, extra):
    filters = [dict(Name="tag-key", Values=[cluster_tag]), dict(Name="instance-state-name", Values=ACTIVE_STATES)]
    for name, value in (extra or {}).items():
        filters.append(dict(Name=name, Values=value if isinstance(value, list) else [value]))
    return filters


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "flinkops.fleet.flink_fleet"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith((".flink_fleet.yml", ".flink_fleet.yaml"))

    def _instances(self, region):
        session = boto3.session.Session(profile_name=self.get_option("profile") or None)
        ec2 = session.client("ec2", region_name=region, endpoint_url=self.get_option("endpoint_url") or None)
        found = []
        for page in ec2.get_paginator("describe_instances").paginate(
                Filters=ec2_filters(self.get_option("cluster_tag"), self.get_option("filters"))):
            for reservation in page.get("Reservations", []):
                found.extend(reservation.get("Instances", []))
        return found

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        if not HAS_BOTO3:
            raise AnsibleError("the flinkops.fleet.flink_fleet inventory plugin needs boto3")
        self._read_config_data(path)
        instances = []
        for region in self.get_option("regions"):
            try:
                instances.extend(self._instances(region))
            except Exception as exc:  # boto3 raises many unrelated types; name the region and stop
                raise AnsibleError("cannot list EC2 instances in %s: %s" % (region, exc))
        group = self.inventory.add_group(self.get_option("group"))
        strict = self.get_option("strict")
        for name, host_vars in group_clusters(instances, self.get_option("cluster_tag"), self.get_option("strategy_tag")).items():
            self.inventory.add_host(name, group=group)
            for key, value in host_vars.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)

# -*- coding: utf-8 -*-
"""An embedded local fleet: EC2 nodes in moto whose JobManagers map to real local Flink clusters.

Used by the end-to-end tests and the demo. Each Flink cluster of the fleet is an inventory host of group
``flink_clusters`` with one JobManager ASG and one TaskManager ASG (moto), tagged ``flink:cluster`` and
``flink:role``. The nodes' invented 10.x addresses are never used: the JobManager nodes map to loopback REST
endpoints (``flink_patch_address_map`` for the current nodes, ``flink_patch_address_pool`` for the nodes a
patch brings up); TaskManager nodes map to a port nothing listens on, since nothing needs to reach them.
"""

import json
import os

from tests.harness.testjob import ENTRY_CLASS, job_args
from tests.integration.ami_rotation.fleet import asg_instances, make_ami, make_cluster

UNUSED_ADDRESS = "127.0.0.1:9"  # discard port: TaskManager nodes are never contacted
JOB_NAME = "fleet-test-job"


def address_of(cluster):
    """``127.0.0.1:<rest port>`` of a local FlinkCluster."""
    return cluster.url.split("://", 1)[1]


def make_amis(ec2, old_name="flink-node-2026.10", new_name="flink-node-2026.11"):
    """An old and a new AMI (both ``available``, x86_64)."""
    return make_ami(ec2, old_name), make_ami(ec2, new_name)


def add_cluster(ec2, autoscaling, name, ami, flink, new_flink=None):
    """Create the cluster's nodes on ``ami`` and map them: JobManager -> ``flink``, new JobManager -> ``new_flink``.

    Returns the host vars of the cluster (without jobs).
    """
    made = make_cluster(ec2, autoscaling, name, ami, sizes={"jobmanager": 1, "taskmanager": 1})
    jm_asg = [a for a in made["asgs"] if a.endswith("-jobmanager")][0]
    address_map = {}
    for asg in made["asgs"]:
        for instance_id in asg_instances(autoscaling, asg):
            address_map[instance_id] = address_of(flink) if asg == jm_asg else UNUSED_ADDRESS
    return {
        "flink_patch_node_filters": {"tag:flink:cluster": name},
        "flink_patch_address_map": address_map,
        "flink_patch_address_pool": {"jobmanager": [address_of(new_flink or flink)], "taskmanager": [UNUSED_ADDRESS]},
        "flink_patch_checkpoint_dir": "file://" + flink.checkpoint_dir,
    }


def job_spec(jar, output, checkpoint_interval=300, rate=200, name=JOB_NAME):
    """The inventory entry of the stateful test job."""
    return {"name": name, "jar": jar, "entry_class": ENTRY_CLASS, "parallelism": 1,
            "args": job_args(output, rate=rate, checkpoint_interval=checkpoint_interval, name=name)}


def inventory(hosts, common):
    """An inventory dict: group ``flink_clusters`` with ``hosts`` (name -> vars) and group vars ``common``."""
    return {"all": {"children": {"flink_clusters": {"hosts": hosts, "vars": common}}}}


def write_inventory(path, data):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    return path


def newest_report(report_dir):
    """``(report dict, its run directory)`` of the newest run under ``report_dir`` (flink_patch_report_dir)."""
    runs = [os.path.join(report_dir, run) for run in os.listdir(report_dir)]
    newest = max(runs, key=os.path.getmtime)
    with open(os.path.join(newest, "report.json"), encoding="utf-8") as handle:
        return json.load(handle), newest


def common_vars(workdir, endpoint_url, python, target_ami):
    """Group vars shared by the fleet's clusters (ledger and reports inside ``workdir``)."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": python,
        "flink_patch_aws_region": "us-east-1",
        "flink_patch_aws_endpoint_url": endpoint_url,
        "flink_patch_target_ami_id": target_ami,
        "flink_patch_ledger": os.path.join(workdir, "ledger"),
        "flink_patch_report_dir": os.path.join(workdir, "reports"),
        "flink_patch_watch_seconds": 2,
        "flink_patch_cluster_wait_delay": 1,
        "flink_patch_cluster_wait_retries": 60,
        "flink_patch_job_timeout": 120,
    }

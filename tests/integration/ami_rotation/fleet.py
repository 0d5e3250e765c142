# -*- coding: utf-8 -*-
"""Build a fake Flink fleet in moto (AMIs, launch templates, ASGs) for the ami_rotation tests.

Empirical moto 5.2 behaviour these helpers rely on (checked against ``moto_server``):

* ``register_image`` ignores ``Architecture`` (the image has none), so AMIs are made with ``create_image`` from an
  instance, which copies the instance's architecture (an instance inherits it from its AMI, ``x86_64`` by default).
  An ``arm64`` AMI is made from an instance launched on one of moto's built-in ``arm64`` Amazon images.
* ``disable_image`` puts an AMI in state ``disabled`` (a real "not available" image).
* ASGs launch their instances synchronously; they are ``InService`` at once. ``$Latest``/``$Default``/numbered
  launch template versions decide the AMI of new instances (moto reports ``Version: 1`` in the ASG's
  instance list whatever version was used, so AMIs are always checked with DescribeInstances).
* ``TerminateInstanceInAutoScalingGroup`` with ``ShouldDecrementDesiredCapacity=False`` launches the replacement
  synchronously from the ASG's current launch template version.
* Instance refresh (Start/Describe/CancelInstanceRefresh) is NOT implemented: moto answers HTTP 500.
* Instances get invented ``10.x`` private IPs: tests map them to loopback addresses, nothing connects to them.
"""

import time

AMI_OWNER = "123456789012"  # moto's default account


def _builder_instance(ec2, arch="x86_64"):
    """An instance to make an AMI from (it inherits ``arch`` from one of moto's built-in Amazon images)."""
    source = [i for i in ec2.describe_images(Owners=["amazon"])["Images"] if i.get("Architecture") == arch][0]
    instance = ec2.run_instances(ImageId=source["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                 TagSpecifications=[{"ResourceType": "instance",
                                                     "Tags": [{"Key": "purpose", "Value": "ami-builder"}]}])
    return instance["Instances"][0]["InstanceId"]


def make_ami(ec2, name, arch="x86_64"):
    """An ``available`` AMI named ``name`` with architecture ``arch`` (via an instance + create_image)."""
    instance_id = _builder_instance(ec2, arch)
    image_id = ec2.create_image(InstanceId=instance_id, Name=name)["ImageId"]
    ec2.terminate_instances(InstanceIds=[instance_id])
    return image_id


def _newest_creation_second(ec2):
    dates = [i.get("CreationDate", "") for i in ec2.describe_images(Owners=["self"])["Images"]]
    return max(dates)[:19] if dates else ""


def _wait_for_a_later_second(ec2, early=None):
    """Wait until the clock's second is later than every AMI's of this account (AWS dates images to the second: an
    AMI made in the same second as another is no newer than it); with ``early``, also until at most ``early`` s
    into that second."""
    newest = _newest_creation_second(ec2)
    while True:
        now = time.time()
        if time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) > newest and (early is None or now % 1 < early):
            return
        time.sleep(0.005)


def make_newest_ami(ec2, name):
    """An AMI created in a later second than every AMI of this account."""
    instance_id = _builder_instance(ec2)
    _wait_for_a_later_second(ec2)
    image_id = ec2.create_image(InstanceId=instance_id, Name=name)["ImageId"]
    ec2.terminate_instances(InstanceIds=[instance_id])
    return image_id


def make_tied_amis(ec2, names, attempts=20):
    """AMIs named ``names`` created in one second, the newest of this account: their instances are made first, then
    the images one right after the other at the start of a new second (tried again when a call was slower)."""
    for dummy in range(attempts):
        instances = [_builder_instance(ec2) for name in names]
        _wait_for_a_later_second(ec2, early=0.2)
        made = [ec2.create_image(InstanceId=i, Name=name)["ImageId"] for i, name in zip(instances, names)]
        ec2.terminate_instances(InstanceIds=instances)
        if len(set(i["CreationDate"] for i in ec2.describe_images(ImageIds=made)["Images"])) == 1:
            return made
        for image_id in made:
            ec2.deregister_image(ImageId=image_id)
    raise AssertionError("could not create %d AMIs within one second" % len(names))


def make_cluster(ec2, autoscaling, cluster, ami, sizes=None, lt_version="$Latest"):
    """Launch template ``<cluster>-lt`` on ``ami`` + one ASG per Flink role (``<cluster>-jobmanager``/``-taskmanager``).

    Returns ``{"template_id", "asgs": [names]}``.
    """
    sizes = sizes or {"jobmanager": 1, "taskmanager": 2}
    template = ec2.create_launch_template(
        LaunchTemplateName="%s-lt" % cluster,
        LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})["LaunchTemplate"]
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    names = []
    for role, size in sizes.items():
        name = "%s-%s" % (cluster, role)
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": lt_version},
            MinSize=size, MaxSize=size * 2, DesiredCapacity=size, VPCZoneIdentifier=subnet,
            Tags=[{"Key": "flink:cluster", "Value": cluster, "PropagateAtLaunch": True},
                  {"Key": "flink:role", "Value": role, "PropagateAtLaunch": True}])
        names.append(name)
    return {"template_id": template["LaunchTemplateId"], "asgs": names}


def asg_instances(autoscaling, name):
    """Instance ids of ASG ``name`` (empty when the ASG does not exist)."""
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return sorted(i["InstanceId"] for g in groups for i in g["Instances"])


def replacement_ami(ec2, autoscaling, name):
    """Terminate one instance of ASG ``name`` without decrementing its capacity (as a failed health check does) and
    return the AMI of the instance the ASG launches instead."""
    before = asg_instances(autoscaling, name)
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=before[0], ShouldDecrementDesiredCapacity=False)
    (fresh,) = set(asg_instances(autoscaling, name)) - set(before)
    return instance_amis(ec2, [fresh])[fresh]


def instance_amis(ec2, instance_ids):
    """``{instance_id: image_id}`` of the given instances."""
    if not instance_ids:
        return {}
    reservations = ec2.describe_instances(InstanceIds=list(instance_ids))["Reservations"]
    return {i["InstanceId"]: i["ImageId"] for r in reservations for i in r["Instances"]}


def running_instances(ec2, cluster):
    """``{instance_id: image_id}`` of the running instances tagged ``flink:cluster=<cluster>``."""
    reservations = ec2.describe_instances(Filters=[{"Name": "tag:flink:cluster", "Values": [cluster]},
                                                   {"Name": "instance-state-name", "Values": ["running", "pending"]}])
    return {i["InstanceId"]: i["ImageId"] for r in reservations["Reservations"] for i in r["Instances"]}


def snapshot(ec2, autoscaling):
    """Everything a run may change: ASGs (+ capacity, template version), templates (+ versions), live instances."""
    groups = autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    templates = ec2.describe_launch_templates()["LaunchTemplates"]
    reservations = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running", "pending"]}])
    return {
        "asgs": sorted((g["AutoScalingGroupName"], g["DesiredCapacity"], str(g.get("LaunchTemplate")),
                        tuple(sorted(i["InstanceId"] for i in g["Instances"]))) for g in groups),
        "templates": sorted((t["LaunchTemplateId"], t["DefaultVersionNumber"], t["LatestVersionNumber"]) for t in templates),
        "instances": sorted((i["InstanceId"], i["ImageId"]) for r in reservations["Reservations"] for i in r["Instances"]),
    }

# -*- coding: utf-8 -*-
"""The local embedded demo: patch a two-cluster Flink fleet to a new AMI with playbooks/patch_fleet.yml.

It starts moto (EC2, ASGs, launch templates) and three real local Flink clusters on 127.0.0.1: cluster ``orders``
(blue_green: an old and a replacement Flink cluster) and cluster ``payments`` (in_place), each running the stateful
exactly-once test job. It then runs the real playbook (plan in check mode first, then the patch), proves that no
record was lost or duplicated, prints where the report is, and stops everything it started (by PID).

Run it with ``scripts/demo.sh`` (scripts/setup.sh runs it at the end).
"""

import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

# pylint: disable=wrong-import-position
from tests.harness import localfleet  # noqa: E402
from tests.harness.ansible import ansible_env, ensure_collection_link  # noqa: E402
from tests.harness.flink import FlinkCluster, start_clusters  # noqa: E402
from tests.harness.moto import MotoServer, aws_env  # noqa: E402
from tests.harness.paths import CACHE_DIR, VENV_BIN, VENV_PYTHON  # noqa: E402
from tests.harness.rest import FlinkRest  # noqa: E402
from tests.harness.testjob import build_test_job_jar, verify_exactly_once  # noqa: E402

DEMO_DIR = os.path.join(CACHE_DIR, "demo")
PLAYBOOK = os.path.join(REPO, "playbooks", "patch_fleet.yml")


def say(text):
    print("\n=== %s" % text, flush=True)


def submit_job(cluster, jar, output):
    rest = FlinkRest(cluster.url)
    spec = localfleet.job_spec(jar, output)
    job_id = rest.submit_jar(jar, entry_class=spec["entry_class"], args=spec["args"], parallelism=1)
    rest.wait_checkpoints(job_id, 2, timeout=90)
    return spec


def playbook(inventory, env, check=False):
    args = [os.path.join(VENV_BIN, "ansible-playbook"), PLAYBOOK, "-i", inventory] + (["--check"] if check else [])
    proc = subprocess.run(args, env=ansible_env(env, callback=None), stdin=subprocess.DEVNULL, check=False)
    return proc.returncode


def running(cluster):
    return [j for j in FlinkRest(cluster.url).jobs_overview() if j["state"] == "RUNNING"]


def main():
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    os.makedirs(DEMO_DIR)
    ensure_collection_link()
    moto = MotoServer(log_dir=os.path.join(DEMO_DIR, "moto"))
    clusters = [FlinkCluster(name, os.path.join(DEMO_DIR, name)) for name in ("orders-blue", "orders-green", "payments")]
    try:
        say("Starting moto and three local Flink 2.3 clusters on 127.0.0.1")
        moto.start()
        start_clusters(clusters)
        blue, green, payments = clusters
        ec2, autoscaling = moto.client("ec2"), moto.client("autoscaling")
        old_ami, new_ami = localfleet.make_amis(ec2)
        print("old AMI %s, new AMI %s" % (old_ami, new_ami))

        say("Submitting the stateful exactly-once test job to both clusters")
        jar = build_test_job_jar()
        outputs = {"orders": os.path.join(DEMO_DIR, "out-orders"), "payments": os.path.join(DEMO_DIR, "out-payments")}
        hosts = {
            "orders": dict(localfleet.add_cluster(ec2, autoscaling, "orders", old_ami, blue, green),
                           flink_patch_strategy="blue_green", flink_patch_jobs=[submit_job(blue, jar, outputs["orders"])],
                           flink_patch_new_checkpoint_dir="file://" + green.checkpoint_dir),
            "payments": dict(localfleet.add_cluster(ec2, autoscaling, "payments", old_ami, payments),
                             flink_patch_strategy="in_place", flink_patch_jobs=[submit_job(payments, jar, outputs["payments"])]),
        }
        common = localfleet.common_vars(DEMO_DIR, moto.endpoint_url, VENV_PYTHON, new_ami)
        inventory = localfleet.write_inventory(os.path.join(DEMO_DIR, "inventory.json"), localfleet.inventory(hosts, common))
        env = aws_env(moto.endpoint_url)

        say("The plan (check mode: nothing changes)")
        if playbook(inventory, env, check=True) != 0:
            return 1
        say("The patch: ansible-playbook playbooks/patch_fleet.yml -i %s" % inventory)
        started = time.time()
        if playbook(inventory, env) != 0:
            return 1
        print("patched the fleet in %.1fs" % (time.time() - started))

        say("Proving exactly-once: stop each job with a savepoint, then check its committed output")
        for name, cluster in (("orders", green), ("payments", payments)):
            (job,) = running(cluster)
            FlinkRest(cluster.url).stop_with_savepoint(job["jid"], "file://" + cluster.savepoint_dir)
            summary = verify_exactly_once(outputs[name])
            print("%s: %d records, every sequence number exactly once, %d keys with continuous counts"
                  % (name, summary["records"], summary["keys"]))
        reports = os.path.join(DEMO_DIR, "reports")
        run_id = sorted(os.listdir(reports))[-1]
        say("Report: %s (JSON: %s)" % (os.path.join(reports, run_id, "report.html"), os.path.join(reports, run_id, "report.json")))
        return 0
    finally:
        for cluster in clusters:
            cluster.stop()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())

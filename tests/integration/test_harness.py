# -*- coding: utf-8 -*-
"""Proves the integration-test harness: clusters, the exactly-once job across a cross-cluster restore, moto, Ansible."""

import os
import time

import pytest

from tests.harness.flink import start_clusters
from tests.harness.rest import checkpointing_enabled, poll
from tests.harness.testjob import verify_exactly_once

pytestmark = pytest.mark.integration

KEYS = 8


def _checkpoint_path(external_path):
    """``file:/x/chk-3`` -> ``/x/chk-3``."""
    return external_path[len("file:"):] if external_path.startswith("file:") else external_path


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_restore_from_retained_checkpoint_on_second_cluster_is_exactly_once(flink_cluster, submit_test_job, workdir):
    """Run, cancel, restore the latest retained checkpoint on another cluster, stop with savepoint, verify."""
    output = os.path.join(workdir, "output")
    timings = {}
    began = time.monotonic()
    first = flink_cluster("a", rest_cache="100 ms", start=False)
    second = flink_cluster("b", rest_cache="100 ms", start=False)
    start_clusters([first, second])
    timings["start 2 clusters"] = time.monotonic() - began

    began = time.monotonic()
    job1 = submit_test_job(first, output, rate=200, keys=KEYS, checkpoint_interval=300, parallelism=2)
    timings["submit"] = time.monotonic() - began
    first.rest.wait_tasks_running(job1)
    timings["submit -> running"] = time.monotonic() - began
    first.rest.wait_checkpoints(job1, 3)
    timings["submit -> 3 checkpoints"] = time.monotonic() - began
    began = time.monotonic()
    first.rest.cancel(job1)
    timings["cancel"] = time.monotonic() - began

    # The statistics are cached (100 ms here): wait until they settle after the cancel.
    stats = poll(lambda: first.rest.checkpoints(job1), lambda s: s["counts"]["in_progress"] == 0, 10, what="settled checkpoint stats")
    latest = stats["latest"]["completed"]
    assert latest is not None and latest["status"] == "COMPLETED"
    checkpoint = _checkpoint_path(latest["external_path"])
    assert os.path.basename(checkpoint) == "chk-%d" % latest["id"]
    assert os.path.dirname(checkpoint) == os.path.join(first.checkpoint_dir, job1)
    assert os.path.isfile(os.path.join(checkpoint, "_metadata")), "RETAIN_ON_CANCELLATION must keep the checkpoint"
    before = verify_exactly_once(output, keys=KEYS)  # committed prefix only: still exactly-once
    first.stop()

    began = time.monotonic()
    job2 = submit_test_job(second, output, rate=200, keys=KEYS, checkpoint_interval=300, parallelism=2,
                           savepoint_path=latest["external_path"], claim_mode="NO_CLAIM")
    assert job2 != job1
    second.rest.wait_tasks_running(job2)
    timings["restore: submit -> running"] = time.monotonic() - began
    stats2 = second.rest.wait_checkpoints(job2, 3)
    restored = stats2["latest"]["restored"]
    assert restored is not None and restored["id"] == latest["id"], restored
    assert stats2["latest"]["completed"]["id"] > latest["id"], "checkpoint ids continue after the restored one"
    began = time.monotonic()
    savepoint = second.rest.stop_with_savepoint(job2, target_directory="file://" + second.savepoint_dir)
    timings["stop-with-savepoint"] = time.monotonic() - began
    assert os.path.isfile(os.path.join(_checkpoint_path(savepoint), "_metadata"))

    after = verify_exactly_once(output, keys=KEYS)
    assert after["max_seq"] > before["max_seq"], (before, after)
    assert after["keys"] == KEYS
    print("exactly-once: before restore %s, after %s" % (before, after))
    print("timings: %s" % ", ".join("%s %.2f s" % item for item in timings.items()))
    print("cluster start: a %.2f s, b %.2f s; savepoint %s" % (first.started_in, second.started_in, savepoint))


@pytest.mark.timeout(240)
def test_job_options_reach_flink(flink_cluster, submit_test_job, workdir):
    """--retention, --checkpoint-interval 0, --snapshot-delay-ms and --state-bytes are honoured by Flink."""
    cluster = flink_cluster("opts", rest_cache="100 ms")
    rest = cluster.rest
    # the JobManager and the TaskManager map their class data sharing archives (see ensure_cds_archives)
    assert cluster.cds, "no class data sharing archives"
    for pid, role in zip(cluster.pids, ("jobmanager", "taskmanager")):
        with open("/proc/%d/maps" % pid, encoding="utf-8") as handle:
            assert cluster.cds[role] in handle.read(), (role, pid)
    slow = submit_test_job(cluster, os.path.join(workdir, "slow"), checkpoint_interval=200, retention="delete",
                           snapshot_delay_ms=800, state_bytes=4 * 1024 * 1024)
    off = submit_test_job(cluster, os.path.join(workdir, "off"), checkpoint_interval=0)
    plain = submit_test_job(cluster, os.path.join(workdir, "plain"), checkpoint_interval=200)
    for job in (slow, off, plain):
        rest.wait_tasks_running(job)

    config = rest.checkpoint_config(slow)
    assert checkpointing_enabled(config) and config["interval"] == 200 and config["mode"] == "exactly_once"
    assert config["externalization"] == {"enabled": True, "delete_on_cancellation": True}
    assert rest.checkpoint_config(plain)["externalization"]["delete_on_cancellation"] is False  # cluster default
    assert not checkpointing_enabled(rest.checkpoint_config(off))

    latest = rest.wait_checkpoints(slow, 1)["latest"]["completed"]
    assert latest["state_size"] >= 4 * 1024 * 1024, latest
    assert latest["end_to_end_duration"] >= 800, latest
    assert rest.checkpoints(off)["counts"]["total"] == 0

    rest.cancel(slow)
    job_dir = os.path.join(cluster.checkpoint_dir, slow)
    poll(lambda: [d for d in os.listdir(job_dir) if d.startswith("chk-")], lambda chk: not chk, 20,
         what="DELETE_ON_CANCELLATION to remove the chk-* dirs")
    rest.wait_checkpoints(plain, 2)
    rest.cancel(plain)
    assert any(d.startswith("chk-") for d in os.listdir(os.path.join(cluster.checkpoint_dir, plain)))
    rest.cancel(off)


def test_moto_answers_ec2_describe_images(moto):
    """moto runs on 127.0.0.1 and serves EC2 through boto3 with endpoint_url."""
    assert moto.endpoint_url.startswith("http://127.0.0.1:")
    images = moto.client("ec2").describe_images(Owners=["amazon"])["Images"]
    assert images and all(img["ImageId"].startswith("ami-") for img in images)


HELLO_PLAYBOOK = """
- name: harness smoke test
  hosts: localhost
  gather_facts: false
  tasks:
    - name: say hello
      ansible.builtin.debug:
        msg: "hello {{ who }}"
"""


def test_run_playbook_runs_ansible_playbook(ansible):
    """The real ansible-playbook CLI with the JSON callback; results per task."""
    result = ansible.run_playbook(HELLO_PLAYBOOK, extra_vars={"who": "cli"})
    assert not result.failed, result.describe()
    assert result.task("say hello")["msg"] == "hello cli"
    assert result.stats["localhost"]["ok"] == 1


def test_run_runner_runs_like_awx(ansible):
    """ansible_runner.run(private_data_dir=..., playbook=...) with events and artifacts."""
    result = ansible.run_runner(HELLO_PLAYBOOK, extra_vars={"who": "runner"})
    assert result.status == "successful" and result.rc == 0, result.stdout
    assert result.task("say hello")["msg"] == "hello runner"
    assert os.path.isdir(result.artifacts_dir)


def test_collection_is_importable_as_flinkops_fleet(ansible):
    """ansible-galaxy sees the repo as flinkops.fleet through .cache/collections."""
    import subprocess  # pylint: disable=import-outside-toplevel

    proc = subprocess.run([os.path.join(os.path.dirname(ansible.env()["ANSIBLE_PYTHON_INTERPRETER"]), "ansible-galaxy"),
                           "collection", "list", "flinkops.fleet"],
                          env=ansible.env(), capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "flinkops.fleet" in proc.stdout and ansible.collections_dir in proc.stdout

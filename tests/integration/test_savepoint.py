# -*- coding: utf-8 -*-
"""flink_savepoint through ansible-playbook against real Flink 2.3: trigger (canonical / native), idempotent trigger ids,
check mode, unwritable targets, cancel- and stop-with-savepoint, disposal, and flink_latest_checkpoint finding them."""

import os
import time

import pytest

from tests.harness.mission import assert_failed, local_path, run_failing, run_tasks, start_job, storage_checkpoints, task

pytestmark = pytest.mark.integration

TRIGGER = "5f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11"
STOP_TRIGGER = "00000000000000000000000000000abc"


def _savepoints(directory):
    return sorted(n for n in os.listdir(directory) if n.startswith("savepoint-")) if os.path.isdir(directory) else []


@pytest.mark.timeout(420)
def test_savepoint_lifecycle(flink_cluster, test_job_jar, ansible, workdir):
    cluster = flink_cluster("sp", rest_cache="100 ms")
    url = cluster.url
    job = start_job(cluster, test_job_jar, os.path.join(workdir, "a"), "sp-job", checkpoint_interval=200)
    other = start_job(cluster, test_job_jar, os.path.join(workdir, "b"), "sp-cancel", checkpoint_interval=200)
    native_dir = os.path.join(workdir, "native-sp")
    blocker = os.path.join(workdir, "regular-file")
    with open(blocker, "w", encoding="utf-8") as handle:
        handle.write("not a directory")

    result = run_tasks(ansible, [
        task("check", "flink_savepoint", dict(url=url, job_name="sp-job"), check_mode=True),
        task("canonical", "flink_savepoint", dict(url=url, job_name="sp-job", trigger_id=TRIGGER)),
        task("canonical again", "flink_savepoint", dict(url=url, job_name="sp-job", trigger_id=TRIGGER)),
        task("native", "flink_savepoint", dict(url=url, job_id=job, format="native", target_directory="file://" + native_dir)),
        task("unwritable", "flink_savepoint", dict(url=url, job_id=job, target_directory="file://" + blocker + "/sub",
                                                   timeout=60), ignore_errors=True),
        task("relative target", "flink_savepoint", dict(url=url, job_id=job, target_directory="relative/dir"), ignore_errors=True),
        task("negative timeout", "flink_savepoint", dict(url=url, job_id=job, timeout=-1), ignore_errors=True),
        task("drain without stop", "flink_savepoint", dict(url=url, job_id=job, drain=True), ignore_errors=True),
        task("find", "flink_latest_checkpoint", dict(job_id=job, source="storage", checkpoint_dir=cluster.checkpoint_dir,
                                                     savepoint_dir="file://" + cluster.savepoint_dir, include_savepoints=True)),
        task("cancel with savepoint", "flink_savepoint", dict(url=url, job_name="sp-cancel", cancel_job=True)),
        # the plain savepoint's id joins that savepoint, which stopped nothing: a clear failure, not a 600 s wait
        task("stop with a plain savepoint's id", "flink_savepoint", dict(url=url, job_name="sp-job", stop=True,
                                                                         trigger_id=TRIGGER), ignore_errors=True),
        # a wait that runs out leaves the stop to Flink: the failure says changed and gives the id to join it again
        task("stop timing out", "flink_savepoint",
             dict(url=url, job_name="sp-job", stop=True, trigger_id=STOP_TRIGGER, timeout=0.01), ignore_errors=True),
        task("stop", "flink_savepoint", dict(url=url, job_id=job, stop=True, trigger_id=STOP_TRIGGER)),
        task("after stop", "flink_latest_checkpoint", dict(url=url, job_id=job, include_savepoints=True,
                                                           savepoint_dir=cluster.savepoint_dir)),
    ])
    assert not result.failed, result.describe()
    check = result.task("check")
    assert check["changed"] and check["savepoint_path"] is None
    canonical = result.task("canonical")
    assert canonical["changed"] and canonical["trigger_id"] == TRIGGER and canonical["job_state"] == "RUNNING"
    assert canonical["savepoint_path"].startswith("file:" + cluster.savepoint_dir)
    assert os.path.isfile(os.path.join(local_path(canonical["savepoint_path"]), "_metadata"))
    again = result.task("canonical again")
    assert not again["changed"] and again["savepoint_path"] == canonical["savepoint_path"], again
    native = result.task("native")
    assert native["changed"] and native["format"] == "native" and native["savepoint_path"].startswith("file:" + native_dir)
    assert os.path.isfile(os.path.join(local_path(native["savepoint_path"]), "_metadata"))
    assert_failed(result.task("unwritable"), "savepoint")
    # refused before any trigger: a relative target would land under the JobManager's working directory
    assert_failed(result.task("relative target"), "target_directory must be an absolute path or a URI", "relative/dir")
    assert_failed(result.task("negative timeout"), "timeout must be greater than 0")
    assert_failed(result.task("drain without stop"), "drain needs stop")
    assert not os.path.exists(os.path.join(cluster.workdir, "relative"))

    found = result.task("find")
    paths = [c["external_path"] for c in found["candidates"]]
    assert canonical["savepoint_path"] in paths and any(c["kind"] == "checkpoint" for c in found["candidates"]), paths
    assert found["checkpoint"]["source"] == "storage" and not found["checkpoint"]["is_final"]

    cancelled = result.task("cancel with savepoint")
    assert cancelled["job_state"] == "CANCELED" and os.path.isdir(local_path(cancelled["savepoint_path"]))
    assert cluster.rest.job_status(other) == "CANCELED"
    plain_id = result.task("stop with a plain savepoint's id")
    assert_failed(plain_id, TRIGGER, "without stopping")
    assert not plain_id["changed"] and plain_id["savepoint_path"] == canonical["savepoint_path"]
    timed_out = result.task("stop timing out")
    assert timed_out["failed"] and "timed out" in timed_out["msg"] and STOP_TRIGGER in timed_out["msg"]
    assert timed_out["changed"] and timed_out["trigger_id"] == STOP_TRIGGER and timed_out["job_id"] == job, timed_out
    stop = result.task("stop")
    assert not stop["changed"] and stop["job_state"] == "FINISHED" and stop["trigger_id"] == STOP_TRIGGER
    taken = sorted(os.path.basename(local_path(r["savepoint_path"])) for r in (canonical, cancelled, stop))
    assert _savepoints(cluster.savepoint_dir) == taken, "check mode and the idempotent re-runs took no savepoint"
    # a job that FINISHED (stop-with-savepoint) has its chk-* checkpoints deleted: the savepoint is what is left
    deadline = time.monotonic() + 20
    while storage_checkpoints(cluster.checkpoint_dir, job) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not storage_checkpoints(cluster.checkpoint_dir, job)
    after = result.task("after stop")
    assert after["checkpoint"]["external_path"] == stop["savepoint_path"] and after["checkpoint"]["kind"] == "savepoint"
    assert after["checkpoint"]["is_final"] and after["job_state"] == "FINISHED"

    # dispose, idempotently; a refused savepoint on a finished job changes nothing
    dispose = run_tasks(ansible, [
        task("dispose check", "flink_savepoint", dict(url=url, state="absent", path=canonical["savepoint_path"]), check_mode=True),
        task("dispose", "flink_savepoint", dict(url=url, state="absent", path=canonical["savepoint_path"])),
        task("dispose again", "flink_savepoint", dict(url=url, state="absent", path=canonical["savepoint_path"])),
        # the stopped job's savepoint is all that is left of its state: refused (check mode too) unless forced
        task("dispose the last state", "flink_savepoint", dict(url=url, state="absent", path=stop["savepoint_path"]),
             ignore_errors=True),
        task("dispose the last state, check", "flink_savepoint", dict(url=url, state="absent", path=stop["savepoint_path"]),
             check_mode=True, ignore_errors=True),
        task("dispose the last state, forced, check", "flink_savepoint",
             dict(url=url, state="absent", path=stop["savepoint_path"], force=True), check_mode=True),
        task("dispose no savepoint", "flink_savepoint", dict(url=url, state="absent", path=cluster.savepoint_dir),
             ignore_errors=True),
    ])
    assert not dispose.failed, dispose.describe()
    for label in ("dispose the last state", "dispose the last state, check"):
        refused = dispose.task(label)
        assert_failed(refused, "refusing to dispose", "sp-job", "last state", "force=true")
        assert refused["needed_by"] == [job]
    assert dispose.task("dispose the last state, forced, check")["changed"]
    assert_failed(dispose.task("dispose no savepoint"), "no savepoint", "no _metadata")
    assert os.path.isdir(cluster.savepoint_dir)
    assert dispose.task("dispose check")["changed"] and dispose.task("dispose")["changed"]
    assert dispose.task("dispose")["existed"] is True
    gone = dispose.task("dispose again")
    assert not gone["changed"] and gone["existed"] is False
    assert not os.path.exists(local_path(canonical["savepoint_path"]))

    res = run_failing(ansible, {
        "finished": ("flink_savepoint", dict(url=url, job_id=job)),
        "bad trigger": ("flink_savepoint", dict(url=url, job_id=job, trigger_id="not-hex")),
        "bad job id": ("flink_savepoint", dict(url=url, job_id="xyz")),
        "unknown name": ("flink_savepoint", dict(url=url, job_name="nope")),
        "bad dispose uri": ("flink_savepoint", dict(url=url, state="absent", path="s3://Bad_Bucket!/x")),
        "relative dispose": ("flink_savepoint", dict(url=url, state="absent", path=os.path.basename(local_path(stop["savepoint_path"])))),
        "unreachable": ("flink_savepoint", dict(url="http://127.0.0.1:9", job_name="x", retries=0)),
    })
    assert_failed(res["finished"], "not RUNNING")
    assert_failed(res["bad trigger"], "invalid trigger_id")
    assert_failed(res["bad job id"], "invalid job id")
    assert_failed(res["unknown name"], "no job named")
    assert_failed(res["bad dispose uri"], "malformed S3 URI")
    assert_failed(res["relative dispose"], "path must be an absolute path or a URI")
    assert os.path.isdir(local_path(stop["savepoint_path"]))
    assert_failed(res["unreachable"], "cannot reach")


@pytest.mark.timeout(240)
def test_a_checkpoint_of_a_running_job_is_not_disposed(flink_cluster, test_job_jar, ansible, workdir):
    """A job's own chk-N is its recovery point (or holds state files its later incremental checkpoints share): while
    the job runs, state=absent refuses it, in check mode too, unless forced; it stays and the job keeps running."""
    cluster = flink_cluster("keep", rest_cache="100 ms")
    job = start_job(cluster, test_job_jar, os.path.join(workdir, "a"), "keeps", wait_checkpoints=0,
                    checkpoint_interval=600000)
    taken = run_tasks(ansible, [task("trigger", "flink_checkpointing", dict(url=cluster.url, job_id=job, state="triggered"))])
    assert not taken.failed, taken.describe()
    path = taken.task("trigger")["checkpoint"]["external_path"]
    assert storage_checkpoints(cluster.checkpoint_dir, job)[int(path.rsplit("-", 1)[1])]
    res = run_failing(ansible, {
        "dispose": ("flink_savepoint", dict(url=cluster.url, state="absent", path=path)),
        "dispose its _metadata": ("flink_savepoint", dict(url=cluster.url, state="absent", path=path + "/_metadata")),
    })
    for refused in res.values():
        assert_failed(refused, "refusing to dispose", "a checkpoint of that job", "force=true")
        assert refused["needed_by"] == [job]
    check = run_tasks(ansible, [
        task("check", "flink_savepoint", dict(url=cluster.url, state="absent", path=path), check_mode=True, ignore_errors=True),
        # a file: path in a directory the controller does not have: the JobManager's file system decides (nothing there)
        task("elsewhere", "flink_savepoint", dict(url=cluster.url, state="absent",
                                                  path="file:///nonexistent-dir/savepoint-000000-000000000000")),
    ])
    assert_failed(check.task("check"), "a checkpoint of that job")
    elsewhere = check.task("elsewhere")
    assert not elsewhere.get("failed") and not elsewhere["changed"] and elsewhere["existed"] is False, elsewhere
    assert os.path.exists(os.path.join(local_path(path), "_metadata"))
    assert cluster.rest.job_status(job) == "RUNNING"

# -*- coding: utf-8 -*-
"""flink_latest_checkpoint with source=history_server against a real Flink HistoryServer."""

import os
import time

import pytest
import requests

from tests.harness import mission
from tests.harness.rest import FlinkRest

pytestmark = pytest.mark.integration


def wait_archived(history_url, job_id, timeout=60.0):
    """Wait until the HistoryServer (no /v1 prefix there) lists the job's archive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if any(j["jid"] == job_id for j in requests.get(history_url + "/jobs/overview", timeout=5).json()["jobs"]):
                return
        except (requests.RequestException, ValueError, KeyError):
            pass  # the HistoryServer starts slower than the JobManager
        time.sleep(0.3)
    raise AssertionError("job %s never appeared on the HistoryServer" % job_id)


def test_latest_checkpoint_from_the_history_server(ansible, flink_cluster, test_job_jar, workdir):
    """The archive of a cancelled job gives its final checkpoint; that of a job stopped with a savepoint gives only the
    savepoint (Flink deleted the chk-* after writing the archive); a JobManager given as HistoryServer is refused."""
    cluster = flink_cluster(name="hs", rest_cache="3 s", history_server=True)
    name, stopped_name = "hs-job", "hs-stopped"
    job_id = mission.start_job(cluster, test_job_jar, os.path.join(workdir, "out"), name, wait_checkpoints=3,
                               checkpoint_interval=200)
    stopped_id = mission.start_job(cluster, test_job_jar, os.path.join(workdir, "out2"), stopped_name, wait_checkpoints=2,
                                   checkpoint_interval=200)
    # a JobManager answers the HistoryServer's paths too: its running job must not pass for an archived, final one
    wrong = mission.run_module(ansible, "flink_latest_checkpoint", dict(
        history_server_url=cluster.url, source="history_server", job_name=name))
    mission.assert_failed(wrong, "RUNNING", "not a HistoryServer")
    rest = FlinkRest(cluster.url)
    rest.cancel(job_id)
    rest.wait_job_status(job_id, "CANCELED", 60)
    savepoint = rest.stop_with_savepoint(stopped_id, target_directory="file://" + os.path.join(workdir, "savepoints"))
    rest.wait_job_status(stopped_id, "FINISHED", 60)
    newest = mission.storage_max_complete(cluster.checkpoint_dir, job_id)
    wait_archived(cluster.history_url, job_id)
    wait_archived(cluster.history_url, stopped_id)

    hs = dict(url="http://127.0.0.1:9", history_server_url=cluster.history_url, source="history_server")
    res = mission.run_tasks(ansible, [
        mission.task("canceled", "flink_latest_checkpoint", dict(hs, job_name=name)),
        mission.task("finished", "flink_latest_checkpoint", dict(hs, job_name=stopped_name), ignore_errors=True),
        mission.task("finished with savepoints", "flink_latest_checkpoint", dict(hs, job_name=stopped_name,
                                                                                 include_savepoints=True)),
        mission.task("unknown", "flink_latest_checkpoint",
                     dict(url=cluster.history_url, source="history_server", job_id="F" * 32), ignore_errors=True),
        mission.task("info", "flink_job_info", dict(url=cluster.history_url, history_server=True)),
        mission.task("info canceled", "flink_job_info", dict(url=cluster.history_url, history_server=True, state=["canceled"])),
    ])
    checkpoint = mission.assert_ok(res.task("canceled"))["checkpoint"]
    assert checkpoint["id"] == newest and checkpoint["source"] == "history_server"
    assert checkpoint["is_final"] and "HistoryServer" in checkpoint["final_reason"]
    assert checkpoint["job_id"] == job_id and checkpoint["job_state"] == "CANCELED"
    ids = [c["id"] for c in res.task("canceled")["candidates"]]
    assert ids == sorted(ids, reverse=True) and ids[0] == newest

    # the archive still lists the stopped job's checkpoints as completed, but their directories are gone
    assert not any(d.startswith("chk-") for d in os.listdir(os.path.join(cluster.checkpoint_dir, stopped_id)))
    mission.assert_failed(res.task("finished"), "no restorable checkpoint", "FINISHED")
    with_savepoints = mission.assert_ok(res.task("finished with savepoints"))
    assert [c["kind"] for c in with_savepoints["candidates"]] == ["savepoint"], with_savepoints["candidates"]
    assert with_savepoints["checkpoint"]["external_path"].rstrip("/") == savepoint.rstrip("/")
    mission.assert_failed(res.task("unknown"), "f" * 32)

    jobs = dict((j["name"], j) for j in mission.assert_ok(res.task("info"))["jobs"])
    assert jobs[name]["state"] == "CANCELED" and jobs[name]["latest_checkpoint"]["id"] == newest
    assert jobs[stopped_name]["state"] == "FINISHED" and jobs[stopped_name]["latest_checkpoint"] is None
    assert jobs[stopped_name]["latest_savepoint"]["external_path"].rstrip("/") == savepoint.rstrip("/")
    assert [j["name"] for j in res.task("info canceled")["jobs"]] == [name]

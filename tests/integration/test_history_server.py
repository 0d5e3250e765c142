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
    cluster = flink_cluster(name="hs", rest_cache="3 s", history_server=True)
    name = "hs-job"
    job_id = mission.start_job(cluster, test_job_jar, os.path.join(workdir, "out"), name, wait_checkpoints=3,
                               checkpoint_interval=200)
    FlinkRest(cluster.url).cancel(job_id)
    FlinkRest(cluster.url).wait_job_status(job_id, "CANCELED", 60)
    newest = mission.storage_max_complete(cluster.checkpoint_dir, job_id)
    wait_archived(cluster.history_url, job_id)

    res = mission.assert_ok(mission.run_module(ansible, "flink_latest_checkpoint", dict(
        url="http://127.0.0.1:9", history_server_url=cluster.history_url, source="history_server", job_name=name)))
    checkpoint = res["checkpoint"]
    assert checkpoint["id"] == newest and checkpoint["source"] == "history_server"
    assert checkpoint["is_final"] and "HistoryServer" in checkpoint["final_reason"]
    assert checkpoint["job_id"] == job_id and checkpoint["job_state"] == "CANCELED"
    assert [c["id"] for c in res["candidates"]] == sorted((c["id"] for c in res["candidates"]), reverse=True)

    # the HistoryServer is the url itself; an unknown job is a clean failure
    missing = mission.run_module(ansible, "flink_latest_checkpoint", dict(
        url=cluster.history_url, source="history_server", job_id="f" * 32))
    mission.assert_failed(missing, "f" * 32)

# -*- coding: utf-8 -*-
"""flink_cluster_info and flink_job_info through ansible-playbook (and ansible-runner) against real Flink 2.3."""

import os

import pytest
import yaml

from tests.harness.mission import assert_failed, run_tasks, start_job, task

pytestmark = pytest.mark.integration


@pytest.mark.timeout(300)
def test_cluster_and_job_info(flink_cluster, test_job_jar, ansible, workdir):
    cluster = flink_cluster("info", rest_cache="100 ms", slots=4)
    url = cluster.url
    retained = start_job(cluster, test_job_jar, os.path.join(workdir, "a"), "retained", wait_checkpoints=2,
                         checkpoint_interval=150)
    deleting = start_job(cluster, test_job_jar, os.path.join(workdir, "b"), "deleting", wait_checkpoints=1,
                         checkpoint_interval=150, retention="delete")
    off = start_job(cluster, test_job_jar, os.path.join(workdir, "c"), "off", wait_checkpoints=0, no_checkpointing=True)
    done = start_job(cluster, test_job_jar, os.path.join(workdir, "d"), "done", wait_checkpoints=1, checkpoint_interval=150)
    cluster.rest.cancel(done)

    result = run_tasks(ansible, [
        task("cluster", "flink_cluster_info", dict(url=url)),
        task("all", "flink_job_info", dict(url=url)),
        task("by id", "flink_job_info", dict(url=url, job_id=retained)),
        task("by name", "flink_job_info", dict(url=url, name="deleting")),
        task("running", "flink_job_info", dict(url=url, state=["running"], include_checkpoints=False)),
        task("canceled", "flink_job_info", dict(url=url, state=["CANCELED"])),
        task("nothing", "flink_job_info", dict(url=url, name="no-such-job")),
        task("unknown id", "flink_job_info", dict(url=url, job_id="0" * 32)),
        task("by id in upper case", "flink_job_info", dict(url=url, job_id=retained.upper(), include_checkpoints=False)),
        task("bad id", "flink_job_info", dict(url=url, job_id="nope"), ignore_errors=True),
        task("misspelt state", "flink_job_info", dict(url=url, state=["runing"]), ignore_errors=True),
        task("url with a query", "flink_job_info", dict(url=url + "/?x=1"), ignore_errors=True),
        task("unreachable", "flink_cluster_info", dict(url="http://127.0.0.1:9", retries=0), ignore_errors=True),
        task("env url", "flink_cluster_info", {}, environment={"FLINK_REST_URL": url}),
    ])
    assert result.stats["localhost"]["failures"] == 0 or all(
        result.task(n).get("failed") for n in ("bad id", "misspelt state", "url with a query", "unreachable")), result.describe()
    info = result.task("cluster")
    assert not info["changed"] and info["flink_version"] == "2.3.0"
    assert info["taskmanagers"] == 1 and info["slots_total"] == 4 and info["slots_available"] == 1
    assert info["jobs"] == dict(running=3, finished=0, cancelled=1, failed=0), info["jobs"]
    assert info["checkpoint_dir"] == "file://" + cluster.checkpoint_dir
    assert info["savepoint_dir"] == "file://" + cluster.savepoint_dir
    assert info["rest_cache_seconds"] == dict(execution_graph=0.1, checkpoint_stats=0.1)
    assert result.task("env url")["flink_version"] == "2.3.0"

    jobs = dict((j["job_id"], j) for j in result.task("all")["jobs"])
    assert set(jobs) == {retained, deleting, off, done}
    starts = [j["start_time_ms"] for j in result.task("all")["jobs"]]
    assert starts == sorted(starts, reverse=True), "newest first"
    first = jobs[retained]
    assert first["name"] == "retained" and first["state"] == "RUNNING" and first["end_time"] is None
    assert first["checkpointing"]["enabled"] and first["checkpointing"]["interval_ms"] == 150
    assert first["checkpointing"]["retention"] == "RETAIN_ON_CANCELLATION"
    assert first["checkpointing"]["mode"] == "EXACTLY_ONCE"
    assert first["checkpointing"]["storage_dir"] == "file:" + cluster.checkpoint_dir
    assert first["latest_checkpoint"]["id"] >= 1 and first["latest_checkpoint"]["external_path"].endswith(
        "/%s/chk-%d" % (retained, first["latest_checkpoint"]["id"]))
    assert first["checkpoint_counts"]["completed"] >= 1 and first["restored_from"] is None
    assert jobs[deleting]["checkpointing"]["retention"] == "DELETE_ON_CANCELLATION"
    assert jobs[off]["checkpointing"]["enabled"] is False and jobs[off]["latest_checkpoint"] is None
    assert jobs[done]["state"] == "CANCELED" and jobs[done]["end_time"] is not None

    assert [j["job_id"] for j in result.task("by id")["jobs"]] == [retained]
    assert [j["name"] for j in result.task("by name")["jobs"]] == ["deleting"]
    running = result.task("running")["jobs"]
    assert sorted(j["job_id"] for j in running) == sorted([retained, deleting, off])
    assert all("checkpointing" not in j for j in running)
    assert [j["job_id"] for j in result.task("canceled")["jobs"]] == [done]
    assert result.task("nothing")["jobs"] == [] and result.task("unknown id")["jobs"] == []
    assert [j["job_id"] for j in result.task("by id in upper case")["jobs"]] == [retained]
    assert_failed(result.task("bad id"), "invalid job_id")
    assert_failed(result.task("misspelt state"), "unknown job state(s) RUNING")
    assert_failed(result.task("url with a query"), "invalid Flink REST URL", "no query")
    assert_failed(result.task("unreachable"), "cannot reach")

    # the same through ansible-runner (as AWX runs it)
    playbook = yaml.safe_dump([{"name": "info", "hosts": "localhost", "gather_facts": False, "tasks": [
        task("cluster", "flink_cluster_info", dict(url=url)),
        task("jobs", "flink_job_info", dict(url=url, name="retained"))]}])
    runner = ansible.run_runner(playbook)
    assert not runner.failed, runner.stdout
    assert runner.task("cluster")["flink_version"] == "2.3.0"
    assert [j["job_id"] for j in runner.task("jobs")["jobs"]] == [retained]

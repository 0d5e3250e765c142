# -*- coding: utf-8 -*-
"""flink_checkpointing with the native suspension API (a fake JobManager that follows the contract exactly) and
against real Flink 2.3 (no such API): through ansible-playbook."""

import os
import time

import pytest

from tests.harness.mission import assert_failed, assert_ok, run_module, run_tasks, start_job, storage_max_complete, task
from tests.harness.native_fake import FakeFlink

pytestmark = pytest.mark.integration


def _wait(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(0.01)


@pytest.fixture
def fake(workdir):
    servers = []

    def make(**kwargs):
        server = FakeFlink(os.path.join(workdir, "fake-checkpoints-%d" % len(servers)), **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def _pin(ansible, server, method="native", mode="coordinator", **extra):
    args = dict(url=server.url, job_name=server.job.name, method=method, mode=mode)
    args.update(extra)
    return run_module(ansible, "flink_checkpointing", args)


def _assert_final_native_pin(server, res):
    assert_ok(res, "native pin")
    job = server.job
    assert res["method"] == "native" and res["changed"] and res["job_state"] == "RUNNING", res
    assert job.state == "RUNNING" and job.suspended
    assert res["pin_is_final"] and res["pinned_checkpoint"]["is_final"], res
    pinned = res["pinned_checkpoint"]["id"]
    assert pinned == job.last_completed_id() == storage_max_complete(server.checkpoint_dir, job.job_id), (
        res, job.events[-6:])
    assert res["request_id"] and len(res["request_id"]) == 32
    time.sleep(1.0)  # nothing completes while suspended
    assert job.last_completed_id() == pinned and not job.completed_while_suspended, job.events[-6:]
    assert storage_max_complete(server.checkpoint_dir, job.job_id) == pinned
    return pinned


@pytest.mark.timeout(180)
@pytest.mark.parametrize("cache_ttl", [3.0, 0.1])
def test_native_and_auto_suspend_resume(fake, ansible, cache_ttl):
    """native and auto both suspend natively; the job keeps running; resume lets checkpoints complete again."""
    server = fake(cache_ttl=cache_ttl, pause_ms=150, snapshot_ms=120)
    job = server.job
    _wait(lambda: (job.last_completed_id() or 0) >= 3, what="3 fake checkpoints")
    pins = []
    for method in ("native", "auto"):
        # warm the cache right before the suspension (a stale view is the dangerous case)
        server.cached_checkpoints()
        res = _pin(ansible, server, method=method)
        pins.append(_assert_final_native_pin(server, res))
        print("\nnative pin (%s, cache %.1fs): chk-%s timings %s reason %s" % (
            method, cache_ttl, pins[-1], res["timings"], res["pin_reason"]))
        resumed = run_module(ansible, "flink_checkpointing", dict(url=server.url, job_id=job.job_id, state="resumed",
                                                                  method=method))
        assert_ok(resumed, "resume")
        assert resumed["changed"] and resumed["method"] == "native" and resumed["job_state"] == "RUNNING"
        assert not job.suspended
        _wait(lambda: (job.last_completed_id() or 0) > pins[-1], what="a checkpoint after resume")
    assert pins[1] > pins[0]
    posts = [p for m, p in server.requests if m == "POST"]
    assert posts == ["/v1/jobs/%s/checkpointing" % job.job_id] * 4, posts
    assert not [p for m, p in server.requests if m == "PATCH"], "a native suspension must not cancel the job"


@pytest.mark.timeout(120)
def test_scheduled_waits_for_the_in_flight_checkpoint(fake, ansible):
    """mode=scheduled lets the checkpoint in flight complete first: it is the pin."""
    server = fake(cache_ttl=3.0, pause_ms=500, snapshot_ms=4000)
    job = server.job
    _wait(lambda: job.last_completed_id() == 1 and job.in_flight is not None, what="chk-1 and chk-2 in flight")
    in_flight = job.in_flight["id"]
    res = _pin(ansible, server, mode="scheduled")
    assert in_flight in res["in_flight_waited"], res
    assert _assert_final_native_pin(server, res) == in_flight
    assert res["timings"]["in_flight_wait"] > 0.5


@pytest.mark.timeout(120)
def test_coordinator_aborts_the_in_flight_checkpoint(fake, ansible):
    """mode=coordinator does not wait: the in-flight checkpoint is aborted and the previous one is pinned."""
    server = fake(cache_ttl=3.0, pause_ms=100, snapshot_ms=6000)
    job = server.job
    _wait(lambda: job.last_completed_id() == 1 and job.in_flight is not None, timeout=30, what="chk-1 and chk-2 in flight")
    res = _pin(ansible, server, mode="coordinator")
    assert _assert_final_native_pin(server, res) == 1
    assert res["in_flight_waited"] == []
    assert (2 in [e[2] for e in job.events if e[1] == "aborted"]) and not os.path.exists(job.chk_dir(2))


@pytest.mark.timeout(120)
def test_native_failure_cause_is_reported(fake, ansible):
    """A suspension that comes back COMPLETED with a failure-cause fails the module with that message."""
    server = fake(fail_suspend=True, pause_ms=100, snapshot_ms=50)
    _wait(lambda: (server.job.last_completed_id() or 0) >= 1)
    res = _pin(ansible, server, method="auto")
    assert_failed(res, "Checkpoint suspension refused by the coordinator")
    assert server.job.state == "RUNNING"
    assert not [p for m, p in server.requests if m == "PATCH"], "a failed native suspension must not fall back to a fence"


@pytest.mark.timeout(120)
def test_check_mode_and_unknown_routes(fake, ansible):
    """Check mode names native and changes nothing; a fake without the API makes native fail and auto fence."""
    server = fake(pause_ms=100, snapshot_ms=50)
    _wait(lambda: (server.job.last_completed_id() or 0) >= 1)
    check = run_module(ansible, "flink_checkpointing", dict(url=server.url, job_name=server.job.name), check=True)
    assert_ok(check)
    assert check["method"] == "native" and check["changed"] and not check["pin_is_final"]
    assert not server.job.suspended and not [m for m, p in server.requests if m in ("POST", "PATCH")]

    plain = fake(native=False, pause_ms=100, snapshot_ms=50)
    _wait(lambda: (plain.job.last_completed_id() or 0) >= 2)
    native = _pin(ansible, plain, method="native")
    assert_failed(native, "no native checkpoint suspension API")
    assert plain.job.state == "RUNNING"
    auto = _pin(ansible, plain, method="auto")
    assert_ok(auto)
    assert auto["method"] == "fence" and auto["job_state"] == "CANCELED"
    assert auto["pinned_checkpoint"]["id"] == plain.job.last_completed_id()


@pytest.mark.timeout(240)
def test_real_flink_has_no_native_api(flink_cluster, test_job_jar, ansible, workdir):
    """Against real Flink 2.3: method=native is a clear error (job still RUNNING), auto fences, resumed says why."""
    cluster = flink_cluster("real", rest_cache="3 s")
    job_id = start_job(cluster, test_job_jar, os.path.join(workdir, "out"), "real", checkpoint_interval=150)
    result = run_tasks(ansible, [
        task("native", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, method="native"), ignore_errors=True),
        task("native resume", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, method="native", state="resumed"),
             ignore_errors=True),
        task("auto resume", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, state="resumed")),
        task("auto", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, method="auto", mode="coordinator")),
    ])
    assert_failed(result.task("native"), "no native checkpoint suspension API")
    assert_failed(result.task("native resume"), "no native checkpoint suspension API")
    auto_resume = assert_ok(result.task("auto resume"))
    assert not auto_resume["changed"] and auto_resume["method"] == "fence"
    auto = assert_ok(result.task("auto"))
    assert auto["method"] == "fence" and auto["job_state"] == "CANCELED"
    time.sleep(1.0)
    assert auto["pinned_checkpoint"]["id"] == storage_max_complete(cluster.checkpoint_dir, job_id)

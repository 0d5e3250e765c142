# -*- coding: utf-8 -*-
"""Requests that reach Flink while their answers do not (dropped, late, hanging), through a fault-injecting proxy in
front of a real Flink 2.3 JobManager: every module says what Flink did (``changed``, the ids to join or look for),
a re-run joins instead of acting twice, no job starts twice, and a hanging poll ends with the module's timeout."""

import os
import time

import pytest

from tests.harness.faultproxy import FaultProxy
from tests.harness.mission import (active_jobs_named, job_spec, local_path, run_module, start_job, storage_checkpoints,
                                   wait_storage_checkpoints)
from tests.harness.native_fake import FakeFlink

pytestmark = pytest.mark.integration

JOB = r"/v1/jobs/[0-9a-f]{32}"


def _savepoints(cluster):
    found = os.listdir(cluster.savepoint_dir) if os.path.isdir(cluster.savepoint_dir) else []
    return sorted(n for n in found if n.startswith("savepoint-"))


def _manual_checkpoints(cluster, job_id):
    """How many checkpoint triggers of ``job_id`` the JobManager carried out (one log line each)."""
    line = "Triggering a manual checkpoint for job %s" % job_id
    count = 0
    for path in cluster.log_files():
        if "standalonesession" in os.path.basename(path) and path.endswith(".log"):
            with open(path, encoding="utf-8", errors="replace") as handle:
                count += sum(1 for text in handle if line in text)
    return count


def _failed_but_changed(res, *needles):
    assert res.get("failed") and res.get("changed") is True, res
    for needle in needles:
        assert needle in res["msg"], res["msg"]
    assert "Traceback" not in res["msg"]


@pytest.mark.timeout(600)
def test_writes_whose_answers_are_lost(flink_cluster, test_job_jar, ansible, workdir):
    cluster = flink_cluster("lost", rest_cache="100 ms")
    # one periodic checkpoint (Flink takes the first soon), then none for an hour: any later one was triggered here
    job = start_job(cluster, test_job_jar, os.path.join(workdir, "out"), "lost-job", wait_checkpoints=1,
                    checkpoint_interval=3600000)
    before = set(storage_checkpoints(cluster.checkpoint_dir, job))
    with FaultProxy(cluster.rest_port) as proxy:
        # a triggered checkpoint whose answers are all lost: it was taken; the failure says so and names its trigger id
        proxy.rules(dict(method="POST", path=JOB + "/checkpoints$", action="drop_after"))
        res = run_module(ansible, "flink_checkpointing", dict(url=proxy.url, job_id=job, state="triggered", timeout=60))
        _failed_but_changed(res, "may have carried out", res.get("trigger_id") or "no trigger id")
        # retried with the same trigger id: the JobManager took one checkpoint for the four requests (its log counts
        # the triggers it carried out; storage alone cannot tell, a startup checkpoint may land after ``before``)
        assert len([entry for entry in proxy.log if entry[0] == "POST"]) >= 4
        wait_storage_checkpoints(cluster.checkpoint_dir, job, after=max(before), timeout=30)
        time.sleep(1.0)  # a second trigger (a retry taken again) would be logged by now
        assert _manual_checkpoints(cluster, job) == 1

        # a savepoint whose trigger answer is lost: changed, with the trigger id; the re-run with it joins the one
        # savepoint Flink took
        proxy.rules(dict(method="POST", path=JOB + "/savepoints$", action="drop_after"))
        lost = run_module(ansible, "flink_savepoint", dict(url=proxy.url, job_id=job, timeout=60))
        _failed_but_changed(lost, "its trigger id is %s" % lost.get("trigger_id"))
        proxy.rules()
        joined = run_module(ansible, "flink_savepoint", dict(url=proxy.url, job_id=job, trigger_id=lost["trigger_id"]))
        assert not joined.get("failed") and not joined["changed"], joined
        assert _savepoints(cluster) == [os.path.basename(local_path(joined["savepoint_path"]))]

        # a status poll that hangs ends with the module's timeout, not after 4 attempts x request_timeout (40 s)
        proxy.rules(dict(method="GET", path=JOB + "/savepoints/", action="hang", seconds=60))
        began = time.monotonic()
        hung = run_module(ansible, "flink_savepoint", dict(url=proxy.url, job_id=job, timeout=3))
        assert hung.get("failed") and hung["changed"] and hung["trigger_id"], hung
        assert time.monotonic() - began < 20

        # a run that reaches the JobManager after the client gave up: the job is found by the id chosen for it
        proxy.rules(dict(method="POST", path=r"/v1/jars/[^/]+/run", action="delay", seconds=4))
        spec = job_spec(test_job_jar, os.path.join(workdir, "late"), "lost-late", checkpoint_interval=500)
        late = run_module(ansible, "flink_job", dict(spec, url=proxy.url, request_timeout=2, timeout=120))
        assert not late.get("failed") and late["changed"], late
        assert [j["jid"] for j in active_jobs_named(cluster, "lost-late")] == [late["job_id"]]
        proxy.rules()
        assert not run_module(ansible, "flink_job", dict(spec, url=proxy.url, state="canceled")).get("failed")

        # a stop whose answers are lost: the job stopped with a savepoint; the failure says changed and gives the
        # trigger id, with which a re-run returns that savepoint
        proxy.rules(dict(method="POST", path=JOB + "/stop$", action="drop_after"))
        stop = run_module(ansible, "flink_savepoint", dict(url=proxy.url, job_id=job, stop=True, timeout=60))
        _failed_but_changed(stop, stop.get("trigger_id") or "no trigger id")
        proxy.rules()
        stopped = run_module(ansible, "flink_savepoint", dict(url=proxy.url, job_id=job, stop=True,
                                                              trigger_id=stop["trigger_id"]))
        assert not stopped.get("failed") and not stopped["changed"] and stopped["job_state"] == "FINISHED", stopped
        assert os.path.isfile(os.path.join(local_path(stopped["savepoint_path"]), "_metadata"))

        # a disposal whose answer is lost: the savepoint is gone, and the failure says changed
        proxy.rules(dict(method="POST", path=r"/v1/savepoint-disposal$", action="drop_after"))
        disposed = run_module(ansible, "flink_savepoint", dict(url=proxy.url, state="absent",
                                                               path=joined["savepoint_path"], timeout=60))
        _failed_but_changed(disposed, "may have carried out")
        assert not os.path.exists(os.path.join(local_path(joined["savepoint_path"]), "_metadata"))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("fault", [dict(action="status", code=503), dict(action="hang", seconds=30),
                                   dict(action="drop_before")], ids=["503", "hang", "dropped"])
def test_method_auto_never_fences_on_a_probe_without_an_answer(ansible, workdir, fault):
    """The read-only probe for the native API telling nothing is no reason to cancel the job."""
    fake = FakeFlink(os.path.join(workdir, "fake-checkpoints"), cache_ttl=1.0).start()
    try:
        with FaultProxy(fake.port) as proxy:
            proxy.rules(dict(fault, method="GET", path=r"/checkpointing-suspension/"))
            res = run_module(ansible, "flink_checkpointing", dict(url=proxy.url, job_name=fake.job.name, mode="coordinator",
                                                                  timeout=30, retries=1, request_timeout=2))
            assert res.get("failed") and not res["changed"], res
            assert "cannot tell whether the cluster offers native checkpoint suspension" in res["msg"]
            assert fake.job.state == "RUNNING" and not fake.job.suspended
            # a suspend whose answer is lost: checkpointing is suspended, and the failure says so
            proxy.rules(dict(method="POST", path=r"/checkpointing$", action="drop_after"))
            lost = run_module(ansible, "flink_checkpointing", dict(url=proxy.url, job_name=fake.job.name, method="native",
                                                                   mode="coordinator", timeout=30))
            _failed_but_changed(lost, "may have carried out")
            assert lost["method"] == "native" and fake.job.suspended
    finally:
        fake.stop()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_flink_ops.py with a fake client (REST cache simulated) and real temp storage."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import threading
import time

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils import _storage as storage
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import (
    FlinkClient,
    FlinkConnectionError,
    FlinkError,
    FlinkUnsupported,
)
from tests.unit.plugins.module_utils.test_flink_client import FakeFlink

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")
JOB = "9860134a8d22a0a256732c13d2ce2201"


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)["body"]


def stats_up_to(checkpoint_id, root):
    """A /checkpoints body (from the captured one) whose newest completed checkpoint is ``checkpoint_id``."""
    body = load("checkpoints_canceled")
    template = body["history"][0]
    history = []
    for cid in range(checkpoint_id, 0, -1):
        entry = dict(template, id=cid, latest_ack_timestamp=1795240520000 + cid * 100,
                     external_path="file:%s/%s/chk-%d" % (root, JOB, cid), discarded=cid <= checkpoint_id - 3)
        history.append(entry)
    body["history"] = history[:10]
    body["latest"]["completed"] = copy.deepcopy(history[0]) if history else None
    body["counts"]["completed"] = checkpoint_id
    return body


class FakeClient:
    """Serves ``stale`` from /checkpoints until ``fresh_at`` (monotonic), then ``fresh``; counts the reads."""

    def __init__(self, stale, fresh=None, fresh_at=0.0, ttl=1.0, ha=False):
        self.stale = stale
        self.fresh = fresh if fresh is not None else stale
        self.fresh_at = fresh_at
        self.ttl = ttl
        self.ha = ha
        self.reads = []

    def without_high_availability(self):
        return not self.ha

    def checkpoints(self, job_id):
        assert job_id == JOB
        now = time.monotonic()
        body = self.fresh if now >= self.fresh_at else self.stale
        self.reads.append((now, "fresh" if body is self.fresh else "stale"))
        return body

    def cache_timeouts(self):
        return dict(execution_graph=self.ttl, checkpoint_stats=self.ttl)


def make_storage(root, complete, in_flight=()):
    for cid in complete:
        path = os.path.join(root, JOB, "chk-%d" % cid)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "_metadata"), "wb") as handle:
            handle.write(b"m")
    for cid in in_flight:
        os.makedirs(os.path.join(root, JOB, "chk-%d" % cid), exist_ok=True)
    return storage.open_storage(root), root


def test_storage_agrees_returns_at_once(tmp_path):
    root = str(tmp_path)
    store, base = make_storage(root, [7, 8, 9], in_flight=[10])
    client = FakeClient(stats_up_to(9, root), ttl=3.0)
    started = time.monotonic()
    entry, reason = ops.final_checkpoint(client, JOB, time.monotonic(), store, base)
    assert time.monotonic() - started < 0.5
    assert entry["id"] == 9 and "chk-9 is the newest _metadata" in reason
    assert len(client.reads) == 1


def test_stale_cache_is_never_the_answer(tmp_path):
    """Storage shows chk-9, the cached REST view only chk-8: 8 is never returned; a renewed view listing 9 is."""
    root = str(tmp_path)
    store, base = make_storage(root, [7, 8, 9])
    event_at = time.monotonic()
    client = FakeClient(stats_up_to(8, root), stats_up_to(9, root), fresh_at=event_at + 0.3, ttl=1.0)
    entry, reason = ops.final_checkpoint(client, JOB, event_at, store, base)
    waited = time.monotonic() - event_at
    assert entry["id"] == 9, (entry, client.reads)
    assert client.reads[0][1] == "stale" and client.reads[-1][1] == "fresh"
    assert waited >= 0.3 and waited < 1.0 + ops.CACHE_MARGIN + 0.3, waited
    assert "chk-9" in reason or "after checkpointing ended" in reason


def test_storage_ahead_of_rest_waits_the_cache_out(tmp_path):
    """chk-9 has _metadata but no REST view ever lists it completed (it was being discarded): after the cache period
    since the event, the fresh answer (8) is taken; never earlier."""
    root = str(tmp_path)
    store, base = make_storage(root, [8, 9])
    event_at = time.monotonic() - 0.2
    client = FakeClient(stats_up_to(8, root), ttl=0.6)
    entry, reason = ops.final_checkpoint(client, JOB, event_at, store, base)
    assert entry["id"] == 8 and "after checkpointing ended" in reason
    assert client.reads[-1][0] >= event_at + 0.6 + ops.CACHE_MARGIN - 0.01, "the answer was read before the cache expired"


def _ended(state="CANCELED", started_ago=60.0):
    """The overview entry of a job that ended in ``state`` and started ``started_ago`` s ago (server epoch ms)."""
    return {"jid": JOB, "name": "job", "state": state, "start-time": int((time.time() - started_ago) * 1000)}


def test_storage_is_the_record_of_a_cancelled_job_without_ha(tmp_path):
    """A warm cache still shows chk-8, storage chk-9: the job is CANCELED (coordinator shut down) on a cluster without
    HA, so chk-9's _metadata means completed and nothing newer can come: pinned at once, from storage."""
    root = str(tmp_path)
    store, base = make_storage(root, [7, 8, 9])
    client = FakeClient(stats_up_to(8, root), ttl=3.0)
    started = time.monotonic()
    entry, reason = ops.final_checkpoint(client, JOB, started, store, base, ended=_ended())
    assert time.monotonic() - started < 0.5 and len(client.reads) == 1
    assert entry["id"] == 9 and entry["source"] == "storage" and entry["external_path"] == "file:%s/%s/chk-9" % (root, JOB)
    assert "the record of completed checkpoints" in reason and "CANCELED" in reason
    pin = ops._pin_or_fail(client, _ended(), entry, store, False, "CANCELED")
    assert pin["id"] == 9 and pin["source"] == "storage" and pin["kind"] == "checkpoint" and pin["validated"]


@pytest.mark.parametrize("case", ["ha", "finished", "suspended", "no terminal state", "left by an earlier run",
                                  "no start time", "rest knows a newer one", "rest lists it failed"])
def test_storage_alone_is_not_the_record(tmp_path, case):
    """Without every condition of storage_is_final the REST cache is waited out (chk-9 is being discarded here)."""
    root = str(tmp_path)
    store, base = make_storage(root, [8, 9])
    stale = stats_up_to(8, root)
    ended = _ended()
    if case == "finished":
        ended["state"] = "FINISHED"
    elif case == "suspended":
        ended["state"] = "SUSPENDED"
    elif case == "no terminal state":
        ended = None
    elif case == "left by an earlier run":
        ended = _ended(started_ago=-30.0)  # chk-9 was written before this job started
    elif case == "no start time":
        del ended["start-time"]
    elif case == "rest knows a newer one":
        stale = stats_up_to(10, root)
        store, base = make_storage(root, [9])  # chk-10 deleted behind Flink's back: storage is not the record
    elif case == "rest lists it failed":
        stale["history"].insert(0, dict(stale["history"][0], id=9, status="FAILED"))
    client = FakeClient(stale, ttl=0.4, ha=case == "ha")
    event_at = time.monotonic()
    entry, reason = ops.final_checkpoint(client, JOB, event_at, store, base, ended=ended)
    assert "record of completed checkpoints" not in reason and entry.get("source") != "storage"
    assert client.reads[-1][0] >= event_at + 0.4 + ops.CACHE_MARGIN - 0.01, "the answer was read before the cache expired"
    assert entry["id"] == (10 if case == "rest knows a newer one" else 8)


@pytest.mark.parametrize("config, without", [
    ({}, False),  # not known
    ({"jobmanager.rpc.address": "127.0.0.1"}, True),
    ({"high-availability.type": "NONE"}, True),
    ({"high-availability.type": "zookeeper"}, False),
    ({"high-availability.type": "none", "high-availability": "KUBERNETES"}, False),
    ({"high-availability": "org.example.MyHaServicesFactory"}, False),
    ({"recovery.mode": "standalone"}, True),
    ({"recovery.mode": "zookeeper"}, False),
])
def test_without_high_availability(config, without):
    client = FlinkClient("http://127.0.0.1:1")
    client._jm_config = dict(config)
    assert client.without_high_availability() is without


def test_no_storage_waits_ttl_from_the_event():
    event_at = time.monotonic() - 0.3
    client = FakeClient(stats_up_to(4, "/c"), stats_up_to(5, "/c"), fresh_at=event_at + 0.8, ttl=0.8)
    entry, reason = ops.final_checkpoint(client, JOB, event_at, None, None)
    now = time.monotonic()
    assert entry["id"] == 5 and "REST cache 0.80s" in reason
    assert now - event_at >= 0.8 + ops.CACHE_MARGIN - 0.01
    assert now - event_at < 0.8 + ops.CACHE_MARGIN + 0.5, "waits from the event, not from the call"


def test_old_event_needs_no_wait():
    client = FakeClient(stats_up_to(4, "/c"), ttl=0.5)
    started = time.monotonic()
    entry = ops.final_checkpoint(client, JOB, started - 10.0, None, None)[0]
    assert entry["id"] == 4 and time.monotonic() - started < 0.2


def test_never_checkpointed(tmp_path):
    root = str(tmp_path)
    store, base = make_storage(root, [], in_flight=[1])
    body = stats_up_to(0, root)
    client = FakeClient(body, ttl=0.5)
    started = time.monotonic()
    # a view may predate the job's restore: only a fresh one can tell "never restored, never checkpointed"
    entry, reason = ops.final_checkpoint(client, JOB, started, store, base)
    assert entry is None and "after checkpointing ended" in reason and time.monotonic() - started >= 0.5


def test_a_restored_job_without_a_checkpoint_of_its_own_pins_its_restore_point(tmp_path):
    root = str(tmp_path)
    store, base = make_storage(root, [], in_flight=[19])
    body = stats_up_to(0, root)
    old_chk = "file:%s/%s/chk-18" % (root, "f" * 32)
    body["latest"]["restored"] = dict(id=18, restore_timestamp=1795240520000, is_savepoint=True, external_path=old_chk)
    started = time.monotonic()
    entry, reason = ops.final_checkpoint(FakeClient(body, ttl=3.0), JOB, started, store, base)
    assert time.monotonic() - started < 0.5  # a view that shows the restore proves it
    assert entry["id"] == 18 and entry["external_path"] == old_chk and "restored" in reason
    # the restore point is validated where its job directory is readable here
    os.makedirs(os.path.join(root, "f" * 32, "chk-18"))
    with pytest.raises(ops.JobError) as err:
        ops._pin_or_fail(None, dict(jid=JOB, name="j"), entry, store, False, "CANCELED")
    assert "has no _metadata" in str(err.value)
    with open(os.path.join(root, "f" * 32, "chk-18", "_metadata"), "wb") as handle:
        handle.write(b"m")
    pin = ops._pin_or_fail(None, dict(jid=JOB, name="j"), entry, store, False, "CANCELED")
    assert pin["restore_point"] and pin["validated"] and pin["kind"] == "checkpoint" and pin["id"] == 18
    # once it completed a checkpoint of its own, that is its state
    own = stats_up_to(19, root)
    own["latest"]["restored"] = body["latest"]["restored"]
    assert ops.restore_point_entry(body) is not None and ops.restore_point_entry(own) is None


def test_cache_longer_than_timeout_is_an_error(tmp_path):
    client = FakeClient(stats_up_to(4, "/c"), ttl=30.0)
    with pytest.raises(FlinkError) as err:
        ops.final_checkpoint(client, JOB, time.monotonic(), None, None, timeout=1.0)
    assert "longer than the time left" in str(err.value)


def test_newer_savepoint_is_not_hidden_by_storage(tmp_path):
    """With include_savepoints, a savepoint newer than the newest chk-N is not skipped by the storage fast path."""
    root = str(tmp_path)
    store, base = make_storage(root, [8, 9])
    body = stats_up_to(9, root)
    savepoint = dict(body["history"][0], id=10, is_savepoint=True, checkpoint_type="SAVEPOINT",
                     latest_ack_timestamp=1795240529999, external_path="file:/sp/savepoint-986013-0123456789ab")
    body["latest"]["savepoint"] = savepoint
    body["history"].insert(0, savepoint)
    client = FakeClient(body, ttl=0.2)
    entry = ops.final_checkpoint(client, JOB, time.monotonic() - 1.0, store, base, include_savepoints=True)[0]
    assert entry["id"] == 10 and entry["is_savepoint"]
    entry = ops.final_checkpoint(client, JOB, time.monotonic() - 1.0, store, base)[0]
    assert entry["id"] == 9


class RouteClient:
    """Answers GET/POST per path from a dict; for native_available / native_request / preflight."""

    def __init__(self, routes, checkpoints=None, config=None):
        self.routes = routes
        self.body = checkpoints
        self.config = config
        self.calls = []

    def _answer(self, method, path):
        self.calls.append((method, path))
        for prefix, answer in self.routes.items():
            if path.startswith(prefix):
                if isinstance(answer, Exception):
                    raise answer
                return answer() if callable(answer) else answer
        raise FlinkUnsupported("not found", status=404, flink_message="Not found: /v1" + path)

    def get(self, path, params=None):
        return self._answer("GET", path)

    def post(self, path, body=None, retry=False, params=None):
        return self._answer("POST", path)

    def url_for(self, path):
        return "http://fake/v1" + path

    def checkpoint_config(self, job_id):
        if self.config is None:
            raise FlinkError("not found", status=404)
        return self.config

    def checkpoints(self, job_id):
        return self.body

    def wait_operation(self, path, timeout, what, interval=0.05, max_interval=0.5):
        return self._answer("GET", path).get("operation")


def test_native_available_probe():
    assert not ops.native_available(RouteClient({}), JOB)
    missing = FlinkError("not found", status=404, flink_message="Operation not found under key: x")
    assert ops.native_available(RouteClient({"/jobs/%s/checkpointing-suspension/" % JOB: missing}), JOB)
    assert ops.native_available(RouteClient({"/jobs/%s/checkpointing-suspension/" % JOB: {"status": {"id": "COMPLETED"}}}), JOB)
    # a server error or no answer tells nothing: guessing "absent" would make method=auto cancel the job
    for failure in (FlinkError("boom", status=500), FlinkConnectionError("cannot reach Flink REST API (timed out)")):
        with pytest.raises(FlinkError) as err:
            ops.native_available(RouteClient({"/jobs/": failure}), JOB)
        assert "cannot tell whether the cluster offers native checkpoint suspension" in str(err.value)
        assert err.value.result["changed"] is False


def test_native_request_needs_a_request_id():
    client = RouteClient({"/jobs/%s/checkpointing" % JOB: {}})
    with pytest.raises(FlinkError) as err:
        ops.native_request(client, JOB, "suspend", 5)
    assert "without a request-id" in str(err.value)


def test_resume_native_on_cluster_without_api_is_clear():
    client = RouteClient({"/jobs/%s/status" % JOB: {"status": "RUNNING"}})
    client.job_status = lambda job_id: "RUNNING"
    with pytest.raises(FlinkError) as err:
        ops.resume(client, dict(jid=JOB, name="j"), method="native")
    assert "no native checkpoint suspension API" in str(err.value) and not isinstance(err.value, FlinkUnsupported)
    assert ops.resume(client, dict(jid=JOB, name="j"), method="auto")["changed"] is False


def test_preflight_refusals(tmp_path):
    job = dict(jid=JOB, name="j")
    config = load("checkpoints_config")
    with pytest.raises(ops.JobError) as err:
        ops.preflight(RouteClient({}, checkpoints=stats_up_to(3, "/c"), config=None), job)
    assert "checkpointing is off" in str(err.value)
    deleting = dict(config, externalization={"enabled": True, "delete_on_cancellation": True})
    with pytest.raises(ops.JobError) as err:
        ops.preflight(RouteClient({}, checkpoints=stats_up_to(3, "/c"), config=deleting), job)
    assert "DELETE_ON_CANCELLATION" in str(err.value)
    assert ops.preflight(RouteClient({}, stats_up_to(3, "/c"), deleting), job, require_retention=False)["enabled"]
    with pytest.raises(ops.JobError) as err:
        ops.preflight(RouteClient({}, checkpoints=stats_up_to(0, "/c"), config=config), job)
    assert "no completed checkpoint" in str(err.value)
    assert ops.preflight(RouteClient({}, stats_up_to(0, "/c"), config), job, allow_no_checkpoint=True)["enabled"]
    # a stale view where every entry is discarded still counts as "has checkpoints"
    body = stats_up_to(5, "/c")
    for entry in body["history"]:
        entry["discarded"] = True
    body["latest"]["completed"] = None
    assert ops.preflight(RouteClient({}, body, config), job)["retention"] == "RETAIN_ON_CANCELLATION"
    # with storage, REST is not read at all
    root = str(tmp_path)
    store, base = make_storage(root, [2])
    client = RouteClient({}, checkpoints=None, config=config)
    client.checkpoints = None  # would fail if called
    assert ops.preflight(client, job, store=store, base=base)["enabled"]


def test_preflight_refuses_a_checkpoint_storage_where_the_job_does_not_checkpoint(tmp_path):
    """A checkpoint_dir without the job's checkpoints (another directory) while Flink reports one completed elsewhere
    fails before the fence and names the right directory; the right storage in any spelling (also the job's own
    directory) is not refused, nor is a storage without a checkpoint of the job yet (a job restored from elsewhere)."""
    job = dict(jid=JOB, name="j")
    config = load("checkpoints_config")
    root = str(tmp_path / "checkpoints")
    store, base = make_storage(root, [])
    for wrong in ("file://%s/other" % root, "file:///elsewhere", "file:///elsewhere/%s" % JOB):
        with pytest.raises(ops.JobError) as err:
            ops.preflight(RouteClient({}, stats_up_to(3, root), config), job, store=store, base=wrong)
        text = str(err.value)
        assert "checkpoint_dir %s holds no checkpoint" % wrong in text and "set checkpoint_dir to file:%s " % root in text
    for spelling in ("file://%s" % root, "file:%s/" % root, root, "file://%s/%s/" % (root, JOB)):
        assert ops.preflight(RouteClient({}, stats_up_to(3, root), config), job, store=store, base=spelling)["enabled"]
    restored = stats_up_to(0, root)
    restored["latest"]["restored"] = dict(id=7, external_path="file:/other/%s/chk-7" % ("0" * 32), is_savepoint=False,
                                          restore_timestamp=1)
    assert ops.preflight(RouteClient({}, restored, config), job, store=store, base=base)["enabled"]


def test_wait_in_flight_storage(tmp_path):
    root = str(tmp_path)
    store, base = make_storage(root, [4], in_flight=[5])
    client = FakeClient(stats_up_to(4, root), ttl=5.0)
    done_at = time.monotonic() + 0.3

    def complete_later():
        while time.monotonic() < done_at:
            time.sleep(0.01)
        make_storage(root, [5])

    import threading  # pylint: disable=import-outside-toplevel

    thread = threading.Thread(target=complete_later)
    thread.start()
    waited = ops.wait_in_flight(client, JOB, 5.0, store, base)
    thread.join()
    assert waited == [5] and time.monotonic() >= done_at
    assert ops.wait_in_flight(client, JOB, 5.0, store, base) == []


def test_wait_in_flight_timeout(tmp_path):
    root = str(tmp_path)
    store, base = make_storage(root, [4], in_flight=[5])
    client = FakeClient(stats_up_to(4, root), ttl=5.0)
    with pytest.raises(FlinkError) as err:
        ops.wait_in_flight(client, JOB, 0.3, store, base)
    assert "timed out" in str(err.value) and "[5]" in str(err.value)


class SuspendClient(RouteClient):
    """A running job whose cancel works and whose checkpoint view stays stale for ``ttl`` seconds."""

    def __init__(self, root, ttl, end_after=0.0):
        super(SuspendClient, self).__init__({}, checkpoints=stats_up_to(4, root), config=load("checkpoints_config"))
        self.ttl = ttl
        self.state = "RUNNING"
        self.end_after = end_after
        self.cancelled = []

    def job_status(self, job_id):
        if self.state == "CANCELLING" and time.monotonic() >= self.end_after:
            self.state = "CANCELED"
        return self.state

    def cache_timeouts(self):
        return dict(execution_graph=self.ttl, checkpoint_stats=self.ttl)

    def checkpoint_storage_dir(self):
        return None

    def cancel(self, job_id):
        self.cancelled.append(job_id)
        self.state = "CANCELLING"
        self.end_after = time.monotonic() + self.end_after

    def wait_job_state(self, job_id, states, timeout, interval=0.02, max_interval=0.25):
        return ops.poll(lambda: (self.job_status(job_id) in states, (self.state, time.monotonic())), timeout, "job state")


def test_suspend_refuses_a_timeout_the_rest_cache_could_outlast_before_anything_changes(tmp_path):
    client = SuspendClient(str(tmp_path), ttl=3.0)
    with pytest.raises(ops.JobError) as err:
        ops.suspend(client, dict(jid=JOB, name="j"), mode="coordinator", method="fence", timeout=2.0)
    assert "REST checkpoint cache (3.0s)" in str(err.value) and "raise timeout" in str(err.value)
    assert client.cancelled == [] and client.state == "RUNNING"


def test_suspend_failing_after_the_fence_says_changed(tmp_path):
    root = str(tmp_path)
    # the cancel takes longer than the timeout: the job is on its way down, the failure must say so
    slow = SuspendClient(root, ttl=0.1, end_after=5.0)
    with pytest.raises(FlinkError) as err:
        ops.suspend(slow, dict(jid=JOB, name="j"), mode="coordinator", method="fence", timeout=0.5)
    assert slow.cancelled == [JOB] and err.value.result["changed"] is True and "re-run" in err.value.result["pin_reason"]
    # reading the pin fails once the job is cancelled (the JobManager answers 500): changed, with the job state
    client = SuspendClient(root, ttl=0.1)
    running_view = client.body

    def checkpoints(job_id):
        if client.state != "RUNNING":
            raise FlinkError("boom", status=500)
        return running_view

    client.checkpoints = checkpoints
    with pytest.raises(FlinkError) as err:
        ops.suspend(client, dict(jid=JOB, name="j"), mode="coordinator", method="fence", timeout=5.0)
    assert client.cancelled == [JOB] and err.value.status == 500 and err.value.result["changed"] is True
    assert err.value.result["job_state"] == "CANCELED" and err.value.result["method"] == "fence"


def test_a_fence_that_ends_finished_pins_the_stop_savepoint_that_won_the_race(tmp_path):
    """A stop-with-savepoint completing just as the fence cancels: the job ends FINISHED, its last state is the
    savepoint (its sinks committed up to it, and the stop deleted its chk-*), never "no checkpoint"."""
    client = SuspendClient(str(tmp_path), ttl=0.1)
    stats = client.body
    savepoint = dict(stats["history"][0], id=5, is_savepoint=True, checkpoint_type="SAVEPOINT_SUSPEND",
                     external_path="file:/sp/savepoint-986013-0123456789ab")
    stats["latest"]["savepoint"] = savepoint
    stats["history"] = [savepoint] + [dict(h, discarded=True) for h in stats["history"]]
    stats["latest"]["completed"] = None

    def cancel(job_id):
        client.cancelled.append(job_id)
        client.state = "FINISHED"

    client.cancel = cancel
    result = ops.suspend(client, dict(jid=JOB, name="j"), mode="coordinator", method="fence", timeout=5.0,
                         allow_no_checkpoint=True)
    assert result["job_state"] == "FINISHED" and result["pinned_checkpoint"]["kind"] == "savepoint"
    assert result["pinned_checkpoint"]["external_path"] == savepoint["external_path"]


@pytest.mark.parametrize("failure, state_after, changed, reason", [
    # the cancel never reached Flink: nothing changed
    (FlinkConnectionError("cannot reach Flink REST API (Connection refused)", method="PATCH"), "RUNNING", False,
     "the cancel failed"),
    # Flink answered with an error, and the job still runs
    (FlinkError("Internal Server Error", method="PATCH", status=500), "RUNNING", False, "the cancel failed"),
    # Flink answered with an error, but the job is going down
    (FlinkError("Internal Server Error", method="PATCH", status=500), "CANCELLING", True, "the job was cancelled"),
    # no answer to the cancel: it may have reached Flink
    ("unanswered", "RUNNING", True, "may have reached Flink"),
])
def test_a_failed_cancel_says_whether_the_job_was_fenced(tmp_path, failure, state_after, changed, reason):
    if failure == "unanswered":
        failure = FlinkConnectionError("no answer from the Flink REST API", method="PATCH", result=dict(changed=True))
        failure.unanswered = True
    client = SuspendClient(str(tmp_path), ttl=0.1)

    def cancel(job_id):
        client.state = state_after
        raise failure

    client.cancel = cancel
    with pytest.raises(FlinkError) as err:
        ops.suspend(client, dict(jid=JOB, name="j"), mode="coordinator", method="fence", timeout=5.0)
    assert err.value.result["changed"] is changed and reason in err.value.result["pin_reason"]
    assert err.value.result["method"] == "fence"


def test_a_run_whose_answer_is_lost_is_found_by_the_job_id_chosen_for_it():
    flink = FakeFlink()
    try:
        run = "/v1/jars/j.jar/run"
        flink.route("POST", run, ("drop", None))
        client = FlinkClient(flink.url, timeout=1.0, retries=0, retry_backoff=0.01)
        # the job appears a little after the lost answer (the JobManager was still building it)
        appeared = {}

        def answer_status():
            time.sleep(0.4)
            job_id = flink.calls("POST", run)[0]["body"]["jobId"]
            flink.route("GET", "/v1/jobs/%s/status" % job_id, (200, {"status": "RUNNING"}))
            appeared["id"] = job_id

        thread = threading.Thread(target=answer_status)
        thread.start()
        job_id = ops.submit(client, "j.jar", {"entryClass": "E"}, "job", timeout=5.0)
        thread.join()
        assert job_id == appeared["id"] and len(job_id) == 32
        assert len(flink.calls("POST", run)) == 1  # never sent twice

        # it never appears: the error names the job id to look for, and says the run may have started it
        flink.requests[:] = []
        with pytest.raises(FlinkError) as err:
            ops.submit(client, "j.jar", {"entryClass": "E"}, "job", timeout=0.5)
        chosen = flink.calls("POST", run)[0]["body"]["jobId"]
        assert err.value.result["changed"] is True and err.value.result["job_id"] == chosen
        assert "may still start" in str(err.value) and chosen in str(err.value)
    finally:
        flink.close()


def test_a_run_refused_with_an_answer_cancels_what_it_left_behind():
    flink = FakeFlink()
    try:
        run = "/v1/jars/j.jar/run"
        flink.route("POST", run, (502, {"errors": ["bad gateway"]}))
        flink.route("GET", "/v1/jobs/overview", (200, {"jobs": []}))
        client = FlinkClient(flink.url, timeout=1.0, retries=0, retry_backoff=0.01)
        with pytest.raises(FlinkError) as err:
            ops.submit(client, "j.jar", {"entryClass": "E"}, "job", timeout=2.0)
        assert err.value.status == 502 and "changed" not in err.value.result
        chosen = flink.calls("POST", run)[0]["body"]["jobId"]
        # looked for by its id only (no other job of the name is touched); none was there, nothing was cancelled
        assert flink.calls("GET", "/v1/jobs/overview") and not flink.calls("PATCH")
        assert chosen
    finally:
        flink.close()


def test_savepoint_and_checkpoint_waits_that_fail_return_the_trigger_id():
    timeout = ops.FlinkError("timed out")
    client = RouteClient({"/jobs/%s/savepoints" % JOB: {"request-id": "a" * 32}})
    client.operation_status = lambda path: None
    client.trigger = lambda path, body, trigger_id=None: trigger_id or "b" * 32

    def wait_fails(*args, **kwargs):
        raise timeout

    client.wait_operation = wait_fails
    with pytest.raises(FlinkError) as err:
        ops.savepoint(client, JOB, stop=True, trigger_id="c" * 32)
    assert err.value.result == dict(changed=True, trigger_id="c" * 32, job_id=JOB)
    with pytest.raises(FlinkError) as err:
        ops.trigger_checkpoint(client, JOB, trigger_id="d" * 32)
    assert err.value.result == dict(changed=True, trigger_id="d" * 32, job_id=JOB)

    def operation_failed(*args, **kwargs):
        raise ops.FlinkOperationFailed("savepoint failed")

    client.wait_operation = operation_failed
    with pytest.raises(FlinkError) as err:
        ops.savepoint(client, JOB, trigger_id="e" * 32)
    assert err.value.result["changed"] is False and err.value.result["trigger_id"] == "e" * 32


def test_jobs_needing_a_snapshot():
    sp = "file:/sp/savepoint-986013-0123456789ab"
    other = "file:/sp/savepoint-986013-ffffffffffff"

    def stats(newest=None, restored=None, completed=0):
        latest = dict(savepoint=dict(id=7, status="COMPLETED", external_path=newest, is_savepoint=True) if newest else None,
                      restored=dict(id=7, external_path=restored, is_savepoint=True) if restored else None)
        return dict(latest=latest, history=[], counts=dict(completed=completed))

    jobs = [dict(jid="a" * 32, name="ended", state="FINISHED"), dict(jid="b" * 32, name="moved-on", state="CANCELED"),
            dict(jid="c" * 32, name="moved-on", state="RUNNING"), dict(jid="d" * 32, name="fresh", state="RUNNING"),
            dict(jid="e" * 32, name="off", state="RUNNING")]
    bodies = {"a" * 32: stats(newest=sp), "b" * 32: stats(newest=sp), "c" * 32: stats(restored=other, completed=3),
              "d" * 32: stats(restored=sp + "/_metadata")}

    class Client:
        def jobs_overview(self):
            return jobs

        def checkpoints(self, job_id):
            if job_id not in bodies:
                raise FlinkError("checkpointing is off", status=404)
            return bodies[job_id]

    needing = ops.jobs_needing(Client(), sp + "/")
    assert [(job["name"], "last state" in why) for job, why in needing] == [("ended", True), ("fresh", False)]
    assert ops.jobs_needing(Client(), other) == []  # job c completed checkpoints of its own since its restore
    bodies["d" * 32]["counts"]["completed"] = 1
    assert [job["name"] for job, why in ops.jobs_needing(Client(), sp)] == ["ended"]
    # a checkpoint of a job's own storage: needed while it runs (even an older chk-N: shared incremental state), and
    # after it ended while no job of that name runs; not once a later run of that name carries its state on
    for owner, name in (("c" * 32, "moved-on"), ("e" * 32, "off"), ("a" * 32, "ended")):
        for chk in ("file:///ck/%s/chk-4" % owner, "s3://b/ck/%s/chk-1/_metadata" % owner):
            needing = ops.jobs_needing(Client(), chk)
            assert [job["name"] for job, why in needing] == [name] and "a checkpoint of that job" in needing[0][1], chk
    assert ops.jobs_needing(Client(), "file:///ck/%s/chk-4" % ("b" * 32)) == []
    assert ops.jobs_needing(Client(), "file:///ck/%s/chk-4" % ("f" * 32)) == []


def test_a_jar_that_cannot_be_read_is_a_clear_error(tmp_path):
    with pytest.raises(FlinkError) as err:
        ops.file_sha256(str(tmp_path))
    assert "cannot read jar %s on the controller" % tmp_path in str(err.value)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_flink_jobs.py: whether a running job satisfies a restore, and the job name check."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_jobs as jobs
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError

OLD = "9860134a8d22a0a256732c13d2ce2201"
NEW = "1f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11"
PIN = "file:/ck/%s/chk-12" % OLD


class RestoredClient:
    def __init__(self, path, checkpoint_id):
        self.restored = dict(id=checkpoint_id, external_path=path, is_savepoint=False, restore_timestamp=1)

    def checkpoints(self, job_id):
        return dict(latest=dict(restored=self.restored))


def test_a_job_restored_from_the_pin_in_any_spelling_satisfies_the_restore():
    job = dict(jid=NEW, name="j")
    for path in (PIN, PIN + "/", "file:///ck/%s/chk-12/_metadata" % OLD):
        assert jobs.existing_matches(RestoredClient(PIN, 12), job, path, 12) is None, path
    assert "not from" in jobs.existing_matches(RestoredClient("file:/ck/%s/chk-9" % OLD, 9), job, PIN, 12)


def test_a_job_that_failed_over_since_is_never_rewound():
    # latest.restored now names the job's own checkpoint: what it was first started from is gone from Flink's answer
    client = RestoredClient("file:/ck/%s/chk-14" % NEW, 14)
    with pytest.raises(FlinkError) as err:
        jobs.existing_matches(client, dict(jid=NEW, name="j"), PIN, 12)
    text = str(err.value)
    assert "failover" in text and "leave it running" in text and "replace=true" not in text


def test_check_job_name():
    jobs.check_job_name("orders", "orders", "jar-1")
    jobs.check_job_name(None, "orders", "jar-1")  # the plan did not say
    with pytest.raises(FlinkError) as err:
        jobs.check_job_name("orders-v2", "orders", "jar-1")
    assert "names its job 'orders-v2', not 'orders'" in str(err.value)


def test_check_restore_point(tmp_path):
    job_dir = tmp_path / OLD
    (job_dir / "chk-3").mkdir(parents=True)
    (job_dir / "chk-3" / "_metadata").write_bytes(b"m")
    (job_dir / "chk-4").mkdir()
    for good in ("file:%s/chk-3" % job_dir, "file://%s/chk-3/_metadata" % job_dir, None, "",
                 "file:/not/shared/%s/chk-9" % OLD, "hdfs://nn/ck/%s/chk-9" % OLD):
        jobs.check_restore_point(good, {})
    for missing in ("file:%s/chk-4" % job_dir, "file:%s/chk-5/_metadata" % job_dir):
        with pytest.raises(FlinkError) as err:
            jobs.check_restore_point(missing, {})
        assert "has no _metadata" in str(err.value) and missing in str(err.value)


class ReplaceClient(RestoredClient):
    """A cluster where job ``j`` runs from another checkpoint (so a restore from PIN replaces it); the jar is uploaded
    as ``jar-1``; ``plan_error`` makes its plan fail."""

    def __init__(self, plan_error=None, delete_on_cancel=False):
        RestoredClient.__init__(self, "file:/ck/%s/chk-9" % OLD, 9)
        self.plan_error = plan_error
        self.calls = []
        self.base_url = "http://127.0.0.1:1"
        self.config = dict(interval=1000, externalization=dict(enabled=True, delete_on_cancellation=delete_on_cancel))
        self.cancel_wait = None

    def checkpoint_config(self, job_id):
        return self.config

    def wait_job_state(self, job_id, states, timeout):
        self.calls.append(("wait", job_id))
        if self.cancel_wait:
            raise self.cancel_wait
        return "CANCELED", {}

    def active_job(self, name):
        return dict(jid=NEW, name=name, state="RUNNING")

    def jars(self):
        return [dict(id="jar-1", name="job.jar")]

    def post(self, path, body=None, retry=False):
        self.calls.append(("POST", path))
        if self.plan_error:
            raise FlinkError(self.plan_error, method="POST", url=self.base_url + path, status=400)
        return dict(plan=dict(name="j"))

    def cancel(self, job_id):
        self.calls.append(("cancel", job_id))


def replace_params(restore_from, **more):
    params = dict(name="j", timeout=30, restore_from=restore_from, replace=True, submit=True, jar="jar-1", entry_class=None,
                  args=[], parallelism=None, claim_mode="no_claim", allow_non_restored_state=False, flink_config=None,
                  aws={}, watch_seconds=0)
    params.update(more)
    return params


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_replace_that_could_not_start_never_cancels_the_running_job(tmp_path, check_mode):
    """The replaced job is cancelled only once the restore point is in the storage readable here and the jar builds the
    job's plan: bad input fails before any change (in check mode too, as the run would)."""
    (tmp_path / OLD).mkdir()  # the job's checkpoint directory is readable here, without chk-7
    missing = "file:%s/%s/chk-7" % (tmp_path, OLD)
    client = ReplaceClient()
    with pytest.raises(FlinkError) as err:
        jobs.ensure_running(client, replace_params(missing), check_mode)
    assert "has no _metadata" in str(err.value) and not err.value.result.get("changed")
    assert client.calls == []

    good = tmp_path / OLD / "chk-8"
    good.mkdir()
    (good / "_metadata").write_bytes(b"m")
    client = ReplaceClient(plan_error="ClassNotFoundException: flinkops.NoSuchJob")
    with pytest.raises(FlinkError) as err:
        jobs.ensure_running(client, replace_params("file:%s" % good), check_mode)
    assert "cannot be built from jar jar-1" in str(err.value) and "NoSuchJob" in str(err.value)
    assert client.calls == [("POST", "/jars/jar-1/plan")]


def test_a_replace_check_that_would_start_reports_the_replace():
    client = ReplaceClient()
    result = jobs.ensure_running(client, replace_params(PIN), True)
    assert result["changed"] and result["replaced"] == NEW
    assert client.calls == [("POST", "/jars/jar-1/plan")]


class CancelClient:
    def __init__(self, config):
        self.config = config

    def checkpoint_config(self, job_id):
        if self.config is None:
            raise FlinkError("not found", status=404)
        return self.config


@pytest.mark.parametrize("config, retained", [
    (dict(interval=1000, externalization=dict(enabled=True, delete_on_cancellation=False)), True),
    (dict(interval=1000, externalization=dict(enabled=True, delete_on_cancellation=True)), False),
    (dict(interval=1000, externalization=dict(enabled=False)), False),
    (None, True),  # checkpointing off: no checkpoints to discard
])
def test_a_cancel_warns_when_it_discards_the_checkpoints(config, retained):
    kept, warnings = jobs.cancel_warnings(CancelClient(config), dict(jid=NEW, name="j"))
    assert kept is retained and bool(warnings) is not retained
    assert all("the cancel discards them" in w and NEW in w for w in warnings)


def test_a_replace_never_deletes_its_own_restore_point(tmp_path):
    """A job whose checkpoints are deleted on cancellation cannot be replaced from one of its own checkpoints (the
    cancel would delete it): refused before any change. From elsewhere the replace goes on, with a warning."""
    own = tmp_path / NEW / "chk-5"
    own.mkdir(parents=True)
    (own / "_metadata").write_bytes(b"m")
    client = ReplaceClient(delete_on_cancel=True)
    with pytest.raises(FlinkError) as err:
        jobs.ensure_running(client, replace_params("file://%s" % own), False)
    assert "is one of its own checkpoints" in str(err.value) and "state=stopped" in str(err.value)
    assert ("cancel", NEW) not in client.calls
    result = jobs.ensure_running(client, replace_params(PIN), True)
    assert result["replaced"] == NEW and any("discards them" in w for w in result["warnings"])


def test_a_replace_whose_cancel_wait_runs_out_says_changed():
    client = ReplaceClient()
    client.cancel_wait = FlinkError("timed out waiting for job to end")
    with pytest.raises(FlinkError) as err:
        jobs.ensure_running(client, replace_params(PIN), False)
    assert err.value.result["changed"] and err.value.result["replaced"] == NEW
    assert ("cancel", NEW) in client.calls


def test_an_unreadable_checkpoint_dir_fails_before_the_replace(tmp_path):
    client = ReplaceClient()
    params = replace_params(PIN, checkpoint_dir="file://%s/missing" % tmp_path, wait_for="checkpoint")
    with pytest.raises(FlinkError) as err:
        jobs.ensure_running(client, params, False)
    assert "missing" in str(err.value) and not err.value.result.get("changed")
    assert ("cancel", NEW) not in client.calls


class StartedClient:
    """A started job (``NEW``) whose checkpoints are (not) retained on cancellation; records cancels."""

    def __init__(self, retained):
        self.config = dict(interval=1000, externalization=dict(enabled=True, delete_on_cancellation=not retained))
        self.calls = []

    def checkpoint_config(self, job_id):
        return self.config

    def cancel(self, job_id):
        self.calls.append(("cancel", job_id))

    def wait_job_state(self, job_id, states, timeout):
        return "CANCELED", {}


@pytest.mark.parametrize("claim, retained, cancelled", [
    ("claim", False, False),  # the cancel would delete the claimed snapshot: left as it is
    ("claim", True, True),
    ("no_claim", False, True),
])
def test_a_failed_start_is_cancelled_unless_that_deletes_the_claimed_snapshot(claim, retained, cancelled):
    client = StartedClient(retained)
    exc = FlinkError("the restore could not be proven")
    jobs.clean_up_start(client, dict(claim_mode=claim), NEW, [dict(jid=NEW, state="RUNNING")], exc, 10.0, PIN)
    assert (("cancel", NEW) in client.calls) is cancelled
    assert exc.result["changed"] and exc.result["job_id"] == NEW and exc.result["cancelled"] is cancelled
    if not cancelled:
        assert exc.result["left_running"] and "would delete that snapshot" in str(exc) and PIN in str(exc)


class RunningClient(RestoredClient):
    """Job ``j`` runs restored from PIN (checkpoint 12); records what is asked of it."""

    def __init__(self):
        RestoredClient.__init__(self, PIN, 12)
        self.calls = []

    def active_job(self, name):
        return dict(jid=NEW, name=name, state="RUNNING")

    def cancel(self, job_id):
        self.calls.append(("cancel", job_id))


def test_a_job_found_running_from_the_restore_point_is_proven_like_a_start(monkeypatch):
    """wait_for=checkpoint on a job already running from restore_from (an application cluster's bootstrap started it,
    or a re-run): every task must run and a checkpoint newer than the restored one complete - it is not taken as
    proven because it exists; a failure never cancels it (this run did not start it)."""
    asked = []
    monkeypatch.setattr(jobs.ops, "wait_running", lambda client, job_id, timeout: asked.append(("running", job_id)))
    monkeypatch.setattr(jobs.ops, "storage_for", lambda *args, **kwargs: (None, None))

    def new_checkpoint(client, job_id, timeout, after, store, base, trigger=False):
        asked.append(("checkpoint after", after, trigger))
        return 13
    monkeypatch.setattr(jobs.ops, "wait_new_checkpoint", new_checkpoint)
    client = RunningClient()
    params = replace_params(PIN, replace=False, wait_for="checkpoint", checkpoint_dir=None, trigger_checkpoint=False)
    result = jobs.ensure_running(client, params, False)
    assert not result["changed"] and result["job_id"] == NEW and result["first_checkpoint_id"] == 13
    assert asked == [("running", NEW), ("checkpoint after", 12, False)]
    assert jobs.ensure_running(client, params, True)["job_id"] == NEW and len(asked) == 2  # check mode waits for nothing

    def none_yet(*args, **kwargs):
        raise FlinkError("timed out waiting for a new checkpoint of job %s" % NEW)
    monkeypatch.setattr(jobs.ops, "wait_new_checkpoint", none_yet)
    with pytest.raises(FlinkError):
        jobs.ensure_running(client, params, False)
    assert client.calls == []


class StagingClient(ReplaceClient):
    """Job ``j`` runs; the cluster has no copy of the jar: an upload answers ``staged.jar``; ``delete_error`` makes
    the delete fail."""

    def __init__(self, plan_error=None, delete_error=None):
        ReplaceClient.__init__(self, plan_error=plan_error)
        self.delete_error = delete_error

    def jars(self):
        return []

    def request(self, method, path, **kwargs):
        self.calls.append((method, path))
        return dict(status="success", filename="/tmp/flink-web-upload/staged.jar")

    def delete(self, path):
        self.calls.append(("DELETE", path))
        if self.delete_error:
            raise FlinkError(self.delete_error, method="DELETE", url=self.base_url + path, status=500)


@pytest.mark.parametrize("plan_error", [None, "ClassNotFoundException: no.such.Main"])
def test_check_plan_stages_the_jar_of_a_running_job_and_deletes_it(tmp_path, plan_error):
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK jar")
    client = StagingClient(plan_error=plan_error)
    params = replace_params(None, replace=False, jar=str(jar), check_plan=True)
    if plan_error:
        with pytest.raises(FlinkError) as err:
            jobs.ensure_running(client, params, True)
        assert "cannot be built from jar staged.jar" in str(err.value) and not err.value.result.get("changed")
    else:
        result = jobs.ensure_running(client, params, True)
        assert result["plan_checked"] is True and not result["changed"] and result["job_id"] == NEW
    assert client.calls == [("POST", "/jars/upload"), ("POST", "/jars/staged.jar/plan"), ("DELETE", "/jars/staged.jar")]


def test_check_plan_without_a_jar_or_outside_check_mode_checks_nothing(tmp_path):
    client = StagingClient()
    assert jobs.ensure_running(client, replace_params(None, replace=False, jar=None, check_plan=True), True)["plan_checked"] is False
    assert jobs.ensure_running(client, replace_params(None, replace=False, submit=False, check_plan=True), True)["plan_checked"] is False
    assert "plan_checked" not in jobs.ensure_running(client, replace_params(None, replace=False, check_plan=False), True)
    assert client.calls == []


def test_check_plan_warns_when_the_staged_jar_stays(tmp_path):
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK jar")
    client = StagingClient(delete_error="busy")
    result = jobs.ensure_running(client, replace_params(None, replace=False, jar=str(jar), check_plan=True), True)
    assert result["plan_checked"] is True and "could not be deleted" in result["warnings"][0]

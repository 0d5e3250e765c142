# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_patching.py: the ledger around a pin, and the target check of a handover."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger
from ansible_collections.flinkops.fleet.plugins.module_utils import _patching as patching
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError

JOB = "9860134a8d22a0a256732c13d2ce2201"
PIN = dict(id=9, external_path="file:/c/%s/chk-9" % JOB, kind="checkpoint", job_id=JOB, job_name="orders")


class Client:
    """The job ``orders`` (``JOB``, in ``state``) on a cluster at ``url``."""

    def __init__(self, state="RUNNING", url="http://127.0.0.1:1", jobs=None):
        self.base_url = url
        self.jobs = jobs if jobs is not None else [dict(jid=JOB, name="orders", state=state)]

    def resolve_job(self, name=None, job_id=None):
        return self.jobs[0]

    def find_jobs(self, name=None, job_id=None):
        return list(self.jobs)

    def active_job(self, name):
        active = [j for j in self.jobs if j["state"] in ("RUNNING", "CREATED", "RESTARTING")]
        return active[0] if active else None


def fake_suspend(changed):
    def suspend(client, job, check_mode=False, **kwargs):
        return dict(changed=changed, method="fence", job_state="CANCELED", pinned_checkpoint=dict(PIN), timings={})
    return suspend


def test_a_ledger_the_pin_cannot_be_written_to_fails_before_the_fence(tmp_path, monkeypatch):
    fenced = []
    monkeypatch.setattr(patching.ops, "suspend", lambda *a, **k: fenced.append(1))
    monkeypatch.setattr(patching._ledger.os, "access", lambda path, mode: False)  # (root may write anywhere)
    with pytest.raises(FlinkError) as err:
        patching.pin_with_ledger(Client(), "orders", str(tmp_path / "ledger"), "prod", {})
    assert "cannot write ledger entries" in str(err.value) and "not a writable directory" in str(err.value)
    assert fenced == []


def test_a_pin_whose_record_fails_after_the_fence_says_changed_and_names_the_pin(tmp_path, monkeypatch):
    monkeypatch.setattr(patching.ops, "suspend", fake_suspend(True))

    def refuse(*args, **kwargs):
        raise _ledger.LedgerError("cannot write ledger entry: disk full")
    monkeypatch.setattr(patching._ledger, "record_pin", refuse)
    with pytest.raises(FlinkError) as err:
        patching.pin_with_ledger(Client(), "orders", str(tmp_path / "ledger"), "prod", {})
    assert err.value.result["changed"] and err.value.result["pinned_checkpoint"]["id"] == 9
    assert "is fenced and its pin is checkpoint 9" in str(err.value) and "disk full" in str(err.value)


def test_a_rerun_on_a_job_fenced_before_never_reopens_its_finished_entry(tmp_path, monkeypatch):
    ledger_uri = str(tmp_path / "ledger")
    ledger = _ledger.open_ledger(ledger_uri)
    key = _ledger.entry_key("prod", "orders")
    _ledger.record_pin(ledger, key, PIN, "prod", "orders")
    _ledger.update_status(ledger, key, "restored", dict(new_job_id="b" * 32))
    _ledger.update_status(ledger, key, "done")
    before = ledger.get(key)
    monkeypatch.setattr(patching.ops, "suspend", fake_suspend(False))  # the job is CANCELED already: same pin
    result = patching.pin_with_ledger(Client(state="CANCELED"), "orders", ledger_uri, "prod", {})
    assert not result["changed"] and result["ledger_entry"]["status"] == "done"
    assert ledger.get(key) == before
    # a new fence (another pin) is recorded as a new entry
    monkeypatch.setattr(patching.ops, "suspend", fake_suspend(True))
    assert patching.pin_with_ledger(Client(), "orders", ledger_uri, "prod", {})["changed"]
    assert ledger.get(key)["status"] == "pinned"


def test_a_handover_target_running_the_job_while_the_source_still_runs_it_is_refused():
    other = "c" * 32
    source = Client()
    target = Client(url="http://127.0.0.1:2", jobs=[dict(jid=other, name="orders", state="RUNNING")])
    with pytest.raises(FlinkError) as err:
        patching.check_target_free(source, target, "orders")
    assert "already runs a job of that name (%s" % other in str(err.value) and JOB in str(err.value)
    patching.check_target_free(Client(state="CANCELED"), target, "orders")  # fenced: the target's may come from the pin
    patching.check_target_free(source, Client(url="http://127.0.0.1:2", jobs=[]), "orders")
    patching.check_target_free(source, source, "orders")  # one cluster: the same job

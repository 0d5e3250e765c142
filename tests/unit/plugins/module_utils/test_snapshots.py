# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_snapshots.py on REST bodies captured from Flink 2.3."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _snapshots as snapshots

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")
JOB = "9860134a8d22a0a256732c13d2ce2201"


def load(name):
    with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as handle:
        return json.load(handle)["body"]


@pytest.fixture
def running():
    return load("checkpoints_running")


@pytest.fixture
def canceled():
    return load("checkpoints_canceled")


def savepoint_entry(checkpoint_id, ack, path="file:/sp/savepoint-986013-0123456789ab", discarded=False):
    return {"className": "completed", "id": checkpoint_id, "status": "COMPLETED", "is_savepoint": True,
            "savepointFormat": "CANONICAL", "trigger_timestamp": ack - 50, "latest_ack_timestamp": ack,
            "checkpoint_type": "SAVEPOINT", "external_path": path, "discarded": discarded, "state_size": 10}


def test_iso_time():
    assert snapshots.iso_time(1795240524419) == "2026-11-21T05:55:24.419Z"
    assert snapshots.iso_time(None) is None and snapshots.iso_time(-1) is None and snapshots.iso_time(0) is None


def test_job_summary_running_and_canceled():
    job = load("jobs_overview_running")["jobs"][0]
    info = snapshots.job_summary(job)
    assert info["job_id"] == JOB and info["state"] == "RUNNING" and info["end_time"] is None and info["end_time_ms"] is None
    assert info["start_time"].endswith("Z") and info["start_time_ms"] == 1795240519943
    done = snapshots.job_summary(load("job_canceled"))
    assert done["state"] == "CANCELED" and done["end_time_ms"] == 1795240524638 and done["duration_ms"] == 4695


def test_checkpointing_summary_and_retention():
    config = load("checkpoints_config")
    info = snapshots.checkpointing_summary(config)
    assert info["enabled"] and info["interval_ms"] == 300 and info["mode"] == "EXACTLY_ONCE"
    assert info["retention"] == snapshots.RETAIN and info["max_concurrent"] == 1 and info["unaligned"] is False
    deleting = dict(config, externalization={"enabled": True, "delete_on_cancellation": True})
    assert snapshots.retention_of(deleting) == snapshots.DELETE
    assert snapshots.retention_of(dict(config, externalization={"enabled": False})) == snapshots.NOT_EXTERNALIZED
    assert snapshots.retention_of(None) == snapshots.NOT_EXTERNALIZED
    # Flink 2.3 answers 200 with Long.MAX_VALUE for a job without periodic checkpoints
    off = snapshots.checkpointing_summary(dict(config, interval=2 ** 63 - 1, mode="at_least_once"))
    assert not off["enabled"] and off["interval_ms"] is None
    assert not snapshots.checkpointing_summary(dict(config, interval=0))["enabled"]
    none = snapshots.checkpointing_summary(None)
    assert none["enabled"] is False and none["retention"] is None


def test_latest_completed_skips_discarded_and_savepoints(canceled):
    entry = snapshots.latest_completed(canceled)
    assert entry["id"] == 9 and entry["external_path"].endswith("/chk-9")
    body = copy.deepcopy(canceled)
    body["latest"]["completed"] = None
    for item in body["history"]:
        if item["id"] in (9, 8):
            item["discarded"] = True
    assert snapshots.latest_completed(body)["id"] == 7
    for item in body["history"]:
        item["discarded"] = True
    assert snapshots.latest_completed(body) is None
    # a newer savepoint only counts with include_savepoints
    body = copy.deepcopy(canceled)
    body["latest"]["savepoint"] = savepoint_entry(10, 1795240525000)
    body["history"].insert(0, savepoint_entry(10, 1795240525000))
    assert snapshots.latest_completed(body)["id"] == 9
    assert snapshots.latest_completed(body, include_savepoints=True)["id"] == 10


def test_latest_completed_ignores_in_progress_failed_and_pathless(running):
    body = copy.deepcopy(running)
    body["history"].insert(0, {"id": 8, "status": "IN_PROGRESS", "external_path": None, "latest_ack_timestamp": 1795240529999})
    body["history"].insert(0, {"id": 9, "status": "FAILED", "external_path": "file:/x/chk-9", "latest_ack_timestamp": 1795240530000})
    body["history"].insert(0, {"id": 10, "status": "COMPLETED", "external_path": None, "latest_ack_timestamp": 1795240530001})
    assert snapshots.latest_completed(body)["id"] == 7
    assert snapshots.latest_completed({}) is None and snapshots.latest_completed(None) is None


def test_snapshot_from_rest_shape(canceled):
    job = dict(jid=JOB, name="fleet-test-job", state="CANCELED")
    snap = snapshots.snapshot_from_rest(canceled["latest"]["completed"], job, now_ms=1795240525419)
    assert snap["id"] == 9 and snap["kind"] == "checkpoint" and snap["age_seconds"] == 1.0
    assert snap["job_id"] == JOB and snap["job_name"] == "fleet-test-job" and snap["job_state"] == "CANCELED"
    assert snap["completed_at_ms"] == 1795240524419 and snap["state_size"] == 6312 and snap["source"] == "rest"
    assert snapshots.snapshot_from_rest(None) is None
    assert snapshots.snapshot_from_rest(savepoint_entry(3, 100))["kind"] == "savepoint"
    # a savepoint only recognisable by its checkpoint_type
    typed = dict(canceled["latest"]["completed"], is_savepoint=False, checkpoint_type="SAVEPOINT")
    assert snapshots.snapshot_from_rest(typed)["kind"] == "savepoint"


def test_restored_from_rest(canceled):
    assert snapshots.restored_from_rest(canceled) is None
    body = copy.deepcopy(canceled)
    body["latest"]["restored"] = {"id": 7, "restore_timestamp": 1795240530000, "is_savepoint": True,
                                  "external_path": "file:/c/%s/chk-7" % JOB}
    restored = snapshots.restored_from_rest(body)
    # Flink flags every savepointPath restore as is_savepoint; a chk-N path is a checkpoint
    assert restored["kind"] == "checkpoint" and restored["id"] == 7 and restored["restored_at_ms"] == 1795240530000
    body["latest"]["restored"]["external_path"] = "file:/sp/savepoint-986013-0123456789ab"
    assert snapshots.restored_from_rest(body)["kind"] == "savepoint"
    body["latest"]["restored"].update(is_savepoint=False, external_path="s3://b/c/%s/chk-7/" % JOB)
    assert snapshots.restored_from_rest(body)["kind"] == "checkpoint"


def test_storage_dir_from_path_and_job_id():
    assert snapshots.storage_dir_from_path("file:/c/%s/chk-9" % JOB, JOB) == "file:/c"
    assert snapshots.storage_dir_from_path("s3://b/p/%s/chk-12/" % JOB, JOB) == "s3://b/p"
    assert snapshots.storage_dir_from_path("file:/sp/savepoint-986013-0123456789ab", JOB) is None
    assert snapshots.storage_dir_from_path("file:/c/%s/chk-9" % ("f" * 32), JOB) is None
    assert snapshots.storage_dir_from_path(None, JOB) is None
    assert snapshots.is_job_id(JOB) and snapshots.is_job_id(JOB.upper())
    for bad in ("", None, JOB[:-1], JOB + "0", "g" * 32, "not-a-job-id"):
        assert not snapshots.is_job_id(bad)


def test_rest_snapshots_dedup_and_savepoints(canceled):
    found = snapshots.rest_snapshots(canceled, now_ms=1795240530000)
    assert [s["id"] for s in found] == [9, 8, 7]  # discarded 1..6 dropped, latest.completed == history[0] once
    body = copy.deepcopy(canceled)
    body["latest"]["savepoint"] = savepoint_entry(10, 1795240525000)
    body["history"].insert(0, savepoint_entry(10, 1795240525000))
    assert [s["id"] for s in snapshots.rest_snapshots(body)] == [9, 8, 7]
    with_sp = snapshots.rest_snapshots(body, include_savepoints=True)
    assert sorted(s["id"] for s in with_sp) == [7, 8, 9, 10] and len(with_sp) == 4


def test_storage_snapshot_shape_and_merge_order(canceled):
    job = dict(jid=JOB, name="fleet-test-job", state="CANCELED")
    rest = snapshots.rest_snapshots(canceled, job, now_ms=1795240530000)
    chk9 = dict(id=9, path="file:/work/main/.cache/scratch/c2/checkpoints/%s/chk-9" % JOB, complete=True,
                metadata_time=1795240524.5)
    chk10 = dict(id=10, path="file:///work/main/.cache/scratch/c2/checkpoints/%s/chk-10/" % JOB, complete=True,
                 metadata_time=1795240526.0)
    storage = [snapshots.snapshot_from_storage(c, "checkpoint", job, now_ms=1795240530000) for c in (chk10, chk9)]
    assert storage[0]["source"] == "storage" and storage[0]["completed_at_ms"] == 1795240526000
    assert storage[0]["age_seconds"] == 4.0 and storage[0]["state_size"] is None
    savepoint = snapshots.snapshot_from_storage(dict(path="file:/sp/savepoint-986013-0123456789ab", metadata_time=1795240528.0,
                                                     name="savepoint-986013-0123456789ab"), "savepoint", job)
    assert savepoint["id"] is None and savepoint["kind"] == "savepoint"
    merged = snapshots.merge_candidates(rest, storage + [savepoint])
    assert [(m["id"], m["source"]) for m in merged] == [(None, "storage"), (10, "storage"), (9, "rest"), (8, "rest"), (7, "rest")]
    # the REST entry wins over the storage one for the same path, whatever the order and spelling
    assert snapshots.merge_candidates(storage, rest)[0]["source"] == "storage"  # chk-10 is only in storage
    assert [m["source"] for m in snapshots.merge_candidates(storage, rest) if m["id"] == 9] == ["rest"]
    assert snapshots.merge_candidates() == [] and snapshots.merge_candidates(None, []) == []


def test_merge_keeps_time_of_storage_when_rest_has_none():
    rest = dict(id=4, external_path="file:/c/j/chk-4", source="rest", completed_at_ms=None, completed_at=None)
    store = dict(id=4, external_path="file:///c/j/chk-4/", source="storage", completed_at_ms=5000, completed_at="t")
    merged = snapshots.merge_candidates([store], [rest])
    assert len(merged) == 1 and merged[0]["source"] == "rest" and merged[0]["completed_at_ms"] == 5000


def test_normalize_path_spellings():
    same = ["file:/x/y", "file:///x/y", "file:/x/y/", "/x/y", "file://x/y"]
    assert set(snapshots.normalize_path(p) for p in same) == {"/x/y"}
    assert snapshots.normalize_path("s3://b/k/") == "s3://b/k"
    assert snapshots.normalize_path(None) is None and snapshots.normalize_path("") == ""


def test_too_old():
    assert snapshots.too_old(dict(age_seconds=10.5), 10)
    assert not snapshots.too_old(dict(age_seconds=10.0), 10)
    assert not snapshots.too_old(dict(age_seconds=99), None)
    assert not snapshots.too_old(None, 1) and not snapshots.too_old(dict(age_seconds=None), 1)


def test_completed_count_and_entry(canceled, running):
    assert snapshots.completed_count(canceled) == 9 and snapshots.completed_count(running) == 7
    assert snapshots.completed_count(None) == 0 and snapshots.completed_count({"counts": {}}) == 0
    assert snapshots.completed_entry(canceled, 9)["id"] == 9
    assert snapshots.completed_entry(canceled, 6) is None  # discarded
    assert snapshots.completed_entry(running, 9) is None  # not known yet (stale view)
    assert snapshots.completed_entry(None, 1) is None
    body = copy.deepcopy(canceled)
    body["latest"]["savepoint"] = savepoint_entry(10, 1795240525000)
    assert snapshots.completed_entry(body, 10)["is_savepoint"]


def _snap(snap_id, completed_ms, kind="checkpoint", source="storage", path=None):
    return dict(id=snap_id, completed_at_ms=completed_ms, kind=kind, source=source,
                external_path=path or "file:/c/%s/%s" % (JOB, "chk-%s" % snap_id if snap_id else "sp-%d" % completed_ms))


def test_newest_first_orders_by_id_not_by_file_time():
    # chk-10's _metadata older than chk-9's, as after a copy or an s3 sync: the id decides
    order = snapshots.newest_first([_snap(9, 5000), _snap(10, 4000), _snap(2, 100)])
    assert [s["id"] for s in order] == [10, 9, 2]
    # a savepoint REST knows has an id from the same counter: a checkpoint with a higher id holds newer state
    order = snapshots.newest_first([_snap(7, 9000, kind="savepoint", source="rest"), _snap(8, 8000)])
    assert [s["id"] for s in order] == [8, 7]
    # savepoints only storage knows (no id) go by time between the numbered ones
    order = snapshots.newest_first([_snap(None, 6000, kind="savepoint"), _snap(9, 5000), _snap(10, 7000), _snap(None, 1)])
    assert [(s["id"], s["completed_at_ms"]) for s in order] == [(10, 7000), (None, 6000), (9, 5000), (None, 1)]
    assert snapshots.newest_first([]) == []
    merged = snapshots.merge_candidates([_snap(9, 5000)], [_snap(10, 4000)])
    assert [s["id"] for s in merged] == [10, 9]


def test_latest_completed_prefers_the_higher_id_over_a_later_ack(canceled):
    body = copy.deepcopy(canceled)
    late_savepoint = savepoint_entry(8, 1795240599000)  # id 8 acknowledged after chk-9
    body["history"].insert(0, late_savepoint)
    assert snapshots.latest_completed(body, include_savepoints=True)["id"] == 9


@pytest.mark.parametrize("state, retention, kept", [
    ("FINISHED", snapshots.RETAIN, False), ("FINISHED", snapshots.DELETE, False),
    ("CANCELED", snapshots.RETAIN, True), ("CANCELED", snapshots.DELETE, False), ("CANCELED", snapshots.NOT_EXTERNALIZED, False),
    ("FAILED", snapshots.RETAIN, True), ("FAILED", snapshots.DELETE, True), ("FAILED", snapshots.NOT_EXTERNALIZED, False),
    ("SUSPENDED", snapshots.DELETE, True), ("RUNNING", snapshots.NOT_EXTERNALIZED, True), ("FINISHED", None, True),
])
def test_checkpoints_retained(state, retention, kept):
    assert snapshots.checkpoints_retained(state, retention) is kept


def test_completed_high_water(canceled):
    assert snapshots.completed_high_water(canceled) == 9
    assert snapshots.completed_high_water(None) == 0 and snapshots.completed_high_water({}) == 0
    body = copy.deepcopy(canceled)
    body["history"].insert(0, dict(id=10, status="FAILED", external_path=None))
    body["history"].insert(0, dict(id=11, status="IN_PROGRESS"))
    assert snapshots.completed_high_water(body) == 9
    restored_only = dict(latest=dict(completed=None, restored=dict(id=5, external_path="file:/c/j/chk-5")), history=[])
    assert snapshots.completed_high_water(restored_only) == 5


def test_ended_job_candidates(canceled):
    rest = [dict(_snap(9, 900, source="rest")), dict(_snap(8, 800, source="rest"))]
    orphan = _snap(10, 1000)  # a _metadata Flink never reported completed
    older = _snap(3, 300)  # beyond the REST history, still retained
    savepoint = _snap(None, 950, kind="savepoint")
    everything = snapshots.newest_first(rest + [orphan, older, savepoint])
    kept = snapshots.ended_job_candidates(everything, "CANCELED", snapshots.RETAIN, canceled)
    assert [(s["id"], s["kind"]) for s in kept] == [(None, "savepoint"), (9, "checkpoint"), (8, "checkpoint"), (3, "checkpoint")]
    # without a fresh REST view there is no high-water mark to hold storage to
    assert [s["id"] for s in snapshots.ended_job_candidates(everything, "CANCELED", snapshots.RETAIN)][0] == 10
    # a job that finished has no checkpoints left, only savepoints
    assert [s["kind"] for s in snapshots.ended_job_candidates(everything, "FINISHED", snapshots.RETAIN, canceled)] == ["savepoint"]


def test_a_metadata_file_names_its_snapshot_directory():
    for path in ("file:/c/j/chk-12/_metadata", "file:///c/j/chk-12/_metadata/", "/c/j/chk-12"):
        assert snapshots.normalize_path(path) == "/c/j/chk-12", path
    assert snapshots.normalize_path("s3://b/sp/savepoint-1-2/_metadata") == "s3://b/sp/savepoint-1-2"
    for path in ("s3a://b/ck/j/chk-3", "s3p://b/ck/j/chk-3/", "s3://b/ck/j/chk-3/_metadata"):
        assert snapshots.normalize_path(path) == "s3://b/ck/j/chk-3", path
    # REST (s3a, as the cluster wrote it) and a storage listing (s3) name one checkpoint once; the REST entry wins
    rest = dict(id=3, external_path="s3a://b/ck/j/chk-3", source="rest", completed_at_ms=3)
    listed = dict(id=3, external_path="s3://b/ck/j/chk-3", source="storage", completed_at_ms=3)
    assert snapshots.merge_candidates([listed], [rest]) == [rest]

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the patch run's pure logic: _plan, _report, the flink_patch filters and ledger bounds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading

from ansible_collections.flinkops.fleet.plugins.filter import flink_patch as filters
from ansible_collections.flinkops.fleet.plugins.filter import results as result_filters
from ansible_collections.flinkops.fleet.plugins.module_utils import _ledger as ledger_mod
from ansible_collections.flinkops.fleet.plugins.module_utils import _plan as plan_mod
from ansible_collections.flinkops.fleet.plugins.module_utils import _report as report_mod

SAFE = dict(enabled=True, retention="RETAIN_ON_CANCELLATION")


def running(name="orders", settings=None, age=10.0, state="RUNNING"):
    return dict(name=name, job_id="a" * 32, state=state, checkpointing=dict(SAFE, **(settings or {})),
                latest_checkpoint=dict(id=7, age_seconds=age, external_path="file:/c/%s/chk-7" % ("a" * 32)))


def test_plan_refuses_each_unsafe_setting():
    cases = [(dict(enabled=False), "checkpointing is off"),
             (dict(retention="DELETE_ON_CANCELLATION"), "DELETE_ON_CANCELLATION"),
             (dict(retention="NO_EXTERNALIZED_CHECKPOINTS"), "NO_EXTERNALIZED_CHECKPOINTS")]
    for settings, reason in cases:
        plan = plan_mod.cluster_plan([dict(name="orders")], [running(settings=settings)], {}, [dict(action="replace")],
                                     900, "auto", "ami-2")
        assert plan["status"] == "refuse" and reason in plan["reason"], (settings, plan)
        assert not plan["work"]


def test_plan_refuses_old_or_missing_checkpoint_and_missing_job():
    old = plan_mod.cluster_plan([dict(name="orders")], [running(age=1000.0)], {}, [dict(action="replace")], 900, "auto", "ami-2")
    assert old["status"] == "refuse" and "older than max_checkpoint_age" in old["reason"]
    none = dict(running(), latest_checkpoint=None)
    assert "no completed checkpoint" in plan_mod.cluster_plan([dict(name="orders")], [none], {}, [dict(action="replace")], 900, "auto",
                                                              "ami-2")["reason"]
    gone = plan_mod.cluster_plan([dict(name="orders")], [], {}, [dict(action="replace")], 900, "auto", "ami-2")
    assert gone["status"] == "refuse" and "no active job named 'orders'" in gone["reason"]


def test_native_method_does_not_need_retention():
    plan = plan_mod.cluster_plan([dict(name="orders")], [running(settings=dict(retention="DELETE_ON_CANCELLATION"))], {},
                                 [dict(action="replace")], 900, "native", "ami-2")
    assert plan["status"] == "patch"


def test_plan_skips_a_cluster_on_target_with_jobs_running_and_resumes_unfinished_pins():
    skip = plan_mod.cluster_plan([dict(name="orders")], [running()], {}, [dict(action="skip")], 900, "auto", "ami-2")
    assert skip["status"] == "skip" and not skip["work"] and skip["jobs"][0]["action"] == "none"
    entry = dict(status="pinned", new_ami="ami-2", run_id="r1", checkpoint_id=7, checkpoint_path="file:/c/x/chk-7")
    resume = plan_mod.cluster_plan([dict(name="orders")], [], {"orders": entry}, [dict(action="skip")], 900, "auto", "ami-2")
    assert resume["status"] == "patch" and resume["jobs"][0]["action"] == "resume"
    assert resume["jobs"][0]["resume_pin"]["id"] == 7
    # a pin for another target AMI is not resumed
    other = plan_mod.cluster_plan([dict(name="orders")], [], {"orders": dict(entry, new_ami="ami-9")}, [dict(action="replace")],
                                  900, "auto", "ami-2")
    assert other["status"] == "refuse"
    lines = plan_mod.plan_lines(resume, "prod", "in_place", "ami-2")
    assert lines[0].startswith("prod: PATCH (in_place, target ami-2)") and "resume" in lines[1]


def test_plan_refuses_a_cluster_running_a_job_it_was_not_told_about():
    overview = [dict(name="orders", jid="a" * 32, state="RUNNING"), dict(name="side", jid="b" * 32, state="RUNNING"),
                dict(name="old-run", jid="c" * 32, state="CANCELED")]
    unlisted = plan_mod.unlisted_jobs(overview, ["orders"])
    assert unlisted == [dict(job="side", job_id="b" * 32, state="RUNNING")]
    plan = plan_mod.cluster_plan([dict(name="orders")], [running()], {}, [dict(action="replace")], 900, "auto", "ami-2",
                                 unlisted)
    assert plan["status"] == "refuse" and not plan["work"] and plan["unlisted_jobs"] == unlisted
    assert "side: job %s (RUNNING) runs on the cluster but is not in the jobs to patch" % ("b" * 32) in plan["reason"]
    assert any("job side [RUNNING] not in the jobs to patch - refused" in line
               for line in plan_mod.plan_lines(plan, "c1", "in_place", "ami-2"))
    # no jobs configured at all, one running: refused too; none running: a cluster without jobs is patched
    empty = plan_mod.cluster_plan([], [], {}, [dict(action="replace")], 900, "auto", "ami-2",
                                  plan_mod.unlisted_jobs(overview, []))
    assert empty["status"] == "refuse" and "orders" in empty["reason"] and "side" in empty["reason"]
    assert plan_mod.cluster_plan([], [], {}, [dict(action="replace")], 900, "auto", "ami-2", [])["status"] == "patch"
    # nothing to rotate: nothing to refuse
    on_target = plan_mod.cluster_plan([dict(name="orders")], [running()], {}, [dict(action="skip")], 900, "auto", "ami-2",
                                      unlisted)
    assert on_target["status"] == "skip"


def test_inventory_errors(tmp_path):
    jar = tmp_path / "job.jar"
    jar.write_bytes(b"PK")
    good = dict(strategy="blue_green", jobs=[dict(name="a", jar=str(jar)), dict(name="b", jar="s3://b/k.jar")],
                node_filters={"tag:flink:cluster": "x"}, target_ami_id="ami-1")
    assert filters.inventory_errors(good) == []
    bad = dict(good, strategy="rolling", jobs=[dict(name="a", jar="/nope.jar"), dict(name="a", jar=str(jar)), dict(jar="x"),
                                               dict(name="c", jar=str(jar), args="--x 1"),
                                               dict(name="d", jar=str(jar), paralelism=2)],
               node_filters={}, target_ami_ssm_parameter="/p")
    errors = "; ".join(filters.inventory_errors(bad))
    for text in ("unknown strategy 'rolling'", "/nope.jar does not exist", "duplicate job names: a", "job #3 has no name",
                 "args must be a list", "no nodes selected", "exactly one of target_ami_id",
                 "job d: unknown key(s) paralelism (a job has name, jar, entry_class, args, parallelism"):
        assert text in errors, (text, errors)
    numbers = dict(job_timeout=300, request_timeout=10.0, max_checkpoint_age=900, rotation_wait_timeout=900,
                   rotation_wait_delay=0, rotation_batch_size=0, watch_seconds=0, cluster_wait_retries=1, cluster_wait_delay=0)
    assert filters.inventory_errors(dict(good, numbers=numbers)) == []
    wrong = dict(numbers, job_timeout=0, rotation_wait_timeout=-1, rotation_wait_delay=-3, rotation_batch_size=-1,
                 cluster_wait_retries=0, request_timeout="soon")
    assert filters.inventory_errors(dict(good, numbers=wrong)) == [
        "flink_patch_cluster_wait_retries must be >= 1 (got 0)", "flink_patch_job_timeout must be greater than 0 (got 0)",
        "flink_patch_request_timeout must be a number (got 'soon')", "flink_patch_rotation_batch_size must be >= 0 (got -1)",
        "flink_patch_rotation_wait_delay must be >= 0 (got -3)", "flink_patch_rotation_wait_timeout must be greater than 0 (got -1)"]
    app = dict(good, application_mode=True, jobs=[dict(name="a"), dict(name="b")])
    app_errors = "; ".join(filters.inventory_errors(app))
    assert "needs bootstrap_parameter" in app_errors and "exactly one job (got 2)" in app_errors


def test_rest_url_from_nodes():
    nodes = [dict(id="i-2", role="jobmanager", address="10.0.0.2"), dict(id="i-1", role="taskmanager", address="10.0.0.1")]
    assert filters.rest_url(nodes) == "http://10.0.0.2:8081"
    assert filters.rest_url([dict(id="i-3", role="jobmanager", address="127.0.0.1:4000")], scheme="https") == "https://127.0.0.1:4000"
    assert filters.rest_url(nodes, role="historyserver") == ""


def test_job_results_downtime_marks_and_rollback():
    move = dict(pin=dict(id=7, external_path="p7", job_id="old"), job_id="new", resumed=False,
                timings=dict(downtime=1.5, pin_total=0.2, restore=dict(running=0.9, checkpoint=1.2)))
    (line,) = filters.job_results([dict(name="a")], moves=[move], verified=[dict(changed=False)])
    assert line["downtime"] == 1.5 and line["marks"] == dict(pinned=0.2, running=1.1, checkpoint=1.4) and line["verified"]
    pin = dict(pinned_checkpoint=dict(id=3, external_path="p3", job_id="old"), timings=dict(fence_started_at=100.0, pin=0.3))
    restore = dict(job_id="new", timings=dict(running=2.0, checkpoint=2.5, first_checkpoint_at=112.0))
    rollback = dict(item=[dict(job_name="b"), {}], job_id="again", restored=dict(external_path="p3"))
    (line,) = filters.job_results([dict(name="b")], pins=[pin], restores=[restore], rollbacks=[rollback])
    assert line["downtime"] == 12.0 and line["marks"]["running"] == 11.5 and not line["verified"]
    assert line["rollback"]["job_id"] == "again" and line["rollback"]["restored"] == "p3"


def test_report_merges_parts_written_at_once(tmp_path):
    results = dict((name, dict(status="patched", strategy="blue_green", jobs=[dict(job="j", downtime=float(i + 1), marks={})]))
                   for i, name in enumerate(("c1", "c2", "c3", "c4")))
    threads = [threading.Thread(target=report_mod.write_report, args=(str(tmp_path), "run1", name, result))
               for name, result in results.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(os.path.join(str(tmp_path), "run1", "report.json")) as handle:
        merged = json.load(handle)
    assert sorted(merged["clusters"]) == ["c1", "c2", "c3", "c4"]
    assert merged["summary"]["jobs_moved"] == 4 and merged["summary"]["max_downtime"] == 4.0
    with open(os.path.join(str(tmp_path), "run1", "report.html")) as handle:
        page = handle.read()
    assert page.count("<svg") == 4 and "<script" not in page


def test_report_escapes_html(tmp_path):
    paths = report_mod.write_report(str(tmp_path), "r", "c", dict(status="failed", error="<script>x</script>", jobs=[]))
    with open(paths["html"]) as handle:
        assert "<script>" not in handle.read()


def test_ledger_entries_stay_small(tmp_path):
    ledger = ledger_mod.open_ledger(str(tmp_path))
    key = ledger_mod.entry_key("c", "j")
    pin = dict(id=1, external_path="p", kind="checkpoint", job_id="a" * 32)
    ledger_mod.record_pin(ledger, key, pin, "c", "j", extra=dict(fence_timings=dict(cancel=0.1)))
    ledger_mod.update_status(ledger, key, "rolled_back", dict(rollback_reason="x" * 10000))
    ledger_mod.record_pin(ledger, key, pin, "c", "j")
    entry = ledger.get(key)
    assert len(json.dumps(entry)) < 4096
    assert entry["previous"]["status"] == "rolled_back" and "rollback_reason" not in entry["previous"]


def test_failure_names_the_cause_of_a_failed_loop_item():
    loop = dict(failed=True, msg="One or more items failed", results=[
        dict(failed=False, msg="", _ansible_item_label="ok-job"),
        dict(failed=True, msg="job x restarted during the 5s watch window", _ansible_item_label="orders"),
        dict(failed=True, stderr=" boom \n")])
    assert result_filters.failure_message(loop) == "orders: job x restarted during the 5s watch window; boom"
    assert result_filters.failure_message(dict(failed=True, msg="HTTP 500 from http://127.0.0.1:1/v1/jobs")) == "HTTP 500 from http://127.0.0.1:1/v1/jobs"
    assert result_filters.failure_message(dict(failed=True, msg="One or more items failed", results=[])) == "One or more items failed"
    assert result_filters.failure_message(None) == "unknown error" and result_filters.failure_message("raw text") == "raw text"


def test_a_blue_green_rollback_never_restarts_a_job_that_may_still_run_on_the_new_cluster():
    from ansible_collections.flinkops.fleet.plugins.filter.flink_patch import unsettled  # pylint: disable=import-outside-toplevel

    fences = {"results": [
        {"item": {"job_name": "fenced"}, "pinned_checkpoint": {"id": 4}},
        {"item": {"job_name": "never-started"}, "msg": "no job named 'never-started' on http://127.0.0.1:1"},
        {"item": {"job_name": "unreachable"}, "msg": "cannot reach http://127.0.0.1:1: connection refused"},
        {"item": {"job_name": "skipped"}, "skipped": True},
        {"item": {"job_name": "no checkpoint"}, "pinned_checkpoint": None},
    ]}
    assert unsettled(fences, "blue_green") == ["unreachable"]
    assert unsettled(fences, "in_place") == []  # the nodes are rotated back first: nothing runs on the new ones
    assert unsettled({}, "blue_green") == []

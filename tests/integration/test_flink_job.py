# -*- coding: utf-8 -*-
"""flink_job through ansible-playbook against real Flink 2.3: restore from a pin on another cluster (proven,
exactly-once, idempotent, check mode), refusals that leave nothing running, replace, cancel and stop."""

import os
import time

import pytest

from tests.harness.mission import (
    active_jobs_named,
    assert_failed,
    assert_ok,
    job_spec,
    old_and_new,
    run_failing,
    run_module,
    run_tasks,
    snapshot_metadata,
    start_job,
    storage_max_complete,
    task,
    wait_snapshot_discarded,
    wait_storage_checkpoints,
)
from tests.harness.testjob import verify_exactly_once

pytestmark = pytest.mark.integration

KEYS = 8


@pytest.mark.timeout(420)
def test_restore_pin_on_second_cluster(flink_cluster, test_job_jar, ansible, workdir):
    """Pin on A, check mode on B changes nothing, restore on B (proven, first checkpoint), re-run is no change."""
    old, new = old_and_new(flink_cluster)
    name = "moving"
    output = os.path.join(workdir, "output")
    spec = job_spec(test_job_jar, output, name, checkpoint_interval=150, snapshot_delay_ms=50)
    first = assert_ok(run_module(ansible, "flink_job", dict(spec, url=old.url, wait_for="checkpoint")))
    wait_storage_checkpoints(old.checkpoint_dir, first["job_id"], count=3)
    restore = dict(spec, url=new.url, restore_from="{{ pin.pinned_checkpoint }}", wait_for="checkpoint")
    result = run_tasks(ansible, [
        task("pin", "flink_checkpointing", dict(url=old.url, job_name=name, method="fence"), register="pin"),
        task("restore check", "flink_job", restore, check_mode=True),
        task("restore", "flink_job", restore),
        task("restore again", "flink_job", restore),
        task("restore again check", "flink_job", restore, check_mode=True),
    ])
    assert not result.failed, result.describe()
    pin = result.task("pin")
    assert pin["pinned_checkpoint"]["id"] == storage_max_complete(old.checkpoint_dir, first["job_id"])

    check = result.task("restore check")
    assert check["changed"] and check["submitted"] and check["uploaded"] and check["job_id"] is None, check
    restored = result.task("restore")
    assert restored["changed"] and restored["submitted"] and restored["uploaded"], restored
    assert restored["restored"]["id"] == pin["pinned_checkpoint"]["id"], restored
    assert restored["restored"]["external_path"] == pin["pinned_checkpoint"]["external_path"]
    assert restored["first_checkpoint_id"] > pin["pinned_checkpoint"]["id"]
    assert restored["state"] == "RUNNING"
    again = result.task("restore again")
    assert not again["changed"] and not again["submitted"] and again["job_id"] == restored["job_id"], again
    assert again["restored"]["id"] == pin["pinned_checkpoint"]["id"]
    assert not result.task("restore again check")["changed"]
    assert len(new.rest.jobs_overview()) == 1, "check mode submitted nothing, the re-run nothing"
    assert len(new.rest.get("/jars")["files"]) == 1, "one upload only"

    stop = run_tasks(ansible, [
        task("stop", "flink_job", dict(url=new.url, name=name, state="stopped")),
        task("stop again", "flink_job", dict(url=new.url, name=name, state="stopped")),
    ])
    assert not stop.failed, stop.describe()
    stopped = stop.task("stop")
    assert stopped["changed"] and stopped["state"] == "FINISHED" and stopped["savepoint_path"], stopped
    assert os.path.isfile(snapshot_metadata(stopped["savepoint_path"]))
    assert not stop.task("stop again")["changed"]
    summary = verify_exactly_once(output, keys=KEYS)
    print("\nrestore timings %s; exactly-once %s" % (restored["timings"], summary))


@pytest.mark.timeout(480)
def test_bad_input_leaves_nothing_running(flink_cluster, test_job_jar, ansible, workdir):
    """Bad restore path, wrong entry class, non-mapping state, missing jar, other state without replace."""
    cluster = flink_cluster("bad", rest_cache="100 ms", slots=6)
    url = cluster.url
    source = start_job(cluster, test_job_jar, os.path.join(workdir, "src"), "source", wait_checkpoints=2,
                       checkpoint_interval=150)
    src = assert_ok(run_module(ansible, "flink_checkpointing", dict(url=url, job_id=source, method="fence")))
    chk = src["pinned_checkpoint"]["external_path"]
    missing_chk = chk.rsplit("-", 1)[0] + "-99999"
    other = start_job(cluster, test_job_jar, os.path.join(workdir, "other"), "busy", wait_checkpoints=0,
                      checkpoint_interval=150)

    def run(label, output, **kwargs):
        spec = job_spec(test_job_jar, os.path.join(workdir, output), label, checkpoint_interval=150)
        spec.update(kwargs)
        return "flink_job", dict(spec, url=url, timeout=120)

    cases = {
        "bad path": run("badpath", "o1", restore_from="file:///nonexistent/chk-1"),
        "entry class": run("entry", "o2", entry_class="flinkops.testjob.NoSuchJob"),
        "no mapping": run("nomap", "o3", restore_from=chk, args=job_spec(
            test_job_jar, os.path.join(workdir, "o3"), "nomap", checkpoint_interval=150, uid_suffix="-v2")["args"]),
        "missing jar": run("nojar", "o4", jar=os.path.join(workdir, "missing.jar")),
        "other state": run("busy", "o5", restore_from=chk),
        "no jar given": ("flink_job", dict(url=url, name="never-ran")),
        "ambiguous stop": ("flink_job", dict(url=url, name="twin", state="stopped")),
        "bad trigger id": ("flink_job", dict(url=url, name="busy", state="stopped", trigger_id="xyz")),
        "relative restore": run("relative", "o7", restore_from="checkpoints/chk-1"),
        "parallelism 0": run("noslots", "o8", parallelism=0),
        "negative timeout": ("flink_job", dict(run("negative", "o9")[1], timeout=-5)),
        "relative stop target": ("flink_job", dict(url=url, name="busy", state="stopped", target_directory="savepoints")),
        # the program names its job otherwise: found under neither name, every run would start another copy
        "name mismatch": run("declared", "o13", args=job_spec(test_job_jar, os.path.join(workdir, "o13"), "program-name")["args"]),
        # a replace cancels the running job only once the start could happen: bad input leaves it running
        "replace, no restore point": run("busy", "o5", restore_from=missing_chk, replace=True),
        "replace, entry class": run("busy", "o5", restore_from=chk, replace=True, entry_class="flinkops.testjob.NoSuchJob"),
        "replace, missing jar": run("busy", "o5", restore_from=chk, replace=True, jar=os.path.join(workdir, "missing.jar")),
    }
    twins = [start_job(cluster, test_job_jar, os.path.join(workdir, "tw%d" % i), "twin", wait_checkpoints=0,
                       checkpoint_interval=1000) for i in (1, 2)]
    res = run_failing(ansible, cases)
    assert_failed(res["bad path"], "nonexistent")
    assert_failed(res["entry class"], "NoSuchJob")
    msg = assert_failed(res["no mapping"])
    assert "allow" in msg.lower() or "map" in msg.lower(), msg
    assert_failed(res["missing jar"], "missing.jar")
    msg = assert_failed(res["other state"], "already runs", "replace=true")
    assert other in msg
    assert_failed(res["no jar given"], "no jar")
    msg = assert_failed(res["ambiguous stop"], "ambiguous")
    assert twins[0] in msg and twins[1] in msg
    assert_failed(res["bad trigger id"], "invalid trigger_id")
    assert_failed(res["relative restore"], "restore_from must be an absolute path or a URI", "checkpoints/chk-1")
    assert_failed(res["parallelism 0"], "parallelism must be >= 1")
    assert_failed(res["negative timeout"], "timeout must be greater than 0")
    assert_failed(res["relative stop target"], "target_directory must be an absolute path or a URI")
    mismatch = res["name mismatch"]
    assert mismatch["failed"] and "names its job 'program-name', not 'declared'" in mismatch["msg"], mismatch
    assert mismatch["cancelled"] and not active_jobs_named(cluster, "program-name")
    assert_failed(res["replace, no restore point"], "has no _metadata", missing_chk)
    assert_failed(res["replace, entry class"], "cannot be built from jar", "NoSuchJob")
    assert_failed(res["replace, missing jar"], "missing.jar")
    assert not any("replaced" in res[label] for label in res if label.startswith("replace, ")), res
    # check mode with the jar on the cluster already: the job's plan is built there, so a wrong class or missing
    # program arguments fail the check (nothing runs either way)
    checks = run_tasks(ansible, [
        task("check class", "flink_job", run("chkclass", "o10", entry_class="flinkops.testjob.NoSuchJob")[1], check_mode=True,
             ignore_errors=True),
        task("check args", "flink_job", dict(run("chkargs", "o11")[1], args=[]), check_mode=True, ignore_errors=True),
        task("check good", "flink_job", run("chkgood", "o12")[1], check_mode=True),
        # the storage this machine reads has no such checkpoint: the run would fail, so the check does
        task("check missing restore point", "flink_job", run("chkmissing", "o14", restore_from=missing_chk)[1],
             check_mode=True, ignore_errors=True),
        task("check name", "flink_job", dict(run("declared", "o13")[1], args=job_spec(
            test_job_jar, os.path.join(workdir, "o13"), "program-name")["args"]), check_mode=True, ignore_errors=True),
    ])
    assert_failed(checks.task("check name"), "names its job 'program-name', not 'declared'")
    assert_failed(checks.task("check missing restore point"), "has no _metadata", missing_chk)
    assert_failed(checks.task("check class"), "cannot be built from jar", "NoSuchJob", "/plan")
    assert_failed(checks.task("check args"), "cannot be built from jar", "required key 'output'")
    good = checks.task("check good")
    assert good["changed"] and good["plan_checked"] and not good["uploaded"] and good["job_id"] is None, good
    for label in ("badpath", "entry", "nomap", "nojar", "relative", "noslots", "negative", "chkclass", "chkargs", "chkgood"):
        assert not active_jobs_named(cluster, label), "a failed start left %s active" % label
    assert [j["jid"] for j in active_jobs_named(cluster, "busy")] == [other]
    assert cluster.rest.job_status(other) == "RUNNING"

    # allow_non_restored_state starts it; replace=true replaces the job running from other state
    nomap_args = job_spec(test_job_jar, os.path.join(workdir, "o6"), "nomap", checkpoint_interval=150, uid_suffix="-v2")["args"]
    ok = run_tasks(ansible, [
        task("allowed", "flink_job", dict(run("nomap", "o6", restore_from=chk, args=nomap_args)[1],
                                          allow_non_restored_state=True)),
        task("replace check", "flink_job", dict(run("busy", "o5", restore_from=chk)[1], replace=True), check_mode=True),
        # Flink restores from a snapshot's _metadata file as from its directory: one and the same restore point
        task("replace", "flink_job", dict(run("busy", "o5", restore_from=chk + "/_metadata")[1], replace=True)),
        task("replace again", "flink_job", dict(run("busy", "o5", restore_from=chk)[1], replace=True)),
        # a cancel whose wait runs out is under way all the same
        task("cancel, wait too short", "flink_job", dict(url=url, job_id=twins[0], state="canceled", timeout=0.001),
             ignore_errors=True),
    ])
    assert not ok.failed, ok.describe()
    allowed = ok.task("allowed")
    assert allowed["state"] == "RUNNING" and allowed["restored"]["external_path"] == chk
    assert ok.task("replace check")["changed"] and ok.task("replace check")["replaced"] == other
    replaced = ok.task("replace")
    assert replaced["changed"] and replaced["replaced"] == other and replaced["job_id"] != other
    assert replaced["restored"]["id"] == src["pinned_checkpoint"]["id"]
    assert not ok.task("replace again")["changed"]
    assert cluster.rest.job_status(other) == "CANCELED"
    short = ok.task("cancel, wait too short")
    assert short["failed"] and short["changed"] and short["job_id"] == twins[0], short
    cluster.rest.wait_job_status(twins[0], "CANCELED", 30)


@pytest.mark.timeout(300)
def test_cancel_and_stop_are_idempotent(flink_cluster, test_job_jar, ansible, workdir):
    """state=canceled and state=stopped (by name and by id, trigger_id) with check mode and re-runs."""
    cluster = flink_cluster("stop", rest_cache="100 ms")
    url = cluster.url
    first = start_job(cluster, test_job_jar, os.path.join(workdir, "a"), "to-cancel", wait_checkpoints=1,
                      checkpoint_interval=200)
    second = start_job(cluster, test_job_jar, os.path.join(workdir, "b"), "to-stop", wait_checkpoints=1,
                       checkpoint_interval=200)
    # its checkpoints are deleted on cancellation: a cancel discards its state, and says so
    discarding = start_job(cluster, test_job_jar, os.path.join(workdir, "c"), "discarding", wait_checkpoints=1,
                           checkpoint_interval=200, retention="delete")
    trigger = "0123456789abcdef0123456789abcdef"
    result = run_tasks(ansible, [
        task("cancel discarding check", "flink_job", dict(url=url, name="discarding", state="canceled"), check_mode=True),
        task("cancel discarding", "flink_job", dict(url=url, name="discarding", state="canceled")),
        task("cancel check", "flink_job", dict(url=url, name="to-cancel", state="canceled"), check_mode=True),
        task("cancel", "flink_job", dict(url=url, name="to-cancel", state="canceled")),
        task("cancel again", "flink_job", dict(url=url, name="to-cancel", state="canceled")),
        task("cancel by id again", "flink_job", dict(url=url, job_id=first, state="canceled")),
        task("stop check", "flink_job", dict(url=url, job_id=second, state="stopped"), check_mode=True),
        task("stop", "flink_job", dict(url=url, job_id=second, state="stopped", trigger_id=trigger,
                                       target_directory="file://" + os.path.join(workdir, "sp"))),
        task("stop again", "flink_job", dict(url=url, job_id=second, state="stopped", trigger_id=trigger)),
        task("stop by name again", "flink_job", dict(url=url, name="to-stop", state="stopped")),
    ])
    assert not result.failed, result.describe()
    check = result.task("cancel check")
    assert check["changed"] and check["job_id"] == first
    cancel = result.task("cancel")
    assert cancel["changed"] and cancel["state"] == "CANCELED" and cancel["job_id"] == first
    assert check["checkpoints_retained"] and cancel["checkpoints_retained"] and not cancel.get("warnings"), cancel
    for label in ("cancel discarding check", "cancel discarding"):
        discarded = result.task(label)
        assert discarded["changed"] and discarded["job_id"] == discarding and not discarded["checkpoints_retained"]
        assert any("discards them" in w and "DELETE_ON_CANCELLATION" in w for w in discarded.get("warnings", [])), discarded
    assert not result.task("cancel again")["changed"] and not result.task("cancel by id again")["changed"]
    assert result.task("stop check")["changed"]
    stop = result.task("stop")
    assert stop["changed"] and stop["state"] == "FINISHED" and stop["trigger_id"] == trigger
    assert stop["savepoint_path"].startswith("file:" + os.path.join(workdir, "sp"))
    again = result.task("stop again")
    assert not again["changed"] and again["savepoint_path"] == stop["savepoint_path"], again
    assert not result.task("stop by name again")["changed"]
    assert cluster.rest.job_status(first) == "CANCELED" and cluster.rest.job_status(second) == "FINISHED"
    assert cluster.rest.job_status(discarding) == "CANCELED"
    time.sleep(0.2)
    assert len(cluster.rest.jobs_overview()) == 3


@pytest.mark.timeout(300)
def test_claim_mode_hands_the_pin_to_the_restored_job(flink_cluster, test_job_jar, ansible, workdir):
    """claim_mode=claim: the restored job owns its pin and discards it once newer checkpoints subsume it; no_claim
    leaves the pin where it is. Both lineages stay exactly-once."""
    cluster = flink_cluster("claim", rest_cache="100 ms", slots=4)
    names = ("claimed", "unclaimed")
    outputs = dict((name, os.path.join(workdir, name)) for name in names)
    specs = dict((name, job_spec(test_job_jar, outputs[name], name, checkpoint_interval=150)) for name in names)
    for name in names:
        start_job(cluster, test_job_jar, outputs[name], name, wait_checkpoints=2, checkpoint_interval=150)
    tasks = []
    for name, mode in zip(names, ("claim", "no_claim")):
        tasks += [task("pin " + name, "flink_checkpointing", dict(url=cluster.url, job_name=name, method="fence"),
                       register="pin_" + name),
                  task("restore " + name, "flink_job", dict(specs[name], url=cluster.url, claim_mode=mode, wait_for="checkpoint",
                                                            restore_from="{{ pin_%s.pinned_checkpoint }}" % name))]
    result = run_tasks(ansible, tasks)
    assert not result.failed, result.describe()
    pins = dict((name, result.task("pin " + name)["pinned_checkpoint"]) for name in names)
    restored = dict((name, result.task("restore " + name)) for name in names)
    for name in names:
        assert restored[name]["restored"]["id"] == pins[name]["id"], restored[name]

    # num-retained is 3: three checkpoints of the new job subsume the pin
    for name in names:
        wait_storage_checkpoints(cluster.checkpoint_dir, restored[name]["job_id"], count=4, after=pins[name]["id"])
    assert wait_snapshot_discarded(pins["claimed"]["external_path"], 30), "the claimed pin was not discarded once subsumed"
    assert os.path.isfile(snapshot_metadata(pins["unclaimed"]["external_path"])), "no_claim must leave the pin intact"

    stop = run_tasks(ansible, [task("stop " + name, "flink_job", dict(url=cluster.url, name=name, state="stopped"))
                               for name in names])
    assert not stop.failed, stop.describe()
    for name in names:
        verify_exactly_once(outputs[name], keys=KEYS)


@pytest.mark.timeout(300)
def test_check_plan_builds_the_plan_of_a_running_job(flink_cluster, test_job_jar, ansible, workdir):
    """check_plan (the flink_patch role's check before the fence): a job that runs has its plan built from the jar, so
    a wrong entry class fails while it still runs; the jar staged for the check is deleted again, the job untouched."""
    cluster = flink_cluster("plan", rest_cache="100 ms", slots=2)
    output = os.path.join(workdir, "out")
    job_id = start_job(cluster, test_job_jar, output, "planned", wait_checkpoints=1, checkpoint_interval=200)
    jars_before = cluster.rest.get("/jars")["files"]
    spec = dict(job_spec(test_job_jar, output, "planned", checkpoint_interval=200), url=cluster.url)
    calls = [
        task("right", "flink_job", dict(spec, check_plan=True), check_mode=True),
        task("wrong class", "flink_job", dict(spec, check_plan=True, entry_class="no.such.Main"), check_mode=True,
             ignore_errors=True),
        task("wrong class, no plan check", "flink_job", dict(spec, entry_class="no.such.Main"), check_mode=True),
        task("not in check mode", "flink_job", dict(spec, check_plan=True, wait_for="submitted")),
    ]
    result = run_tasks(ansible, calls)
    assert result.data is not None, result.describe()
    right = assert_ok(result.task("right"))
    assert right["plan_checked"] is True and not right["changed"] and right["job_id"] == job_id, right
    assert_failed(result.task("wrong class"), "cannot be built from jar", "no.such.Main")
    unchecked = assert_ok(result.task("wrong class, no plan check"))
    assert "plan_checked" not in unchecked and not unchecked["changed"], unchecked
    assert "plan_checked" not in assert_ok(result.task("not in check mode"))  # a real run proves the job instead
    assert cluster.rest.get("/jars")["files"] == jars_before, "the jar staged for the checks was left behind"
    assert cluster.rest.job_status(job_id) == "RUNNING"
    assert [j["jid"] for j in active_jobs_named(cluster, "planned")] == [job_id]

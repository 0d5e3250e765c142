# -*- coding: utf-8 -*-
"""flink_checkpointing through ansible-playbook against real Flink 2.3 clusters.

The core: one job lineage goes through many suspend+pin (fence) / restore-from-pin cycles while checkpoints are
constantly in flight (interval 100 ms, snapshots that take 150 ms), in both modes, with the REST statistics cache at
Flink's default 3 s and at 100 ms, cold and warmed by a concurrent reader. Every pin must be the newest ``chk-N`` with
``_metadata`` of the fenced job, nothing newer may appear later, and the whole lineage's output must be exactly-once.
"""

import os
import threading
import time

import pytest
import requests
import yaml

from tests.harness.mission import (
    CacheWarmer,
    assert_failed,
    assert_ok,
    job_spec,
    run_failing,
    run_module,
    run_tasks,
    start_job,
    storage_checkpoints,
    storage_max_complete,
    task,
    wait_in_flight_checkpoint,
    wait_storage_checkpoints,
)
from tests.harness.testjob import verify_exactly_once

pytestmark = pytest.mark.integration

KEYS = 8
CYCLE_TASKS = """
- name: pin
  flinkops.fleet.flink_checkpointing:
    url: "{{ url }}"
    job_name: "{{ job_name }}"
    state: suspended
    method: fence
    mode: "{{ item }}"
    timeout: 120
  register: pin

- name: collect
  ansible.builtin.set_fact:
    pins: "{{ pins + [pin | combine({'cycle_mode': item})] }}"

- name: restore
  flinkops.fleet.flink_job:
    url: "{{ url }}"
    name: "{{ job_name }}"
    jar: "{{ jar }}"
    entry_class: "{{ entry_class }}"
    args: "{{ job_args }}"
    restore_from: "{{ pin.pinned_checkpoint }}"
    wait_for: checkpoint
    timeout: 180
  register: restored
"""

LINEAGE_PLAY = """
- name: racing pins
  hosts: localhost
  gather_facts: false
  vars:
    pins: []
  tasks:
    - name: cycles
      ansible.builtin.include_tasks: "{{ cycle_file }}"
      loop: "{{ modes }}"

    - name: report
      ansible.builtin.debug:
        var: pins
"""


class JobFollower(threading.Thread):
    """Warms the checkpoint-statistics cache of whichever job of ``name`` is active (the lineage changes job ids)."""

    def __init__(self, url, name, limit=600.0):
        super().__init__(daemon=True)
        self.url = url
        self.name = name
        self.limit = limit
        self.stop_event = threading.Event()
        self.reads = 0

    def run(self):
        session = requests.Session()
        end = time.monotonic() + self.limit
        while not self.stop_event.is_set() and time.monotonic() < end:
            try:
                jobs = session.get(self.url + "/v1/jobs/overview", timeout=2).json()["jobs"]
                for job in jobs:
                    if job["name"] == self.name and job["state"] == "RUNNING":
                        session.get("%s/v1/jobs/%s/checkpoints" % (self.url, job["jid"]), timeout=2)
                        self.reads += 1
            except (requests.RequestException, ValueError, KeyError):
                pass
            self.stop_event.wait(0.05)

    def stop(self):
        self.stop_event.set()
        self.join(10)


def _run_cycles(ansible, cluster, workdir, jar, name, output, modes, tag):
    cycle_file = os.path.join(workdir, "cycle-%s.yml" % tag)
    with open(cycle_file, "w", encoding="utf-8") as handle:
        handle.write(CYCLE_TASKS)
    spec = job_spec(jar, output, name, checkpoint_interval=100, snapshot_delay_ms=150)
    extra = dict(url=cluster.url, job_name=name, jar=jar, entry_class=spec["entry_class"], job_args=spec["args"],
                 cycle_file=cycle_file, modes=modes)
    result = ansible.run_playbook(LINEAGE_PLAY, extra_vars=extra, timeout=900)
    assert not result.failed, result.describe()
    return result.task("report")["pins"]


def _check_pins(cluster, pins, label):
    """Each pin is the newest chk-N/_metadata of its (fenced) job; returns rows for the report."""
    rows = []
    for number, pin in enumerate(pins, 1):
        snap = pin["pinned_checkpoint"]
        old_job = pin["job_id"]
        truth = storage_max_complete(cluster.checkpoint_dir, old_job)
        rows.append((label, number, pin["cycle_mode"], snap["id"], truth, pin["timings"], pin["pin_reason"]))
        assert pin["changed"] and pin["method"] == "fence" and pin["job_state"] == "CANCELED", pin
        assert pin["pin_is_final"] and snap["is_final"] and snap["validated"], pin
        assert snap["id"] == truth, "cycle %d (%s): pinned chk-%s but storage has chk-%s: %s" % (
            number, label, snap["id"], truth, storage_checkpoints(cluster.checkpoint_dir, old_job))
        assert snap["external_path"] == "file:%s/%s/chk-%d" % (cluster.checkpoint_dir, old_job, truth), snap
        assert snap["job_id"] == old_job and snap["kind"] == "checkpoint"
    return rows


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("rest_cache", ["3 s", "100 ms"])
def test_racing_pins_restore_lineage_exactly_once(flink_cluster, test_job_jar, ansible, workdir, rest_cache):
    """12 fence pins per cache setting (both modes, cold and warmed cache), each restored; exactly-once at the end."""
    cluster = flink_cluster("race", rest_cache=rest_cache, slots=4)
    name = "lineage"
    output = os.path.join(workdir, "output")
    first = run_module(ansible, "flink_job", dict(job_spec(test_job_jar, output, name, checkpoint_interval=100,
                                                           snapshot_delay_ms=150), url=cluster.url, wait_for="checkpoint"))
    assert_ok(first, "first submit")
    assert first["changed"] and first["submitted"] and first["first_checkpoint_id"] >= 1

    modes_cold = ["scheduled", "coordinator", "coordinator", "scheduled", "scheduled", "coordinator"]
    modes_warm = ["coordinator", "scheduled", "scheduled", "coordinator", "coordinator", "scheduled"]
    pins = _run_cycles(ansible, cluster, workdir, test_job_jar, name, output, modes_cold, "cold")
    follower = JobFollower(cluster.url, name)
    follower.start()
    try:
        pins_warm = _run_cycles(ansible, cluster, workdir, test_job_jar, name, output, modes_warm, "warm")
    finally:
        follower.stop()
    assert follower.reads > 20, "the cache warmer did not read"
    time.sleep(1.0)  # let storage settle after the last fence
    rows = _check_pins(cluster, pins, "cold") + _check_pins(cluster, pins_warm, "warm")
    # restores continue the checkpoint ids: every pin is newer than the one before
    ids = [row[3] for row in rows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids

    # nothing newer appears later in any fenced job's directory
    time.sleep(1.0)
    for pin, row in zip(pins + pins_warm, rows):
        assert storage_max_complete(cluster.checkpoint_dir, pin["job_id"]) == row[3], (pin["job_id"], row)

    stop = run_module(ansible, "flink_savepoint", dict(url=cluster.url, job_name=name, stop=True, timeout=120))
    assert_ok(stop, "stop-with-savepoint")
    assert stop["job_state"] == "FINISHED"
    summary = verify_exactly_once(output, keys=KEYS)
    print("\nREST cache %s: exactly-once over %d cycles: %s" % (rest_cache, len(rows), summary))
    for label, number, mode, pin_id, truth, timings, reason in rows:
        print("  %s #%02d %-11s chk-%-4s storage chk-%-4s cancel %.3fs pin %.3fs total %.3fs in_flight_wait %s  (%s)" % (
            label, number, mode, pin_id, truth, timings.get("cancel", -1), timings.get("pin", -1),
            timings.get("total", -1), timings.get("in_flight_wait"), reason[:60]))
    pin_times = [row[5]["pin"] for row in rows]
    print("  pin latency: min %.3fs median %.3fs max %.3fs" % (min(pin_times), sorted(pin_times)[len(pin_times) // 2], max(pin_times)))


@pytest.mark.timeout(300)
def test_pin_with_hammered_cache_during_suspend(flink_cluster, test_job_jar, ansible, workdir):
    """A reader hammers /jobs/:id/checkpoints every 50 ms (3 s cache) while the job is fenced: the pin is still the last."""
    cluster = flink_cluster("hammer", rest_cache="3 s")
    results = []
    for mode in ("coordinator", "scheduled"):
        name = "hammered-%s" % mode
        job_id = start_job(cluster, test_job_jar, os.path.join(workdir, name), name, wait_checkpoints=4,
                           checkpoint_interval=100, snapshot_delay_ms=100)
        warmer = CacheWarmer(cluster.url, job_id, interval=0.05)
        warmer.start()
        try:
            time.sleep(0.5)
            args = dict(url=cluster.url, job_id=job_id, method="fence", mode=mode)
            run = run_tasks(ansible, [
                # a timeout the 3 s cache could outlast is refused before the job is touched
                task("too short", "flink_checkpointing", dict(args, timeout=2), ignore_errors=True),
                task("pin", "flink_checkpointing", args),
            ])
            res = run.task("pin")
        finally:
            warmer.stop()
        assert_failed(run.task("too short"), "REST checkpoint cache (3.0s)", "raise timeout")
        assert_ok(res, "pin")
        assert res["changed"] and res["job_state"] == "CANCELED"
        time.sleep(1.0)
        truth = storage_max_complete(cluster.checkpoint_dir, job_id)
        assert res["pinned_checkpoint"]["id"] == truth, (res, storage_checkpoints(cluster.checkpoint_dir, job_id))
        # storage readable, no HA, the job CANCELED: the pin never waits for the warm cache to expire
        assert ("chk-%d is the newest _metadata in storage" % truth) in res["pin_reason"], res["pin_reason"]
        assert warmer.reads > 5
        results.append((mode, truth, res["timings"]))
        # a re-run on the fenced job is no change and gives the same pin
        again = run_module(ansible, "flink_checkpointing", dict(url=cluster.url, job_name=name, method="fence"))
        assert_ok(again, "re-run")
        assert not again["changed"] and again["pinned_checkpoint"]["id"] == truth, again
    print("\nhammered pins: %s" % results)


@pytest.mark.timeout(300)
def test_check_mode_scheduled_wait_and_runner(flink_cluster, test_job_jar, ansible, workdir):
    """Check mode changes nothing; scheduled waits for the in-flight checkpoint, which becomes the pin; also via ansible-runner."""
    cluster = flink_cluster("sched", rest_cache="100 ms")
    name = "sched"
    job_id = start_job(cluster, test_job_jar, os.path.join(workdir, "out"), name, wait_checkpoints=1,
                       checkpoint_interval=500, snapshot_delay_ms=6000)
    check = run_module(ansible, "flink_checkpointing", dict(url=cluster.url, job_name=name, method="fence"), check=True)
    assert_ok(check, "check mode")
    assert check["changed"] and not check["pin_is_final"] and check["method"] == "fence"
    assert cluster.rest.job_status(job_id) == "RUNNING"

    in_flight = wait_in_flight_checkpoint(cluster.checkpoint_dir, job_id)
    playbook = yaml.safe_dump([{"name": "runner", "hosts": "localhost", "gather_facts": False, "tasks": [
        task("pin", "flink_checkpointing", dict(url=cluster.url, job_name=name, method="fence", mode="scheduled"))]}])
    result = ansible.run_runner(playbook)
    assert not result.failed, result.stdout
    pin = result.task("pin")
    assert in_flight in pin["in_flight_waited"], pin
    assert pin["pinned_checkpoint"]["id"] == in_flight, pin
    time.sleep(1.0)
    assert pin["pinned_checkpoint"]["id"] == storage_max_complete(cluster.checkpoint_dir, job_id)
    assert pin["timings"]["in_flight_wait"] > 1.0, pin["timings"]


@pytest.mark.timeout(300)
def test_coordinator_aborts_in_flight(flink_cluster, test_job_jar, ansible, workdir):
    """coordinator does not wait: the slow in-flight checkpoint is aborted and the previous one is pinned."""
    cluster = flink_cluster("coord", rest_cache="3 s")
    name = "coord"
    job_id = start_job(cluster, test_job_jar, os.path.join(workdir, "out"), name, wait_checkpoints=1,
                       checkpoint_interval=500, snapshot_delay_ms=4000)
    in_flight = wait_in_flight_checkpoint(cluster.checkpoint_dir, job_id)
    done = storage_max_complete(cluster.checkpoint_dir, job_id)
    res = run_module(ansible, "flink_checkpointing", dict(url=cluster.url, job_name=name, method="fence", mode="coordinator"))
    assert_ok(res, "pin")
    assert res["pinned_checkpoint"]["id"] == done < in_flight, (res, done, in_flight)
    assert res["timings"]["total"] < 3.0, res["timings"]
    time.sleep(1.5)
    assert storage_max_complete(cluster.checkpoint_dir, job_id) == done


@pytest.mark.timeout(420)
def test_bad_input_changes_nothing(flink_cluster, test_job_jar, ansible, workdir):
    """Every refusal is a clean failure and the jobs keep RUNNING."""
    cluster = flink_cluster("bad", rest_cache="100 ms", slots=8)
    url = cluster.url
    out = os.path.join(workdir, "out")
    slow = start_job(cluster, test_job_jar, out + "-slow", "slow", wait_checkpoints=0, checkpoint_interval=200,
                     snapshot_delay_ms=8000)
    good = start_job(cluster, test_job_jar, out + "-good", "good", checkpoint_interval=200)
    twin_a = start_job(cluster, test_job_jar, out + "-t1", "twin", wait_checkpoints=0, checkpoint_interval=200)
    twin_b = start_job(cluster, test_job_jar, out + "-t2", "twin", wait_checkpoints=0, checkpoint_interval=200)
    off = start_job(cluster, test_job_jar, out + "-off", "off", wait_checkpoints=0, no_checkpointing=True)
    delete = start_job(cluster, test_job_jar, out + "-del", "delete", checkpoint_interval=200, retention="delete")
    # its snapshots never finish: no checkpoint completes
    never = start_job(cluster, test_job_jar, out + "-never", "never", wait_checkpoints=0, checkpoint_interval=100,
                      snapshot_delay_ms=600000)
    wait_storage_checkpoints(cluster.checkpoint_dir, slow, 1)
    wait_in_flight_checkpoint(cluster.checkpoint_dir, slow)  # in flight for ~8 s from now

    other_dir = os.path.join(workdir, "other-checkpoints")
    os.makedirs(other_dir)

    def pin(**kwargs):
        return "flink_checkpointing", dict(dict(url=url, method="fence"), **kwargs)

    cases = {
        "timeout": pin(job_name="slow", mode="scheduled", timeout=1),
        "unknown id": pin(job_id="0" * 32),
        "unknown name": pin(job_name="nope"),
        "ambiguous": pin(job_name="twin"),
        "checkpointing off": pin(job_name="off"),
        "delete on cancel": pin(job_name="delete"),
        "no checkpoint": pin(job_name="never"),
        "missing dir": pin(job_name="good", checkpoint_dir="/nonexistent/checkpoints"),
        "bad s3": pin(job_name="good", checkpoint_dir="s3://Bad_Bucket!/x"),
        "bad id": pin(job_id="not-a-job-id"),
        "unreachable": pin(job_name="good", url="http://127.0.0.1:9", retries=0, request_timeout=2),
        "resume fenced": pin(job_name="good", state="resumed", method="native"),
        "zero timeout": pin(job_name="good", timeout=0),
        "relative dir": pin(job_name="good", checkpoint_dir="checkpoints"),
        # readable, but not where the job checkpoints (say another cluster's directory)
        "other dir": pin(job_name="good", checkpoint_dir="file://" + other_dir),
        "negative retries": pin(job_name="good", retries=-1),
    }
    res = run_failing(ansible, cases)
    assert_failed(res["unknown id"], "no job with id " + "0" * 32)
    assert_failed(res["unknown name"], "no job named 'nope'")
    msg = assert_failed(res["ambiguous"], "ambiguous")
    assert twin_a in msg and twin_b in msg
    assert_failed(res["checkpointing off"], "checkpointing is off")
    assert_failed(res["delete on cancel"], "DELETE_ON_CANCELLATION")
    assert_failed(res["no checkpoint"], "no completed checkpoint")
    assert_failed(res["missing dir"], "/nonexistent/checkpoints")
    assert_failed(res["bad s3"], "malformed S3 URI")
    assert_failed(res["timeout"], "timed out")
    assert_failed(res["bad id"], "invalid job id")
    assert_failed(res["unreachable"], "cannot reach")
    assert_failed(res["resume fenced"], "native")
    assert_failed(res["zero timeout"], "timeout must be greater than 0")
    assert_failed(res["relative dir"], "checkpoint_dir must be an absolute path or a URI")
    assert_failed(res["other dir"], "holds no checkpoint of it", "set checkpoint_dir to file:" + cluster.checkpoint_dir)
    assert_failed(res["negative retries"], "retries must be >= 0")
    for job_id in (good, twin_a, twin_b, off, delete, never, slow):
        assert cluster.rest.job_status(job_id) == "RUNNING", job_id
    # the refused fence left the checkpoints of the delete job alone
    assert storage_max_complete(cluster.checkpoint_dir, delete) is not None


@pytest.mark.timeout(120)
def test_resume_of_a_fenced_job_is_refused(flink_cluster, test_job_jar, ansible, workdir):
    """state=resumed on a fenced (terminal) job says to restart it with flink_job; triggered takes one checkpoint."""
    cluster = flink_cluster("resume", rest_cache="100 ms")
    job_id = start_job(cluster, test_job_jar, os.path.join(workdir, "out"), "resume", wait_checkpoints=0,
                       checkpoint_interval=600000)
    ledger = dict(ledger=os.path.join(workdir, "ledger"), cluster="c1")
    spec = job_spec(test_job_jar, os.path.join(workdir, "out"), "resume", checkpoint_interval=600000)
    result = run_tasks(ansible, [
        # a wait that runs out leaves the checkpoint to Flink: the failure says changed and gives its trigger id
        task("trigger, wait too short", "flink_checkpointing",
             dict(url=cluster.url, job_id=job_id, state="triggered", timeout=0.0001), ignore_errors=True),
        task("trigger", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, state="triggered", checkpoint_type="full")),
        task("fence", "flink_checkpointing", dict(ledger, url=cluster.url, job_name="resume", method="fence"), register="fenced"),
        task("resume", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, state="resumed"), ignore_errors=True),
        task("auto resume on fence", "flink_checkpointing", dict(url=cluster.url, job_id=job_id, state="triggered"),
             ignore_errors=True),
        # restored in place, the ledger not told: pinning again resumes the ledger's pin and names the job running from it
        task("restore", "flink_job", dict(spec, url=cluster.url, restore_from="{{ fenced.pinned_checkpoint }}",
                                          wait_for="running")),
        task("pin again", "flink_checkpointing", dict(ledger, url=cluster.url, job_name="resume", method="fence")),
    ])
    short = result.task("trigger, wait too short")
    assert short["failed"] and short["changed"] and len(short["trigger_id"]) == 32 and short["job_id"] == job_id, short
    trig = assert_ok(result.task("trigger"))
    assert trig["checkpoint"]["id"] >= 1 and trig["checkpoint"]["external_path"].endswith("chk-%d" % trig["checkpoint"]["id"])
    fence = assert_ok(result.task("fence"))
    assert fence["pinned_checkpoint"]["id"] == trig["checkpoint"]["id"] == storage_max_complete(cluster.checkpoint_dir, job_id)
    assert_failed(result.task("resume"), "flink_job")
    assert_failed(result.task("auto resume on fence"), "not RUNNING")
    restored = assert_ok(result.task("restore"))
    again = assert_ok(result.task("pin again"))
    assert again["resumed"] and not again["changed"] and again["pinned_checkpoint"]["id"] == fence["pinned_checkpoint"]["id"]
    assert again["running_job_id"] == restored["job_id"] and again["job_state"] == "RUNNING", again
    assert "already runs restored from this pin" in again["pin_reason"]


@pytest.mark.timeout(600)
def test_a_lineage_whose_newest_state_is_a_restore_point_or_an_ended_restored_job(
        flink_cluster, test_job_jar, ansible, workdir):
    """Two states the newest checkpoint of the fenced job does not tell: a restored job that has completed no
    checkpoint of its own (its state is its restore point, not "nothing"), and a ledger pin whose restored job
    checkpointed past it and ended (the lineage continues from that job's final checkpoint, not from the pin)."""
    cluster = flink_cluster("lineage", rest_cache="3 s")
    url, name, out = cluster.url, "lineage", os.path.join(workdir, "out")
    spec = job_spec(test_job_jar, out, name, checkpoint_interval=300)
    # a restored job whose first checkpoint cannot complete (each snapshot takes a minute)
    stuck = job_spec(test_job_jar, out, name, checkpoint_interval=600000, snapshot_delay_ms=60000)
    ledger = dict(ledger=os.path.join(workdir, "ledger"), cluster="c1")
    result = run_tasks(ansible, [
        task("start", "flink_job", dict(spec, url=url, wait_for="checkpoint")),
        task("wait", "ansible.builtin.pause", dict(seconds=1)),
        task("pin with ledger", "flink_checkpointing", dict(ledger, url=url, job_name=name), register="p1"),
        task("restore without telling the ledger", "flink_job",
             dict(stuck, url=url, restore_from="{{ p1.pinned_checkpoint }}", wait_for="running")),
        task("latest of the restored job", "flink_latest_checkpoint", dict(url=url, job_name=name)),
        # coordinator: its checkpoint in flight is aborted, not waited for
        task("fence the restored job", "flink_checkpointing", dict(url=url, job_name=name, mode="coordinator",
                                                                   allow_no_checkpoint=True), register="p2"),
        task("restore from its restore point", "flink_job",
             dict(spec, url=url, restore_from="{{ p2.pinned_checkpoint }}", wait_for="checkpoint"), register="r2"),
        task("let it commit past the pin", "ansible.builtin.pause", dict(seconds=2)),
        task("it ends", "flink_job", dict(url=url, name=name, state="canceled")),
        task("ledger re-run", "flink_checkpointing", dict(ledger, url=url, job_name=name), register="p3"),
        task("restore from the lineage's newest state", "flink_job",
             dict(spec, url=url, restore_from="{{ p3.pinned_checkpoint }}", wait_for="checkpoint")),
        task("wait again", "ansible.builtin.pause", dict(seconds=1)),
        task("stop", "flink_savepoint", dict(url=url, job_name=name, stop=True)),
    ])
    assert not result.failed, result.describe()
    p1, p2, p3 = (result.task(t) for t in ("pin with ledger", "fence the restored job", "ledger re-run"))
    assert p2["pinned_checkpoint"]["id"] == p1["pinned_checkpoint"]["id"], (p1, p2)
    assert p2["pinned_checkpoint"]["external_path"] == p1["pinned_checkpoint"]["external_path"]
    assert p2["pinned_checkpoint"]["restore_point"] and p2["pinned_checkpoint"]["validated"]
    assert "restored" in p2["pin_reason"]
    latest = result.task("latest of the restored job")["checkpoint"]
    assert latest["restore_point"] and latest["external_path"] == p1["pinned_checkpoint"]["external_path"], latest
    restored_job = result.task("restore from its restore point")["job_id"]
    newest = storage_max_complete(cluster.checkpoint_dir, restored_job)
    assert newest > p1["pinned_checkpoint"]["id"]
    assert not p3["resumed"] and p3["pinned_checkpoint"]["id"] == newest, p3
    assert p3["pinned_checkpoint"]["job_id"] == restored_job
    verify_exactly_once(out, keys=KEYS)

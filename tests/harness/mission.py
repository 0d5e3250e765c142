# -*- coding: utf-8 -*-
"""Helpers for the mission-module integration tests: one-play playbooks built from task dicts, storage truth,
a REST cache warmer and small waits that do not touch the cached REST views.
"""

import os
import re
import threading
import time

import requests
import yaml

from tests.harness.flink import start_clusters
from tests.harness.rest import TimeoutExpired, poll
from tests.harness.testjob import ENTRY_CLASS, job_args

COLLECTION = "flinkops.fleet."
CHK_RE = re.compile(r"^chk-(\d+)$")


def fq(module):
    """``flink_job`` -> ``flinkops.fleet.flink_job``."""
    return module if "." in module else COLLECTION + module


def task(name, module, args, register=None, ignore_errors=False, **extra):
    """A task dict for :func:`playbook`."""
    entry = {"name": name, fq(module): args}
    if register:
        entry["register"] = register
    if ignore_errors:
        entry["ignore_errors"] = True
    entry.update(extra)
    return entry


def playbook(tasks, name="mission module test", play_vars=None):
    """YAML text of one play on localhost with ``tasks`` (dicts)."""
    play = {"name": name, "hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}
    if play_vars:
        play["vars"] = play_vars
    return yaml.safe_dump([play], sort_keys=False, width=1000)


def run_tasks(ansible, tasks, check=False, extra_vars=None, env=None, timeout=600, play_vars=None):
    """Run ``tasks`` in one ``ansible-playbook`` and return the PlaybookResult."""
    return ansible.run_playbook(playbook(tasks, play_vars=play_vars), extra_vars=extra_vars, check=check, env=env,
                                timeout=timeout)


def run_module(ansible, module, args, check=False, env=None, timeout=600):
    """One module call through ``ansible-playbook`` (failures are kept, not raised); returns the task result."""
    result = run_tasks(ansible, [task("call", module, args, ignore_errors=True)], check=check, env=env, timeout=timeout)
    assert result.data is not None, result.describe()
    return result.task("call")


def run_failing(ansible, calls, env=None, timeout=600):
    """Several expected-to-fail calls ``{label: (module, args)}`` in one playbook; returns ``{label: result}``."""
    tasks = [task(label, module, args, ignore_errors=True) for label, (module, args) in calls.items()]
    result = run_tasks(ansible, tasks, env=env, timeout=timeout)
    assert result.data is not None, result.describe()
    return dict((label, result.task(label)) for label in calls)


def assert_ok(res, what="task"):
    assert not res.get("failed"), "%s failed: %s" % (what, res.get("msg") or res)
    return res


def assert_failed(res, *needles):
    """The task failed, with a message containing every needle (case-insensitive), and changed nothing."""
    assert res.get("failed"), "expected a failure, got %r" % res
    msg = str(res.get("msg") or "")
    assert "Traceback" not in msg and "MODULE FAILURE" not in msg, "not a clean failure: %s" % res
    for needle in needles:
        assert needle.lower() in msg.lower(), "%r not in message %r" % (needle, msg)
    assert not res.get("changed"), res
    return msg


# --------------------------------------------------------------------------------------------- storage truth
def local_path(external_path):
    """``file:/x`` / ``file:///x`` -> ``/x``."""
    if external_path.startswith("file:"):
        return "/" + external_path[len("file:"):].lstrip("/")
    return external_path


def storage_checkpoints(checkpoint_dir, job_id):
    """``{id: has _metadata}`` of ``<checkpoint_dir>/<job_id>/chk-N``."""
    root = os.path.join(checkpoint_dir, job_id)
    found = {}
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return found
    for name in names:
        match = CHK_RE.match(name)
        if match:
            found[int(match.group(1))] = os.path.isfile(os.path.join(root, name, "_metadata"))
    return found


def storage_max_complete(checkpoint_dir, job_id):
    """Highest ``chk-N`` with ``_metadata`` of the job (None when there is none)."""
    done = [cid for cid, complete in storage_checkpoints(checkpoint_dir, job_id).items() if complete]
    return max(done) if done else None


def snapshot_metadata(external_path):
    """Local path of the ``_metadata`` of a ``file:`` snapshot (checkpoint or savepoint)."""
    return os.path.join(external_path.replace("file:", "", 1), "_metadata")


def wait_snapshot_discarded(external_path, timeout):
    """Wait until the ``_metadata`` of a ``file:`` snapshot is gone (Flink discarded it); False after ``timeout`` s."""
    metadata = snapshot_metadata(external_path)
    try:
        poll(lambda: os.path.exists(metadata), lambda exists: not exists, timeout, max_interval=0.2, what="%s to go" % metadata)
    except TimeoutExpired:
        return False
    return True


def wait_storage_checkpoints(checkpoint_dir, job_id, count=1, after=0, timeout=90.0):
    """Wait until storage holds a complete checkpoint with id >= after + count (no REST read: caches stay cold)."""
    deadline = time.monotonic() + timeout
    while True:
        newest = storage_max_complete(checkpoint_dir, job_id)
        if newest is not None and newest >= after + count:
            return newest
        if time.monotonic() > deadline:
            raise AssertionError("no checkpoint >= %d of %s in %s within %.0fs (have %r)" % (
                after + count, job_id, checkpoint_dir, timeout, storage_checkpoints(checkpoint_dir, job_id)))
        time.sleep(0.05)


def wait_in_flight_checkpoint(checkpoint_dir, job_id, timeout=60.0):
    """Wait until a chk-N without _metadata newer than every complete one exists; returns its id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = storage_checkpoints(checkpoint_dir, job_id)
        done = max([c for c, ok in found.items() if ok] or [0])
        open_ids = [c for c, ok in found.items() if not ok and c > done]
        if open_ids:
            return max(open_ids)
        time.sleep(0.01)
    raise AssertionError("no checkpoint in flight for %s" % job_id)


# --------------------------------------------------------------------------------------------- jobs
def job_spec(jar, output, name, checkpoint_interval=150, snapshot_delay_ms=None, rate=200, keys=8, **kwargs):
    """Common ``flink_job`` arguments for the test job."""
    return dict(jar=jar, entry_class=ENTRY_CLASS, name=name,
                args=job_args(output, rate=rate, keys=keys, checkpoint_interval=checkpoint_interval,
                              snapshot_delay_ms=snapshot_delay_ms, name=name, **kwargs))


def old_and_new(flink_cluster):
    """Two clusters started side by side (the ``flink_cluster`` fixture): ``old`` with a 100 ms REST cache, ``new``
    with Flink's default 3 s, so a move meets the stale reads a fresh cluster gives."""
    old = flink_cluster("old", rest_cache="100 ms", start=False)
    new = flink_cluster("new", rest_cache="3 s", start=False)
    start_clusters([old, new])
    return old, new


def start_job(cluster, jar, output, name, wait_checkpoints=1, **kwargs):
    """Submit the test job by plain REST, wait until it runs (and has ``wait_checkpoints`` in storage); returns the id."""
    rest = cluster.rest
    job_id = rest.submit_jar(jar, ENTRY_CLASS, job_args(output, name=name, **kwargs))
    rest.wait_job_status(job_id, "RUNNING", 90)
    if wait_checkpoints:
        wait_storage_checkpoints(cluster.checkpoint_dir, job_id, wait_checkpoints)
    return job_id


def active_jobs_named(cluster, name):
    return [j for j in cluster.rest.jobs_overview()
            if j["name"] == name and j["state"] not in ("FINISHED", "CANCELED", "FAILED", "SUSPENDED")]


def cancel_all(cluster):
    """Cancel every active job of the cluster (test cleanup between cases on a shared cluster)."""
    rest = cluster.rest
    for job in rest.jobs_overview():
        if job["state"] not in ("FINISHED", "CANCELED", "FAILED"):
            try:
                rest.cancel(job["jid"], wait=False)
            except Exception:  # pylint: disable=broad-except
                pass
    for job in rest.jobs_overview():
        if job["state"] not in ("FINISHED", "CANCELED", "FAILED"):
            rest.wait_job_status(job["jid"], ("CANCELED", "FAILED", "FINISHED"), 60)


class CacheWarmer(threading.Thread):
    """Hammers ``GET /v1/jobs/:id/checkpoints`` every ``interval`` s (keeps Flink's statistics cache warm)."""

    def __init__(self, url, job_id, interval=0.05, limit=120.0):
        super().__init__(daemon=True)
        self.url = "%s/v1/jobs/%s/checkpoints" % (url.rstrip("/"), job_id)
        self.interval = interval
        self.limit = limit
        self.stop_event = threading.Event()
        self.reads = 0
        self.session = requests.Session()

    def run(self):
        end = time.monotonic() + self.limit  # bounded: stops by itself
        while not self.stop_event.is_set() and time.monotonic() < end:
            try:
                self.session.get(self.url, timeout=2)
                self.reads += 1
            except requests.RequestException:
                pass
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join(10)

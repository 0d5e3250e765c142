# -*- coding: utf-8 -*-
"""Shared helpers of the benchmarks: statistics, checkpoint storage listings, plain REST polling, the product import."""

import os
import re
import statistics
import sys
import threading
import time

from tests.harness.ansible import COLLECTIONS_DIR, ensure_collection_link

CHK_RE = re.compile(r"^chk-(\d+)$")
POLL = 0.01  # seconds between polls of the plain scripts (and of the benchmark's own observers)


class BenchError(RuntimeError):
    """A benchmark step failed (the message says which and why)."""


def product():
    """The collection's module_utils as ``(ops, jobs, client module)``, imported in-process from ``.cache/collections``."""
    ensure_collection_link()
    if COLLECTIONS_DIR not in sys.path:
        sys.path.insert(0, COLLECTIONS_DIR)
    # pylint: disable=import-outside-toplevel
    from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_client as client_mod
    from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_jobs as jobs_mod
    from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops_mod
    return ops_mod, jobs_mod, client_mod


def stats(values):
    """``{n, median, min, max, spread, values}`` of a list of numbers (None entries are left out)."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return dict(n=0, median=None, min=None, max=None, spread=None, values=[])
    return dict(n=len(values), median=round(statistics.median(values), 4), min=round(min(values), 4),
                max=round(max(values), 4), spread=round(max(values) - min(values), 4), values=[round(v, 4) for v in values])


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def ratio(num, den):
    return round(num / den, 4) if num is not None and den else None


def diff(first, second):
    return round(first - second, 4) if first is not None and second is not None else None


def job_checkpoints(checkpoint_dir, job_id):
    """``{checkpoint id: mtime of its _metadata}`` of the complete ``chk-N`` of a job in a local checkpoint directory."""
    root = os.path.join(checkpoint_dir, job_id)
    found = {}
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return found
    for name in names:
        match = CHK_RE.match(name)
        if not match:
            continue
        try:
            found[int(match.group(1))] = os.stat(os.path.join(root, name, "_metadata")).st_mtime
        except (FileNotFoundError, NotADirectoryError):
            continue
    return found


def newest_checkpoint(checkpoint_dir, job_id):
    """``(id, path)`` of the newest complete checkpoint of a job in storage, or ``(None, None)``."""
    found = job_checkpoints(checkpoint_dir, job_id)
    if not found:
        return None, None
    newest = max(found)
    return newest, "file:" + os.path.join(checkpoint_dir, job_id, "chk-%d" % newest)


def wait_for(check, timeout, what, interval=POLL):
    """Call ``check()`` every ``interval`` s until it returns something truthy; return it or raise BenchError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise BenchError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def first_checkpoint_time(checkpoint_dir, job_id, timeout):
    """Epoch time (mtime of ``_metadata``) of the first checkpoint the job completed, waiting for it up to ``timeout``."""
    found = wait_for(lambda: job_checkpoints(checkpoint_dir, job_id), timeout,
                     "a checkpoint of job %s in %s" % (job_id, checkpoint_dir))
    return found[min(found)]


# task names of benchmarks/playbooks/fence_restore.yml (variant a)
PREFLIGHT_TASK = "Check the restore's inputs before the fence"
PIN_TASK = "Suspend checkpointing and pin the final checkpoint"
RESTORE_TASK = "Restore the job from its pin and wait for its first checkpoint"


class Meter:
    """Time spent in HTTP requests and in ``time.sleep`` (main thread only) while product code runs in-process."""

    def __init__(self, client_mod=None):
        self.rest_seconds = 0.0
        self.rest_calls = 0
        self.sleep_seconds = 0.0
        self.sleeps = 0
        self._orig_sleep = None
        self._poller = client_mod.Poller if client_mod is not None else None
        self._poller_defaults = None

    def wrap_transport(self, transport):
        """Time every request of the product client's transport (``_http.HttpTransport``)."""
        original = transport.request

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.rest_seconds += time.perf_counter() - started
                self.rest_calls += 1

        transport.request = timed
        return transport

    def __enter__(self):
        self._orig_sleep = time.sleep
        main = threading.main_thread()
        original = self._orig_sleep

        def sleep(seconds):
            if threading.current_thread() is main:
                self.sleep_seconds += max(0.0, seconds)
                self.sleeps += 1
            original(seconds)

        time.sleep = sleep
        if self._poller is not None:
            # Poller binds time.sleep as a default argument: swap it for the metered one too.
            self._poller_defaults = self._poller.__init__.__defaults__
            self._poller.__init__.__defaults__ = self._poller_defaults[:-1] + (sleep,)
        return self

    def __exit__(self, *exc):
        time.sleep = self._orig_sleep
        if self._poller is not None:
            self._poller.__init__.__defaults__ = self._poller_defaults

    def as_dict(self):
        return dict(rest_seconds=round(self.rest_seconds, 4), rest_calls=self.rest_calls,
                    sleep_seconds=round(self.sleep_seconds, 4), sleeps=self.sleeps)


def iso_to_epoch(text):
    """Epoch seconds of the ``ansible.posix.json`` callback's UTC timestamps (``2026-01-02T03:04:05.678901Z``)."""
    import datetime  # pylint: disable=import-outside-toplevel

    if not text:
        return None
    stamp = datetime.datetime.fromisoformat(text.rstrip("Z"))
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp()


def playbook_task_times(result):
    """``[(task name, start epoch, end epoch, host result)]`` of a PlaybookResult's tasks (localhost), in order."""
    times = []
    for task in result.tasks:
        info = task.get("task", {})
        duration = info.get("duration") or {}
        times.append((info.get("name", ""), iso_to_epoch(duration.get("start")), iso_to_epoch(duration.get("end")),
                      (task.get("hosts") or {}).get("localhost", {})))
    return times


def tree_cpu_seconds(pids):
    """User + system CPU seconds used so far by the processes ``pids`` and all their live descendants, with the
    descendants they have already reaped (Linux /proc)."""
    ticks = float(os.sysconf("SC_CLK_TCK"))
    children, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        # after "pid (comm)": state ppid ... utime stime cutime cstime (fields 14-17 of stat)
        children.setdefault(int(fields[1]), []).append(int(entry))
        cpu[int(entry)] = sum(int(f) for f in fields[11:15]) / ticks
    total, todo, seen = 0.0, [p for p in pids if p], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += cpu.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return round(total, 2)

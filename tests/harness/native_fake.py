# -*- coding: utf-8 -*-
"""A fake Flink JobManager REST API with the native checkpoint-suspension contract, for tests.

Upstream Flink has no REST call to pause checkpointing; some builds offer::

    POST /v1/jobs/:jobid/checkpointing  {"action": "suspend" | "resume"}
        -> 202 {"request-id": "<32 hex>"}
    GET  /v1/jobs/:jobid/checkpointing-suspension/:triggerid
        -> 200 {"status": {"id": "IN_PROGRESS" | "COMPLETED"}, "operation": {...}}
           (a failure is COMPLETED with operation["failure-cause"])

:class:`FakeFlink` serves that contract plus the part of the normal API the modules read, for ONE simulated job
that completes checkpoints into a real directory (``<checkpoint_dir>/<job id>/chk-N/_metadata``, the last 3 kept),
with one checkpoint in flight at a time, and ``/jobs/:id/checkpoints`` served from a cache with a configurable TTL
like Flink's ``rest.cache.checkpoint-statistics.timeout``. Unknown routes answer like Flink: GET -> 404
``Unable to load requested file /v1/...``, POST -> 404 ``Not found: /v1/...``.

Timing of the simulated job: a checkpoint is triggered ``pause_ms`` after the previous one ended, takes
``snapshot_ms`` (its ``chk-N`` directory exists without ``_metadata`` meanwhile), then writes ``_metadata`` and
completes. ``suspend`` stops scheduling at once and aborts the checkpoint in flight (its directory is deleted); its
status stays IN_PROGRESS for ``suspend_ms`` and then COMPLETED with ``operation: {}``. ``resume`` restarts scheduling.
"""

import json
import os
import re
import shutil
import threading
import time
import uuid

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
RETAINED = 3
HISTORY = 10


def _now_ms():
    return int(time.time() * 1000)


class FakeJob:
    """The simulated job: checkpoint scheduler, in-flight checkpoint, completed history, suspension."""

    # pylint: disable=too-many-instance-attributes

    def __init__(self, checkpoint_dir, name="native-job", pause_ms=300, snapshot_ms=200, job_id=None):
        self.job_id = job_id or uuid.uuid4().hex
        self.name = name
        self.checkpoint_dir = checkpoint_dir
        self.pause_ms = pause_ms
        self.snapshot_ms = snapshot_ms
        self.lock = threading.RLock()
        self.state = "RUNNING"
        self.start_time = _now_ms()
        self.end_time = -1
        self.suspended = False
        self.next_id = 1
        self.in_flight = None  # dict(id, trigger, ends)
        self.completed = []  # entries, oldest first
        self.failed = 0
        self.next_trigger = time.monotonic() + pause_ms / 1000.0
        self.completed_while_suspended = []
        self.events = []  # (monotonic time, what, checkpoint id)

    def job_root(self):
        return os.path.join(self.checkpoint_dir, self.job_id)

    def chk_dir(self, checkpoint_id):
        return os.path.join(self.job_root(), "chk-%d" % checkpoint_id)

    def tick(self):
        """Advance the simulation (called by the scheduler thread every few ms)."""
        with self.lock:
            now = time.monotonic()
            if self.state != "RUNNING":
                return
            if self.in_flight is not None and now >= self.in_flight["ends"]:
                self._complete(self.in_flight)
                self.in_flight = None
                self.next_trigger = now + self.pause_ms / 1000.0
            if self.in_flight is None and not self.suspended and now >= self.next_trigger:
                checkpoint_id = self.next_id
                self.next_id += 1
                os.makedirs(self.chk_dir(checkpoint_id), exist_ok=True)
                self.in_flight = dict(id=checkpoint_id, trigger=_now_ms(), ends=now + self.snapshot_ms / 1000.0)
                self.events.append((now, "triggered", checkpoint_id))

    def _complete(self, pending):
        path = self.chk_dir(pending["id"])
        with open(os.path.join(path, "_metadata"), "wb") as handle:
            handle.write(b"fake checkpoint metadata %d" % pending["id"])
        entry = dict(className="completed", id=pending["id"], status="COMPLETED", is_savepoint=False, savepointFormat=None,
                     trigger_timestamp=pending["trigger"], latest_ack_timestamp=_now_ms(), checkpointed_size=1024,
                     state_size=1024, end_to_end_duration=_now_ms() - pending["trigger"], num_subtasks=1,
                     num_acknowledged_subtasks=1, checkpoint_type="CHECKPOINT", tasks={},
                     external_path="file:" + path, discarded=False)
        self.completed.append(entry)
        if self.suspended:
            self.completed_while_suspended.append(pending["id"])
        self.events.append((time.monotonic(), "completed", pending["id"]))
        while len([c for c in self.completed if not c["discarded"]]) > RETAINED:
            oldest = next(c for c in self.completed if not c["discarded"])
            oldest["discarded"] = True
            shutil.rmtree(self.chk_dir(oldest["id"]), ignore_errors=True)

    def abort_in_flight(self):
        with self.lock:
            if self.in_flight is not None:
                shutil.rmtree(self.chk_dir(self.in_flight["id"]), ignore_errors=True)
                self.events.append((time.monotonic(), "aborted", self.in_flight["id"]))
                self.in_flight = None
                self.failed += 1

    def suspend(self):
        with self.lock:
            self.suspended = True
            self.abort_in_flight()
            self.events.append((time.monotonic(), "suspended", None))

    def resume(self):
        with self.lock:
            self.suspended = False
            self.next_trigger = time.monotonic() + self.pause_ms / 1000.0
            self.events.append((time.monotonic(), "resumed", None))

    def cancel(self):
        with self.lock:
            if self.state == "RUNNING":
                self.abort_in_flight()
                self.state = "CANCELED"
                self.end_time = _now_ms()

    def last_completed_id(self):
        with self.lock:
            return self.completed[-1]["id"] if self.completed else None

    def overview_entry(self):
        with self.lock:
            running = 1 if self.state == "RUNNING" else 0
            tasks = dict(running=running, canceled=1 - running, total=1, created=0, scheduled=0, deploying=0,
                         finished=0, canceling=0, failed=0, reconciling=0, initializing=0)
            return {"jid": self.job_id, "name": self.name, "state": self.state, "start-time": self.start_time,
                    "end-time": self.end_time, "duration": (self.end_time if self.end_time > 0 else _now_ms()) - self.start_time,
                    "last-modification": _now_ms(), "tasks": tasks}

    def checkpoint_stats(self):
        """A fresh ``/jobs/:id/checkpoints`` body."""
        with self.lock:
            history = []
            if self.in_flight is not None:
                history.append(dict(className="in_progress", id=self.in_flight["id"], status="IN_PROGRESS",
                                    is_savepoint=False, trigger_timestamp=self.in_flight["trigger"],
                                    latest_ack_timestamp=-1, checkpoint_type="CHECKPOINT", external_path=None,
                                    discarded=False))
            history.extend(dict(c) for c in reversed(self.completed))
            history = history[:HISTORY]
            latest = dict(self.completed[-1]) if self.completed else None
            counts = dict(restored=0, total=len(self.completed) + self.failed + (1 if self.in_flight else 0),
                          in_progress=1 if self.in_flight else 0, completed=len(self.completed), failed=self.failed)
            return {"counts": counts, "summary": {},
                    "latest": {"completed": latest, "savepoint": None, "failed": None, "restored": None},
                    "history": history}


class FakeFlink:
    """The fake REST server. ``start()`` / ``stop()``; ``url``; ``job`` is the simulated :class:`FakeJob`.

    ``cache_ttl`` (seconds) is the checkpoint-statistics cache; ``native`` False removes the native routes;
    ``fail_suspend`` makes a suspension end COMPLETED with a failure cause; ``suspend_ms`` is how long a native
    request stays IN_PROGRESS.
    """

    # pylint: disable=too-many-instance-attributes,too-many-arguments

    def __init__(self, checkpoint_dir, cache_ttl=3.0, native=True, fail_suspend=False, suspend_ms=100, pause_ms=300,
                 snapshot_ms=200, name="native-job"):
        self.checkpoint_dir = checkpoint_dir
        os.makedirs(checkpoint_dir, exist_ok=True)
        self.cache_ttl = float(cache_ttl)
        self.native = native
        self.fail_suspend = fail_suspend
        self.suspend_ms = suspend_ms
        self.job = FakeJob(checkpoint_dir, name=name, pause_ms=pause_ms, snapshot_ms=snapshot_ms)
        self.operations = {}  # trigger id -> dict(action, done_at, failure)
        self.requests = []  # (method, path)
        self._cache = None  # (expires monotonic, body)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = None
        self._threads = []

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def url(self):
        return "http://%s:%d" % (LOOPBACK, self.port)

    @property
    def port(self):
        return self._server.server_address[1]

    def start(self):
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        for target in (self._server.serve_forever, self._schedule):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _schedule(self):
        deadline = time.monotonic() + 900  # bounded: a forgotten fake stops by itself
        while not self._stop.is_set() and time.monotonic() < deadline:
            self.job.tick()
            self._stop.wait(0.005)

    # -- API -----------------------------------------------------------------------------------------------------
    def cached_checkpoints(self):
        with self._lock:
            now = time.monotonic()
            if self._cache is None or now >= self._cache[0]:
                self._cache = (now + self.cache_ttl, self.job.checkpoint_stats())
            return self._cache[1]

    def jobmanager_config(self):
        ttl = "%d ms" % int(self.cache_ttl * 1000)
        conf = {"execution.checkpointing.dir": "file://" + self.checkpoint_dir,
                "web.refresh-interval": ttl, "rest.cache.checkpoint-statistics.timeout": ttl,
                "rest.cache.execution-graph.timeout": ttl}
        return [dict(key=k, value=v) for k, v in sorted(conf.items())]

    def checkpoint_config(self):
        return {"mode": "exactly_once", "interval": self.job.pause_ms, "timeout": 600000, "min_pause": 0,
                "max_concurrent": 1, "externalization": {"enabled": True, "delete_on_cancellation": False},
                "state_backend": "HashMapStateBackend", "checkpoint_storage": "FileSystemCheckpointStorage",
                "unaligned_checkpoints": False}

    def native_post(self, body):
        action = (body or {}).get("action") if isinstance(body, dict) else None
        if action not in ("suspend", "resume"):
            return 400, {"errors": ["Bad request: action must be suspend or resume, got %r" % action]}
        if self.job.state != "RUNNING":
            return 409, {"errors": ["Job %s is not running." % self.job.job_id]}
        trigger = uuid.uuid4().hex
        failure = None
        if action == "suspend" and self.fail_suspend:
            failure = {"class": "org.apache.flink.runtime.checkpoint.CheckpointException",
                       "stack-trace": "org.apache.flink.runtime.checkpoint.CheckpointException: "
                                      "Checkpoint suspension refused by the coordinator\n\tat org.apache.flink.Fake.x(Fake.java:1)",
                       "serialized-throwable": "AAAA"}
        elif action == "suspend":
            self.job.suspend()
        else:
            self.job.resume()
        self.operations[trigger] = dict(action=action, done_at=time.monotonic() + self.suspend_ms / 1000.0, failure=failure)
        return 202, {"request-id": trigger}

    def native_status(self, trigger):
        operation = self.operations.get(trigger)
        if operation is None:
            return 404, {"errors": ["Operation not found under key: %s" % trigger]}
        if time.monotonic() < operation["done_at"]:
            return 200, {"status": {"id": "IN_PROGRESS"}, "operation": None}
        result = {"failure-cause": operation["failure"]} if operation["failure"] else {}
        return 200, {"status": {"id": "COMPLETED"}, "operation": result}

    def answer(self, method, path, query, body):
        """``(status, body)`` for one request."""
        self.requests.append((method, path))
        job = self.job
        jid = job.job_id
        if method == "GET":
            simple = {
                "/v1/config": lambda: {"refresh-interval": int(self.cache_ttl * 1000), "timezone-name": "UTC",
                                       "flink-version": "2.3.0-native", "flink-revision": "fake",
                                       "features": {"web-submit": False, "web-cancel": True}},
                "/v1/overview": lambda: {"taskmanagers": 1, "slots-total": 4, "slots-available": 3,
                                         "jobs-running": 1 if job.state == "RUNNING" else 0, "jobs-finished": 0,
                                         "jobs-cancelled": 0 if job.state == "RUNNING" else 1, "jobs-failed": 0,
                                         "flink-version": "2.3.0-native", "flink-commit": "fake"},
                "/v1/jobmanager/config": self.jobmanager_config,
                "/v1/jobs/overview": lambda: {"jobs": [job.overview_entry()]},
                "/v1/jobs/%s/status" % jid: lambda: {"status": job.state},
                "/v1/jobs/%s" % jid: lambda: dict(job.overview_entry(), now=_now_ms(), vertices=[]),
                "/v1/jobs/%s/checkpoints" % jid: self.cached_checkpoints,
                "/v1/jobs/%s/checkpoints/config" % jid: self.checkpoint_config,
            }
            if path in simple:
                return 200, simple[path]()
            match = re.match(r"^/v1/jobs/([^/]+)/checkpointing-suspension/([^/]+)$", path)
            if self.native and match:
                if match.group(1) != jid:
                    return 404, {"errors": ["Job %s not found" % match.group(1)]}
                return self.native_status(match.group(2))
            match = re.match(r"^/v1/jobs/([0-9a-f]{32})(/.*)?$", path)
            if match and match.group(1) != jid:
                return 404, {"errors": ["Job %s not found" % match.group(1)]}
            return 404, {"errors": ["Unable to load requested file %s" % path]}
        if method == "POST" and self.native and path == "/v1/jobs/%s/checkpointing" % jid:
            return self.native_post(body)
        if method == "PATCH" and path == "/v1/jobs/%s" % jid:
            if query.get("mode", ["cancel"])[0] != "cancel":
                return 400, {"errors": ["Bad request: mode"]}
            job.cancel()
            return 202, {}
        return 404, {"errors": ["Not found: %s" % path]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_fake = None

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def _serve(self):
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = None
        status, payload = self.server_fake.answer(self.command, split.path, parse_qs(split.query), body)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _serve
    do_POST = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_PUT = _serve

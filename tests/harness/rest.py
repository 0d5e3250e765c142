# -*- coding: utf-8 -*-
"""A small, test-only client for the Flink REST API (the product has its own client in plugins/).

Cache notes: ``/jobs/:id`` and ``/jobs/:id/checkpoints`` are served from caches whose TTL is
``web.refresh-interval`` / ``rest.cache.execution-graph.timeout`` and ``rest.cache.checkpoint-statistics.timeout``
(3 s by default); ``/jobs/:id/status`` and ``/jobs/overview`` are fresh.
"""

import os
import time

import requests

API = "/v1"
TERMINAL_STATES = frozenset(("FINISHED", "CANCELED", "FAILED"))


class FlinkRestError(RuntimeError):
    """An HTTP error answered by Flink, with its own error messages."""

    def __init__(self, method, url, status, body):
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        super().__init__("%s %s -> HTTP %s: %s" % (method, url, status, str(body)[:2000]))


class TimeoutExpired(AssertionError):
    """A poll ran out of time (an AssertionError so pytest shows it as a test failure)."""


def poll(fetch, done, timeout, interval=0.05, max_interval=0.5, what="condition"):
    """Call ``fetch()`` until ``done(value)`` is true; return that value or raise :class:`TimeoutExpired`."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fetch()
        if done(last):
            return last
        if time.monotonic() >= deadline:
            raise TimeoutExpired("timed out after %.1f s waiting for %s; last value: %r" % (timeout, what, last))
        time.sleep(interval)
        interval = min(max_interval, interval * 1.5)


class FlinkRest:  # pylint: disable=too-many-public-methods
    """Plain-REST access to one JobManager, e.g. ``FlinkRest("http://127.0.0.1:8081")``."""

    def __init__(self, url, timeout=10.0, verify=True, cert=None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        # passed with every request: requests lets REQUESTS_CA_BUNDLE override a session's verify
        self.tls = dict(verify=verify, cert=cert)

    # -- plumbing ---------------------------------------------------------------------------------------------
    def request(self, method, path, expect=(200, 202), **kwargs):
        """One request to ``API + path``; returns the decoded JSON body (or ``None`` when empty)."""
        url = self.url + API + path
        kwargs.setdefault("timeout", self.timeout)
        for key, value in self.tls.items():
            kwargs.setdefault(key, value)
        resp = self.session.request(method, url, **kwargs)
        try:
            body = resp.json() if resp.content else None
        except ValueError:
            body = resp.text
        if resp.status_code not in expect:
            raise FlinkRestError(method, url, resp.status_code, body)
        return body

    def get(self, path, **kwargs):
        """GET ``path`` and return JSON."""
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        """POST ``json`` to ``path`` and return JSON."""
        return self.request("POST", path, json=json, **kwargs)

    # -- cluster ----------------------------------------------------------------------------------------------
    def overview(self):
        """``GET /overview`` (taskmanagers, slots-total, slots-available, jobs-running...)."""
        return self.get("/overview")

    def jobmanager_config(self):
        """Effective JobManager configuration as a ``{key: value}`` dict."""
        return {item["key"]: item["value"] for item in self.get("/jobmanager/config")}

    def jobs_overview(self):
        """``GET /jobs/overview`` (fresh, not cached)."""
        return self.get("/jobs/overview")["jobs"]

    # -- jars and submission ----------------------------------------------------------------------------------
    def upload_jar(self, jar_path):
        """Upload a jar (multipart field ``jarfile``); returns the jar id used by ``/jars/:id/run``."""
        with open(jar_path, "rb") as handle:
            files = {"jarfile": (os.path.basename(jar_path), handle, "application/x-java-archive")}
            body = self.request("POST", "/jars/upload", files=files, timeout=60)
        return os.path.basename(body["filename"])

    def run_jar(self, jar_id, entry_class=None, args=None, parallelism=None, savepoint_path=None,
                claim_mode=None, allow_non_restored_state=None, job_id=None):
        """``POST /jars/:id/run`` (uses ``programArgsList``; ``programArgs`` is ignored by Flink 2.x). Returns the job id."""
        payload = {}
        if entry_class:
            payload["entryClass"] = entry_class
        if args is not None:
            payload["programArgsList"] = [str(a) for a in args]
        if parallelism is not None:
            payload["parallelism"] = int(parallelism)
        if savepoint_path:
            payload["savepointPath"] = savepoint_path
        if claim_mode:
            payload["claimMode"] = claim_mode
        if allow_non_restored_state is not None:
            payload["allowNonRestoredState"] = bool(allow_non_restored_state)
        if job_id:
            payload["jobId"] = job_id
        return self.post("/jars/%s/run" % jar_id, json=payload, timeout=120)["jobid"]

    def submit_jar(self, jar_path, entry_class=None, args=None, **kwargs):
        """Upload ``jar_path`` and run it; returns the job id. ``kwargs`` as for :meth:`run_jar`."""
        return self.run_jar(self.upload_jar(jar_path), entry_class=entry_class, args=args, **kwargs)

    # -- jobs -------------------------------------------------------------------------------------------------
    def job_status(self, job_id):
        """Fresh job status string (``GET /jobs/:id/status``)."""
        return self.get("/jobs/%s/status" % job_id)["status"]

    def job(self, job_id):
        """Job details (``GET /jobs/:id``, cached by the execution-graph cache)."""
        return self.get("/jobs/%s" % job_id)

    def wait_job_status(self, job_id, statuses, timeout=60.0):
        """Wait until the job's fresh status is in ``statuses``; fails early when it ends in another terminal state."""
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)

        def done(status):
            if status in statuses:
                return True
            if status in TERMINAL_STATES:
                raise AssertionError("job %s reached %s while waiting for %s" % (job_id, status, sorted(statuses)))
            return False
        return poll(lambda: self.job_status(job_id), done, timeout, what="job %s in %s" % (job_id, sorted(statuses)))

    def wait_tasks_running(self, job_id, timeout=60.0):
        """Wait until the job is RUNNING and every vertex reports all its subtasks RUNNING."""
        self.wait_job_status(job_id, "RUNNING", timeout)

        def all_running(detail):
            vertices = detail.get("vertices") or []
            return bool(vertices) and all(v.get("status") == "RUNNING" for v in vertices)
        return poll(lambda: self.job(job_id), all_running, timeout, what="all tasks of %s running" % job_id)

    def cancel(self, job_id, wait=True, timeout=60.0):
        """Cancel the job (``PATCH /jobs/:id?mode=cancel``) and optionally wait for CANCELED."""
        self.request("PATCH", "/jobs/%s" % job_id, params={"mode": "cancel"})
        if wait:
            self.wait_job_status(job_id, "CANCELED", timeout)

    # -- checkpoints / savepoints -----------------------------------------------------------------------------
    def checkpoints(self, job_id):
        """``GET /jobs/:id/checkpoints`` (served from the checkpoint-statistics cache)."""
        return self.get("/jobs/%s/checkpoints" % job_id)

    def checkpoint_config(self, job_id):
        """``GET /jobs/:id/checkpoints/config``. With checkpointing disabled Flink 2.3 still answers 200, with
        ``interval`` = 2**63-1 (Long.MAX_VALUE) and ``mode`` ``at_least_once``: see :func:`checkpointing_enabled`."""
        return self.get("/jobs/%s/checkpoints/config" % job_id)

    def wait_checkpoints(self, job_id, count, timeout=60.0):
        """Wait until ``counts.completed >= count`` for this job run; returns the statistics."""
        return poll(lambda: self.checkpoints(job_id), lambda s: s["counts"]["completed"] >= count, timeout,
                    what="%d completed checkpoints of %s" % (count, job_id))

    def latest_completed_checkpoint(self, job_id):
        """``latest.completed`` of the checkpoint statistics (``None`` when there is none yet)."""
        return (self.checkpoints(job_id).get("latest") or {}).get("completed")

    def wait_async(self, path, timeout=120.0):
        """Poll an asynchronous operation until COMPLETED; return ``operation`` or raise on ``failure-cause``."""
        body = poll(lambda: self.get(path), lambda b: b["status"]["id"] == "COMPLETED", timeout, what=path)
        operation = body.get("operation") or {}
        if operation.get("failure-cause"):
            cause = operation["failure-cause"]
            raise AssertionError("async operation %s failed: %s" % (path, cause.get("stack-trace", cause)))
        return operation

    def stop_with_savepoint(self, job_id, target_directory=None, drain=False, timeout=120.0, formattype=None):
        """``POST /jobs/:id/stop`` and wait for the savepoint; returns its location. The job ends FINISHED."""
        payload = {"drain": bool(drain)}
        if target_directory:
            payload["targetDirectory"] = target_directory
        if formattype:
            payload["formatType"] = formattype
        trigger = self.post("/jobs/%s/stop" % job_id, json=payload)["request-id"]
        operation = self.wait_async("/jobs/%s/savepoints/%s" % (job_id, trigger), timeout)
        self.wait_job_status(job_id, "FINISHED", timeout)
        return operation["location"]

    def trigger_savepoint(self, job_id, target_directory=None, cancel_job=False, timeout=120.0):
        """``POST /jobs/:id/savepoints`` and wait; returns the savepoint location."""
        payload = {"cancel-job": bool(cancel_job)}
        if target_directory:
            payload["target-directory"] = target_directory
        trigger = self.post("/jobs/%s/savepoints" % job_id, json=payload)["request-id"]
        return self.wait_async("/jobs/%s/savepoints/%s" % (job_id, trigger), timeout)["location"]


def checkpointing_enabled(checkpoint_config):
    """True when a ``/checkpoints/config`` answer describes periodic checkpointing (interval < Long.MAX_VALUE)."""
    return 0 < int(checkpoint_config.get("interval", 0)) < 2 ** 63 - 1

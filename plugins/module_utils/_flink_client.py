# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client for the Flink JobManager / HistoryServer REST API.

Private to the collection (underscore module): the interface may change between releases.

Everything that is hard about talking to Flink lives here once:

* one error type (:class:`FlinkError`) that carries method, URL, HTTP status and Flink's own message;
* reads retried with backoff on connection errors and 502/503/504; writes never retried blindly;
* :func:`poll` -- sub-second polling with backoff and a deadline;
* async operations (savepoints, checkpoints, disposal, native suspension) where ``COMPLETED`` with a
  ``failure-cause`` is a failure;
* knowledge of the REST caches: ``/jobs/:id`` and ``/jobs/:id/checkpoints`` are served from caches
  (``web.refresh-interval`` and ``rest.cache.checkpoint-statistics.timeout``, 3 s by default) while
  ``/jobs/:id/status`` and ``/jobs/overview`` are fresh.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import re
import threading
import time
import uuid

from ansible_collections.flinkops.fleet.plugins.module_utils._http import HttpTransport, TransportError


TERMINAL_STATES = frozenset(("FINISHED", "CANCELED", "FAILED"))
# SUSPENDED is terminal for this JobManager only (the job may be recovered elsewhere).
LOCALLY_TERMINAL_STATES = TERMINAL_STATES | frozenset(("SUSPENDED",))
# the configuration keys that turn on JobManager high availability (current, deprecated and legacy spellings), and
# their values that mean "none"
HA_KEYS = ("high-availability.type", "high-availability", "high-availability.mode", "recovery.mode")
NO_HA_VALUES = ("none", "standalone")
ACTIVE_STATES = frozenset(("INITIALIZING", "CREATED", "RUNNING", "FAILING", "CANCELLING", "RESTARTING", "RECONCILING"))
RETRY_STATUSES = frozenset((502, 503, 504))
DEFAULT_CACHE_SECONDS = 3.0
API_PREFIX = "/v1"

_DURATION_UNITS = (
    (("ns", "nano", "nanos", "nanosecond", "nanoseconds"), 1e-9),
    (("us", "micro", "micros", "microsecond", "microseconds"), 1e-6),
    (("ms", "milli", "millis", "millisecond", "milliseconds"), 1e-3),
    (("s", "sec", "secs", "second", "seconds"), 1.0),
    (("min", "m", "minute", "minutes"), 60.0),
    (("h", "hour", "hours"), 3600.0),
    (("d", "day", "days"), 86400.0),
)
_ISO_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>[\d.]+)S)?)?$", re.I)


class FlinkError(Exception):
    """A failure talking to Flink, with everything a person needs to act on it."""

    def __init__(self, message, method=None, url=None, status=None, flink_message=None, job=None, body=None, result=None):
        super(FlinkError, self).__init__(message)
        self.message = message
        self.method = method
        self.url = url
        self.status = status
        self.flink_message = flink_message
        self.job = job
        self.body = body
        # what had already happened when the failure came (say changed=True and the pin after a fence)
        self.result = result or {}
        # a request that changes something went out whole and got no answer: Flink may have carried it out
        self.unanswered = False

    def __str__(self):
        parts = [self.message]
        if self.job:
            parts.append("job %s" % self.job)
        if self.method and self.url:
            where = "%s %s" % (self.method, self.url)
            parts.append(where + (" -> HTTP %s" % self.status if self.status is not None else ""))
        text = "; ".join(parts)
        if self.flink_message:
            text += ": %s" % self.flink_message
        return text

    def restated(self, message, **result):
        """The same failure (its kind, method, URL, status, Flink's message, job) told as ``message``; ``result`` adds
        fields for ``fail_json``."""
        error = type(self)(message, method=self.method, url=self.url, status=self.status, flink_message=self.flink_message,
                           job=self.job, body=self.body, result=dict(self.result, **result))
        error.unanswered = self.unanswered
        return error

    def to_result(self):
        """Fields a module adds to ``fail_json`` next to ``msg`` (``http_method``: ``method`` is a module's own result,
        e.g. how flink_checkpointing suspended)."""
        return dict(self.result, url=self.url, status=self.status, flink_message=self.flink_message, http_method=self.method)


class FlinkConnectionError(FlinkError):
    """The cluster could not be reached (DNS, refused, TLS, read timeout)."""


class FlinkTimeoutError(FlinkError):
    """A wait ran past its deadline."""


class FlinkOperationFailed(FlinkError):
    """An asynchronous operation (savepoint, checkpoint, ...) finished with a failure cause."""


class FlinkUnsupported(FlinkError):
    """The cluster does not offer a REST route (HTTP 404 on the route itself)."""


def parse_duration(value, default_unit=1e-3):
    """Parse a Flink duration (``3000``, ``3 s``, ``100ms``, ``1 min``, ``PT3S``) into seconds.

    A bare number is in ``default_unit`` seconds (Flink reads bare numbers as milliseconds).
    Returns None for a value that is not a duration.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) * default_unit
    text = str(value).strip()
    iso = _ISO_DURATION.match(text)
    if iso and text.upper() != "P":
        return (int(iso.group("d") or 0) * 86400 + int(iso.group("h") or 0) * 3600 +
                int(iso.group("m") or 0) * 60 + float(iso.group("s") or 0))
    match = re.match(r"^([\d.]+)\s*([a-zA-Z]*)$", text)
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2).lower()
    if not unit:
        return number * default_unit
    for names, factor in _DURATION_UNITS:
        if unit in names:
            return number * factor
    return None


def summarize_throwable(text, limit=600):
    """Squeeze a Java stack trace into the lines a person reads: the exception and its causes."""
    if not text:
        return ""
    text = str(text).strip()
    if text.startswith("<Exception on server side:"):
        text = text[len("<Exception on server side:"):].rstrip(">").strip()
    keep = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("at ") or stripped.startswith("...") or stripped.startswith("Suppressed:"):
            continue
        if stripped.startswith("End of exception on server side"):
            break
        if stripped.startswith("Caused by: "):
            stripped = stripped[len("Caused by: "):]
        if stripped not in keep:
            keep.append(stripped)
    # The deepest cause is usually the one that explains the failure; keep the first line as context.
    if len(keep) > 2:
        keep = [keep[0], keep[-1]]
    summary = " <- ".join(reversed(keep)) if len(keep) == 2 else " ".join(keep)
    return summary if len(summary) <= limit else summary[:limit - 3] + "..."


def flink_error_message(body, text=None):
    """Flink's own message from an error body ``{"errors": [...]}`` (or the raw text)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return (text or "").strip()[:600] or None
    parts = [summarize_throwable(err) for err in errors if err]
    parts = [p for p in parts if p]
    # "Internal server error." alone says nothing; prefer the server-side exception when there is one.
    if len(parts) > 1 and parts[0].rstrip(".").lower() in ("internal server error", "bad request"):
        parts = parts[1:]
    return "; ".join(parts) or None


def failure_cause_message(cause):
    """Text of an async operation's ``failure-cause`` (a serialized throwable)."""
    if not cause:
        return None
    if isinstance(cause, dict):
        trace = cause.get("stack-trace") or cause.get("stackTrace")
        if trace:
            return summarize_throwable(trace)
        return cause.get("class") or json.dumps(cause)[:600]
    return summarize_throwable(cause)


def new_trigger_id():
    """A client-chosen trigger id (Flink's TriggerId: 32 hex chars) for idempotent retries."""
    return uuid.uuid4().hex


def is_trigger_id(value):
    return bool(value) and re.match(r"^[0-9a-fA-F]{32}$", str(value)) is not None


_DEADLINES = threading.local()
# the least time a request gets when a wait's deadline is (nearly) reached: its last look at Flink
LAST_REQUEST_SECONDS = 1.0


@contextlib.contextmanager
def request_deadline(deadline):
    """Within the block, REST requests end by ``deadline`` (monotonic s; nested blocks keep the earliest): a request
    that hangs, and the retries after it, cannot make a wait outlast its timeout by more than LAST_REQUEST_SECONDS."""
    previous = getattr(_DEADLINES, "deadline", None)
    _DEADLINES.deadline = deadline if previous is None else min(previous, deadline)
    try:
        yield
    finally:
        _DEADLINES.deadline = previous


def _time_left():
    deadline = getattr(_DEADLINES, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


class Poller:
    """Sub-second polling with exponential backoff and a deadline (which also bounds the requests of each poll)."""

    def __init__(self, timeout, interval=0.05, max_interval=0.5, backoff=1.5, clock=time.monotonic, sleep=time.sleep):
        self.timeout = float(timeout)
        self.interval = interval
        self.max_interval = max_interval
        self.backoff = backoff
        self.clock = clock
        self.sleep = sleep
        self.started = clock()
        self.deadline = self.started + self.timeout
        self.polls = 0

    def remaining(self):
        return max(0.0, self.deadline - self.clock())

    def elapsed(self):
        return self.clock() - self.started

    def run(self, check, what, **error_fields):
        """Call ``check()`` until it returns ``(True, value)``; return value or raise FlinkTimeoutError.

        ``what`` (text, or a callable giving it) names what was awaited in the timeout message.
        """
        delay = self.interval
        while True:
            self.polls += 1
            with request_deadline(self.deadline):
                done, value = check()
            if done:
                return value
            remaining = self.remaining()
            if remaining <= 0:
                text = what() if callable(what) else what
                raise FlinkTimeoutError("timed out after %.1fs waiting for %s" % (self.timeout, text), **error_fields)
            self.sleep(min(delay, remaining))
            delay = min(delay * self.backoff, self.max_interval)


def poll(check, timeout, what, interval=0.05, max_interval=0.5, **error_fields):
    """Shorthand for ``Poller(timeout, interval, max_interval).run(check, what)``."""
    return Poller(timeout, interval=interval, max_interval=max_interval).run(check, what, **error_fields)


class FlinkClient:
    """REST session to one JobManager or HistoryServer.

    ``url`` is the REST endpoint, e.g. ``http://10.0.0.5:8081`` (with or without ``/v1``).
    """

    api_prefix = API_PREFIX

    def __init__(self, url, token=None, username=None, password=None, headers=None, validate_certs=True,
                 ca_path=None, client_cert=None, client_key=None, timeout=10.0, retries=3, retry_backoff=0.2,
                 transport=None):
        if not url:
            raise FlinkError("no Flink REST URL given (set the url option or FLINK_REST_URL)")
        if re.match(r"^https?://[^/\s]*@", url):
            raise FlinkError("the Flink REST URL must not carry credentials (they would show in every error message): "
                             "use username/password or token")
        if not re.match(r"^https?://(\[[0-9a-fA-F:.]+\]|[^\[\]:/\s?#]+)(:\d{1,5})?(/[^\s?#]*)?$", url):
            raise FlinkError("invalid Flink REST URL %r: expected http(s)://host:port, optionally with a path (no query "
                             "or fragment)" % url)
        base = url.rstrip("/")
        if base.endswith(API_PREFIX):
            base = base[:-len(API_PREFIX)]
        self.base_url = base
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.retry_backoff = retry_backoff
        sent = {"Accept": "application/json"}
        sent.update(dict((str(k), str(v)) for k, v in (headers or {}).items()))
        if token:
            sent["Authorization"] = "Bearer %s" % token
        self.transport = transport or HttpTransport(
            headers=sent, auth=(username, password or "") if username and not token else None,
            verify=ca_path if (validate_certs and ca_path) else bool(validate_certs),
            cert=((client_cert, client_key) if client_key else client_cert) if client_cert else None)
        self._config = None
        self._jm_config = None

    # ------------------------------------------------------------------ transport
    def url_for(self, path):
        return "%s%s%s" % (self.base_url, self.api_prefix, path if path.startswith("/") else "/" + path)

    def request(self, method, path, body=None, params=None, retry=None, files=None, expect_json=True):
        """One REST call. ``retry`` defaults to True for GET and False otherwise.

        Returns the decoded JSON body (``{}`` for an empty one). Raises FlinkError subclasses.
        """
        url = self.url_for(path)
        retry = (method == "GET") if retry is None else retry
        attempts = 1 + (self.retries if retry else 0)
        delay = self.retry_backoff
        sent = False
        for attempt in range(1, attempts + 1):
            left = _time_left()
            timeout = self.timeout if left is None else min(self.timeout, max(LAST_REQUEST_SECONDS, left))
            try:
                response = self.transport.request(method, url, json=body, params=params, files=files, timeout=timeout,
                                                  idempotent=retry)
            except TransportError as exc:
                if exc.kind == "tls":  # a TLS failure does not heal by retrying
                    raise FlinkConnectionError("TLS error talking to Flink: %s" % exc, method=method, url=url)
                if exc.kind == "config":
                    raise FlinkConnectionError(str(exc), method=method, url=url)
                sent = sent or exc.sent
                if attempt < attempts and self._may_retry(delay):
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise self._unreachable(method, url, exc, sent)
            if response.status_code in RETRY_STATUSES and attempt < attempts and self._may_retry(delay):
                time.sleep(delay)
                delay *= 2
                continue
            return self._decode(method, url, response, expect_json)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _may_retry(delay):
        """Whether a retry after ``delay`` s still ends before the deadline of the wait it serves (if any)."""
        left = _time_left()
        return left is None or left > delay

    @staticmethod
    def _unreachable(method, url, exc, sent):
        if method == "GET" or not sent:
            return FlinkConnectionError("cannot reach Flink REST API (%s)" % _exc_reason(exc), method=method, url=url)
        # The request went out whole: Flink may have carried it out and only its answer was lost.
        error = FlinkConnectionError("no answer from the Flink REST API (%s) to a request it may have carried out"
                                     % _exc_reason(exc), method=method, url=url, result=dict(changed=True))
        error.unanswered = True
        return error

    @staticmethod
    def _decode(method, url, response, expect_json):
        text = response.text or ""
        try:
            body = json.loads(text) if text.strip() else {}
        except ValueError:
            body = None
        status = response.status_code
        if status >= 400:
            message = flink_error_message(body if isinstance(body, dict) else None, text)
            kind = FlinkError
            if status == 404 and _is_unknown_route(message):
                kind = FlinkUnsupported
            raise kind(_status_text(status), method=method, url=url, status=status, flink_message=message, body=body)
        if body is None and expect_json:
            snippet = text.strip().replace("\n", " ")[:200]
            raise FlinkError("response is not JSON (is this a Flink REST endpoint?)", method=method, url=url,
                             status=status, flink_message=snippet)
        return body if body is not None else {}

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, body=None, retry=False, params=None):
        return self.request("POST", path, body=body if body is not None else {}, retry=retry, params=params)

    def patch(self, path, params=None, retry=True):
        # Cancelling twice is harmless, so PATCH /jobs/:id is safe to retry.
        return self.request("PATCH", path, params=params, retry=retry)

    def delete(self, path, retry=True):
        return self.request("DELETE", path, retry=retry)

    # ------------------------------------------------------------------ cluster
    def config(self):
        """``/config``: flink-version, refresh-interval, features. Cached per client."""
        if self._config is None:
            self._config = self.get("/config")
        return self._config

    def flink_version(self):
        return self.config().get("flink-version")

    def overview(self):
        return self.get("/overview")

    def jobmanager_config(self):
        """``/jobmanager/config`` as a dict (key -> value). Cached per client; {} where not offered."""
        if self._jm_config is None:
            try:
                entries = self.get("/jobmanager/config")
            except FlinkError as exc:
                if exc.status in (404, 405):  # HistoryServer has no JobManager config
                    entries = []
                else:
                    raise
            self._jm_config = dict((e.get("key"), e.get("value")) for e in entries if isinstance(e, dict))
        return self._jm_config

    def cache_timeouts(self):
        """Seconds a read of ``/jobs/:id`` and of ``/jobs/:id/checkpoints`` may lag behind the job.

        ``execution_graph`` is ``web.refresh-interval``; ``checkpoint_stats`` is
        ``rest.cache.checkpoint-statistics.timeout`` (falls back to ``web.refresh-interval``). 3 s by default.
        """
        conf = self.jobmanager_config()
        refresh = parse_duration(conf.get("web.refresh-interval"))
        refresh = DEFAULT_CACHE_SECONDS if refresh is None else refresh
        stats = parse_duration(conf.get("rest.cache.checkpoint-statistics.timeout"))
        return dict(execution_graph=refresh, checkpoint_stats=refresh if stats is None else stats)

    def without_high_availability(self):
        """True when the JobManager's configuration is known and sets no high-availability services.

        Without HA a job's completed checkpoints are kept in memory (Flink's standalone checkpoint store, which
        cannot fail to add one); with HA a checkpoint is completed only once its pointer is in ZooKeeper or a
        ConfigMap, and one that could not be added is discarded after its ``_metadata`` was written.
        """
        conf = self.jobmanager_config()
        if not conf:
            return False  # not known (no JobManager configuration offered)
        for key in HA_KEYS:
            value = str(conf.get(key) or "").strip().lower()
            if value and value not in NO_HA_VALUES:
                return False
        return True

    def checkpoint_storage_dir(self):
        """The cluster-wide checkpoint directory, when configured (None otherwise)."""
        conf = self.jobmanager_config()
        return conf.get("execution.checkpointing.dir") or conf.get("state.checkpoints.dir")

    def savepoint_dir(self):
        conf = self.jobmanager_config()
        return conf.get("execution.checkpointing.savepoint-dir") or conf.get("state.savepoints.dir")

    # ------------------------------------------------------------------ jobs
    def jobs_overview(self):
        """``/jobs/overview`` (fresh, not cached): id, name, state, times and task counts of every job."""
        return self.get("/jobs/overview").get("jobs", [])

    def job(self, job_id):
        """``/jobs/:id`` -- CACHED for ``web.refresh-interval``; use job_status() for the state."""
        return self.get("/jobs/%s" % job_id)

    def job_status(self, job_id):
        """``/jobs/:id/status`` -- fresh."""
        return self.get("/jobs/%s/status" % job_id).get("status")

    def checkpoints(self, job_id):
        """``/jobs/:id/checkpoints`` -- CACHED for ``rest.cache.checkpoint-statistics.timeout``."""
        return self.get("/jobs/%s/checkpoints" % job_id)

    def checkpoint_config(self, job_id):
        """``/jobs/:id/checkpoints/config``; raises FlinkError(status 404) when checkpointing is off."""
        return self.get("/jobs/%s/checkpoints/config" % job_id)

    def find_jobs(self, job_id=None, name=None, states=None, overview=None):
        """Jobs from ``/jobs/overview`` (or an ``overview`` read already) matching id, name and states, newest first."""
        jobs = self.jobs_overview() if overview is None else overview
        if job_id:
            jobs = [j for j in jobs if j.get("jid") == job_id.lower()]  # Flink writes ids in lower case
        if name is not None:
            jobs = [j for j in jobs if j.get("name") == name]
        if states:
            wanted = set(s.upper() for s in states)
            jobs = [j for j in jobs if j.get("state") in wanted]
        return sorted(jobs, key=lambda j: j.get("start-time") or 0, reverse=True)

    def resolve_job(self, job_id=None, name=None):
        """The one job selected by id or name.

        By name: the job of that name that is not terminal; two such jobs is an error listing both;
        when none is active, the most recent terminal job of that name.
        """
        if not job_id and name is None:
            raise FlinkError("either job_id or job_name is required")
        if job_id:
            if not is_trigger_id(job_id):  # job ids and trigger ids share the 32-hex shape
                raise FlinkError("invalid job id %r: expected 32 hex characters" % job_id)
            jobs = self.find_jobs(job_id=job_id)
            if not jobs:
                raise FlinkError("no job with id %s on %s" % (job_id, self.base_url),
                                 method="GET", url=self.url_for("/jobs/overview"))
            return jobs[0]
        jobs = self.find_jobs(name=name)
        if not jobs:
            raise FlinkError("no job named %r on %s" % (name, self.base_url), method="GET",
                             url=self.url_for("/jobs/overview"))
        return self.active_job(name, jobs) or jobs[0]

    def active_job(self, name, jobs=None):
        """The one job named ``name`` that is not terminal, or None; two such jobs is an error listing both.

        ``jobs``: the jobs of that name when already fetched (newest first).
        """
        jobs = self.find_jobs(name=name) if jobs is None else jobs
        active = [j for j in jobs if j.get("state") not in LOCALLY_TERMINAL_STATES]
        if len(active) > 1:
            raise FlinkError("job name %r is ambiguous: %d active jobs have it: %s" % (
                name, len(active), ", ".join("%s (%s)" % (j["jid"], j.get("state")) for j in active)))
        return active[0] if active else None

    def cancel(self, job_id):
        """Cancel a job (``PATCH /jobs/:id?mode=cancel``); returns immediately."""
        return self.patch("/jobs/%s" % job_id, params={"mode": "cancel"})

    def wait_job_state(self, job_id, states, timeout, interval=0.02, max_interval=0.25, fail_states=None):
        """Poll ``/jobs/:id/status`` (fresh) until the job is in one of ``states``.

        Returns ``(state, monotonic time it was first seen)``. A state in ``fail_states`` raises.
        """
        wanted = set(states)
        bad = set(fail_states or ())
        seen = {}

        def check():
            state = self.job_status(job_id)
            seen["state"] = state
            if state in wanted:
                return True, (state, time.monotonic())
            if state in bad:
                raise FlinkError("job reached %s while waiting for %s" % (state, "/".join(sorted(wanted))),
                                 job=job_id, url=self.url_for("/jobs/%s/status" % job_id), method="GET")
            return False, None

        def what():
            return "job %s to reach %s (last state %s)" % (job_id, "/".join(sorted(wanted)), seen.get("state"))

        return poll(check, timeout, what, interval=interval, max_interval=max_interval, job=job_id,
                    url=self.url_for("/jobs/%s/status" % job_id), method="GET")

    # ------------------------------------------------------------------ async operations
    def wait_operation(self, path, timeout, what, interval=0.05, max_interval=0.5):
        """Poll an async-operation status path until COMPLETED; return its ``operation`` dict.

        Flink reports ``COMPLETED`` for failed operations too: a ``failure-cause`` raises
        FlinkOperationFailed with Flink's message.
        """
        url = self.url_for(path)

        def check():
            body = self.get(path)
            status = (body.get("status") or {}).get("id")
            if status != "COMPLETED":
                return False, None
            operation = body.get("operation") or {}
            cause = operation.get("failure-cause")
            if cause:
                raise FlinkOperationFailed("%s failed" % what, method="GET", url=url, status=200,
                                           flink_message=failure_cause_message(cause), body=body)
            return True, operation

        return poll(check, timeout, what, interval=interval, max_interval=max_interval, method="GET", url=url)

    def trigger(self, path, body, trigger_id=None):
        """POST an async-operation trigger with a client trigger id (so a retry cannot start a second one).

        Returns the trigger id.
        """
        body = dict(body or {})
        trigger_id = trigger_id or new_trigger_id()
        body["triggerId"] = trigger_id
        try:
            answer = self.post(path, body=body, retry=True)
        except FlinkError as exc:
            if exc.unanswered:  # Flink may have started it: the trigger id finds it (pass it as trigger_id to join)
                raise exc.restated("%s; if Flink started the operation, its trigger id is %s" % (exc.message, trigger_id),
                                   trigger_id=trigger_id)
            raise
        return answer.get("request-id") or trigger_id

    def operation_status(self, path):
        """The raw status of an async operation, or None when Flink does not know the trigger id."""
        try:
            return self.get(path)
        except FlinkError as exc:
            if exc.status in (400, 404):
                return None
            raise

    # ------------------------------------------------------------------ jars
    def jars(self):
        return self.get("/jars").get("files", [])


class HistoryServerClient(FlinkClient):
    """A FlinkClient for a HistoryServer: the same paths, without the ``/v1`` prefix.

    A HistoryServer serves the archives of finished jobs: they are terminal and never change, so nothing it
    answers can be stale; it has no ``/jobs/:id/status`` and no JobManager configuration.
    """

    api_prefix = ""

    def job_status(self, job_id):
        jobs = self.find_jobs(job_id=job_id)
        if not jobs:
            raise FlinkError("no archived job with id %s on HistoryServer %s" % (job_id, self.base_url),
                             method="GET", url=self.url_for("/jobs/overview"))
        return jobs[0].get("state")

    def jobmanager_config(self):
        return {}

    def cache_timeouts(self):
        return dict(execution_graph=0.0, checkpoint_stats=0.0)


def _exc_reason(exc):
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "No route to host",
                   "Temporary failure in name resolution", "Connection reset"):
        if marker in text:
            return marker
    return text[:300]


def _status_text(status):
    names = {400: "bad request", 401: "unauthorized (check token/credentials)", 403: "forbidden",
             404: "not found", 405: "method not allowed", 409: "conflict", 500: "Flink internal error",
             502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}
    return "Flink REST API answered HTTP %d (%s)" % (status, names.get(status, "error"))


def _is_unknown_route(message):
    """Whether a 404 means the route itself does not exist (rather than an unknown job or trigger)."""
    # POST to an unknown route: "Not found: /v1/..."; GET: the static file handler's "Unable to load requested file /v1/...".
    markers = ("Not found: /", "Unable to load requested file /", "Unable to find handler")
    return bool(message) and any(marker in message for marker in markers)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_flink_client.py against a real HTTP(S) server on 127.0.0.1.

No mocking library: a ``http.server`` in a thread plays the Flink REST API.  Each test scripts the
answers per (method, path) and checks what the client sent and how it reacted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import ssl
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import (
    FlinkClient,
    FlinkConnectionError,
    FlinkError,
    FlinkOperationFailed,
    FlinkTimeoutError,
    FlinkUnsupported,
    parse_duration,
    summarize_throwable,
)
from tests.harness.ports import free_port

JOB_A = "a" * 32
JOB_B = "b" * 32
JOB_C = "c" * 32

STACK_TRACE = (
    "<Exception on server side:\n"
    "org.apache.flink.runtime.rest.handler.RestHandlerException: Could not trigger savepoint.\n"
    "\tat org.apache.flink.runtime.rest.handler.job.savepoints.SavepointHandlers.lambda$0(SavepointHandlers.java:123)\n"
    "\tat java.base/java.util.concurrent.CompletableFuture.uniHandle(CompletableFuture.java:934)\n"
    "\t... 12 more\n"
    "Caused by: java.io.IOException: No space left on device\n"
    "\tat org.apache.flink.core.fs.local.LocalDataOutputStream.write(LocalDataOutputStream.java:42)\n"
    "\n"
    "End of exception on server side>"
)


# ---------------------------------------------------------------------------------------------- server
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: every retry is a new connection

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _serve(self):
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = raw
        self.server.fake.record(dict(method=self.command, path=split.path, query=parse_qs(split.query),
                                     headers=dict((k.lower(), v) for k, v in self.headers.items()), body=body))
        status, payload, content_type = self.server.fake.answer(self.command, split.path)
        if status in ("drop", "hang"):  # the request was read whole; no answer comes (after payload s for "hang")
            if status == "hang":
                time.sleep(payload)
            self.close_connection = True
            return
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode("utf-8")
            content_type = content_type or "application/json; charset=UTF-8"
        else:
            data = (payload or "").encode("utf-8")
            content_type = content_type or "text/plain"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve


class FakeFlink:
    """Scripted answers per (METHOD, path); a list is answered in order, its last entry repeats."""

    def __init__(self, tls_context=None, port=0):
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.fake = self
        self.scheme = "http"
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05))
        self.thread.daemon = True
        self.thread.start()

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def route(self, method, path, *answers):
        """Answers are ``(status, payload)`` or ``(status, payload, content_type)``; ``("drop", None)`` reads the
        request and closes the connection without an answer, ``("hang", seconds)`` does so after ``seconds``."""
        self.routes[(method, path)] = [tuple(a) + (None,) * (3 - len(a)) for a in answers]

    def record(self, request):
        with self._lock:
            self.requests.append(request)

    def answer(self, method, path):
        with self._lock:
            answers = self.routes.get((method, path))
            if not answers:
                return 404, {"errors": ["Not found: %s" % path]}, None
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def calls(self, method=None, path=None):
        with self._lock:
            return [r for r in self.requests
                    if (method is None or r["method"] == method) and (path is None or r["path"] == path)]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def flink():
    server = FakeFlink()
    yield server
    server.close()


def client_for(server_or_url, **kwargs):
    kwargs.setdefault("retry_backoff", 0.01)
    kwargs.setdefault("timeout", 5.0)
    url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
    return FlinkClient(url, **kwargs)


def unused_port():
    # below the ephemeral range: an outgoing connection cannot take it before the test's server binds it
    return free_port()


# ------------------------------------------------------------------------------------------- retries
@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_on_gateway_errors(flink, status):
    flink.route("GET", "/v1/overview", (status, {"errors": ["busy"]}), (status, {"errors": ["busy"]}),
                (200, {"taskmanagers": 2}))
    assert client_for(flink, retries=3).get("/overview") == {"taskmanagers": 2}
    assert len(flink.calls("GET", "/v1/overview")) == 3


def test_get_gives_up_after_the_configured_retries(flink):
    flink.route("GET", "/v1/overview", (503, {"errors": ["Service temporarily unavailable due to an ongoing leader election."]}))
    with pytest.raises(FlinkError) as info:
        client_for(flink, retries=2).get("/overview")
    assert info.value.status == 503
    assert "leader election" in str(info.value)
    assert len(flink.calls("GET", "/v1/overview")) == 3  # 1 + 2 retries


def test_retries_zero_means_one_attempt(flink):
    flink.route("GET", "/v1/overview", (502, {}), (200, {"ok": True}))
    with pytest.raises(FlinkError) as info:
        client_for(flink, retries=0).get("/overview")
    assert info.value.status == 502
    assert len(flink.calls()) == 1


def test_get_is_not_retried_on_other_errors(flink):
    flink.route("GET", "/v1/overview", (500, {"errors": ["Internal server error."]}), (200, {"ok": True}))
    with pytest.raises(FlinkError) as info:
        client_for(flink, retries=3).get("/overview")
    assert info.value.status == 500
    assert len(flink.calls()) == 1


def test_post_is_not_retried(flink):
    flink.route("POST", "/v1/jobs/%s/savepoints" % JOB_A, (503, {"errors": ["busy"]}), (200, {"request-id": "x"}))
    with pytest.raises(FlinkError) as info:
        client_for(flink, retries=3).post("/jobs/%s/savepoints" % JOB_A, body={"cancel-job": False})
    assert info.value.status == 503
    assert info.value.method == "POST"
    calls = flink.calls("POST")
    assert len(calls) == 1
    assert calls[0]["body"] == {"cancel-job": False}


def test_post_to_unreachable_server_is_not_retried():
    client = client_for("http://127.0.0.1:%d" % unused_port(), retries=3, retry_backoff=1.0)
    started = time.monotonic()
    with pytest.raises(FlinkConnectionError) as info:
        client.post("/jobs/%s/stop" % JOB_A, body={})
    # a retry would have slept retry_backoff (1 s) first
    assert time.monotonic() - started < 0.9
    assert info.value.method == "POST"


def test_trigger_sends_a_trigger_id_and_may_be_retried(flink):
    path = "/v1/jobs/%s/checkpoints" % JOB_A
    flink.route("POST", path, (503, {}), (202, {"request-id": "f" * 32}))
    client = client_for(flink, retries=2)
    trigger_id = client.trigger("/jobs/%s/checkpoints" % JOB_A, {"checkpointType": "FULL"}, trigger_id="e" * 32)
    assert trigger_id == "f" * 32
    calls = flink.calls("POST", path)
    assert len(calls) == 2
    # the retry reuses the same client trigger id, so Flink can deduplicate it
    assert [c["body"]["triggerId"] for c in calls] == ["e" * 32, "e" * 32]
    assert calls[0]["body"]["checkpointType"] == "FULL"


def test_connection_refused_is_retried_until_the_server_is_up():
    port = unused_port()
    holder = {}

    def start_later():
        time.sleep(0.3)
        server = FakeFlink(port=port)
        server.route("GET", "/v1/config", (200, {"flink-version": "2.3.0"}))
        holder["server"] = server

    starter = threading.Thread(target=start_later)
    starter.start()
    try:
        client = client_for("http://127.0.0.1:%d" % port, retries=5, retry_backoff=0.1)
        assert client.flink_version() == "2.3.0"
    finally:
        starter.join()
        if "server" in holder:
            holder["server"].close()
    assert len(holder["server"].calls()) == 1


def test_connection_refused_error_names_method_and_url():
    url = "http://127.0.0.1:%d" % unused_port()
    with pytest.raises(FlinkConnectionError) as info:
        client_for(url, retries=1).get("/overview")
    text = str(info.value)
    assert "cannot reach Flink REST API" in text
    assert "Connection refused" in text
    assert "GET %s/v1/overview" % url in text
    assert info.value.status is None


# ------------------------------------------------------------------------------- answers that never come
def test_a_write_whose_answer_is_lost_may_have_been_carried_out(flink):
    path = "/v1/jars/x.jar/run"
    flink.route("POST", path, ("drop", None))
    with pytest.raises(FlinkConnectionError) as info:
        client_for(flink, retries=3).post("/jars/x.jar/run", body={"entryClass": "E"})
    error = info.value
    assert len(flink.calls("POST", path)) == 1  # a write is not retried blindly
    assert error.unanswered and error.result["changed"] is True
    assert "no answer from the Flink REST API" in str(error) and "may have carried out" in str(error)
    assert "POST %s%s" % (flink.url, path) in str(error)


def test_a_write_that_never_left_is_no_change():
    with pytest.raises(FlinkConnectionError) as info:
        client_for("http://127.0.0.1:%d" % unused_port(), retries=0).post("/jobs/%s/stop" % JOB_A, body={})
    assert not info.value.unanswered and "changed" not in info.value.result
    assert "cannot reach Flink REST API (Connection refused)" in str(info.value)


def test_a_read_whose_answer_is_lost_changes_nothing(flink):
    flink.route("GET", "/v1/overview", ("drop", None))
    with pytest.raises(FlinkConnectionError) as info:
        client_for(flink, retries=1).get("/overview")
    assert len(flink.calls("GET", "/v1/overview")) == 2
    assert not info.value.unanswered and "changed" not in info.value.result
    assert "cannot reach Flink REST API" in str(info.value)


def test_a_trigger_whose_answers_are_lost_names_its_trigger_id(flink):
    path = "/v1/jobs/%s/stop" % JOB_A
    flink.route("POST", path, ("drop", None))
    with pytest.raises(FlinkConnectionError) as info:
        client_for(flink, retries=2).trigger("/jobs/%s/stop" % JOB_A, {"drain": False})
    sent = [c["body"]["triggerId"] for c in flink.calls("POST", path)]
    assert len(sent) == 3 and len(set(sent)) == 1  # retried with one trigger id: Flink starts it once at most
    assert info.value.result == dict(changed=True, trigger_id=sent[0])
    assert "its trigger id is %s" % sent[0] in str(info.value)


def test_a_hanging_poll_ends_with_the_wait_not_after_every_retry(flink):
    path = "/v1/jobs/%s/savepoints/%s" % (JOB_A, "e" * 32)
    flink.route("GET", path, ("hang", 5.0))
    client = client_for(flink, timeout=4.0, retries=3, retry_backoff=0.2)
    started = time.monotonic()
    with pytest.raises(FlinkError):
        client.wait_operation("/jobs/%s/savepoints/%s" % (JOB_A, "e" * 32), 1.0, "savepoint")
    # the request is cut at the wait's deadline (at least LAST_REQUEST_SECONDS) and not retried past it; without the
    # bound it takes 4 attempts x 4 s
    assert time.monotonic() - started < 2.5
    assert len(flink.calls("GET", path)) == 1


# ------------------------------------------------------------------------------------ error messages
def test_error_message_has_method_url_status_and_flink_errors(flink):
    flink.route("POST", "/v1/jobs/%s/savepoints" % JOB_A, (500, {"errors": ["Internal server error.", STACK_TRACE]}))
    with pytest.raises(FlinkError) as info:
        client_for(flink).post("/jobs/%s/savepoints" % JOB_A, body={})
    exc = info.value
    text = str(exc)
    assert "POST %s/v1/jobs/%s/savepoints" % (flink.url, JOB_A) in text
    assert "HTTP 500" in text
    assert "No space left on device" in text
    assert "RestHandlerException: Could not trigger savepoint." in text
    # the stack frames, the server-side wrapper and the useless generic message are gone
    assert "\tat " not in text and "SavepointHandlers.java" not in text
    assert "Exception on server side" not in text
    assert "Internal server error" not in exc.flink_message
    # the root cause comes first
    assert text.index("No space left on device") < text.index("Could not trigger savepoint")
    assert exc.to_result() == dict(url="%s/v1/jobs/%s/savepoints" % (flink.url, JOB_A), status=500,
                                   flink_message=exc.flink_message, http_method="POST")


def test_summarize_throwable_keeps_first_and_deepest_cause():
    trace = ("java.lang.RuntimeException: outer\n\tat a.b(C.java:1)\nCaused by: java.lang.IllegalStateException: middle\n"
             "\tat d.e(F.java:2)\nCaused by: java.io.FileNotFoundException: s3://bucket/chk-7/_metadata\n\t... 3 more")
    assert summarize_throwable(trace) == ("java.io.FileNotFoundException: s3://bucket/chk-7/_metadata <- "
                                          "java.lang.RuntimeException: outer")
    assert len(summarize_throwable("x" * 2000, limit=100)) == 100


@pytest.mark.parametrize("status,words", [
    (401, "unauthorized"),
    (403, "forbidden"),
    (404, "not found"),
    (500, "Flink internal error"),
])
def test_http_error_statuses(flink, status, words):
    flink.route("GET", "/v1/jobs/%s" % JOB_A, (status, {"errors": ["flink says %d" % status]}))
    with pytest.raises(FlinkError) as info:
        client_for(flink).job(JOB_A)
    exc = info.value
    assert exc.status == status
    assert exc.method == "GET"
    assert exc.url == "%s/v1/jobs/%s" % (flink.url, JOB_A)
    assert "HTTP %d" % status in str(exc)
    assert words in str(exc)
    assert "flink says %d" % status in str(exc)
    assert not isinstance(exc, FlinkUnsupported)
    assert len(flink.calls()) == 1  # none of these is retried


def test_unknown_route_is_flink_unsupported(flink):
    # the fake answers an unscripted route like Flink's router does: 404 "Not found: /v1/..."
    with pytest.raises(FlinkUnsupported) as info:
        client_for(flink).get("/jobs/%s/rescaling" % JOB_A)
    assert info.value.status == 404
    assert "/v1/jobs/%s/rescaling" % JOB_A in str(info.value)


def test_error_body_that_is_not_json_is_quoted(flink):
    flink.route("GET", "/v1/overview", (502, "<html><body>Bad Gateway from nginx</body></html>", "text/html"))
    with pytest.raises(FlinkError) as info:
        client_for(flink, retries=0).get("/overview")
    assert info.value.status == 502
    assert "Bad Gateway from nginx" in str(info.value)


def test_success_body_that_is_not_json_is_an_error(flink):
    flink.route("GET", "/v1/overview", (200, "<html>\n<title>Apache Flink Web Dashboard</title>\n</html>", "text/html"))
    with pytest.raises(FlinkError) as info:
        client_for(flink).get("/overview")
    exc = info.value
    assert "not JSON" in str(exc)
    assert exc.status == 200
    assert "Apache Flink Web Dashboard" in exc.flink_message
    assert "\n" not in exc.flink_message
    assert "GET %s/v1/overview" % flink.url in str(exc)


def test_empty_success_body_is_an_empty_dict(flink):
    flink.route("PATCH", "/v1/jobs/%s" % JOB_A, (202, ""))
    assert client_for(flink).cancel(JOB_A) == {}
    call = flink.calls("PATCH")[0]
    assert call["query"] == {"mode": ["cancel"]}


# ----------------------------------------------------------------------------------------------- TLS
def _self_signed_cert(directory):
    pytest.importorskip("cryptography.x509")
    from tests.harness.tls import self_signed_cert

    cert_path, key_path = str(directory / "cert.pem"), str(directory / "key.pem")
    self_signed_cert(cert_path, key_path)
    return cert_path, key_path


@pytest.fixture
def tls_flink(tmp_path):
    cert_path, key_path = _self_signed_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = FakeFlink(tls_context=context)
    server.route("GET", "/v1/config", (200, {"flink-version": "2.3.0"}))
    server.cert_path = cert_path
    yield server
    server.close()


def test_tls_untrusted_certificate_is_a_clear_error(tls_flink):
    client = client_for(tls_flink, validate_certs=True, retries=3, retry_backoff=1.0)
    started = time.monotonic()
    with pytest.raises(FlinkConnectionError) as info:
        client.get("/config")
    text = str(info.value)
    assert text.startswith("TLS error talking to Flink")
    assert "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text
    assert "GET %s/v1/config" % tls_flink.url in text
    assert time.monotonic() - started < 0.9  # a TLS failure is not retried
    assert tls_flink.calls() == []


@pytest.fixture
def ca_bundle_env(monkeypatch):
    """REQUESTS_CA_BUNDLE set (as on many CI machines): requests lets it override session.verify."""
    certifi = pytest.importorskip("certifi")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_without_validation_works(tls_flink, ca_bundle_env):
    assert client_for(tls_flink, validate_certs=False).flink_version() == "2.3.0"


def test_tls_with_ca_path_works(tls_flink, ca_bundle_env):
    assert client_for(tls_flink, validate_certs=True, ca_path=tls_flink.cert_path).flink_version() == "2.3.0"


# ------------------------------------------------------------------------------------ async operations
def _operation_path(job_id, trigger_id):
    return "/jobs/%s/savepoints/%s" % (job_id, trigger_id)


def test_wait_operation_returns_the_completed_operation(flink):
    path = _operation_path(JOB_A, "d" * 32)
    flink.route("GET", "/v1" + path,
                (200, {"status": {"id": "IN_PROGRESS"}}),
                (200, {"status": {"id": "IN_PROGRESS"}}),
                (200, {"status": {"id": "COMPLETED"}, "operation": {"location": "s3://sp/savepoint-1"}}))
    operation = client_for(flink).wait_operation(path, timeout=10, what="savepoint", interval=0.01)
    assert operation == {"location": "s3://sp/savepoint-1"}
    assert len(flink.calls("GET", "/v1" + path)) == 3


def test_completed_with_failure_cause_is_a_failure(flink):
    path = _operation_path(JOB_A, "d" * 32)
    cause = {"class": "java.util.concurrent.CompletionException",
             "stack-trace": ("java.util.concurrent.CompletionException: savepoint failed\n\tat x.y(Z.java:1)\n"
                             "Caused by: org.apache.flink.runtime.checkpoint.CheckpointException: "
                             "Checkpoint Coordinator is suspending.\n\tat q.r(S.java:9)"),
             "serialized-throwable": "rO0AB..."}
    flink.route("GET", "/v1" + path,
                (200, {"status": {"id": "IN_PROGRESS"}}),
                (200, {"status": {"id": "COMPLETED"}, "operation": {"failure-cause": cause}}))
    with pytest.raises(FlinkOperationFailed) as info:
        client_for(flink).wait_operation(path, timeout=10, what="savepoint of job %s" % JOB_A, interval=0.01)
    exc = info.value
    assert "savepoint of job %s failed" % JOB_A in str(exc)
    assert "Checkpoint Coordinator is suspending" in exc.flink_message
    assert "\tat " not in exc.flink_message
    assert exc.url == "%s/v1%s" % (flink.url, path)


def test_completed_with_failure_cause_without_stack_trace(flink):
    path = _operation_path(JOB_A, "d" * 32)
    flink.route("GET", "/v1" + path, (200, {"status": {"id": "COMPLETED"},
                                            "operation": {"failure-cause": {"class": "java.io.IOException"}}}))
    with pytest.raises(FlinkOperationFailed) as info:
        client_for(flink).wait_operation(path, timeout=10, what="checkpoint", interval=0.01)
    assert info.value.flink_message == "java.io.IOException"


def test_wait_operation_times_out(flink):
    path = _operation_path(JOB_A, "d" * 32)
    flink.route("GET", "/v1" + path, (200, {"status": {"id": "IN_PROGRESS"}}))
    started = time.monotonic()
    with pytest.raises(FlinkTimeoutError) as info:
        client_for(flink).wait_operation(path, timeout=0.4, what="savepoint of job %s" % JOB_A, interval=0.02,
                                         max_interval=0.05)
    elapsed = time.monotonic() - started
    assert 0.4 <= elapsed < 3.0
    assert "timed out after 0.4s waiting for savepoint of job %s" % JOB_A in str(info.value)
    assert len(flink.calls()) >= 3  # it polled, not slept once


def test_wait_job_state_reports_last_state_on_timeout(flink):
    flink.route("GET", "/v1/jobs/%s/status" % JOB_A, (200, {"status": "RESTARTING"}))
    with pytest.raises(FlinkTimeoutError) as info:
        client_for(flink).wait_job_state(JOB_A, ["RUNNING"], timeout=0.2, interval=0.01, max_interval=0.02)
    assert "last state RESTARTING" in str(info.value)
    assert info.value.job == JOB_A


def test_wait_job_state_fail_state_raises(flink):
    flink.route("GET", "/v1/jobs/%s/status" % JOB_A, (200, {"status": "RUNNING"}), (200, {"status": "FAILED"}))
    with pytest.raises(FlinkError) as info:
        client_for(flink).wait_job_state(JOB_A, ["CANCELED"], timeout=5, fail_states=["FAILED"], interval=0.01)
    assert not isinstance(info.value, FlinkTimeoutError)
    assert "job reached FAILED" in str(info.value)


# ---------------------------------------------------------------------------------------- durations
@pytest.mark.parametrize("value,expected", [
    (3000, 3.0),
    ("3000", 3.0),
    ("3 s", 3.0),
    ("3s", 3.0),
    ("100ms", 0.1),
    ("100 ms", 0.1),
    ("1 min", 60.0),
    ("2 h", 7200.0),
    ("1 d", 86400.0),
    ("500 us", 0.0005),
    ("PT3S", 3.0),
    ("PT1M30S", 90.0),
    ("P1DT2H", 93600.0),
    ("PT0.5S", 0.5),
    ("1 parsec", None),
    ("three seconds", None),
    ("", None),
    ("P", None),
    (None, None),
])
def test_parse_duration(value, expected):
    result = parse_duration(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_parse_duration_default_unit():
    assert parse_duration("5", default_unit=1.0) == pytest.approx(5.0)
    assert parse_duration(2, default_unit=60.0) == pytest.approx(120.0)


def test_cache_timeouts_from_jobmanager_config(flink):
    flink.route("GET", "/v1/jobmanager/config", (200, [{"key": "web.refresh-interval", "value": "5 s"},
                                                       {"key": "rest.cache.checkpoint-statistics.timeout", "value": "750"}]))
    assert client_for(flink).cache_timeouts() == {"execution_graph": 5.0, "checkpoint_stats": 0.75}


def test_cache_timeouts_default_when_history_server(flink):
    flink.route("GET", "/v1/jobmanager/config", (404, {"errors": ["Not found: /v1/jobmanager/config"]}))
    assert client_for(flink).cache_timeouts() == {"execution_graph": 3.0, "checkpoint_stats": 3.0}


# ---------------------------------------------------------------------------------- auth and headers
def test_bearer_token_and_extra_headers_are_sent(flink):
    flink.route("GET", "/v1/overview", (200, {}))
    client_for(flink, token="s3cr3t", username="ignored", password="pw",
               headers={"X-Tenant": "blue", "X-Count": 7}).overview()
    headers = flink.calls()[0]["headers"]
    assert headers["authorization"] == "Bearer s3cr3t"  # the token wins over basic auth
    assert headers["x-tenant"] == "blue"
    assert headers["x-count"] == "7"
    assert headers["accept"] == "application/json"


def test_basic_auth_is_sent(flink):
    flink.route("GET", "/v1/overview", (200, {}))
    client_for(flink, username="flink", password="p@ss:word").overview()
    expected = "Basic " + base64.b64encode(b"flink:p@ss:word").decode("ascii")
    assert flink.calls()[0]["headers"]["authorization"] == expected


def test_no_credentials_no_authorization_header(flink):
    flink.route("GET", "/v1/overview", (200, {}))
    client_for(flink).overview()
    assert "authorization" not in flink.calls()[0]["headers"]


# ------------------------------------------------------------------------------------------ /v1 prefix
@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_v1_prefix_is_added_once(flink, suffix):
    flink.route("GET", "/v1/overview", (200, {"slots-total": 4}))
    client = client_for(flink.url + suffix)
    assert client.base_url == flink.url
    assert client.url_for("overview") == flink.url + "/v1/overview"
    assert client.overview() == {"slots-total": 4}
    assert [c["path"] for c in flink.calls()] == ["/v1/overview"]


@pytest.mark.parametrize("url", ["", None, "10.0.0.1:8081", "ftp://10.0.0.1", "http:///v1", "http://10.0.0.1:port",
                                 "http://10.0.0.1:8081:1", "http://[::1", "http://flink jm:8081"])
def test_invalid_url_is_rejected(url):
    with pytest.raises(FlinkError):
        FlinkClient(url)


def test_url_with_credentials_is_rejected_without_echoing_them():
    with pytest.raises(FlinkError) as info:
        FlinkClient("https://ops:s3cret@10.0.0.1:8081")
    assert "s3cret" not in str(info.value) and "username/password or token" in str(info.value)


@pytest.mark.parametrize("url", ["http://10.0.0.1:8081", "https://flink.example.com", "http://[::1]:8081/v1",
                                 "http://jm-0.flink.svc:8081/"])
def test_valid_urls_are_accepted(url):
    assert FlinkClient(url).base_url.startswith(url.split("/v1")[0].rstrip("/"))


# ---------------------------------------------------------------------------------------- resolve_job
def _overview(*jobs):
    return {"jobs": [dict(jid=jid, name=name, state=state, **{"start-time": start}) for jid, name, state, start in jobs]}


def test_resolve_job_by_ambiguous_name_lists_both_ids(flink):
    flink.route("GET", "/v1/jobs/overview", (200, _overview((JOB_A, "orders", "RUNNING", 100),
                                                            (JOB_B, "orders", "RESTARTING", 200),
                                                            (JOB_C, "orders", "CANCELED", 300))))
    with pytest.raises(FlinkError) as info:
        client_for(flink).resolve_job(name="orders")
    text = str(info.value)
    assert "ambiguous" in text
    assert JOB_A in text and JOB_B in text
    assert JOB_C not in text  # terminal jobs do not count


def test_resolve_job_by_name_prefers_the_active_job(flink):
    flink.route("GET", "/v1/jobs/overview", (200, _overview((JOB_A, "orders", "CANCELED", 300),
                                                            (JOB_B, "orders", "RUNNING", 200))))
    assert client_for(flink).resolve_job(name="orders")["jid"] == JOB_B


def test_resolve_job_terminal_only_gives_the_most_recent(flink):
    flink.route("GET", "/v1/jobs/overview", (200, _overview((JOB_A, "orders", "FINISHED", 100),
                                                            (JOB_C, "orders", "CANCELED", 300),
                                                            (JOB_B, "orders", "FAILED", 200),
                                                            ("d" * 32, "other", "RUNNING", 400))))
    assert client_for(flink).resolve_job(name="orders")["jid"] == JOB_C


def test_resolve_job_unknown_name(flink):
    flink.route("GET", "/v1/jobs/overview", (200, _overview((JOB_A, "orders", "RUNNING", 100))))
    with pytest.raises(FlinkError) as info:
        client_for(flink).resolve_job(name="payments")
    assert "no job named 'payments'" in str(info.value)


def test_resolve_job_by_id(flink):
    flink.route("GET", "/v1/jobs/overview", (200, _overview((JOB_A, "orders", "RUNNING", 100),
                                                            (JOB_B, "orders", "CANCELED", 50))))
    client = client_for(flink)
    assert client.resolve_job(job_id=JOB_B)["state"] == "CANCELED"
    with pytest.raises(FlinkError) as info:
        client.resolve_job(job_id=JOB_C)
    # the overview answered 200: the message must not claim an HTTP 404 it never got
    assert info.value.status is None and "HTTP" not in str(info.value)
    assert JOB_C in str(info.value) and "/v1/jobs/overview" in str(info.value)
    # Flink accepts ids in either case and lists them in lower case
    assert client.resolve_job(job_id=JOB_B.upper())["jid"] == JOB_B


@pytest.mark.parametrize("kwargs", [dict(), dict(job_id="not-a-job-id"), dict(job_id="a" * 31)])
def test_resolve_job_rejects_bad_selectors_without_asking_flink(flink, kwargs):
    with pytest.raises(FlinkError):
        client_for(flink).resolve_job(**kwargs)
    assert flink.calls() == []

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_http.py (the REST client's transport) against real loopback servers.

Covers what ``requests`` used to do for the client: keep-alive, proxies from the environment (plain HTTP and
CONNECT tunnels, with proxy credentials), ``no_proxy``, streamed multipart uploads, timeouts.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import ssl
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkClient, FlinkConnectionError
from ansible_collections.flinkops.fleet.plugins.module_utils._http import (
    HttpTransport,
    TransportError,
    bypass_proxy,
    multipart,
    proxy_for,
)
from tests.harness.proxy import ForwardProxy
from tests.unit.plugins.module_utils.test_flink_client import _self_signed_cert


# ---------------------------------------------------------------------------------------------- servers
class _KeepAlive(BaseHTTPRequestHandler):
    """HTTP/1.1 server: answers with the request it saw; counts connections."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        if self.server.idle_timeout:
            self.connection.settimeout(self.server.idle_timeout)  # an idle keep-alive connection is closed
        with self.server.lock:
            self.server.connections += 1

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        seen = dict(method=self.command, target=self.path, headers=dict((k.lower(), v) for k, v in self.headers.items()),
                    body_length=len(raw))
        self.server.seen.append((seen, raw))
        if self.server.delay:
            time.sleep(self.server.delay)
        data = json.dumps(seen).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.server.close_after_answer:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)
        if self.server.rude_close:
            # closes without saying so, a moment after answering: the client's next request is then already sent
            self.wfile.flush()
            time.sleep(self.server.rude_close)
            self.close_connection = True

    do_GET = do_POST = do_PATCH = _serve


class Server:
    def __init__(self, tls_context=None):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
        self.httpd.daemon_threads = True
        self.httpd.lock = threading.Lock()
        self.httpd.connections = 0
        self.httpd.seen = []
        self.httpd.delay = 0
        self.httpd.close_after_answer = False
        self.httpd.idle_timeout = None
        self.httpd.rude_close = 0
        scheme = "http"
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = "%s://127.0.0.1:%d" % (scheme, self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


@pytest.fixture
def proxy():
    with ForwardProxy() as running:
        yield running


# ------------------------------------------------------------------------------------------- no_proxy
@pytest.mark.parametrize("host,port,no_proxy,bypass", [
    ("flink.example.com", 8081, "", False),
    ("flink.example.com", 8081, "*", True),
    ("flink.example.com", 8081, "example.com", True),
    ("flink.example.com", 8081, ".example.com", True),
    ("example.com", 8081, ".example.com", True),
    ("badexample.com", 8081, "example.com", False),
    ("flink.example.com", 8081, "other.org, flink.example.com", True),
    ("flink.example.com", 8081, "flink.example.com:8081", True),
    ("flink.example.com", 8081, "flink.example.com:443", False),
    ("10.1.2.3", 8081, "10.0.0.0/8", True),
    ("11.1.2.3", 8081, "10.0.0.0/8", False),
    ("10.1.2.3", 8081, "10.1.2.3", True),
    ("flink.example.com", 8081, "10.0.0.0/8", False),
    ("::1", 8081, "::1", True),
    ("::1", 8081, "[::1]:8081", True),
    ("127.0.0.1", 8081, "localhost", False),
])
def test_no_proxy_matching(host, port, no_proxy, bypass):
    assert bypass_proxy(host, port, no_proxy) is bypass


def test_proxy_for_reads_the_scheme_then_all_proxy_and_honours_no_proxy():
    env = {"HTTPS_PROXY": "http://p1:3128", "http_proxy": "http://p2:3128", "ALL_PROXY": "http://p3:3128"}
    assert proxy_for("https://flink:8081", env) == "http://p1:3128"
    assert proxy_for("http://flink:8081", env) == "http://p2:3128"
    assert proxy_for("http://flink:8081", {"all_proxy": "http://p3:3128"}) == "http://p3:3128"
    assert proxy_for("http://flink:8081", dict(env, no_proxy="flink")) is None
    assert proxy_for("http://flink:8081", {}) is None


# ------------------------------------------------------------------------------------------ transport
def test_polling_reuses_one_connection(server):
    transport = HttpTransport()
    for unused in range(5):
        assert transport.request("GET", server.url + "/v1/overview").status_code == 200
    assert server.httpd.connections == 1


def test_a_connection_the_server_closed_is_replaced(server):
    transport = HttpTransport()
    server.httpd.close_after_answer = True
    for unused in range(3):
        assert transport.request("GET", server.url + "/v1/overview").status_code == 200
    assert server.httpd.connections == 3


def test_idle_connection_closed_by_the_server_is_not_reused(server):
    server.httpd.idle_timeout = 0.2
    transport = HttpTransport()
    transport.request("GET", server.url + "/v1/overview")
    time.sleep(0.5)  # the server closes the idle connection; a POST on it would be lost
    answer = transport.request("POST", server.url + "/v1/jobs/x/checkpoints", json={"a": 1})
    assert answer.status_code == 200
    assert json.loads(answer.text)["body_length"] == len(b'{"a": 1}')
    assert server.httpd.connections == 2


def test_a_connection_closed_under_the_next_request_loses_nothing(server):
    """The server closes each kept-alive connection 0.2 s after answering, unannounced, while the client has sent its
    next request: a GET is sent again at once; a POST never rides a kept-alive connection, so it runs exactly once."""
    server.httpd.rude_close = 0.2
    transport = HttpTransport()
    sent = []
    for method in ("GET", "GET", "POST", "GET", "POST"):
        started = time.monotonic()
        answer = transport.request(method, server.url + "/v1/x", json={"n": len(sent)} if method == "POST" else None)
        assert answer.status_code == 200 and json.loads(answer.text)["method"] == method
        sent.append(method)
        assert time.monotonic() - started < 1.0
    seen = [entry["method"] for entry, raw in server.httpd.seen]
    assert seen.count("POST") == 2, seen  # each POST reached the server once
    assert seen.count("GET") >= 3


def test_json_body_params_headers_and_basic_auth(server):
    transport = HttpTransport(headers={"X-Team": "ops"}, auth=("alice", "s3cret"))
    answer = json.loads(transport.request("POST", server.url + "/v1/jobs/x/savepoints?a=1", json={"k": "v"},
                                          params={"mode": "cancel"}).text)
    assert answer["method"] == "POST"
    assert answer["target"] == "/v1/jobs/x/savepoints?a=1&mode=cancel"
    assert answer["headers"]["content-type"] == "application/json"
    assert answer["headers"]["x-team"] == "ops"
    assert answer["headers"]["authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode("ascii")


def test_post_without_body_sends_a_zero_length(server):
    answer = json.loads(HttpTransport().request("PATCH", server.url + "/v1/jobs/x", params={"mode": "cancel"}).text)
    assert answer["headers"]["content-length"] == "0"


def test_multipart_upload_is_streamed_with_an_exact_length(server, tmp_path):
    jar = tmp_path / "job.jar"
    payload = bytes(range(256)) * 8192  # 2 MiB, every byte value
    jar.write_bytes(payload)
    with open(str(jar), "rb") as handle:
        answer = json.loads(HttpTransport().request(
            "POST", server.url + "/v1/jars/upload", files={"jarfile": ("abc_job.jar", handle, "application/x-java-archive")}).text)
    seen, raw = server.httpd.seen[-1]
    assert int(seen["headers"]["content-length"]) == len(raw) == answer["body_length"]
    boundary = seen["headers"]["content-type"].split("boundary=", 1)[1]
    head, rest = raw.split(b"\r\n\r\n", 1)
    assert b'name="jarfile"; filename="abc_job.jar"' in head
    assert b"Content-Type: application/x-java-archive" in head
    assert rest == payload + b"\r\n--" + boundary.encode("ascii") + b"--\r\n"


def test_multipart_length_counts_from_the_handle_position(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    with open(str(path), "rb") as handle:
        handle.read(4)
        length, chunks = multipart({"f": ("f", handle, None)})[1:]
        assert length == len(b"".join(chunks))


def test_read_timeout_is_a_timeout(server):
    server.httpd.delay = 1.0
    with pytest.raises(TransportError) as info:
        HttpTransport().request("GET", server.url + "/v1/overview", timeout=0.2)
    assert info.value.kind == "timeout"


def test_client_names_a_timeout_and_the_url(server):
    server.httpd.delay = 1.0
    client = FlinkClient(server.url, timeout=0.2, retries=0)
    with pytest.raises(FlinkConnectionError) as info:
        client.get("/overview")
    assert "timed out" in str(info.value) and server.url + "/v1/overview" in str(info.value)


@pytest.mark.parametrize("proxy", ["http://proxy:port", "socks5://127.0.0.1:1080", "http://:3128"])
def test_unusable_proxy_setting_is_a_clear_config_error(proxy):
    client = FlinkClient("http://flink.internal:8081", retries=3, retry_backoff=1.0)
    client.transport._environ = {"http_proxy": proxy}
    started = time.monotonic()
    with pytest.raises(FlinkConnectionError) as info:
        client.get("/overview")
    assert "unsupported proxy" in str(info.value) and "from the environment" in str(info.value)
    assert time.monotonic() - started < 0.5  # not retried


def test_proxy_password_is_not_shown():
    transport = HttpTransport(environ={"http_proxy": "ftp://ops:s3cret@proxy:21"})
    with pytest.raises(TransportError) as info:
        transport.request("GET", "http://flink.internal:8081/v1/overview")
    assert "s3cret" not in str(info.value) and info.value.kind == "config"


def test_missing_client_certificate_is_a_tls_error(tmp_path):
    with pytest.raises(TransportError) as info:
        HttpTransport(cert=str(tmp_path / "missing.pem")).request("GET", "https://127.0.0.1:9/")
    assert info.value.kind == "tls"


# ------------------------------------------------------------------------------------------ proxies
def test_http_through_a_proxy_with_credentials(server, proxy, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://ops:pa%%40ss@127.0.0.1:%d" % proxy.port)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    port = server.url.rsplit(":", 1)[1]
    client = FlinkClient("http://flink-jm.internal:%s" % port, retries=0)  # resolved by the proxy, not by us
    answer = client.get("/overview")
    assert answer["target"] == "/v1/overview"
    (seen,) = proxy.seen
    assert seen["line"] == "GET http://flink-jm.internal:%s/v1/overview HTTP/1.1" % port
    assert seen["headers"]["proxy-authorization"] == "Basic " + base64.b64encode(b"ops:pa@ss").decode("ascii")


def test_https_through_a_proxy_tunnel(proxy, tmp_path, monkeypatch):
    cert_path, key_path = _self_signed_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    tls = Server(tls_context=context)
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        client = FlinkClient(tls.url, ca_path=cert_path, retries=0)
        assert client.get("/config")["target"] == "/v1/config"
        assert client.get("/overview")["target"] == "/v1/overview"
        assert [s["line"] for s in proxy.seen] == ["CONNECT %s HTTP/1.0" % tls.url.split("://")[1]]
        assert tls.httpd.connections == 1
    finally:
        tls.close()


def test_no_proxy_connects_directly(server, proxy, monkeypatch):
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.setenv("no_proxy", "127.0.0.0/8")
    assert FlinkClient(server.url, retries=0).get("/overview")["target"] == "/v1/overview"
    assert proxy.seen == []

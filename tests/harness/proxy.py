# -*- coding: utf-8 -*-
"""A forward HTTP proxy on 127.0.0.1 for tests: plain requests in absolute form are relayed, CONNECT opens a tunnel.

Runs in a thread of the test process (``with ForwardProxy() as proxy``: started and stopped by the test). Every
request line and its headers are recorded in ``proxy.seen``; upstream connections go to ``upstream_host`` (loopback)
whatever host name the client asked for, so tests can use names that do not resolve.
"""

import select
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):

    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        if not line:
            return
        headers = {}
        while True:
            header = self.rfile.readline().decode("latin-1").strip()
            if not header:
                break
            key, value = header.split(":", 1)
            headers[key.strip().lower()] = value.strip()
        with self.server.lock:
            self.server.seen.append(dict(line=line, headers=headers))
        method, target = line.split(" ", 2)[:2]
        if method == "CONNECT":
            port = int(target.rsplit(":", 1)[1])
            upstream = socket.create_connection((self.server.upstream_host, port))
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            _relay(self.connection, upstream)
            upstream.close()
            return
        # plain HTTP: forward in origin form, one request per connection, closed unannounced after the answer (as
        # an idle keep-alive connection may be closed by any server)
        rest = target.split("://", 1)[1]
        host_port = rest.split("/", 1)[0]
        path = rest[len(host_port) + 1:]
        port = int(host_port.rsplit(":", 1)[1]) if ":" in host_port else 80
        upstream = socket.create_connection((self.server.upstream_host, port))
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        kept = "".join("%s: %s\r\n" % (k, v) for k, v in headers.items() if k not in ("connection", "proxy-authorization"))
        upstream.sendall(("%s /%s HTTP/1.1\r\n%sConnection: close\r\n\r\n" % (method, path, kept)).encode("latin-1") + body)
        while True:
            block = upstream.recv(65536)
            if not block:
                break
            self.wfile.write(block)
        upstream.close()


def _relay(left, right):
    sockets = [left, right]
    while True:
        readable = select.select(sockets, [], [], 10)[0]
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (right if sock is left else left).sendall(data)


class ForwardProxy:
    """``with ForwardProxy() as proxy:`` -> ``proxy.url`` (``http://127.0.0.1:<port>``), ``proxy.seen``."""

    def __init__(self, upstream_host="127.0.0.1"):
        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
        self.httpd.lock = threading.Lock()
        self.httpd.upstream_host = upstream_host
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = None

    @property
    def seen(self):
        with self.httpd.lock:
            return list(self.httpd.seen)

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

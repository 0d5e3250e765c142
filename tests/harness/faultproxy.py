# -*- coding: utf-8 -*-
"""A fault-injecting HTTP relay on 127.0.0.1 in front of a REST port (a real Flink JobManager or the native fake).

Runs in threads of the test process (``FaultProxy(port).start()`` ... ``stop()``: started and stopped by the test).
Modules talk to ``proxy.url``; each request is relayed to ``127.0.0.1:<upstream port>`` unless a rule matches it.
A rule is a dict ``{method: "POST" | None, path: regex on the request target, action: ..., times: N | None}``:

* ``drop_after`` - relay the request, read the answer, close the client's connection without answering (Flink acted,
  the answer was lost);
* ``drop_before`` - close the connection without relaying (nothing reached Flink, but the request was sent whole);
* ``delay`` - sleep ``seconds`` before relaying (the request reaches Flink late, after the client gave up);
* ``status`` - answer ``code`` with an HTML body, without relaying (a gateway in trouble);
* ``hang`` - hold the connection ``seconds`` without relaying or answering.

``proxy.log`` records ``(method, target, action)`` of every request.
"""

import http.client
import re
import socketserver
import threading
import time

_HTML = "<html><head><title>%d</title></head><body><h1>%d gateway trouble</h1></body></html>"


class _Handler(socketserver.BaseRequestHandler):

    def handle(self):
        sock = self.request
        sock.settimeout(120)
        reader = sock.makefile("rb")
        try:
            while self._one(sock, reader):
                pass
        except (OSError, ValueError):
            pass
        finally:
            sock.close()

    def _one(self, sock, reader):
        line = reader.readline()
        if not line:
            return False
        method, target = line.decode("latin-1").split(" ", 2)[:2]
        headers, length = {}, 0
        while True:
            header = reader.readline().decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            key, value = header.split(":", 1)
            headers[key.strip()] = value.strip()
            if key.strip().lower() == "content-length":
                length = int(value)
        body = reader.read(length) if length else b""
        rule = self.server.match(method, target)
        action = rule["action"] if rule else "relay"
        self.server.record(method, target, action)
        if action in ("drop_before", "hang"):
            time.sleep(rule.get("seconds", 0) if action == "hang" else 0)
            return False
        if action == "status":
            self._send(sock, rule.get("code", 503), (_HTML % (rule.get("code", 503), rule.get("code", 503))).encode(),
                       "text/html")
            return True
        if action == "delay":
            time.sleep(rule["seconds"])
        status, content_type, content = self._relay(method, target, headers, body)
        if action == "drop_after":
            return False
        self._send(sock, status, content, content_type)
        return True

    def _relay(self, method, target, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=120)
        try:
            sent = dict((k, v) for k, v in headers.items() if k.lower() not in ("connection", "host", "content-length"))
            sent["Connection"] = "close"
            conn.request(method, target, body=body if body or method in ("POST", "PUT", "PATCH") else None, headers=sent)
            answer = conn.getresponse()
            return answer.status, answer.getheader("Content-Type") or "application/json", answer.read()
        finally:
            conn.close()

    @staticmethod
    def _send(sock, status, content, content_type):
        head = "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (status, content_type, len(content))
        sock.sendall(head.encode("latin-1") + content)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def match(self, method, target):
        with self.lock:
            for rule in self.rules:
                if rule.get("method") not in (None, method) or not re.search(rule["path"], target):
                    continue
                if rule.get("times") is not None and rule.get("used", 0) >= rule["times"]:
                    continue
                rule["used"] = rule.get("used", 0) + 1
                return rule
        return None

    def record(self, method, target, action):
        with self.lock:
            self.log.append((method, target, action))


class FaultProxy:
    def __init__(self, upstream_port):
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.upstream_port = upstream_port
        self.httpd.rules = []
        self.httpd.log = []
        self.httpd.lock = threading.Lock()
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)

    def rules(self, *rules):
        """Replace the rules (and forget the log)."""
        with self.httpd.lock:
            self.httpd.rules = [dict(rule) for rule in rules]
            self.httpd.log = []

    @property
    def log(self):
        with self.httpd.lock:
            return list(self.httpd.log)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

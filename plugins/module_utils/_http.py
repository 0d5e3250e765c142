# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP(S) transport of the Flink REST client, on the standard library only.

Private to the collection (underscore module). Why not ``requests``: every module task imports its transport, and
``requests`` (with urllib3, idna, charset_normalizer) costs a task ~40 ms of start-up; a task that restores a job
pays it while the job is down. This transport keeps what the client needs:

* one keep-alive connection per endpoint (polling reuses it; a connection the server closed is replaced). A server
  may close an idle connection just as a request is sent on it: an idempotent request is then sent once more on a
  fresh connection at once, and a request that must not run twice (a job submission) always gets a fresh connection;
* TLS: system trust store, a CA file or directory, or no verification; client certificate and key;
* proxies from the environment as curl and requests read them (``https_proxy``, ``http_proxy``, ``all_proxy``,
  ``no_proxy`` with host suffixes, IP networks and ``*``), CONNECT tunnels for https;
* JSON bodies, query parameters, and multipart uploads streamed from the file (a jar is never read into memory).

Failures raise :class:`TransportError` with ``kind`` one of ``connect``, ``timeout``, ``tls`` and ``config`` (a URL or
proxy setting that cannot work: retrying does not help), and ``sent``: whether the whole request had gone out before
the failure (the server may then have acted on it, with its answer lost).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json as json_mod
import os
import select
import socket
import uuid

from http import client as http_client
from urllib.parse import quote, unquote, urlencode, urlsplit

_CHUNK = 1024 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}
_IDEMPOTENT = frozenset(("GET", "HEAD", "PUT", "DELETE", "OPTIONS"))
# what a server closing an idle keep-alive connection under a request looks like
_STALE = (http_client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class TransportError(Exception):
    """The request got no HTTP answer. ``kind``: ``connect``, ``timeout``, ``tls`` or ``config``; ``sent``: the whole
    request had been sent (the server may have carried it out)."""

    def __init__(self, message, kind="connect", sent=False):
        super(TransportError, self).__init__(message)
        self.kind = kind
        self.sent = sent


class _Unanswered(Exception):
    """The request went out whole, then the answer failed (``cause``)."""

    def __init__(self, cause):
        super(_Unanswered, self).__init__(str(cause))
        self.cause = cause


class Response:
    """Status, headers and decoded text of one answer."""

    def __init__(self, status_code, headers, content):
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")


def proxy_for(url, environ=None):
    """The proxy URL for ``url`` from the environment (None: connect directly)."""
    env = os.environ if environ is None else environ
    parts = urlsplit(url)
    if bypass_proxy(parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme, 80), _env(env, "no_proxy")):
        return None
    return _env(env, parts.scheme + "_proxy") or _env(env, "all_proxy") or None


def _env(env, name):
    # curl reads lower case first; requests reads both
    return (env.get(name) or env.get(name.upper()) or "").strip()


def bypass_proxy(host, port, no_proxy):
    """Whether ``no_proxy`` (comma-separated hosts, domain suffixes, IPs, CIDR networks, ``*``) covers ``host:port``."""
    host = host.strip("[]").lower()
    for entry in (e.strip().lower() for e in (no_proxy or "").split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, entry_port = entry.rsplit(":", 1) if _has_port(entry) else (entry, "")
        if entry_port and entry_port != str(port):
            continue
        name = name.strip("[]")
        if "/" in name or _is_ip(name):
            if _in_network(host, name):
                return True
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


def _has_port(entry):
    head, sep, tail = entry.rpartition(":")
    return bool(sep) and tail.isdigit() and (entry.count(":") == 1 or head.endswith("]"))


def _is_ip(text):
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
        return True
    except (OSError, ValueError):
        return False


def _in_network(host, network):
    if not _is_ip(host):
        return False
    import ipaddress  # only for no_proxy entries that are addresses

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def multipart(files):
    """``(content type, length, chunks)`` of a multipart/form-data body; ``files``: {field: (name, handle, type)}."""
    boundary = uuid.uuid4().hex
    parts = []
    for field, (filename, handle, content_type) in files.items():
        head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\nContent-Type: %s\r\n\r\n' % (
            boundary, field, filename.replace('"', "%22"), content_type or "application/octet-stream")).encode("utf-8")
        parts.append((head, handle, _remaining(handle)))
    tail = ("--%s--\r\n" % boundary).encode("ascii")
    length = sum(len(part[0]) + part[2] + 2 for part in parts) + len(tail)

    def chunks():
        for head, handle, unused_size in parts:
            yield head
            while True:
                block = handle.read(_CHUNK)
                if not block:
                    break
                yield block
            yield b"\r\n"
        yield tail

    return "multipart/form-data; boundary=%s" % boundary, length, chunks()


def _remaining(handle):
    here = handle.tell()
    return os.fstat(handle.fileno()).st_size - here


class HttpTransport:
    """Keep-alive HTTP(S) requests with the client's headers, credentials and TLS settings.

    ``verify``: True (system trust store), False, or a CA file / directory; ``cert``: a PEM file with certificate and
    key, or a ``(certificate, key)`` tuple; ``auth``: ``(user, password)`` for basic authentication.
    """

    def __init__(self, headers=None, auth=None, verify=True, cert=None, environ=None):
        self.headers = dict(headers or {})
        if auth:
            token = base64.b64encode(("%s:%s" % auth).encode("utf-8")).decode("ascii")
            self.headers["Authorization"] = "Basic %s" % token
        self.verify = verify
        self.cert = cert
        self._environ = environ
        self._context = None
        self._connections = {}

    # ------------------------------------------------------------------ public
    def request(self, method, url, json=None, params=None, files=None, timeout=10.0, idempotent=None):
        """One request; returns a :class:`Response` for any HTTP status, raises :class:`TransportError` otherwise.

        ``idempotent`` (default: by method) allows sending the request again when a kept-alive connection turns out
        closed; a request that is not idempotent is sent on a connection of its own, never on a kept-alive one.
        """
        idempotent = method in _IDEMPOTENT if idempotent is None else idempotent
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or not _valid_port(parts):
            raise TransportError("unsupported URL %r" % url, kind="config")
        target = parts.path or "/"
        query = "&".join(q for q in (parts.query, urlencode(params or {}, doseq=True)) if q)
        headers = dict(self.headers)
        body = None
        if files:
            headers["Content-Type"], headers["Content-Length"], body = multipart(files)
        elif json is not None:
            body = json_mod.dumps(json).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = "0"
        proxy = proxy_for(url, self._environ)
        if proxy and parts.scheme == "http":
            target = "%s://%s%s" % (parts.scheme, parts.netloc, target)  # absolute form through an HTTP proxy
            headers.update(_proxy_auth(proxy))
        path = target + ("?" + query if query else "")
        conn, reused = self._connection(parts, proxy, timeout, pooled=idempotent)
        try:
            try:
                answer, content = _exchange(conn, method, path, body, headers)
            except _STALE + (_Unanswered,) as exc:
                if not (reused and idempotent and not files and isinstance(getattr(exc, "cause", exc), _STALE)):
                    raise
                self._drop(conn)
                conn = self._connection(parts, proxy, timeout)[0]
                answer, content = _exchange(conn, method, path, body, headers)
        except Exception as exc:
            self._drop(conn)
            raise _transport_error(exc, url)
        if answer.will_close or not idempotent:
            self._drop(conn)
        return Response(answer.status, dict((k.lower(), v) for k, v in answer.getheaders()), content)

    def close(self):
        for conn in list(self._connections.values()):
            self._drop(conn)

    # ------------------------------------------------------------------ connections
    def _connection(self, parts, proxy, timeout, pooled=True):
        """``(connection, reused?)``: the kept-alive one for the endpoint, or a new one (of its own unless pooled)."""
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        key = (parts.scheme, parts.hostname, port, proxy)
        if not pooled:
            return self._open(parts.scheme, parts.hostname, port, proxy, timeout), False
        conn = self._connections.get(key)
        if conn is not None and _dropped(conn):
            self._drop(conn)
            conn = None
        reused = conn is not None
        if conn is None:
            conn = self._open(parts.scheme, parts.hostname, port, proxy, timeout)
            conn._flinkops_key = key
            self._connections[key] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn, reused

    def _open(self, scheme, host, port, proxy, timeout):
        if proxy:
            proxy_parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            if proxy_parts.scheme != "http" or not proxy_parts.hostname or not _valid_port(proxy_parts):
                raise TransportError("unsupported proxy %r (from the environment): expected http://[user:password@]host:port"
                                     % _redact(proxy), kind="config")
            connect_host, connect_port = proxy_parts.hostname, proxy_parts.port or 8080
        else:
            connect_host, connect_port = host, port
        if scheme == "https":
            conn = http_client.HTTPSConnection(connect_host, connect_port, timeout=timeout, context=self._tls_context())
            if proxy:
                conn.set_tunnel(host, port, headers=_proxy_auth(proxy))
            return conn
        return http_client.HTTPConnection(connect_host, connect_port, timeout=timeout)

    def _drop(self, conn):
        key = getattr(conn, "_flinkops_key", None)
        if self._connections.get(key) is conn:
            del self._connections[key]
        try:
            conn.close()
        except Exception:  # pragma: no cover - closing a broken socket
            pass

    def _tls_context(self):
        if self._context is None:
            self._context = tls_context(self.verify, self.cert)
        return self._context


def _exchange(conn, method, path, body, headers):
    conn.request(method, path, body=body, headers=headers)
    try:
        answer = conn.getresponse()
        return answer, answer.read()
    except Exception as exc:
        raise _Unanswered(exc)


def tls_context(verify, cert):
    """An ``ssl.SSLContext`` for ``verify`` (True, False, CA file or directory) and ``cert``."""
    import ssl  # only for https endpoints

    try:
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(verify, str):
            if os.path.isdir(verify):
                context = ssl.create_default_context(capath=verify)
            else:
                context = ssl.create_default_context(cafile=verify)
        else:
            context = ssl.create_default_context()
        if cert:
            certfile, keyfile = cert if isinstance(cert, (tuple, list)) else (cert, None)
            context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise TransportError("TLS settings cannot be used: %s" % exc, kind="tls")
    return context


def _valid_port(parts):
    try:
        return parts.port is None or 0 < parts.port < 65536
    except ValueError:
        return False


def _redact(proxy):
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if parts.password is None:
        return proxy
    return proxy.replace(":%s@" % parts.password, ":***@", 1)


def _proxy_auth(proxy):
    parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if not parts.username:
        return {}
    user = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
    return {"Proxy-Authorization": "Basic %s" % base64.b64encode(user.encode("utf-8")).decode("ascii")}


def _dropped(conn):
    """True when a kept-alive connection was closed by the server (its socket reads EOF)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable = select.select([sock], [], [], 0)[0]
    except (OSError, ValueError):
        return True
    return bool(readable)


def _transport_error(exc, url):
    if isinstance(exc, _Unanswered):
        error = _transport_error(exc.cause, url)
        error.sent = True
        return error
    import ssl  # loaded already when the failure is a TLS one

    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return TransportError("TLS error: %s" % exc, kind="tls")
    if isinstance(exc, socket.timeout):
        return TransportError("timed out: %s" % exc, kind="timeout")
    if isinstance(exc, OSError) and "Tunnel connection failed" in str(exc):
        return TransportError("proxy refused the tunnel to %s: %s" % (quote(url, safe=":/?&="), exc))
    return TransportError("%s: %s" % (type(exc).__name__, exc))

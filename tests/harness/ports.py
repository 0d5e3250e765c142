# -*- coding: utf-8 -*-
"""Free TCP ports on 127.0.0.1 (the only address the tests may use)."""

import socket
import threading
import time

LOOPBACK = "127.0.0.1"
_HANDED_OUT = set()
_LOCK = threading.Lock()


def free_port():
    """A port that is free on 127.0.0.1 now and was not handed out before by this process."""
    with _LOCK:
        for _attempt in range(200):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((LOOPBACK, 0))
                port = sock.getsockname()[1]
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port
    raise RuntimeError("no free port found on %s" % LOOPBACK)


def port_in_use(port):
    """True when something accepts connections on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


def wait_ports_free(ports, timeout=30.0):
    """Wait until nothing listens on any of ``ports``; return the ports still in use (empty on success)."""
    deadline = time.monotonic() + timeout
    busy = [p for p in ports if p and port_in_use(p)]
    while busy and time.monotonic() < deadline:
        time.sleep(0.1)
        busy = [p for p in busy if port_in_use(p)]
    return busy

# -*- coding: utf-8 -*-
"""Free TCP ports on 127.0.0.1 (the only address the tests may use)."""

import os
import random
import socket
import threading
import time

LOOPBACK = "127.0.0.1"
_HANDED_OUT = set()
_LOCK = threading.Lock()
_FIRST_PORT = 20000  # below: well-known and registered services
_RANDOM = random.SystemRandom()  # pytest processes started together must not walk the same sequence


def _ephemeral_range():
    """The kernel's range for the local ports of outgoing connections (Linux default 32768-60999)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as handle:
            low, high = (int(v) for v in handle.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _worker_slice(low, high):
    """The part of ``[low, high)`` this pytest-xdist worker draws from (workers never hand out the same port)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count < 2 or not worker[2:].isdigit():
        return low, high
    size = (high - low) // count
    index = int(worker[2:]) % count
    return low + index * size, low + (index + 1) * size


def free_port():
    """A port that is free on 127.0.0.1 now and was not handed out before by this process.

    Taken below the kernel's ephemeral range: a port from inside it can be taken by the local side of any outgoing
    connection (a TaskManager dialing its JobManager, a REST client) between now and the moment the server binds
    it, and Flink then fails to start with "Could not start rest endpoint on any port".
    """
    first, low = _worker_slice(_FIRST_PORT, _ephemeral_range()[0])
    with _LOCK:
        if low > first + 500:
            for _attempt in range(200):
                port = _RANDOM.randrange(first, low)
                if port not in _HANDED_OUT and _bindable(port):
                    _HANDED_OUT.add(port)
                    return port
        for _attempt in range(200):  # no room below the ephemeral range: any free port
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

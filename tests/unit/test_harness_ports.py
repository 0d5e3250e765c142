# -*- coding: utf-8 -*-
"""tests.harness.ports: free ports come from below the kernel's ephemeral range (outgoing connections never take
them between the choice and the server's bind)."""

import socket

from tests.harness import ports


def test_free_ports_are_distinct_bindable_and_below_the_ephemeral_range():
    low = ports._ephemeral_range()[0]  # pylint: disable=protected-access
    taken = [ports.free_port() for dummy in range(50)]
    assert len(set(taken)) == len(taken)
    assert all(20000 <= port < low for port in taken), taken
    for port in taken[:5]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((ports.LOOPBACK, port))


class _Picks:
    """Stands in for the random source: hands out ``ports`` in order."""

    def __init__(self, *picks):
        self.picks = iter(picks)

    def randrange(self, start, stop):  # pylint: disable=unused-argument
        return next(self.picks)


def test_a_port_in_use_is_not_handed_out(monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy, socket.socket(socket.AF_INET, socket.SOCK_STREAM) as free:
        busy.bind((ports.LOOPBACK, 0))
        busy.listen(1)
        free.bind((ports.LOOPBACK, 0))
        used, spare = busy.getsockname()[1], free.getsockname()[1]
        free.close()  # spare is free again: the first pick (used) must be skipped for it
        monkeypatch.setattr(ports, "_RANDOM", _Picks(used, spare))
        monkeypatch.setattr(ports, "_ephemeral_range", lambda: (65535, 65535))
        monkeypatch.setattr(ports, "_FIRST_PORT", 1024)
        assert ports.free_port() == spare


def test_xdist_workers_draw_from_disjoint_ranges(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    slices = []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        slices.append(ports._worker_slice(20000, 32768))  # pylint: disable=protected-access
    assert slices == [(20000, 26384), (26384, 32768)]
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    low = ports._ephemeral_range()[0]  # pylint: disable=protected-access
    middle = 20000 + (low - 20000) // 2
    assert all(middle <= ports.free_port() < low for dummy in range(20))
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert ports._worker_slice(20000, 32768) == (20000, 32768)  # pylint: disable=protected-access

# -*- coding: utf-8 -*-
"""Start and stop child processes, always by PID (never by name)."""

import atexit
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading

_LIVE = {}
_LOCK = threading.Lock()
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Runs in the child before exec: have the kernel SIGTERM it when this (pytest) process dies, even by SIGKILL.

    The setting survives ``exec``, so it holds for the JVM that Flink's scripts ``exec`` into.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def start_process(args, log_path, env=None, cwd=None):
    """``Popen`` ``args`` with stdout+stderr appended to ``log_path``.

    The process is tracked for atexit cleanup and, on Linux, gets SIGTERM from the kernel if this process dies first
    (e.g. CI kills pytest, or pytest-timeout's thread method calls ``os._exit``).
    """
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "ab") as log:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        proc = subprocess.Popen(  # pylint: disable=subprocess-popen-preexec-fn
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=cwd, preexec_fn=preexec)
    with _LOCK:
        _LIVE[proc.pid] = proc
    return proc


def stop_process(proc, timeout=20.0):
    """SIGTERM ``proc`` by PID, wait up to ``timeout`` s, then SIGKILL; return the exit code."""
    if proc is None:
        return None
    try:
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=30)
        return proc.returncode
    finally:
        with _LOCK:
            _LIVE.pop(proc.pid, None)


def live_processes():
    """PIDs of processes started here and not stopped yet."""
    with _LOCK:
        return sorted(_LIVE)


@atexit.register
def _stop_all_at_exit():
    with _LOCK:
        procs = list(_LIVE.values())
    for proc in procs:
        stop_process(proc, timeout=5.0)

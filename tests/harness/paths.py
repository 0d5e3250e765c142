# -*- coding: utf-8 -*-
"""Well-known paths of the work tree (everything writable lives under ``.cache/`` and ``.home/``)."""

import contextlib
import fcntl
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE_DIR = os.path.join(REPO_ROOT, ".cache")
HOME_DIR = os.path.join(REPO_ROOT, ".home")
TMP_DIR = os.path.join(CACHE_DIR, "tmp")
VENV_DIR = os.path.join(REPO_ROOT, ".venv")
VENV_BIN = os.path.join(VENV_DIR, "bin")
VENV_PYTHON = os.path.join(VENV_BIN, "python")


def ensure_dir(path):
    """Create ``path`` (and parents) if missing and return it."""
    os.makedirs(path, exist_ok=True)
    return path


@contextlib.contextmanager
def file_lock(name):
    """Hold an exclusive lock ``.cache/locks/<name>`` (pytest-xdist workers build the shared artefacts one at a time)."""
    with open(os.path.join(ensure_dir(os.path.join(CACHE_DIR, "locks")), name), "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def venv_site_packages():
    """The site-packages directory of the project venv (falls back to the running interpreter's)."""
    version = "python%d.%d" % sys.version_info[:2]
    candidate = os.path.join(VENV_DIR, "lib", version, "site-packages")
    if os.path.isdir(candidate):
        return candidate
    for entry in sys.path:
        if entry.endswith("site-packages") and os.path.isdir(entry):
            return entry
    raise RuntimeError("cannot find the venv's site-packages")


def sandbox_env(extra=None):
    """A copy of ``os.environ`` with HOME/TMPDIR pointed into the work tree (for subprocesses)."""
    env = dict(os.environ)
    env["HOME"] = ensure_dir(HOME_DIR)
    env["TMPDIR"] = ensure_dir(TMP_DIR)
    env["TMP"] = env["TMPDIR"]
    env["TEMP"] = env["TMPDIR"]
    if extra:
        env.update(extra)
    return env

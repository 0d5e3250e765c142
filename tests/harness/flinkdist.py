# -*- coding: utf-8 -*-
"""Build a ``FLINK_HOME`` from the files shipped in the ``apache-flink`` / ``apache-flink-libraries`` wheels.

The wheel carries ``bin/``, ``conf/``, ``lib/``, ``opt/`` and ``plugins/`` under ``site-packages/pyflink``.
``bin/config.sh`` resolves ``FLINK_HOME`` from the location of the scripts and globs ``lib/*.jar``; a
symlinked ``lib`` directory confuses it, so the layout here is: real ``bin/``, ``conf/`` (copies), real
``lib/``, ``opt/``, ``plugins/<name>/`` directories with every jar symlinked one by one, and ``log/``.

Run ``python -m tests.harness.flinkdist`` to prepare it; it prints ``FLINK_HOME``.
"""

import importlib.util
import os
import shutil
import sys

from tests.harness.paths import CACHE_DIR, ensure_dir, file_lock, venv_site_packages

FLINK_VERSION = "2.3.0"
FLINK_HOME = os.path.join(CACHE_DIR, "flink", "flink-%s" % FLINK_VERSION)
_MARKER = ".harness-complete"


def pyflink_dir():
    """Directory of the installed ``pyflink`` package (found without importing it)."""
    spec = importlib.util.find_spec("pyflink")
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)[0]
    candidate = os.path.join(venv_site_packages(), "pyflink")
    if os.path.isdir(candidate):
        return candidate
    raise RuntimeError("pyflink (apache-flink) is not installed in this environment")


def _link_tree(src, dst):
    """Recreate ``src``'s directories under ``dst`` and symlink every file in it one by one."""
    for root, _dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        target_dir = ensure_dir(os.path.normpath(os.path.join(dst, rel)))
        for name in files:
            os.symlink(os.path.join(root, name), os.path.join(target_dir, name))


def _is_complete(home, source):
    marker = os.path.join(home, _MARKER)
    if not os.path.isfile(marker):
        return False
    with open(marker, encoding="utf-8") as handle:
        if handle.read().strip() != source:
            return False
    jar = os.path.join(home, "lib", "flink-dist-%s.jar" % FLINK_VERSION)
    return os.path.exists(jar) and os.path.isfile(os.path.join(home, "bin", "config.sh"))


def build_flink_home(home=FLINK_HOME, source=None):
    """Build (or reuse) the distribution and return its path. Idempotent and safe to rerun (and to call from several
    processes at once)."""
    source = os.path.realpath(source or pyflink_dir())
    if _is_complete(home, source):
        return home
    with file_lock("flink-home"):
        return _build_flink_home(home, source)


def _build_flink_home(home, source):
    if _is_complete(home, source):
        return home
    staging = home + ".building.%d" % os.getpid()
    shutil.rmtree(staging, ignore_errors=True)
    ensure_dir(staging)
    shutil.copytree(os.path.join(source, "bin"), os.path.join(staging, "bin"))
    shutil.copytree(os.path.join(source, "conf"), os.path.join(staging, "conf"))
    for sub in ("lib", "opt", "plugins"):
        ensure_dir(os.path.join(staging, sub))
        if os.path.isdir(os.path.join(source, sub)):
            _link_tree(os.path.join(source, sub), os.path.join(staging, sub))
    ensure_dir(os.path.join(staging, "log"))
    for script in os.listdir(os.path.join(staging, "bin")):
        path = os.path.join(staging, "bin", script)
        if script.endswith(".sh") or "." not in script:
            os.chmod(path, 0o755)
    with open(os.path.join(staging, _MARKER), "w", encoding="utf-8") as handle:
        handle.write(source + "\n")
    shutil.rmtree(home, ignore_errors=True)
    ensure_dir(os.path.dirname(home))
    os.rename(staging, home)
    return home


def flink_lib_jars(home=None):
    """All jars in ``<FLINK_HOME>/lib`` (the compile classpath of the test job)."""
    lib = os.path.join(home or build_flink_home(), "lib")
    return sorted(os.path.join(lib, name) for name in os.listdir(lib) if name.endswith(".jar"))


def main():
    """Entry point of ``python -m tests.harness.flinkdist``."""
    print(build_flink_home())
    return 0


if __name__ == "__main__":
    sys.exit(main())

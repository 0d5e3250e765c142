# -*- coding: utf-8 -*-
"""Offline stand-in for ``get-pip.py`` (seeded into ansible-test's cache by scripts/lib.sh).

ansible-test bootstraps pip into every sanity-test virtualenv by downloading
``https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py``.  Where that host is not
reachable, scripts/lib.sh writes this file to ``~/.ansible/test/cache/get_pip_<version>.py`` instead.

It installs the pip bundled with the running Python (``python -m ensurepip``) and nothing else: it
downloads nothing and upgrades nothing.  The pip/setuptools/wheel arguments that ansible-test passes
(e.g. ``pip==24.2 --no-setuptools --no-wheel``) are accepted and ignored; the later ``pip install -r``
steps of ansible-test use that bundled pip with the normal pip configuration (index/mirror).
"""

import os
import subprocess
import sys


def main():
    command = [sys.executable, "-m", "ensurepip", "--default-pip"]
    if "--quiet" in sys.argv or "-q" in sys.argv:
        command.append("-q")
    # ansible-test runs pip with a scrubbed environment (no TMPDIR); keep ensurepip's scratch files
    # next to this script, i.e. inside the work tree, instead of /tmp.
    env = dict(os.environ)
    scratch = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tmp")
    if not os.path.isdir(scratch):
        os.makedirs(scratch)
    env["TMPDIR"] = scratch
    return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main())

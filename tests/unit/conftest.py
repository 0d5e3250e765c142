# -*- coding: utf-8 -*-
"""Make the collection importable as ``ansible_collections.flinkops.fleet`` for the unit tests.

``scripts/setup.sh`` creates ``.cache/collections/ansible_collections/flinkops/fleet`` -> repository root;
that directory goes first on ``sys.path``.
"""

import os
import sys

import pytest

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_COLLECTIONS = os.path.join(_REPO_ROOT, ".cache", "collections")

if not os.path.isdir(os.path.join(_COLLECTIONS, "ansible_collections", "flinkops", "fleet", "plugins")):
    raise pytest.UsageError("%s/ansible_collections/flinkops/fleet is missing: run scripts/setup.sh" % _COLLECTIONS)
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

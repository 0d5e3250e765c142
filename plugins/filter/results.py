# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters on task results, shared by the collection's roles.

* ``failure_message``: why a failed task failed. A loop's own summary (``One or more items failed``) names no cause:
  its failed items do, so those are given with their labels.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def failure_message(result):
    """The message of a failed task result; for a loop, ``label: msg`` of each failed item (joined by ``; ``)."""
    if not isinstance(result, dict):
        return str(result) if result else "unknown error"
    items = [r for r in result.get("results") or [] if isinstance(r, dict) and r.get("failed")]
    if items:
        return "; ".join("%s: %s" % (r["_ansible_item_label"], _message(r)) if r.get("_ansible_item_label") is not None
                         else _message(r) for r in items)
    return _message(result)


def _message(result):
    return str(result.get("msg") or result.get("stderr") or result.get("exception") or "unknown error").strip()


class FilterModule:
    """Filters on task results."""

    def filters(self):
        return dict(failure_message=failure_message)

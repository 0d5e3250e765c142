# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of flinkops.fleet.flink_savepoint: runs the module in the task's worker process when the task runs on the
controller (see plugins/plugin_utils/_in_process.py), else as a module process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flinkops.fleet.plugins.plugin_utils._in_process import InProcessAction


class ActionModule(InProcessAction):
    pass

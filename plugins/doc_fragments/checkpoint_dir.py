# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The checkpoint directory option of the modules that prove or list checkpoints from storage.
    DOCUMENTATION = r"""
options:
  checkpoint_dir:
    description:
      - The checkpoint directory of the job's cluster (C(execution.checkpointing.dir)), as a C(file://) path, an
        absolute local path, or an C(s3://bucket/prefix) URI. C(<checkpoint_dir>/<job_id>) is also accepted.
      - Listing it confirms the REST answer at once (Flink writes C(chk-N/_metadata) before a checkpoint completes),
        instead of waiting out Flink's REST checkpoint cache, and checks that C(_metadata) exists.
      - When not set, a local C(file:) checkpoint path reported by Flink is listed if this machine can read it.
      - An explicit directory that cannot be read is an error. So is, before a job is stopped, one that holds no
        checkpoint of the job while Flink reports its latest completed checkpoint elsewhere (the message names
        the directory to use).
    type: str
"""

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options of the pin ledger.
    DOCUMENTATION = r"""
options:
  ledger:
    description:
      - Where pins are recorded before anything else changes, so that a re-run after a crash resumes from the same pin
        and never pins twice.
      - A local directory (C(/var/lib/flinkops/ledger) or C(file:///...)), an SSM Parameter Store prefix
        (C(ssm:/flinkops/ledger)) or an S3 location (C(s3://bucket/prefix)). The AWS options are used for SSM and S3.
    type: str
  cluster:
    description:
      - Name of the cluster in the ledger (the ledger key is C(<cluster>/<job name>)). Required with O(ledger).
    type: str
  run_id:
    description:
      - Id of the patch run, recorded with the pin.
    type: str
  old_ami:
    description:
      - AMI the cluster ran before the patch, recorded with the pin.
    type: str
  new_ami:
    description:
      - Target AMI of the patch. An unfinished ledger entry is resumed only for the same target AMI.
    type: str
"""

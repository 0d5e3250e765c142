# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # AWS options for reading checkpoint and savepoint storage on s3:// directly.
    DOCUMENTATION = r"""
options:
  aws_region:
    description:
      - AWS region of the S3 bucket. If not set, E(AWS_REGION) or E(AWS_DEFAULT_REGION) is used.
    type: str
    aliases: [region]
  aws_profile:
    description:
      - Named AWS profile for S3 access. If not set, E(AWS_PROFILE) is used.
    type: str
    aliases: [profile]
  aws_endpoint_url:
    description:
      - S3 endpoint URL, for S3-compatible stores or tests. If not set, E(AWS_ENDPOINT_URL_S3) or E(AWS_ENDPOINT_URL)
        is used.
    type: str
    aliases: [endpoint_url]
  aws_access_key:
    description:
      - AWS access key id; by default boto3's credential chain (environment, profile, instance role) is used.
    type: str
    aliases: [access_key]
  aws_secret_key:
    description:
      - AWS secret access key.
    type: str
    aliases: [secret_key]
  aws_session_token:
    description:
      - AWS session token for temporary credentials.
    type: str
    aliases: [session_token]
"""

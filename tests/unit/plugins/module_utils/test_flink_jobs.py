# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/_flink_jobs.py: whether a running job satisfies a restore, and the job name check."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_jobs as jobs
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError

OLD = "9860134a8d22a0a256732c13d2ce2201"
NEW = "1f0b6e0c2a0e4a4b9f4c0c7f2c1d9e11"
PIN = "file:/ck/%s/chk-12" % OLD


class RestoredClient:
    def __init__(self, path, checkpoint_id):
        self.restored = dict(id=checkpoint_id, external_path=path, is_savepoint=False, restore_timestamp=1)

    def checkpoints(self, job_id):
        return dict(latest=dict(restored=self.restored))


def test_a_job_restored_from_the_pin_in_any_spelling_satisfies_the_restore():
    job = dict(jid=NEW, name="j")
    for path in (PIN, PIN + "/", "file:///ck/%s/chk-12/_metadata" % OLD):
        assert jobs.existing_matches(RestoredClient(PIN, 12), job, path, 12) is None, path
    assert "not from" in jobs.existing_matches(RestoredClient("file:/ck/%s/chk-9" % OLD, 9), job, PIN, 12)


def test_a_job_that_failed_over_since_is_never_rewound():
    # latest.restored now names the job's own checkpoint: what it was first started from is gone from Flink's answer
    client = RestoredClient("file:/ck/%s/chk-14" % NEW, 14)
    with pytest.raises(FlinkError) as err:
        jobs.existing_matches(client, dict(jid=NEW, name="j"), PIN, 12)
    text = str(err.value)
    assert "failover" in text and "leave it running" in text and "replace=true" not in text


def test_check_job_name():
    jobs.check_job_name("orders", "orders", "jar-1")
    jobs.check_job_name(None, "orders", "jar-1")  # the plan did not say
    with pytest.raises(FlinkError) as err:
        jobs.check_job_name("orders-v2", "orders", "jar-1")
    assert "names its job 'orders-v2', not 'orders'" in str(err.value)


def test_check_restore_point(tmp_path):
    job_dir = tmp_path / OLD
    (job_dir / "chk-3").mkdir(parents=True)
    (job_dir / "chk-3" / "_metadata").write_bytes(b"m")
    (job_dir / "chk-4").mkdir()
    for good in ("file:%s/chk-3" % job_dir, "file://%s/chk-3/_metadata" % job_dir, None, "",
                 "file:/not/shared/%s/chk-9" % OLD, "hdfs://nn/ck/%s/chk-9" % OLD):
        jobs.check_restore_point(good, {})
    for missing in ("file:%s/chk-4" % job_dir, "file:%s/chk-5/_metadata" % job_dir):
        with pytest.raises(FlinkError) as err:
            jobs.check_restore_point(missing, {})
        assert "has no _metadata" in str(err.value) and missing in str(err.value)

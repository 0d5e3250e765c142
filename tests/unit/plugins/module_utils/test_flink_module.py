# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the shared option checks in plugins/module_utils/_flink_module.py and of check_program / FlinkError
results (what a module reports before and after it acted)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flinkops.fleet.plugins.module_utils import _flink_ops as ops
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_client import FlinkError
from ansible_collections.flinkops.fleet.plugins.module_utils._flink_module import option_errors


@pytest.mark.parametrize("params, needle", [
    (dict(timeout=0.0), "timeout must be greater than 0 (got 0.0)"),
    (dict(timeout=-1.0), "timeout must be greater than 0"),
    (dict(request_timeout=0.0), "request_timeout must be greater than 0"),
    (dict(target_request_timeout=-2.0), "target_request_timeout must be greater than 0"),
    (dict(max_age=0.0), "max_age must be greater than 0"),
    (dict(max_checkpoint_age=-5.0), "max_checkpoint_age must be greater than 0"),
    (dict(retries=-1), "retries must be >= 0"),
    (dict(target_retries=-3), "target_retries must be >= 0"),
    (dict(watch_seconds=-0.5), "watch_seconds must be >= 0"),
    (dict(parallelism=0), "parallelism must be >= 1"),
    (dict(target_directory="savepoints"), "target_directory must be an absolute path or a URI"),
    (dict(checkpoint_dir="./chk"), "checkpoint_dir must be an absolute path or a URI"),
    (dict(target_checkpoint_dir="~/chk"), "target_checkpoint_dir must be an absolute path or a URI"),
    (dict(savepoint_dir="file:relative"), "savepoint_dir must be an absolute path or a URI"),
    (dict(restore_from="chk-5"), "restore_from must be an absolute path or a URI"),
    (dict(restore_from=dict(external_path="chk-5", id=5)), "restore_from must be an absolute path or a URI"),
    (dict(ca_path="/nonexistent/ca.pem"), "ca_path /nonexistent/ca.pem does not exist"),
    (dict(client_cert="/"), "client_cert / is not a file"),
    (dict(path="savepoint-5f0b6e-0123456789ab"), "path must be an absolute path or a URI"),
    (dict(name=""), "name must not be empty"),
    (dict(job_name="  "), "job_name must not be empty"),
    (dict(job_id=""), "job_id must not be empty"),
])
def test_bad_options_are_named(params, needle):
    errors = option_errors(params)
    assert len(errors) == 1 and needle in errors[0], errors


@pytest.mark.parametrize("params", [
    dict(timeout=0.001, request_timeout=10.0, retries=0, watch_seconds=0.0, parallelism=1, max_age=1.0),
    dict(timeout=None, parallelism=None, retries=None),
    dict(target_directory="/savepoints", checkpoint_dir="s3://bucket/chk", savepoint_dir="file:///sp",
         target_checkpoint_dir="file:/chk", restore_from="hdfs://nn:8020/chk/chk-5"),
    dict(restore_from=dict(external_path="file:/chk/chk-5", id=5)),  # a pinned checkpoint dict
    dict(restore_from=""),  # no restore
    dict(unrelated=-1),
])
def test_good_options_pass(params):
    assert option_errors(params) == []


def test_every_error_is_reported_at_once():
    errors = option_errors(dict(timeout=0.0, parallelism=0, checkpoint_dir="rel"))
    assert len(errors) == 3, errors


class PlanClient:
    """Answers POST /jars/:id/plan like Flink: the plan, or the main method's failure as HTTP 500."""

    def __init__(self, error=None):
        self.error = error
        self.calls = []

    def post(self, path, body=None, retry=False, params=None):
        self.calls.append((path, body, retry))
        if self.error:
            raise FlinkError("Flink REST API answered HTTP 500", method="POST", url="http://127.0.0.1:8081/v1" + path, status=500,
                             flink_message=self.error)
        return {"plan": {"jid": "0" * 32, "name": "the-job", "nodes": []}}


def test_check_program_sends_the_plan_fields_only():
    client = PlanClient()
    body = ops.run_body("org.example.Job", ["--output", "/out"], 2, "file:/chk/chk-5", "no_claim", True, {"a.b": 1})
    assert ops.check_program(client, "abc_job.jar", body, "the-job") == "the-job"
    ((path, sent, retry),) = client.calls
    assert path == "/jars/abc_job.jar/plan" and retry is True  # building a plan changes nothing: safe to retry
    assert sent == {"entryClass": "org.example.Job", "programArgsList": ["--output", "/out"], "parallelism": 2,
                    "flinkConfiguration": {"a.b": "1"}}


def test_check_program_failure_names_job_jar_and_cause():
    client = PlanClient(error="ProgramInvocationException: No data for required key 'output'")
    with pytest.raises(FlinkError) as info:
        ops.check_program(client, "abc_job.jar", {"entryClass": "org.example.Job"}, "the-job")
    text = str(info.value)
    assert "job 'the-job' cannot be built from jar abc_job.jar" in text
    assert "POST http://127.0.0.1:8081/v1/jars/abc_job.jar/plan -> HTTP 500" in text and "required key 'output'" in text


def test_flink_error_result_carries_what_already_happened():
    exc = FlinkError("failed after the pin", method="POST", url="http://x/v1/jars/j/run", status=400,
                     result=dict(changed=True, pin={"id": 7}))
    fields = exc.to_result()
    assert fields["changed"] is True and fields["pin"] == {"id": 7} and fields["status"] == 400
    assert "changed" not in FlinkError("plain").to_result()


def test_restated_keeps_where_and_why():
    exc = FlinkError("HTTP 400", method="POST", url="http://x/v1/jars/j/run", status=400, flink_message="No data",
                     job="ab" * 16, result=dict(uploaded=True))
    told = exc.restated("handover failed after the pin: HTTP 400", changed=True)
    assert (told.method, told.url, told.status, told.flink_message, told.job) == (exc.method, exc.url, 400, "No data", exc.job)
    assert told.result == dict(uploaded=True, changed=True) and exc.result == dict(uploaded=True)
    assert str(told).startswith("handover failed after the pin: HTTP 400; job abab")

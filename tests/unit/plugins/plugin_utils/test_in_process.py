# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flinkops.fleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugin_utils/_in_process.py: when a module may run in the worker process, and how it is run there."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import types

import pytest

from ansible_collections.flinkops.fleet.plugins.plugin_utils import _in_process as inproc

PY = sys.executable


def refusal(**overrides):
    args = dict(enabled=True, transport="local", become=False, async_val=0, interpreter=None, executable=PY,
                has_profiles=True)
    args.update(overrides)
    return inproc.refusal(**args)


def test_runs_in_process_on_the_controller_with_its_python():
    assert refusal() is None
    assert refusal(interpreter="auto_silent") is None
    assert refusal(interpreter=PY) is None


@pytest.mark.parametrize("overrides, reason", [
    (dict(has_profiles=False), "before 2.19"),
    (dict(enabled=False), "flinkops_in_process is false"),
    (dict(transport="ssh"), "connection is ssh"),
    (dict(become=True), "become"),
    (dict(async_val=30), "async"),
    (dict(task_timeout=60), "timeout"),
    (dict(interpreter="/usr/bin/python3-that-is-not-this-one"), "the task's Python"),
])
def test_runs_as_a_module_process_otherwise(overrides, reason):
    assert reason in refusal(**overrides)


def test_a_virtualenv_python_is_not_the_python_it_links_to(tmp_path):
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    link = venv_bin / "python"
    link.symlink_to(os.path.realpath(PY))
    assert inproc.same_python(str(link), str(link))
    assert not inproc.same_python(str(link), os.path.realpath(PY))  # same binary, other site-packages
    assert not inproc.same_python(str(tmp_path / "missing"), PY)


@pytest.mark.parametrize("value, expected", [(None, True), (True, True), ("yes", True), ("false", False), (0, False)])
def test_switch(value, expected):
    assert inproc.switched_on(value) is expected


def fake_module(monkeypatch, main):
    name = "flinkops_fake_module_for_in_process"
    module = types.ModuleType(name)
    module.main = main
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_run_main_captures_the_answer_and_restores_the_process(monkeypatch):
    seen = {}

    def main():
        from ansible.module_utils import basic
        seen["args"] = json.loads(basic._ANSIBLE_ARGS)
        seen["env"] = os.environ.get("FLINK_REST_URL")
        print('{"changed": true}')
        sys.exit(0)

    monkeypatch.delenv("FLINK_REST_URL", raising=False)
    before = sys.stdout, sys.stderr
    rc, out, err = inproc.run_main(fake_module(monkeypatch, main), b'{"ANSIBLE_MODULE_ARGS": {"a": 1}}',
                                   {"FLINK_REST_URL": "http://127.0.0.1:8081"})
    assert (rc, out.strip(), err) == (0, '{"changed": true}', "")
    assert seen == {"args": {"ANSIBLE_MODULE_ARGS": {"a": 1}}, "env": "http://127.0.0.1:8081"}
    assert "FLINK_REST_URL" not in os.environ  # the task's environment is not left behind
    assert (sys.stdout, sys.stderr) == before
    from ansible.module_utils import basic
    assert basic._ANSIBLE_ARGS is None


def test_run_main_reports_a_crash_as_a_module_process_would(monkeypatch):
    def main():
        raise ValueError("boom")

    rc, out, err = inproc.run_main(fake_module(monkeypatch, main), b"{}", {})
    assert rc == 1 and out == ""
    assert "Traceback" in err and "ValueError: boom" in err


def test_run_main_of_a_module_that_does_not_exit(monkeypatch):
    rc, dummy, err = inproc.run_main(fake_module(monkeypatch, lambda: None), b"{}", {})
    assert rc == 1 and "returned without exiting" in err


def test_each_run_starts_without_the_messages_of_an_earlier_one(monkeypatch):
    """A loop runs every item in the same worker process: no item may answer an earlier item's warnings (AnsibleModule
    keeps them process-wide when it records them for the result)."""
    from ansible.module_utils.common import warnings as module_warnings

    monkeypatch.setitem(module_warnings._global_warnings, "left by an earlier item", None)
    monkeypatch.setitem(module_warnings._global_deprecations, "left by an earlier item", None)

    def main():
        print(json.dumps([len(module_warnings._global_warnings), len(module_warnings._global_deprecations)]))
        module_warnings._global_warnings["this item's own"] = None
        sys.exit(0)

    assert json.loads(inproc.run_main(fake_module(monkeypatch, main), b"{}", {})[1]) == [0, 0]
    assert not module_warnings._global_warnings and not module_warnings._global_deprecations


def test_run_main_exit_codes(monkeypatch):
    def exits(code):
        def main():
            sys.exit(code)
        return main

    assert inproc.run_main(fake_module(monkeypatch, exits(None)), b"{}", {})[0] == 0
    assert inproc.run_main(fake_module(monkeypatch, exits(3)), b"{}", {})[0] == 3
    assert inproc.run_main(fake_module(monkeypatch, exits("failed")), b"{}", {})[0] == 1


def test_a_real_module_fails_cleanly_in_process(monkeypatch):
    """flink_cluster_info without a URL, run in this process as the action plugin runs it: AnsibleModule's own JSON."""
    monkeypatch.delenv("FLINK_REST_URL", raising=False)
    payload = json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_check_mode": False}}).encode()
    rc, out, dummy = inproc.run_main("ansible_collections.flinkops.fleet.plugins.modules.flink_cluster_info", payload, {})
    answer = json.loads(out)
    assert rc == 1 and answer["failed"] is True
    assert "missing the Flink REST URL" in answer["msg"]


def test_finish_splits_output_as_execute_module_does():
    data = inproc.finish({"stdout": "a\nb", "stderr": "", "changed": False, "stdout_lines": None})
    assert data == {"stdout": "a\nb", "stdout_lines": None, "stderr": "", "stderr_lines": [], "changed": False}
    assert inproc.finish({"stdout": "x"})["stdout_lines"] == ["x"]

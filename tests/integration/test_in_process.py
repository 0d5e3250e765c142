# -*- coding: utf-8 -*-
"""The modules' action plugins run them in the task's worker process on the controller (plugin_utils/_in_process.py).

Against a real Flink 2.3 cluster, through ansible-playbook: every call answers the same run in the worker process as
run as a module process (results, failures with their messages, check mode, no_log, the task's environment,
module_defaults, delegation to localhost), the worker process is used exactly where it may be, and a task that changes
the cluster (cancel, then start from the pin) works the same in both.
"""

import os

import pytest

from tests.harness.mission import assert_failed, playbook, start_job, task
from tests.harness.testjob import ENTRY_CLASS, job_args

pytestmark = pytest.mark.integration

SECRET = "tok-S3CRET-in-process-42"
IN_PROCESS = "runs in the worker process"
AS_PROCESS = "runs as a module process"


def calls(url):
    """Tasks that answer the same whichever way the module runs (values that change with time left out below)."""
    unreachable = "http://127.0.0.1:9"
    return [
        task("info", "flink_cluster_info", dict(url=url)),
        task("job by name", "flink_job_info", dict(url=url, name="inproc", include_checkpoints=False)),
        task("restore check", "flink_job", dict(url=url, name="inproc", state="canceled"), check_mode=True),
        task("plan a suspension", "flink_checkpointing", dict(url=url, job_name="inproc", state="suspended"),
             check_mode=True),
        task("token", "flink_cluster_info", dict(url=url, token=SECRET)),
        task("url from the environment", "flink_cluster_info", {}, environment={"FLINK_REST_URL": url}),
        task("no url", "flink_cluster_info", {}, ignore_errors=True),
        task("url from module_defaults", "flink_job_info", dict(name="inproc", include_checkpoints=False),
             module_defaults={"group/flinkops.fleet.flink": {"url": url}}),
        task("delegated to localhost", "flink_cluster_info", dict(url=url), delegate_to="localhost"),
        task("unknown option", "flink_cluster_info", dict(url=url, nope=1), ignore_errors=True),
        task("bad choice", "flink_job", dict(url=url, name="inproc", state="paused"), ignore_errors=True),
        task("bad timeout", "flink_job", dict(url=url, name="inproc", state="canceled", timeout=0), ignore_errors=True),
        task("unreachable", "flink_cluster_info", dict(url=unreachable, retries=0), ignore_errors=True),
        task("token on failure", "flink_cluster_info", dict(url=unreachable, retries=0, token=SECRET),
             ignore_errors=True),
        # a loop runs every item in the same worker process
        task("loop", "flink_cluster_info", {"url": "{{ item }}", "retries": 0}, loop=[url, unreachable, url],
             ignore_errors=True),
    ]


def stable(result):
    """A result without what changes between two reads of a live cluster."""
    volatile = ("cluster", "overview", "jobs", "taskmanagers", "job", "config", "timings", "pinned_checkpoint")
    return dict((k, "(same key)" if k in volatile else v) for k, v in result.items())


@pytest.mark.timeout(420)
def test_same_answers_in_the_worker_process_and_as_a_module_process(flink_cluster, test_job_jar, ansible, workdir):
    cluster = flink_cluster("inproc", rest_cache="100 ms", slots=2)
    job_id = start_job(cluster, test_job_jar, os.path.join(workdir, "out"), "inproc", wait_checkpoints=1,
                       checkpoint_interval=200)
    tasks = calls(cluster.url)
    runs = {}
    for switch in (True, False):
        result = ansible.run_playbook(playbook(tasks, play_vars={"flinkops_in_process": switch}), verbosity=3)
        assert result.data is not None, result.describe()
        runs[switch] = result
    inside, outside = runs[True], runs[False]
    # where each ran (the action plugin says so at -vvv)
    runs_of_tasks = len(tasks) - 1 + 3  # the loop's three items
    assert inside.stdout.count(IN_PROCESS) == runs_of_tasks and AS_PROCESS not in inside.stdout, inside.describe()
    assert outside.stdout.count(AS_PROCESS) == runs_of_tasks and IN_PROCESS not in outside.stdout, outside.describe()
    assert "flinkops_in_process is false" in outside.stdout
    for run in (inside, outside):
        assert SECRET not in run.stdout and SECRET not in run.stderr, "the no_log token leaked"
        assert run.task("info")["flink_version"].startswith("2."), run.describe()
        assert run.task("job by name")["jobs"][0]["name"] == "inproc"
        assert run.task("restore check")["changed"] is True  # would cancel
        assert run.task("url from module_defaults")["jobs"][0]["name"] == "inproc"
        assert run.task("url from the environment")["flink_version"]
        assert_failed(run.task("no url"), "missing the Flink REST URL")
        assert_failed(run.task("unknown option"), "nope")
        assert_failed(run.task("bad choice"), "state", "paused")
        assert_failed(run.task("bad timeout"), "timeout must be greater than 0")
        assert_failed(run.task("unreachable"), "127.0.0.1:9")
        assert run.task("token")["invocation"]["module_args"]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        items = run.task("loop")["results"]
        assert [bool(i.get("failed")) for i in items] == [False, True, False], items
        assert items[0]["flink_version"] == items[2]["flink_version"] and "127.0.0.1:9" in items[1]["msg"]
    for item in tasks:
        name = item["name"]
        if name == "loop":
            assert ([(i.get("failed"), i.get("msg"), sorted(i)) for i in inside.task(name)["results"]]
                    == [(i.get("failed"), i.get("msg"), sorted(i)) for i in outside.task(name)["results"]])
            continue
        assert stable(inside.task(name)) == stable(outside.task(name)), name
    assert cluster.rest.job_status(job_id) == "RUNNING"  # check mode changed nothing


@pytest.mark.timeout(420)
def test_changes_made_in_the_worker_process(flink_cluster, test_job_jar, ansible, workdir):
    """A fence and a restore from the pin, both in the worker process: the job runs again from exactly its pin."""
    cluster = flink_cluster("inproc-change", rest_cache="100 ms", slots=2)
    output = os.path.join(workdir, "out")
    start_job(cluster, test_job_jar, output, "moved", wait_checkpoints=2, checkpoint_interval=200)
    job = dict(url=cluster.url, name="moved", jar=test_job_jar, entry_class=ENTRY_CLASS,
               args=job_args(output, name="moved", checkpoint_interval=200))
    result = ansible.run_playbook(playbook([
        task("fence", "flink_checkpointing", dict(url=cluster.url, job_name="moved", state="suspended",
                                                  checkpoint_dir=cluster.checkpoint_dir), register="pin"),
        task("restore", "flink_job", dict(job, restore_from="{{ pin.pinned_checkpoint }}", wait_for="checkpoint",
                                          trigger_checkpoint=True, checkpoint_dir=cluster.checkpoint_dir)),
    ]), verbosity=3)
    assert not result.failed, result.describe()
    assert result.stdout.count(IN_PROCESS) == 2, result.describe()
    pin = result.task("fence")
    restored = result.task("restore")
    assert pin["changed"] and restored["changed"] and restored["submitted"]
    assert restored["restored"]["id"] == pin["pinned_checkpoint"]["id"]
    assert cluster.rest.job_status(restored["job_id"]) == "RUNNING"


@pytest.mark.timeout(300)
def test_delegated_to_the_controller_from_a_remote_host(ansible):
    """A play on a remote host (never contacted) delegating to localhost: the delegated host's Python counts."""
    inventory = ("node ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1 "
                 "ansible_python_interpreter=/nonexistent/bin/python3\n")
    play = ("- hosts: node\n  gather_facts: false\n  tasks:\n"
            "    - name: call\n      flinkops.fleet.flink_cluster_info: {url: 'http://127.0.0.1:9', retries: 0}\n"
            "      delegate_to: localhost\n      ignore_errors: true\n")
    answers = {}
    for switch in (True, False):
        result = ansible.run_playbook(play, inventory=inventory, verbosity=3,
                                      extra_vars={"flinkops_in_process": switch})
        assert result.data is not None, result.describe()
        assert (IN_PROCESS if switch else AS_PROCESS) in result.stdout, result.describe()
        answers[switch] = result.task("call", host="node")
        assert_failed(answers[switch], "127.0.0.1:9")
    assert answers[True]["msg"] == answers[False]["msg"]

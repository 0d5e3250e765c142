# -*- coding: utf-8 -*-
"""flink_handover through ansible-playbook against two real Flink 2.3 clusters: a job the target cannot build is refused
with the job still running on the source; a start that fails after the pin reports the change and the pin; the re-run
resumes from the ledger's pin and the move is exactly-once."""

import json
import os

import pytest

from tests.harness.mission import active_jobs_named, job_spec, local_path, old_and_new, run_tasks, start_job, task
from tests.harness.testjob import verify_exactly_once

pytestmark = pytest.mark.integration

KEYS = 8


@pytest.mark.timeout(480)
def test_handover_refusals_failure_after_the_pin_and_resume(flink_cluster, test_job_jar, ansible, workdir):
    old, new = old_and_new(flink_cluster)
    name = "mover"
    output = os.path.join(workdir, "output")
    spec = job_spec(test_job_jar, output, name, checkpoint_interval=150)
    source = start_job(old, test_job_jar, output, name, wait_checkpoints=2, checkpoint_interval=150)
    ledger = os.path.join(workdir, "ledger")

    def move(**kwargs):
        return dict(dict(spec, url=old.url, target_url=new.url, ledger=ledger, cluster="c1", wait_for="checkpoint",
                         timeout=120), **kwargs)

    # the target cannot build the job: refused before the fence, the job keeps running on the source
    refused = run_tasks(ansible, [
        task("no args", "flink_handover", move(args=[]), ignore_errors=True),
        task("no class", "flink_handover", move(entry_class="flinkops.testjob.NoSuchJob"), ignore_errors=True),
    ])
    for label, needle in (("no args", "required key 'output'"), ("no class", "NoSuchJob")):
        res = refused.task(label)
        msg = res.get("msg") or ""
        assert res.get("failed") and "cannot be built from jar" in msg and needle in msg, res
        assert "Traceback" not in msg and "/jars/" in msg and "/plan" in msg, msg
        assert "pin" not in res, res
    # the jar each refused call staged on the target is removed again: nothing is left behind
    assert not refused.task("no args")["changed"] and not refused.task("no class")["changed"]
    assert new.rest.get("/jars")["files"] == []
    assert old.rest.job_status(source) == "RUNNING"
    assert not new.rest.jobs_overview()
    assert not os.path.exists(ledger) or not os.listdir(ledger), "nothing pinned"

    # state that does not map (other operator uids) fails at the start on the target, after the pin
    other_uids = job_spec(test_job_jar, output, name, checkpoint_interval=150, uid_suffix="-v2")["args"]
    failed = run_tasks(ansible, [task("unmapped", "flink_handover", move(args=other_uids), ignore_errors=True)])
    res = failed.task("unmapped")
    msg = res.get("msg") or ""
    assert res.get("failed") and res["changed"] is True, res
    assert "failed after the pin" in msg and "recorded in the ledger as" in msg, msg
    pin = res["pin"]
    assert res["old_job_id"] == source and pin["job_id"] == source and res["ledger_key"], res
    assert pin["external_path"] in msg
    assert os.path.isfile(os.path.join(local_path(pin["external_path"]), "_metadata")), "the pin is intact"
    assert old.rest.job_status(source) == "CANCELED"
    assert not active_jobs_named(new, name), "the failed start left nothing running on the target"

    # the re-run (fixed arguments) resumes from the ledger's pin: no second fence, restored exactly from it
    done = run_tasks(ansible, [task("resume", "flink_handover", move()), task("again", "flink_handover", move())])
    assert not done.failed, done.describe()
    resumed = done.task("resume")
    assert resumed["changed"] and resumed["resumed"] and resumed["method"] == "ledger", resumed
    assert resumed["pin"]["id"] == pin["id"] and resumed["target"]["restored"]["id"] == pin["id"], resumed
    assert resumed["ledger_entry"]["status"] == "restored"
    assert not done.task("again")["changed"]
    (moved,) = active_jobs_named(new, name)
    assert moved["jid"] == resumed["job_id"]
    new.rest.stop_with_savepoint(moved["jid"])
    summary = verify_exactly_once(output, keys=KEYS)
    print("\nhandover resumed from %s; exactly-once %s" % (json.dumps(pin["id"]), summary))

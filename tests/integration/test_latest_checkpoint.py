# -*- coding: utf-8 -*-
"""flink_latest_checkpoint through ansible-playbook against real Flink 2.3 (and s3:// storage on moto), plus bad
endpoints (unreachable, not Flink, 401/403) for every mission module."""

import json
import os
import shutil
import socketserver
import threading
import time

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.harness.mission import (
    assert_failed,
    assert_ok,
    run_failing,
    run_module,
    run_tasks,
    start_job,
    storage_checkpoints,
    storage_max_complete,
    task,
)

pytestmark = pytest.mark.integration


def _settled_max(cluster, job_id):
    time.sleep(1.0)
    return storage_max_complete(cluster.checkpoint_dir, job_id)


@pytest.mark.timeout(420)
def test_latest_running_final_validate_and_storage(flink_cluster, test_job_jar, ansible, workdir, moto):
    cluster = flink_cluster("latest", rest_cache="100 ms", slots=6)
    url = cluster.url
    job = start_job(cluster, test_job_jar, os.path.join(workdir, "a"), "latest", wait_checkpoints=4, checkpoint_interval=150)
    never = start_job(cluster, test_job_jar, os.path.join(workdir, "n"), "never", wait_checkpoints=0, checkpoint_interval=100,
                      snapshot_delay_ms=600000)
    twins = [start_job(cluster, test_job_jar, os.path.join(workdir, "t%d" % i), "twin", wait_checkpoints=0,
                       checkpoint_interval=1000) for i in (1, 2)]
    running = run_tasks(ansible, [
        task("running", "flink_latest_checkpoint", dict(url=url, job_name="latest")),
        task("too old", "flink_latest_checkpoint", dict(url=url, job_name="latest", max_age=0.001), ignore_errors=True),
        task("none allowed", "flink_latest_checkpoint", dict(url=url, job_name="never", allow_none=True)),
        task("none", "flink_latest_checkpoint", dict(url=url, job_name="never"), ignore_errors=True),
        task("ambiguous", "flink_latest_checkpoint", dict(url=url, job_name="twin"), ignore_errors=True),
        task("unknown id", "flink_latest_checkpoint", dict(url=url, job_id="0" * 32), ignore_errors=True),
        task("bad id", "flink_latest_checkpoint", dict(url=url, job_id="abc"), ignore_errors=True),
        task("bad s3", "flink_latest_checkpoint", dict(url=url, job_id=job, checkpoint_dir="s3://Bad_Bucket!/x"),
             ignore_errors=True),
        task("missing dir", "flink_latest_checkpoint", dict(url=url, job_id=job, checkpoint_dir="/nonexistent/ck"),
             ignore_errors=True),
        task("storage without dir", "flink_latest_checkpoint", dict(job_id=job, source="storage"), ignore_errors=True),
        task("fence", "flink_checkpointing", dict(url=url, job_id=job, method="fence", mode="coordinator")),
        task("final", "flink_latest_checkpoint", dict(url=url, job_name="latest")),
        task("final rest", "flink_latest_checkpoint", dict(url=url, job_name="latest", source="rest")),
    ])
    assert not running.failed or running.stats["localhost"]["failures"] == 0, running.describe()
    live = assert_ok(running.task("running"))
    assert live["checkpoint"]["is_final"] is False and live["job_state"] == "RUNNING"
    ids = [c["id"] for c in live["candidates"]]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 2, ids
    assert live["checkpoint"]["id"] == ids[0] and all(c["validated"] for c in live["candidates"])
    too_old = running.task("too old")
    assert_failed(too_old, "max_age")
    assert too_old["checkpoint"]["id"] >= 1
    assert assert_ok(running.task("none allowed"))["checkpoint"] is None
    assert_failed(running.task("none"), "no restorable checkpoint")
    msg = assert_failed(running.task("ambiguous"), "ambiguous")
    assert twins[0] in msg and twins[1] in msg
    assert_failed(running.task("unknown id"), "no job with id")
    assert_failed(running.task("bad id"), "invalid job id")
    assert_failed(running.task("bad s3"), "malformed S3 URI")
    assert_failed(running.task("missing dir"), "/nonexistent/ck")
    assert_failed(running.task("storage without dir"), "checkpoint_dir")
    assert cluster.rest.job_status(never) == "RUNNING"

    pin = running.task("fence")["pinned_checkpoint"]
    truth = _settled_max(cluster, job)
    for name in ("final", "final rest"):
        final = assert_ok(running.task(name))
        assert final["checkpoint"]["is_final"] and final["checkpoint"]["id"] == pin["id"] == truth, final
        assert final["job_state"] == "CANCELED"

    # storage entries Flink never reported completed are no answer for an ended job: an empty _metadata (a write cut
    # short), a directory by that name, and a _metadata left by a checkpoint whose finalization did not complete
    orphans = dict((truth + offset, os.path.join(cluster.checkpoint_dir, job, "chk-%d" % (truth + offset))) for offset in (1, 2, 3))
    for path in orphans.values():
        os.makedirs(path)
    with open(os.path.join(orphans[truth + 1], "_metadata"), "wb"):
        pass
    os.makedirs(os.path.join(orphans[truth + 2], "_metadata"))
    with open(os.path.join(orphans[truth + 3], "_metadata"), "wb") as handle:
        handle.write(b"not a checkpoint")
    local = "file://" + cluster.checkpoint_dir
    orphaned = run_tasks(ansible, [
        task("auto", "flink_latest_checkpoint", dict(url=url, job_id=job)),
        task("auto with dir", "flink_latest_checkpoint", dict(url=url, job_id=job, checkpoint_dir=local)),
        task("storage", "flink_latest_checkpoint", dict(job_id=job, source="storage", checkpoint_dir=local)),
    ])
    assert not orphaned.failed, orphaned.describe()
    for name in ("auto", "auto with dir"):
        answer = orphaned.task(name)
        assert answer["checkpoint"]["id"] == truth and answer["checkpoint"]["is_final"], (name, answer["checkpoint"])
        assert not set(orphans) & set(c["id"] for c in answer["candidates"]), (name, answer["candidates"])
    # storage alone cannot tell a stray _metadata from a complete one, but never takes an empty one or a directory
    listed = [c["id"] for c in orphaned.task("storage")["candidates"]]
    assert listed[0] == truth + 3 and truth + 1 not in listed and truth + 2 not in listed, listed
    for path in orphans.values():
        shutil.rmtree(path)

    # validate drops a REST-listed checkpoint whose _metadata is gone
    os.remove(os.path.join(cluster.checkpoint_dir, job, "chk-%d" % truth, "_metadata"))
    checks = run_tasks(ansible, [
        task("validated", "flink_latest_checkpoint", dict(url=url, job_id=job)),
        task("unvalidated", "flink_latest_checkpoint", dict(url=url, job_id=job, validate=False, source="rest")),
        task("storage", "flink_latest_checkpoint", dict(job_id=job, source="storage", checkpoint_dir=local)),
    ])
    assert not checks.failed, checks.describe()
    validated = checks.task("validated")
    assert validated["checkpoint"]["id"] < truth and truth not in [c["id"] for c in validated["candidates"]]
    assert checks.task("unvalidated")["checkpoint"]["id"] == truth
    stored = checks.task("storage")
    complete = sorted((c for c, ok in storage_checkpoints(cluster.checkpoint_dir, job).items() if ok), reverse=True)
    assert [c["id"] for c in stored["candidates"]] == complete and stored["checkpoint"]["source"] == "storage"
    assert stored["job_state"] is None

    # the same directory copied into S3 (moto) and scanned with aws_endpoint_url
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="flink-state")
    root = os.path.join(cluster.checkpoint_dir, job)
    for base, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(base, name)
            s3.upload_file(full, "flink-state", "ck/%s/%s" % (job, os.path.relpath(full, root)))
    aws = dict(aws_endpoint_url=moto.endpoint_url, aws_region="us-east-1", aws_access_key="testing",
               aws_secret_key="testing")
    s3_res = run_tasks(ansible, [
        task("s3", "flink_latest_checkpoint", dict(aws, job_id=job, source="storage", checkpoint_dir="s3://flink-state/ck")),
        task("s3 auto", "flink_latest_checkpoint", dict(aws, url=url, job_id=job, checkpoint_dir="s3://flink-state/ck/")),
        task("s3 missing bucket", "flink_latest_checkpoint", dict(aws, job_id=job, source="storage",
                                                                  checkpoint_dir="s3://no-such-bucket/ck"), ignore_errors=True),
    ])
    s3_found = s3_res.task("s3")
    assert [c["id"] for c in s3_found["candidates"]] == complete, s3_found
    assert s3_found["checkpoint"]["external_path"] == "s3://flink-state/ck/%s/chk-%d" % (job, complete[0])
    s3_auto = assert_ok(s3_res.task("s3 auto"))
    assert s3_auto["checkpoint"]["is_final"] and s3_auto["checkpoint"]["id"] == complete[0]
    assert_failed(s3_res.task("s3 missing bucket"), "no-such-bucket")


@pytest.mark.timeout(300)
def test_wait_final_and_stale_cache(flink_cluster, test_job_jar, ansible, workdir):
    """wait_final returns once another actor cancels the job; a warm 3 s cache right before the cancel is never trusted."""
    cluster = flink_cluster("stale", rest_cache="3 s")
    url = cluster.url
    job = start_job(cluster, test_job_jar, os.path.join(workdir, "a"), "waited", wait_checkpoints=3, checkpoint_interval=100)

    def cancel_later():
        time.sleep(3.0)
        cluster.rest.cancel(job, wait=False)

    canceller = threading.Thread(target=cancel_later)
    canceller.start()
    try:
        waited = run_module(ansible, "flink_latest_checkpoint", dict(url=url, job_id=job, wait_final=True, timeout=60))
    finally:
        canceller.join()
    assert_ok(waited)
    assert waited["checkpoint"]["is_final"] and waited["job_state"] == "CANCELED"
    assert waited["checkpoint"]["id"] == _settled_max(cluster, job)

    results = []
    for source in ("auto", "rest"):
        name = "stale-%s" % source
        job = start_job(cluster, test_job_jar, os.path.join(workdir, name), name, wait_checkpoints=3, checkpoint_interval=100)
        cluster.rest.checkpoints(job)  # warm the cache ...
        time.sleep(0.6)  # ... let more checkpoints complete behind it ...
        cluster.rest.checkpoints(job)
        cluster.rest.cancel(job)  # ... and cancel
        stale = (cluster.rest.latest_completed_checkpoint(job) or {}).get("id")
        res = assert_ok(run_module(ansible, "flink_latest_checkpoint", dict(url=url, job_id=job, source=source)))
        truth = _settled_max(cluster, job)
        results.append((source, stale, truth, res["checkpoint"]["id"]))
        assert res["checkpoint"]["id"] == truth and res["checkpoint"]["is_final"], (results, res)
    print("\nstale-cache reads (source, cached id at cancel, storage truth, module answer): %s" % results)


class _FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def _serve(self):
        mode = self.server.mode
        if mode == "html":
            status, ctype, body = 200, "text/html", b"<html><body>It works!</body></html>"
        else:
            status, ctype = (401, "application/json") if mode == "401" else (403, "application/json")
            body = json.dumps({"errors": ["Forbidden" if mode == "403" else "Unauthorized"]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _serve
    do_POST = _serve
    do_PATCH = _serve


class _Hangup(socketserver.BaseRequestHandler):
    """Not HTTP at all (like pointing at Flink's RPC or blob port): writes garbage and closes."""

    def handle(self):
        self.request.recv(1024)
        self.request.sendall(b"\x00\x01garbage\r\n")


@pytest.fixture
def fake_servers():
    servers = {}
    raw = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Hangup)
    raw.daemon_threads = True
    threading.Thread(target=raw.serve_forever, daemon=True).start()
    servers["raw"] = "http://127.0.0.1:%d" % raw.server_address[1]
    for mode in ("html", "401", "403"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeHandler)
        server.mode = mode
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[mode] = "http://127.0.0.1:%d" % server.server_address[1]
        servers[mode + "-server"] = server
    yield servers
    for mode in ("html", "401", "403"):
        servers[mode + "-server"].shutdown()
        servers[mode + "-server"].server_close()
    raw.shutdown()
    raw.server_close()


@pytest.mark.timeout(180)
def test_bad_endpoints_for_every_mission_module(ansible, fake_servers):
    """Unreachable URL, a port with no Flink, non-JSON answers and 401/403 fail cleanly in all three modules."""
    job = "a" * 32
    modules = {
        "flink_checkpointing": dict(job_id=job, method="fence"),
        "flink_savepoint": dict(job_id=job),
        "flink_latest_checkpoint": dict(job_id=job),
    }
    endpoints = {
        "unreachable": ("http://127.0.0.1:9", "cannot reach"),
        "not flink": (fake_servers["html"], "not JSON"),
        "wrong port": (fake_servers["raw"], "cannot reach"),
        "unauthorized": (fake_servers["401"], "HTTP 401"),
        "forbidden": (fake_servers["403"], "HTTP 403"),
        "no scheme": ("127.0.0.1:8081", "invalid Flink REST URL"),
    }
    calls = {}
    for module, args in modules.items():
        for label, (url, dummy) in endpoints.items():
            calls["%s %s" % (module, label)] = (module, dict(args, url=url, retries=0, request_timeout=3))
    res = run_failing(ansible, calls)
    for module in modules:
        for label, (url, needle) in endpoints.items():
            assert_failed(res["%s %s" % (module, label)], needle)
    assert "Forbidden" in res["flink_savepoint forbidden"]["msg"]

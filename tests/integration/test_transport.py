# -*- coding: utf-8 -*-
"""The modules' REST transport against real Flink 2.3 through ansible-playbook: an HTTP proxy from the environment
(upload, submit, polling, pin all relayed), ``no_proxy`` bypassing it, a host name only the proxy can reach; and a
REST endpoint served over mutual TLS."""

import os

import pytest

from tests.harness.mission import assert_ok, job_spec, run_tasks, task
from tests.harness.proxy import ForwardProxy
from tests.harness.tls import make_tls

pytestmark = pytest.mark.integration


@pytest.mark.timeout(300)
def test_modules_reach_flink_through_a_proxy_from_the_environment(flink_cluster, test_job_jar, ansible, workdir):
    cluster = flink_cluster("proxied", rest_cache="100 ms")
    port = cluster.url.rsplit(":", 1)[1]
    # A name that does not resolve: the module never looks it up (no DNS query leaves the machine), the proxy
    # connects for it (to 127.0.0.1).
    hidden = "http://flink-jm.invalid:%s" % port
    spec = job_spec(test_job_jar, os.path.join(workdir, "out"), "proxied", checkpoint_interval=150)
    with ForwardProxy() as proxy:
        through = {"http_proxy": "http://ops:secret@127.0.0.1:%d" % proxy.port, "no_proxy": ""}
        result = run_tasks(ansible, [
            task("info", "flink_cluster_info", dict(url=hidden), environment=through),
            task("submit", "flink_job", dict(spec, url=hidden, wait_for="checkpoint"), environment=through),
            task("pin", "flink_checkpointing", dict(url=hidden, job_name="proxied", method="fence"), environment=through),
        ])
        relayed = proxy.seen
        bypassed = run_tasks(ansible, [task("bypass", "flink_cluster_info", dict(url=cluster.url),
                                            environment=dict(through, no_proxy="127.0.0.0/8"))])
        after_bypass = proxy.seen
    assert assert_ok(result.task("info"))["flink_version"].startswith("2.")
    submitted = assert_ok(result.task("submit"))
    assert submitted["uploaded"] and submitted["first_checkpoint_id"], submitted
    pinned = assert_ok(result.task("pin"))
    assert pinned["pinned_checkpoint"]["id"] >= submitted["first_checkpoint_id"]
    lines = [s["line"] for s in relayed]
    base = "http://flink-jm.invalid:%s/v1" % port
    assert "POST %s/jars/upload HTTP/1.1" % base in lines, lines
    assert any(line.startswith("POST %s/jars/" % base) and "/run" in line for line in lines), lines
    assert any(line.startswith("PATCH %s/jobs/%s" % (base, submitted["job_id"])) for line in lines), lines
    assert all(s["headers"].get("proxy-authorization") == "Basic b3BzOnNlY3JldA==" for s in relayed)
    assert_ok(bypassed.task("bypass"))
    assert after_bypass == relayed  # no_proxy: straight to Flink


@pytest.mark.timeout(300)
def test_modules_over_mutual_tls(flink_cluster, test_job_jar, ansible, workdir):
    """A REST endpoint that demands TLS and a client certificate: untrusted server, missing client certificate and
    disabled validation each behave as documented; upload, submit, polling and the pin work over TLS."""
    tls = make_tls(os.path.join(workdir, "tls"), mutual=True)
    cluster = flink_cluster("tls", rest_cache="100 ms", tls=tls)
    assert cluster.url.startswith("https://127.0.0.1:")
    client = dict(url=cluster.url, ca_path=tls.cert, client_cert=tls.cert, client_key=tls.key)
    spec = job_spec(test_job_jar, os.path.join(workdir, "out"), "secure", checkpoint_interval=150)
    result = run_tasks(ansible, [
        task("untrusted", "flink_cluster_info", dict(url=cluster.url, client_cert=tls.cert, client_key=tls.key),
             ignore_errors=True),
        task("no client certificate", "flink_cluster_info", dict(url=cluster.url, ca_path=tls.cert), ignore_errors=True),
        task("no validation", "flink_cluster_info",
             dict(url=cluster.url, validate_certs=False, client_cert=tls.cert, client_key=tls.key)),
        task("from the environment", "flink_cluster_info", {}, environment={
            "FLINK_REST_URL": cluster.url, "FLINK_CA_PATH": tls.cert, "FLINK_CLIENT_CERT": tls.cert,
            "FLINK_CLIENT_KEY": tls.key}),
        task("submit", "flink_job", dict(spec, wait_for="checkpoint", **client)),
        task("pin", "flink_checkpointing", dict(client, job_name="secure", method="fence")),
    ])
    untrusted = result.task("untrusted")
    assert untrusted.get("failed") and "TLS error talking to Flink" in untrusted["msg"], untrusted
    assert "certificate verify failed" in untrusted["msg"].lower() or "CERTIFICATE_VERIFY_FAILED" in untrusted["msg"]
    refused = result.task("no client certificate")
    assert refused.get("failed") and cluster.url in refused["msg"], refused
    assert assert_ok(result.task("no validation"))["flink_version"].startswith("2.")
    assert assert_ok(result.task("from the environment"))["flink_version"].startswith("2.")
    submitted = assert_ok(result.task("submit"))
    assert submitted["uploaded"] and submitted["first_checkpoint_id"], submitted
    pinned = assert_ok(result.task("pin"))
    assert pinned["pinned_checkpoint"]["id"] >= submitted["first_checkpoint_id"]
    assert cluster.rest.job_status(submitted["job_id"]) in ("CANCELED", "FINISHED")

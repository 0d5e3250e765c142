# -*- coding: utf-8 -*-
"""A moto server (fake AWS APIs) on 127.0.0.1, started and stopped by PID."""

import os
import time

import requests

from tests.harness.paths import CACHE_DIR, REPO_ROOT, VENV_PYTHON, ensure_dir, sandbox_env
from tests.harness.ports import LOOPBACK, free_port, wait_ports_free
from tests.harness.procs import start_process, stop_process

AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def aws_env(endpoint_url=None):
    """Dummy credentials/region env (plus ``AWS_ENDPOINT_URL`` when given) for boto3 clients and Ansible modules."""
    env = dict(AWS_TEST_ENV)
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    return env


class MotoServer:
    """``moto_server -H 127.0.0.1 -p <free port>`` as a child process (through :mod:`tests.harness.moto_server`)."""

    def __init__(self, port=None, log_dir=None):
        self.port = int(port) if port else free_port()
        self.log_dir = log_dir or os.path.join(CACHE_DIR, "moto")
        self.proc = None

    @property
    def endpoint_url(self):
        """``http://127.0.0.1:<port>``: pass it as ``endpoint_url`` to boto3 / Ansible AWS modules."""
        return "http://%s:%d" % (LOOPBACK, self.port)

    def start(self, timeout=30.0):
        """Start the server and wait until it answers; returns ``self``."""
        if self.proc is not None:
            return self
        log = os.path.join(ensure_dir(self.log_dir), "moto-%d.log" % self.port)
        # moto's server plus the autoscaling action it lacks (tests/harness/moto_server.py)
        self.proc = start_process([VENV_PYTHON, "-m", "tests.harness.moto_server", "-H", LOOPBACK, "-p", str(self.port)],
                                  log, env=sandbox_env(dict(AWS_TEST_ENV, PYTHONPATH=REPO_ROOT)), cwd=self.log_dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("moto_server exited with %s; see %s" % (self.proc.returncode, log))
            try:
                requests.get(self.endpoint_url + "/moto-api/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not answer on %s within %.0f s" % (self.endpoint_url, timeout))

    def reset(self):
        """Forget every fake resource (``POST /moto-api/reset``)."""
        requests.post(self.endpoint_url + "/moto-api/reset", timeout=10).raise_for_status()

    def client(self, service, **kwargs):
        """A boto3 client for ``service`` talking to this server with the dummy credentials."""
        import boto3  # pylint: disable=import-outside-toplevel

        params = {"endpoint_url": self.endpoint_url, "region_name": AWS_TEST_ENV["AWS_DEFAULT_REGION"],
                  "aws_access_key_id": AWS_TEST_ENV["AWS_ACCESS_KEY_ID"],
                  "aws_secret_access_key": AWS_TEST_ENV["AWS_SECRET_ACCESS_KEY"]}
        params.update(kwargs)
        return boto3.client(service, **params)

    def stop(self):
        """Stop the server by PID and wait until its port is free."""
        stop_process(self.proc, timeout=10.0)
        self.proc = None
        wait_ports_free([self.port], timeout=10.0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

# -*- coding: utf-8 -*-
"""pytest fixtures for flinkops.fleet integration tests: Flink clusters, the test job, moto and Ansible runners.

Every process started here is stopped by PID at teardown, also when the test failed; the tails of the cluster
logs are printed for failed tests.
"""

import os

import pytest

from tests.harness import ansible as ansible_harness
from tests.harness.flink import FlinkCluster, ensure_cds_archives
from tests.harness.flinkdist import build_flink_home
from tests.harness.moto import MotoServer, aws_env
from tests.harness.paths import CACHE_DIR, ensure_dir
from tests.harness.testjob import ENTRY_CLASS, build_test_job_jar, job_args

MAX_CLUSTERS = 2  # 2 CPU cores: never more than two clusters at a time


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Store each phase's report on the item (``item.rep_setup`` / ``rep_call`` / ``rep_teardown``)."""
    report = yield
    setattr(item, "rep_" + call.when, report)
    return report


def _test_failed(request):
    node = request.node
    return any(getattr(node, "rep_" + when, None) is not None and getattr(node, "rep_" + when).failed
               for when in ("setup", "call"))


@pytest.fixture(scope="session")
def flink_home():
    """``FLINK_HOME`` built from the pyflink wheel (``.cache/flink/flink-2.3.0``), with the class data sharing archives
    every test cluster starts from (see tests.harness.flink.ensure_cds_archives)."""
    home = build_flink_home()
    ensure_cds_archives(home)
    return home


@pytest.fixture(scope="session")
def test_job_jar(flink_home):
    """Path of the compiled exactly-once test job (``.cache/build/fleet-test-job.jar``)."""
    return build_test_job_jar(flink_home=flink_home)


@pytest.fixture(scope="session")
def test_job_entry_class():
    """Main class of the test job jar."""
    return ENTRY_CLASS


@pytest.fixture
def workdir(request):
    """A fresh per-test directory under ``.cache/it/`` (kept after the run for post-mortem)."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)[:80]
    path = os.path.join(CACHE_DIR, "it", name)
    if os.path.isdir(path):
        import shutil  # pylint: disable=import-outside-toplevel

        shutil.rmtree(path)
    return ensure_dir(path)


@pytest.fixture
def flink_cluster(request, flink_home, workdir):
    """Factory: ``flink_cluster(name="a", rest_cache="100 ms", config={...}, taskmanagers=1, slots=4, start=True)``.

    Returns a started :class:`tests.harness.flink.FlinkCluster` with its workdir under this test's workdir (with
    ``start=False`` an unstarted one: start several at once with :func:`tests.harness.flink.start_clusters`). At most
    two clusters may be alive at a time. All are stopped by PID at teardown; when the test failed, their log tails are
    printed.
    """
    clusters = []

    def start_cluster(name=None, start=True, **kwargs):
        active = [c for c in clusters if not c.stopped]
        marker = request.node.get_closest_marker("max_clusters")
        limit = marker.args[0] if marker else MAX_CLUSTERS
        if len(active) >= limit:
            raise RuntimeError("at most %d clusters at a time on this machine (not stopped: %s)" % (limit, active))
        name = name or "c%d" % (len(clusters) + 1)
        cluster = FlinkCluster(name, os.path.join(workdir, name), flink_home=flink_home, **kwargs)
        clusters.append(cluster)
        if start:
            cluster.start()
        return cluster

    yield start_cluster

    failed = _test_failed(request)
    for cluster in clusters:
        if failed:
            print("\n%s\n%s" % ("#" * 30, cluster.logs_tail()))
        cluster.stop()


@pytest.fixture
def submit_test_job(test_job_jar):
    """``submit_test_job(cluster, output, savepoint_path=None, claim_mode=None, allow_non_restored_state=None,
    parallelism=None, **job_args)`` -> job id (plain REST upload + run with ``programArgsList``)."""

    def submit(cluster, output, savepoint_path=None, claim_mode=None, allow_non_restored_state=None, parallelism=None,
               job_id=None, **kwargs):
        return cluster.rest.submit_jar(test_job_jar, ENTRY_CLASS, job_args(output, **kwargs), parallelism=parallelism,
                                       savepoint_path=savepoint_path, claim_mode=claim_mode,
                                       allow_non_restored_state=allow_non_restored_state, job_id=job_id)

    return submit


@pytest.fixture(scope="session")
def moto():
    """A session-wide moto server (``.endpoint_url``, ``.client(service)``, ``.reset()``)."""
    server = MotoServer(log_dir=os.path.join(CACHE_DIR, "it", "moto")).start()
    yield server
    server.stop()


@pytest.fixture
def aws_test_env(moto, monkeypatch):
    """Dummy AWS credentials + ``AWS_ENDPOINT_URL`` pointing at moto, set in this process's environment."""
    env = aws_env(moto.endpoint_url)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


class AnsibleHelpers:
    """The Ansible runners bound to the sandboxed environment (see :mod:`tests.harness.ansible`)."""

    run_playbook = staticmethod(ansible_harness.run_playbook)
    run_runner = staticmethod(ansible_harness.run_runner)
    env = staticmethod(ansible_harness.ansible_env)
    collections_dir = ansible_harness.COLLECTIONS_DIR


@pytest.fixture(scope="session")
def ansible():
    """``ansible.run_playbook(...)``, ``ansible.run_runner(...)``, ``ansible.env()`` with the collection linked."""
    ansible_harness.ensure_collection_link()
    return AnsibleHelpers()

# -*- coding: utf-8 -*-
"""Throw-away Flink standalone-session clusters on 127.0.0.1 for integration tests.

Each :class:`FlinkCluster` has its own conf dir (``FLINK_CONF_DIR``) with a generated ``config.yaml``, its own
free ports, log, pid, tmp, checkpoint and savepoint directories under ``workdir``.  The JobManager and every
TaskManager run as ``bin/*.sh start-foreground`` children (they ``exec`` java, so the Popen PID is the JVM)
and are stopped by PID.
"""

import hashlib
import json
import os
import shutil
import subprocess
import time

import requests
import yaml

from tests.harness.flinkdist import build_flink_home
from tests.harness.paths import CACHE_DIR, ensure_dir, file_lock, sandbox_env
from tests.harness.ports import LOOPBACK, free_port, port_in_use, wait_ports_free
from tests.harness.procs import start_process, stop_process
from tests.harness.rest import FlinkRest

DEFAULT_REST_CACHE = "3 s"
# C1-only JIT and the serial GC: much less CPU while four JVMs start on a 2-core machine; pass jvm_opts="" for benchmarks.
DEFAULT_JVM_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
START_TIMEOUT = 60.0


class FlinkClusterError(RuntimeError):
    """The cluster did not start (the message carries the log tails)."""


# Class data sharing: a JobManager or TaskManager JVM maps the classes it loads at start from an archive that one
# training cluster wrote at exit (-XX:ArchiveClassesAtExit), instead of parsing them from the jars: about a fifth less
# start-up time and CPU for every test cluster. Keyed by the distribution and the java binary (a mismatched archive
# is ignored by the JVM anyway). Benchmarks (jvm_opts="") never use it.
CDS_ROLES = ("jobmanager", "taskmanager")


_CDS_DIRS = {}


def _cds_dir(flink_home):
    if flink_home not in _CDS_DIRS:
        java = shutil.which("java") or "java"
        version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
        key = "%s\n%s\n%s" % (os.path.realpath(flink_home), os.path.realpath(java), version)
        _CDS_DIRS[flink_home] = os.path.join(CACHE_DIR, "cds", hashlib.sha256(key.encode()).hexdigest()[:16])
    return _CDS_DIRS[flink_home]


def cds_archives(flink_home):
    """``{role: archive path}`` when the archives for ``flink_home`` exist, else None."""
    paths = dict((role, os.path.join(_cds_dir(flink_home), role + ".jsa")) for role in CDS_ROLES)
    return paths if all(os.path.isfile(p) and os.path.getsize(p) > 0 for p in paths.values()) else None


def ensure_cds_archives(flink_home):
    """Write the archives once (a training cluster started and stopped; ~6 s); returns cds_archives() (None if the
    JVM wrote none: clusters then start without)."""
    directory = ensure_dir(_cds_dir(flink_home))
    with file_lock("cds-" + os.path.basename(directory)):
        if cds_archives(flink_home) is None:
            workdir = os.path.join(directory, "training")
            shutil.rmtree(workdir, ignore_errors=True)
            for role in CDS_ROLES:
                if os.path.exists(os.path.join(directory, role + ".jsa")):
                    os.remove(os.path.join(directory, role + ".jsa"))
            cluster = FlinkCluster("cds-training", workdir, flink_home=flink_home, cds=False)
            cluster.cds_training = directory
            try:
                cluster.start()
            finally:
                cluster.stop(timeout=60.0)
            shutil.rmtree(workdir, ignore_errors=True)
    return cds_archives(flink_home)


def _yaml_value(value):
    """Render a config value as a YAML scalar (JSON is a YAML subset; strings are always quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return json.dumps([str(v) for v in value])
    return json.dumps(str(value))


class FlinkCluster:
    """One standalone Flink session cluster (1 JobManager + ``taskmanagers`` TaskManagers).

    ``config`` overrides/extends the generated ``config.yaml`` keys (value ``None`` removes a key).
    ``jvm_opts`` goes to ``JAVA_TOOL_OPTIONS`` of every JVM the scripts start (default: C1 JIT only, serial GC).
    ``rest_cache`` sets ``web.refresh-interval``, ``rest.cache.execution-graph.timeout`` and
    ``rest.cache.checkpoint-statistics.timeout`` together (Flink's default is 3 s; tests may use ``"100 ms"``).
    """

    # pylint: disable=too-many-instance-attributes,too-many-arguments

    def __init__(self, name, workdir, rest_port=None, config=None, taskmanagers=1, slots=4,
                 rest_cache=DEFAULT_REST_CACHE, flink_home=None, jvm_opts=DEFAULT_JVM_OPTS, history_server=False,
                 tls=None, cds=None):
        self.name = name
        # tls: a tests.harness.tls.TlsMaterial; the REST API is then served over https (mutual TLS if it says so)
        self.tls = tls
        self.workdir = os.path.abspath(workdir)
        # With history_server, finished jobs are archived and a HistoryServer serves them at ``history_url``.
        self.history_port = free_port() if history_server else None
        self.archive_dir = os.path.join(self.workdir, "archive")
        self.history_server = None
        self.flink_home = flink_home or build_flink_home()
        self.taskmanagers = int(taskmanagers)
        self.slots = int(slots)
        self.rest_cache = rest_cache
        self.jvm_opts = jvm_opts or ""
        # the class data sharing archives (see ensure_cds_archives): by default for the test JVM options only
        use_cds = (self.jvm_opts == DEFAULT_JVM_OPTS) if cds is None else cds
        self.cds = cds_archives(self.flink_home) if use_cds else None
        self.cds_training = None  # set by ensure_cds_archives: the directory the JVMs write their archives to
        self.overrides = dict(tls.flink_config() if tls else {}, **dict(config or {}))
        self.rest_port = int(rest_port) if rest_port else free_port()
        self.rpc_port = free_port()
        self.blob_port = free_port()
        self.tm_ports = [{"rpc": free_port(), "data": free_port()} for dummy in range(self.taskmanagers)]
        self.conf_dir = os.path.join(self.workdir, "conf")
        self.log_dir = os.path.join(self.workdir, "log")
        self.pid_dir = os.path.join(self.workdir, "pid")
        self.tmp_dir = os.path.join(self.workdir, "tmp")
        self.checkpoint_dir = os.path.join(self.workdir, "checkpoints")
        self.savepoint_dir = os.path.join(self.workdir, "savepoints")
        self.jobmanager = None
        self.taskmanager_procs = []
        self.config = self._build_config()
        self.started_in = None
        self._launched_at = None
        self.stopped = False

    # -- configuration ----------------------------------------------------------------------------------------
    @property
    def url(self):
        """Base URL of the REST API, e.g. ``http://127.0.0.1:40123`` (without ``/v1``)."""
        return "%s://%s:%d" % ("https" if self.tls else "http", LOOPBACK, self.rest_port)

    @property
    def history_url(self):
        """Base URL of the HistoryServer (``history_server=True``), else None."""
        if not self.history_port:
            return None
        return "http://%s:%s" % (LOOPBACK, self.history_port)

    @property
    def rest(self):
        """A :class:`tests.harness.rest.FlinkRest` for this cluster."""
        return FlinkRest(self.url, **(self.tls.requests_kwargs() if self.tls else {}))

    @property
    def ports(self):
        """Every fixed port this cluster binds."""
        ports = [self.rest_port, self.rpc_port, self.blob_port] + ([self.history_port] if self.history_port else [])
        for tm_ports in self.tm_ports:
            ports.extend(tm_ports.values())
        return ports

    def _default_java_opts(self):
        with open(os.path.join(self.flink_home, "conf", "config.yaml"), encoding="utf-8") as handle:
            base = yaml.safe_load(handle) or {}
        opts = (((base.get("env") or {}).get("java") or {}).get("opts") or {}).get("all", "")
        # console.log.level: the console capture only gets warnings (Flink's own *.log files get everything)
        return ("%s -Djava.io.tmpdir=%s -Dconsole.log.level=WARN" % (opts, self.tmp_dir)).strip()

    def _history_config(self):
        if not self.history_port:
            return {}
        archive = "file://" + self.archive_dir
        return {"jobmanager.archive.fs.dir": archive, "historyserver.archive.fs.dir": archive,
                "historyserver.web.address": LOOPBACK, "historyserver.web.port": self.history_port,
                "historyserver.archive.fs.refresh-interval": "500 ms", "historyserver.web.tmpdir": os.path.join(self.tmp_dir, "hs")}

    def _build_config(self):
        cache = self.rest_cache
        config = {
            "env.java.opts.all": self._default_java_opts(),
            "env.pid.dir": self.pid_dir,
            "env.log.dir": self.log_dir,
            "jobmanager.rpc.address": LOOPBACK,
            "jobmanager.rpc.port": self.rpc_port,
            "jobmanager.bind-host": LOOPBACK,
            "jobmanager.memory.process.size": "768m",
            "jobmanager.execution.failover-strategy": "region",
            "taskmanager.host": LOOPBACK,
            "taskmanager.bind-host": LOOPBACK,
            "taskmanager.numberOfTaskSlots": self.slots,
            "taskmanager.memory.process.size": "1024m",
            "taskmanager.memory.managed.fraction": 0.1,
            "parallelism.default": 1,
            "rest.address": LOOPBACK,
            "rest.bind-address": LOOPBACK,
            "rest.port": self.rest_port,
            "blob.server.port": self.blob_port,
            "io.tmp.dirs": self.tmp_dir,
            "web.tmpdir": os.path.join(self.tmp_dir, "web"),
            "web.upload.dir": os.path.join(self.workdir, "jars"),
            "web.refresh-interval": cache,
            "rest.cache.execution-graph.timeout": cache,
            "rest.cache.checkpoint-statistics.timeout": cache,
            "execution.checkpointing.dir": "file://" + self.checkpoint_dir,
            "execution.checkpointing.savepoint-dir": "file://" + self.savepoint_dir,
            "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
            "execution.checkpointing.num-retained": 3,
            "state.backend.type": "hashmap",
            "restart-strategy.type": "fixed-delay",
            "restart-strategy.fixed-delay.attempts": 3,
            "restart-strategy.fixed-delay.delay": "1 s",
            # TaskManagers that start before the ResourceManager is up retry quickly (defaults: 10 s / 30 s / 30 s)
            "cluster.registration.error-delay": "500 ms",
            "cluster.registration.refused-registration-delay": "500 ms",
            "cluster.registration.max-timeout": "2 s",
            "heartbeat.interval": "2 s",
            "heartbeat.timeout": "20 s",
            "cluster.evenly-spread-out-slots": False,
        }
        config.update(self._history_config())
        for key, value in self.overrides.items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = value
        return config

    def write_config(self):
        """(Re)write ``<workdir>/conf`` with the log4j files of the distribution and the generated config.yaml."""
        ensure_dir(self.conf_dir)
        src = os.path.join(self.flink_home, "conf")
        for name in os.listdir(src):
            if name != "config.yaml":
                shutil.copyfile(os.path.join(src, name), os.path.join(self.conf_dir, name))
        lines = ["# generated by tests/harness/flink.py for cluster %s" % self.name]
        lines.extend("%s: %s" % (key, _yaml_value(value)) for key, value in sorted(self.config.items()))
        with open(os.path.join(self.conf_dir, "config.yaml"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")

    def _env(self):
        env = sandbox_env({
            "FLINK_CONF_DIR": self.conf_dir,
            "FLINK_LOG_DIR": self.log_dir,
            "FLINK_PID_DIR": self.pid_dir,
            "FLINK_IDENT_STRING": self.name,
            "TMPDIR": self.tmp_dir,
            "MAX_LOG_FILE_NUMBER": "2",
        })
        # Given in the environment, config.sh neither re-reads env.java.opts.all nor launches an extra JVM to probe the
        # Java version (it only matters for Java > 17, which this machine does not have).
        env["FLINK_ENV_JAVA_OPTS"] = "-XX:+IgnoreUnrecognizedVMOptions " + str(self.config.get("env.java.opts.all", ""))
        if self.jvm_opts:
            # JAVA_TOOL_OPTIONS also reaches the short-lived BashJavaUtils JVMs that config.sh starts.
            env["JAVA_TOOL_OPTIONS"] = self.jvm_opts
        for role, variable in (("jobmanager", "FLINK_ENV_JAVA_OPTS_JM"), ("taskmanager", "FLINK_ENV_JAVA_OPTS_TM")):
            if self.cds_training:
                flag = "-XX:ArchiveClassesAtExit=%s" % os.path.join(self.cds_training, role + ".jsa")
            elif self.cds:
                flag = "-XX:SharedArchiveFile=%s" % self.cds[role]
            else:
                continue
            # given in the environment, config.sh does not read env.java.opts.<role>: keep what the config says
            env[variable] = ("%s %s" % (self.config.get("env.java.opts." + role, ""), flag)).strip()
        return env

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self, timeout=START_TIMEOUT):
        """Start the JobManager and TaskManagers and wait until all slots are registered. Returns ``self``."""
        if self.jobmanager is None:
            self.launch()
        return self.wait_ready(timeout)

    def launch(self):
        """Spawn the JobManager and TaskManager processes without waiting (see :meth:`wait_ready`)."""
        if self.jobmanager is not None:
            return self
        busy = [p for p in self.ports if port_in_use(p)]
        if busy:
            raise FlinkClusterError("%s: ports already in use: %s" % (self.name, busy))
        for path in (self.log_dir, self.pid_dir, self.tmp_dir, self.checkpoint_dir, self.savepoint_dir):
            ensure_dir(path)
        self.write_config()
        self.started_in = None
        self.stopped = False
        self._launched_at = time.monotonic()
        env = self._env()
        bin_dir = os.path.join(self.flink_home, "bin")
        self.jobmanager = start_process([os.path.join(bin_dir, "jobmanager.sh"), "start-foreground"],
                                        os.path.join(self.log_dir, "jobmanager.console.log"), env=env, cwd=self.workdir)
        for index, tm_ports in enumerate(self.tm_ports):
            args = [os.path.join(bin_dir, "taskmanager.sh"), "start-foreground",
                    "-D", "taskmanager.rpc.port=%d" % tm_ports["rpc"],
                    "-D", "taskmanager.data.port=%d" % tm_ports["data"],
                    "-D", "taskmanager.resource-id=%s-tm-%d" % (self.name, index)]
            self.taskmanager_procs.append(start_process(
                args, os.path.join(self.log_dir, "taskmanager-%d.console.log" % index), env=env, cwd=self.workdir))
        if self.history_port:
            ensure_dir(self.archive_dir)
            self.history_server = start_process([os.path.join(bin_dir, "historyserver.sh"), "start-foreground"],
                                                os.path.join(self.log_dir, "historyserver.console.log"), env=env, cwd=self.workdir)
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        """Wait until ``/v1/overview`` shows every TaskManager and slot; stops the cluster and raises on failure."""
        try:
            self._wait_ready(timeout)
        except Exception:
            self.stop()
            raise
        if self.started_in is None:
            self.started_in = time.monotonic() - self._launched_at
        return self

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        want_slots = self.taskmanagers * self.slots
        last = None
        while time.monotonic() < deadline:
            for proc in [self.jobmanager] + self.taskmanager_procs:
                if proc.poll() is not None:
                    raise FlinkClusterError("%s: process %d exited with %s during start\n%s"
                                            % (self.name, proc.pid, proc.returncode, self.logs_tail()))
            try:
                last = requests.get(self.url + "/v1/overview", timeout=2,
                                    **(self.tls.requests_kwargs() if self.tls else {})).json()
                if last.get("taskmanagers") == self.taskmanagers and last.get("slots-total") == want_slots:
                    return last
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        raise FlinkClusterError("%s: not ready within %.0f s (last overview %r)\n%s"
                                % (self.name, timeout, last, self.logs_tail()))

    def stop(self, timeout=20.0):
        """Stop TaskManagers then the JobManager by PID (SIGTERM, wait, SIGKILL) and wait until the ports are free."""
        for proc in self.taskmanager_procs:
            stop_process(proc, timeout)
        stop_process(self.jobmanager, timeout)
        if self.history_server is not None:
            stop_process(self.history_server, timeout)
        self.taskmanager_procs = []
        self.jobmanager = None
        self.history_server = None
        self.stopped = True
        return wait_ports_free(self.ports, timeout=30.0)

    @property
    def pids(self):
        """PIDs of the running JVMs (JobManager first)."""
        procs = [self.jobmanager] + self.taskmanager_procs + [self.history_server]
        return [p.pid for p in procs if p is not None and p.poll() is None]

    @property
    def running(self):
        """True while the JobManager process is alive."""
        return self.jobmanager is not None and self.jobmanager.poll() is None

    # -- logs -------------------------------------------------------------------------------------------------
    def log_files(self):
        """Every log file of this cluster (Flink's ``*.log`` and the console captures)."""
        if not os.path.isdir(self.log_dir):
            return []
        return sorted(os.path.join(self.log_dir, n) for n in os.listdir(self.log_dir)
                      if n.endswith(".log") or n.endswith(".out") or n.endswith(".err"))

    def logs_tail(self, lines=60):
        """The last ``lines`` lines of each log file, as one string (for failure reports)."""
        chunks = []
        for path in self.log_files():
            with open(path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 200 * lines))
                text = handle.read().decode("utf-8", "replace").splitlines()[-lines:]
            chunks.append("===== %s (%s) =====\n%s" % (os.path.basename(path), self.name, "\n".join(text)))
        return "\n".join(chunks)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "FlinkCluster(%r, url=%r, pids=%r)" % (self.name, self.url, self.pids)


def start_clusters(clusters, timeout=START_TIMEOUT):
    """Launch several clusters at once, then wait for each (faster than starting them one after the other)."""
    try:
        for cluster in clusters:
            cluster.launch()
        for cluster in clusters:
            cluster.wait_ready(timeout)
    except Exception:
        for cluster in clusters:
            cluster.stop()
        raise
    return clusters

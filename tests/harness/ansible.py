# -*- coding: utf-8 -*-
"""Run playbooks against the collection as ``flinkops.fleet``: the real ``ansible-playbook`` CLI and ansible-runner.

The collection is made importable by a symlink ``.cache/collections/ansible_collections/flinkops/fleet`` -> repo root;
``ANSIBLE_COLLECTIONS_PATH`` also lists the venv's site-packages so ``amazon.aws`` & co. from the ``ansible`` package
are found. HOME, ANSIBLE_HOME and TMPDIR point into the work tree. Results come from the ``ansible.posix.json``
stdout callback (``ansible-core`` 2.19 has no built-in JSON callback).
"""

import json
import os
import signal
import subprocess
import tempfile
import time

from tests.harness.paths import CACHE_DIR, HOME_DIR, REPO_ROOT, VENV_BIN, VENV_PYTHON, ensure_dir, sandbox_env, venv_site_packages

COLLECTIONS_DIR = os.path.join(CACHE_DIR, "collections")
COLLECTION_LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "flinkops", "fleet")
RUNS_DIR = os.path.join(CACHE_DIR, "ansible-runs")
JSON_CALLBACK = "ansible.posix.json"
DEFAULT_TIMEOUT = 600


def ensure_collection_link():
    """Create (idempotently) the symlink that makes the repo importable as ``flinkops.fleet``; returns the collections dir."""
    ensure_dir(os.path.dirname(COLLECTION_LINK))
    if os.path.islink(COLLECTION_LINK):
        if os.path.realpath(COLLECTION_LINK) == os.path.realpath(REPO_ROOT):
            return COLLECTIONS_DIR
        os.unlink(COLLECTION_LINK)
    elif os.path.exists(COLLECTION_LINK):
        raise RuntimeError("%s exists and is not a symlink" % COLLECTION_LINK)
    tmp_link = "%s.%d.tmp" % (COLLECTION_LINK, os.getpid())
    os.symlink(REPO_ROOT, tmp_link)
    os.replace(tmp_link, COLLECTION_LINK)
    return COLLECTIONS_DIR


def ansible_env(extra=None, callback=JSON_CALLBACK):
    """Environment for ``ansible-playbook`` subprocesses (collections path, sandboxed HOME/TMPDIR, venv python)."""
    ensure_collection_link()
    ansible_home = ensure_dir(os.path.join(HOME_DIR, ".ansible"))
    env = sandbox_env({
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([COLLECTIONS_DIR, venv_site_packages()]),
        "ANSIBLE_HOME": ansible_home,
        "ANSIBLE_LOCAL_TEMP": ensure_dir(os.path.join(ansible_home, "tmp")),
        "ANSIBLE_REMOTE_TEMP": os.path.join(ansible_home, "remote-tmp"),
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_PYTHON_INTERPRETER": VENV_PYTHON,
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_FORCE_COLOR": "False",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_GALAXY_CACHE_DIR": os.path.join(ansible_home, "galaxy_cache"),
        "PATH": os.pathsep.join([VENV_BIN, os.environ.get("PATH", "/usr/bin:/bin")]),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
        env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "True"
    env.pop("ANSIBLE_CONFIG", None)
    if extra:
        env.update(extra)
    return env


class PlaybookResult:
    """Outcome of :func:`run_playbook`: ``rc``, ``stdout``, ``stderr``, ``data`` (the JSON callback document)."""

    def __init__(self, rc, stdout, stderr, args, run_dir):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.args = args
        self.run_dir = run_dir
        self.killed = None  # why run_playbook(kill_when=...) killed the run, if it did
        self.data = _parse_json_document(stdout)

    @property
    def plays(self):
        """The ``plays`` list of the JSON callback (empty when the output was not JSON)."""
        return (self.data or {}).get("plays", [])

    @property
    def stats(self):
        """Per-host recap, e.g. ``{"localhost": {"ok": 2, "failures": 0, ...}}``."""
        return (self.data or {}).get("stats", {})

    @property
    def tasks(self):
        """Every task entry ``{"task": {...}, "hosts": {host: result}}`` of every play, in order."""
        return [task for play in self.plays for task in play.get("tasks", [])]

    def task_results(self, name, host="localhost"):
        """All results of tasks called ``name`` (exact match, or ``role : name`` suffix) for ``host``."""
        found = []
        for task in self.tasks:
            task_name = task.get("task", {}).get("name", "")
            if task_name == name or task_name.endswith(" : " + name):
                if host in task.get("hosts", {}):
                    found.append(task["hosts"][host])
        return found

    def task(self, name, host="localhost"):
        """The module result dict of the last task called ``name`` on ``host``; KeyError when absent."""
        found = self.task_results(name, host)
        if not found:
            names = [t.get("task", {}).get("name") for t in self.tasks]
            raise KeyError("no result for task %r on %s; tasks: %s\n%s" % (name, host, names, self.describe()))
        return found[-1]

    @property
    def failed(self):
        """True when ansible-playbook failed (rc != 0) or any host has failures/unreachable."""
        return self.rc != 0 or any(s.get("failures") or s.get("unreachable") for s in self.stats.values())

    def describe(self, limit=20000):
        """rc, command and the ends of stdout/stderr, for assertion messages."""
        return "rc=%s cmd=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.rc, " ".join(self.args), self.stdout[-limit:], self.stderr[-limit:])

    def __repr__(self):
        return "PlaybookResult(rc=%r, stats=%r)" % (self.rc, self.stats)


def _parse_json_document(text):
    """The JSON document printed by the json callback (tolerates noise before it)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    start = text.find("\n{")
    start = 0 if text.startswith("{") else start + 1 if start >= 0 else -1
    if start < 0:
        return None
    try:
        return json.loads(text[start:])
    except ValueError:
        return None


def _materialize(source, run_dir, filename):
    """Return a file path for ``source``: an existing path is used as is, YAML/INI text is written into ``run_dir``."""
    if source is None:
        return None
    if isinstance(source, (dict, list)):
        path = os.path.join(run_dir, filename + ".json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(source, handle)
        return path
    if "\n" not in source and os.path.exists(source):
        return os.path.abspath(source)
    path = os.path.join(run_dir, filename)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(source)
    return path


def _new_run_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix, dir=ensure_dir(RUNS_DIR))


def run_playbook(playbook, extra_vars=None, check=False, env=None, inventory=None, timeout=DEFAULT_TIMEOUT,
                 limit=None, tags=None, verbosity=0, extra_args=None, diff=False, kill_when=None):
    """Run ``.venv/bin/ansible-playbook`` on ``playbook`` (a path or YAML text) and return a :class:`PlaybookResult`.

    ``extra_vars`` (dict) is passed as ``-e @file.json``; ``inventory`` is a path, INI/YAML text, or a dict (JSON
    inventory); without it the implicit localhost is used. The process is killed by PID on timeout.
    ``kill_when``: a callable polled every 50 ms while the playbook runs; when it returns true the whole process
    group (ansible-playbook, its workers and the modules they run) is SIGKILLed, as in a crash of the controller.
    """
    run_dir = _new_run_dir("playbook-")
    playbook_path = _materialize(playbook, run_dir, "playbook.yml")
    args = [os.path.join(VENV_BIN, "ansible-playbook"), playbook_path]
    if inventory is not None:
        inventory_name = "inventory.yml" if isinstance(inventory, str) and inventory.lstrip().startswith(("all:", "---")) else "inventory"
        args.extend(["-i", _materialize(inventory, run_dir, inventory_name)])
    else:
        args.extend(["-i", "localhost,", "-c", "local"])
    if extra_vars:
        vars_path = os.path.join(run_dir, "extra_vars.json")
        with open(vars_path, "w", encoding="utf-8") as handle:
            json.dump(extra_vars, handle)
        args.extend(["-e", "@" + vars_path])
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    if limit:
        args.extend(["--limit", limit])
    if tags:
        args.extend(["--tags", ",".join(tags) if isinstance(tags, (list, tuple)) else tags])
    if verbosity:
        args.append("-" + "v" * int(verbosity))
    args.extend(extra_args or [])
    if kill_when is not None:
        return _run_until(args, env, run_dir, timeout, kill_when)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env=ansible_env(env), cwd=run_dir, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _terminate(proc)
        stdout, stderr = proc.communicate()
        stderr += "\n[harness] ansible-playbook killed after %s s timeout" % timeout
    return PlaybookResult(proc.returncode, stdout, stderr, args, run_dir)


def _run_until(args, env, run_dir, timeout, kill_when):
    """Run the playbook in its own process group with output to files; SIGKILL the group once ``kill_when()``."""
    out_path, err_path = os.path.join(run_dir, "stdout"), os.path.join(run_dir, "stderr")
    with open(out_path, "w", encoding="utf-8") as out, open(err_path, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=ansible_env(env), cwd=run_dir,
                                text=True, start_new_session=True)
        deadline = time.monotonic() + timeout
        killed = None
        while proc.poll() is None:
            if kill_when() or time.monotonic() > deadline:
                killed = "condition met" if time.monotonic() <= deadline else "timeout"
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.05)
    with open(out_path, encoding="utf-8") as out, open(err_path, encoding="utf-8") as err:
        stdout, stderr = out.read(), err.read()
    if killed:
        stderr += "\n[harness] ansible-playbook process group killed (%s)" % killed
    result = PlaybookResult(proc.returncode, stdout, stderr, args, run_dir)
    result.killed = killed
    return result


def _terminate(proc):
    """SIGTERM ansible-playbook by PID (it stops its own forked workers), SIGKILL if it does not exit in 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


class RunnerResult:
    """Outcome of :func:`run_runner`: ``status``, ``rc``, ``events``, ``artifacts_dir``, ``stdout``."""

    def __init__(self, runner, private_data_dir):
        self.runner = runner
        self.status = runner.status
        self.rc = runner.rc
        self.private_data_dir = private_data_dir
        self.artifacts_dir = runner.config.artifact_dir
        self.events = list(runner.events)
        self.stats = runner.stats or {}
        with runner.stdout as handle:
            self.stdout = handle.read()

    def task_events(self, name, host="localhost"):
        """``runner_on_*`` events of tasks called ``name`` for ``host``."""
        found = []
        for event in self.events:
            data = event.get("event_data") or {}
            if event.get("event", "").startswith("runner_on_") and data.get("host") == host:
                task_name = data.get("task", "")
                if task_name == name or task_name.endswith(" : " + name):
                    found.append(event)
        return found

    def task(self, name, host="localhost"):
        """The module result (``event_data.res``) of the last task called ``name`` on ``host``; KeyError when absent."""
        found = self.task_events(name, host)
        if not found:
            raise KeyError("no result for task %r on %s (status %s, rc %s)\n%s" % (name, host, self.status, self.rc, self.stdout[-5000:]))
        return found[-1]["event_data"].get("res", {})

    @property
    def failed(self):
        """True unless the run ended ``successful`` with rc 0."""
        return self.status != "successful" or self.rc != 0

    def __repr__(self):
        return "RunnerResult(status=%r, rc=%r)" % (self.status, self.rc)


def run_runner(playbook, extra_vars=None, check=False, env=None, inventory=None, timeout=DEFAULT_TIMEOUT,
               private_data_dir=None, limit=None, tags=None, verbosity=0):
    """Run ``playbook`` through ``ansible_runner.run(private_data_dir=..., playbook=...)``, as AWX does.

    The playbook (path or YAML text) is copied into ``<private_data_dir>/project/``. Returns a :class:`RunnerResult`.
    """
    import ansible_runner  # pylint: disable=import-outside-toplevel

    private_data_dir = private_data_dir or _new_run_dir("runner-")
    project = ensure_dir(os.path.join(private_data_dir, "project"))
    if "\n" not in playbook and os.path.exists(playbook):
        with open(playbook, encoding="utf-8") as handle:
            playbook = handle.read()
    with open(os.path.join(project, "playbook.yml"), "w", encoding="utf-8") as handle:
        handle.write(playbook)
    envvars = ansible_env(env, callback=None)
    envvars.pop("ANSIBLE_STDOUT_CALLBACK", None)
    cmdline = []
    if check:
        cmdline.append("--check")
    if inventory is None:
        inventory = "localhost ansible_connection=local ansible_python_interpreter=%s\n" % VENV_PYTHON
    elif "\n" not in inventory and os.path.exists(inventory):
        inventory = os.path.abspath(inventory)
    runner = ansible_runner.run(
        private_data_dir=private_data_dir,
        playbook="playbook.yml",
        inventory=inventory,
        extravars=extra_vars or {},
        envvars=envvars,
        cmdline=" ".join(cmdline) or None,
        limit=limit,
        tags=",".join(tags) if isinstance(tags, (list, tuple)) else tags,
        verbosity=verbosity or None,
        quiet=True,
        timeout=timeout,
    )
    return RunnerResult(runner, private_data_dir)

# -*- coding: utf-8 -*-
"""Per-job downtime and pin latency, measured side by side on one pair of real local Flink clusters.

A :class:`Lineage` is one stateful exactly-once test job that moves back and forth between two clusters (``x`` and
``y``): every cycle stops it on the cluster it runs on and restores it on the other one, with one of the variants:

* ``a``      this collection through ``ansible-playbook``: flink_checkpointing (fence + pin) then flink_job (restore);
* ``a'``     this collection through ``ansible-playbook``: one flink_handover call (fence + pin + restore);
* ``a_lib``  the same product code as (a), called in-process (no Ansible), with REST and poll sleeps metered;
* ``b``      the raw floor: a plain script's cancel, read the newest ``chk-N/_metadata``, run, wait;
* ``a_claim``/``b_claim`` (a) and (b) restoring in claim mode (``flink_patch_claim_mode: claim``): the new job owns the
  pin, so RocksDB's first checkpoint after the restore is incremental where NO_CLAIM forces a full one;
* ``c``/``d`` stop-with-savepoint (canonical / native format) and a restore from the savepoint, as a plain script;
* ``p_coord``/``p_sched`` the product's suspend (mode coordinator / scheduled) called in-process, then the plain restore:
  pin latency, the suspend call until the pin is returned.

Every restore triggers the new job's first checkpoint as soon as its tasks run (the same for every variant). Downtime
runs from the fence (the cancel / stop request) to the ``_metadata`` mtime of the restored job's first checkpoint,
seen in storage (never through the cached REST statistics). The sink gap is taken afterwards from the processing-time
stamps of the committed output (``--emit-time``): the last record of the old job before the stop, the first of the
new one.
"""

import os
import shutil
import threading
import time

import requests

from benchmarks.common import (
    PIN_TASK,
    RESTORE_TASK,
    BenchError,
    Meter,
    first_checkpoint_time,
    job_checkpoints,
    newest_checkpoint,
    playbook_task_times,
    product,
    wait_for,
)
from tests.harness.ansible import run_playbook
from tests.harness.flink import FlinkCluster, start_clusters
from tests.harness.testjob import ENTRY_CLASS, job_args, read_records

PLAYBOOK_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks")
PLAYBOOK_A = os.path.join(PLAYBOOK_DIR, "fence_restore.yml")
PLAYBOOK_HANDOVER = os.path.join(PLAYBOOK_DIR, "handover.yml")
MB = 1024 * 1024
RATE = 500  # records per second: 2 ms resolution of the sink gap

# State sizes: padding state of ~1 MiB per key (random bytes, so compression does not shrink it).
SIZES = {
    "small": dict(label="10 MB", bytes=10 * MB, keys=10, backend="hashmap", interval_ms=2000, tm_memory="1024m",
                  managed_fraction=0.1, reps=5, timeout=120),
    "mid": dict(label="300 MB", bytes=300 * MB, keys=300, backend="hashmap", interval_ms=5000, tm_memory="2048m",
                managed_fraction=0.1, reps=3, timeout=300),
    "big": dict(label="1 GB", bytes=1024 * MB, keys=1024, backend="rocksdb", interval_ms=10000, tm_memory="2048m",
                managed_fraction=0.4, reps=2, timeout=600),
    # the same 1 GB as 4 M MapState entries of 256 bytes: the shape of most real state (and the costly one for a
    # canonical savepoint, which writes and reads back every entry, where a checkpoint ships RocksDB's files)
    "bigmap": dict(label="1 GB in 256 B entries", bytes=1024 * MB, keys=1024, backend="rocksdb", interval_ms=10000,
                   tm_memory="2048m", managed_fraction=0.4, reps=2, timeout=600, entry_bytes=256),
}


class Lineage:
    """One test job moving between two local clusters, and the cycles measured on it."""

    # pylint: disable=too-many-instance-attributes

    def __init__(self, key, size, rest_cache, workdir, jar, flink_home=None, log=print, warmups=2):
        self.key = key
        self.size = size
        self.rest_cache = rest_cache
        self.workdir = workdir
        self.jar = jar
        self.log = log
        self.job_name = "bench-%s" % key
        self.output = os.path.join(workdir, "out")
        self.ledger = os.path.join(workdir, "ledger")
        self.ttl = 3.0 if rest_cache.strip().startswith("3") else 0.1
        config = {
            "state.backend.type": size["backend"],
            "taskmanager.memory.process.size": size["tm_memory"],
            "taskmanager.memory.managed.fraction": size["managed_fraction"],
            "execution.checkpointing.num-retained": 2,
        }
        if size["backend"] == "rocksdb":
            config["execution.checkpointing.incremental"] = True
        self.clusters = [FlinkCluster("%s-%s" % (key, side), os.path.join(workdir, side), config=config, slots=2,
                                      rest_cache=rest_cache, flink_home=flink_home, jvm_opts="")
                         for side in ("x", "y")]
        self.args = job_args(self.output, rate=RATE, keys=size["keys"], checkpoint_interval=size["interval_ms"],
                             state_bytes=size["bytes"], parallelism=1, name=self.job_name, emit_time=True,
                             random_padding=True, padding_entry_bytes=size.get("entry_bytes"))
        self.http = requests.Session()
        self.jar_ids = {}
        self.job_id = None
        self.source_index = 0
        self.cycles = []
        self.counter = 0
        self.state_bytes = None
        self.warmups = warmups
        self.held = []  # checkpoint directories of old jobs a claimed restore may still reference

    # -- set-up -------------------------------------------------------------------------------------------------
    @property
    def source(self):
        return self.clusters[self.source_index]

    @property
    def target(self):
        return self.clusters[1 - self.source_index]

    def rest(self, method, cluster, path, **kwargs):
        kwargs.setdefault("timeout", 60)
        response = self.http.request(method, cluster.url + "/v1" + path, **kwargs)
        if response.status_code >= 400:
            raise BenchError("%s %s -> HTTP %s: %s" % (method, path, response.status_code, response.text[:800]))
        return response.json() if response.text.strip() else {}

    def upload_jar(self, cluster):
        """Upload the jar under the name flink_job gives it (content hash), so every variant runs the same jar id."""
        ops, dummy, dummy2 = product()
        name = ops.jar_upload_name(self.jar, ops.file_sha256(self.jar))
        with open(self.jar, "rb") as handle:
            body = self.rest("POST", cluster, "/jars/upload", files={"jarfile": (name, handle, "application/x-java-archive")})
        return os.path.basename(body["filename"])

    def start(self):
        """Start both clusters, run the job on ``x`` until its state is built, then warm both JobManagers up."""
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        started = time.monotonic()
        start_clusters(self.clusters, timeout=180)
        self.log("  clusters up in %.1fs" % (time.monotonic() - started))
        for cluster in self.clusters:
            self.jar_ids[cluster.name] = self.upload_jar(cluster)
        self.job_id = self.run_job(self.source, None)
        self.wait_state()
        for dummy in range(self.warmups):  # warm-up moves (JIT, class loading of the job's submission): not recorded
            self.cycle("b", record=False)
        return self

    def stop(self):
        for cluster in self.clusters:
            cluster.stop()

    def run_job(self, cluster, restore_path, claim=False):
        body = {"entryClass": ENTRY_CLASS, "programArgsList": self.args, "parallelism": 1}
        if restore_path:
            body.update(savepointPath=restore_path, claimMode="CLAIM" if claim else "NO_CLAIM", allowNonRestoredState=False)
        return self.rest("POST", cluster, "/jars/%s/run" % self.jar_ids[cluster.name], json=body)["jobid"]

    def wait_state(self):
        """Wait until a completed checkpoint holds the whole padding state (from REST: no cycle has begun yet)."""
        want = 0.9 * self.size["bytes"]

        def built():
            stats = self.rest("GET", self.source, "/jobs/%s/checkpoints" % self.job_id)
            latest = (stats.get("latest") or {}).get("completed") or {}
            size = latest.get("state_size") or latest.get("full_size") or 0
            return size if size >= want else None

        self.state_bytes = wait_for(built, self.size["timeout"] + 120, "%s of state in a checkpoint" % self.size["label"],
                                    interval=1.0)
        self.log("  state built: %.1f MB in the latest checkpoint" % (self.state_bytes / MB))

    # -- one cycle ------------------------------------------------------------------------------------------------
    def cycle(self, variant, record=True):
        """Move the job to the other cluster with ``variant``; returns the cycle record."""
        src, dst = self.source, self.target
        self.counter += 1
        old_job = self.job_id
        began = time.time()
        out = VARIANTS[variant](self, src, dst)
        new_job = out.pop("new_job_id")
        end = first_checkpoint_time(dst.checkpoint_dir, new_job, self.size["timeout"])
        entry = dict(variant=variant, lineage=self.key, cycle=self.counter, old_job=old_job, new_job=new_job,
                     source=src.name, target=dst.name, t_fence=out.pop("t_fence"), t_end=end, began=began, **out)
        entry["downtime"] = round(end - entry["t_fence"], 4)
        self.job_id = new_job
        self.source_index = 1 - self.source_index
        self.settle(dst, new_job, (src, old_job), out.get("savepoint"), claimed=variant.endswith("_claim"))
        if record:
            self.cycles.append(entry)
            pin = "  pin %.3fs" % entry["pin_latency"] if "pin_latency" in entry else ""
            self.log("  %-10s %-10s downtime %6.3fs%s" % (self.key, variant, entry["downtime"], pin))
        return entry

    def settle(self, cluster, job_id, old, savepoint, claimed=False):
        """Let the restored job take periodic checkpoints and the REST caches expire, then remove the old jobs' files.

        A claimed restore's incremental checkpoints go on referencing the old job's shared files: its directory is held
        until a NO_CLAIM restore's first (full) checkpoint has made every older directory unneeded.
        """
        settled_from = time.monotonic()
        first = min(job_checkpoints(cluster.checkpoint_dir, job_id))
        wait_for(lambda: [c for c in job_checkpoints(cluster.checkpoint_dir, job_id) if c > first],
                 self.size["interval_ms"] / 1000.0 * 3 + self.size["timeout"], "a periodic checkpoint of %s" % job_id)
        time.sleep(max(0.0, self.ttl + 0.3 - (time.monotonic() - settled_from)))
        self.held.append(os.path.join(old[0].checkpoint_dir, old[1]))
        if not claimed:  # NO_CLAIM: the restored job's first checkpoint is a full one
            for directory in self.held:
                shutil.rmtree(directory, ignore_errors=True)
            self.held = []
        if savepoint:
            shutil.rmtree(savepoint.replace("file:", "", 1), ignore_errors=True)

    # -- plain-script building blocks ----------------------------------------------------------------------------
    def raw_restore(self, dst, path, claim=False):
        """Run the job on ``dst`` from ``path``, trigger its first checkpoint once all tasks run; wait for it in storage."""
        steps = {}
        started = time.time()
        job_id = self.run_job(dst, path, claim=claim)
        steps["submit"] = time.time() - started

        def all_running():
            for job in self.rest("GET", dst, "/jobs/overview")["jobs"]:
                if job["jid"] == job_id:
                    tasks = job.get("tasks") or {}
                    if job["state"] in ("FAILED", "CANCELED", "FINISHED"):
                        raise BenchError("restored job %s is %s" % (job_id, job["state"]))
                    return job["state"] == "RUNNING" and tasks.get("total") and tasks.get("running") == tasks.get("total")
            return False

        wait_for(all_running, self.size["timeout"], "all tasks of %s running" % job_id)
        steps["running"] = time.time() - started

        def trigger():
            response = self.http.post(dst.url + "/v1/jobs/%s/checkpoints" % job_id, json={}, timeout=30)
            return response.status_code < 400

        wait_for(trigger, 30, "a checkpoint trigger of %s to be accepted" % job_id)
        wait_for(lambda: job_checkpoints(dst.checkpoint_dir, job_id), self.size["timeout"], "the first checkpoint of %s" % job_id)
        steps["checkpoint"] = time.time() - started
        return job_id, dict((k, round(v, 4)) for k, v in steps.items())

    def wait_terminal(self, cluster, job_id, states=("CANCELED", "FINISHED", "FAILED")):
        return wait_for(lambda: self.rest("GET", cluster, "/jobs/%s/status" % job_id)["status"] in states,
                        self.size["timeout"], "job %s to end" % job_id)

    def extra_vars(self, src, dst, mode="coordinator", claim=False):
        return dict(bench_source_url=src.url, bench_target_url=dst.url, bench_job_name=self.job_name, bench_jar=self.jar,
                    bench_entry_class=ENTRY_CLASS, bench_args=self.args, bench_parallelism=1, bench_mode=mode,
                    bench_source_checkpoint_dir="file://" + src.checkpoint_dir,
                    bench_target_checkpoint_dir="file://" + dst.checkpoint_dir, bench_ledger=self.ledger,
                    bench_cluster="%s-c%d" % (self.key, self.counter), bench_trigger_checkpoint=True,
                    bench_timeout=self.size["timeout"] + 300, bench_claim_mode="claim" if claim else "no_claim")

    # -- the sink gap ---------------------------------------------------------------------------------------------
    def finish(self):
        """Stop the job with a savepoint (commits its last output), then take every cycle's sink gap; return the check."""
        src = self.source
        trigger = self.rest("POST", src, "/jobs/%s/stop" % self.job_id,
                            json={"drain": False, "targetDirectory": "file://" + src.savepoint_dir})["request-id"]
        wait_for(lambda: self.rest("GET", src, "/jobs/%s/savepoints/%s" % (self.job_id, trigger))["status"]["id"] == "COMPLETED",
                 self.size["timeout"], "the final savepoint")
        records = sorted(read_records(self.output, with_time=True))
        seqs = [r[0] for r in records]
        exactly_once = bool(records) and len(set(seqs)) == len(seqs) == seqs[-1] + 1
        stamps = [r[3] / 1000.0 for r in records if r[3] is not None]
        for cycle in self.cycles:
            cycle["sink_gap"] = sink_gap(stamps, cycle["t_fence"], cycle["t_end"])
        return dict(records=len(records), exactly_once=exactly_once)


def sink_gap(stamps, fence, end):
    """Largest gap between consecutive committed records whose later record was emitted between ``fence`` and ``end``."""
    best = None
    for index in range(1, len(stamps)):
        if fence <= stamps[index] <= end + 0.5:
            gap = stamps[index] - stamps[index - 1]
            best = gap if best is None or gap > best else best
    return round(best, 4) if best is not None else None


# ------------------------------------------------------------------------------------------------ variants
def variant_floor(lin, src, dst, claim=False):
    """(b) The raw floor: cancel, wait for CANCELED, newest chk-N/_metadata in storage, run, wait."""
    job_id = lin.job_id
    t_fence = time.time()
    lin.rest("PATCH", src, "/jobs/%s" % job_id, params={"mode": "cancel"})
    lin.wait_terminal(src, job_id)
    t_canceled = time.time()
    dummy, path = newest_checkpoint(src.checkpoint_dir, job_id)
    t_read = time.time()
    new_job, steps = lin.raw_restore(dst, path, claim=claim)
    steps.update(cancel=round(t_canceled - t_fence, 4), read=round(t_read - t_canceled, 4))
    return dict(t_fence=t_fence, new_job_id=new_job, steps=steps)


def savepoint_variant(fmt):
    def run(lin, src, dst):
        """(c)/(d) stop-with-savepoint, then a restore from the savepoint."""
        job_id = lin.job_id
        t_fence = time.time()
        trigger = lin.rest("POST", src, "/jobs/%s/stop" % job_id,
                           json={"drain": False, "formatType": fmt, "targetDirectory": "file://" + src.savepoint_dir})["request-id"]

        def done():
            body = lin.rest("GET", src, "/jobs/%s/savepoints/%s" % (job_id, trigger))
            if body["status"]["id"] != "COMPLETED":
                return None
            operation = body.get("operation") or {}
            if operation.get("failure-cause"):
                raise BenchError("stop-with-savepoint failed: %s" % str(operation["failure-cause"])[:800])
            return operation["location"]

        location = wait_for(done, lin.size["timeout"], "stop-with-savepoint of %s" % job_id)
        t_saved = time.time()
        new_job, steps = lin.raw_restore(dst, location)
        steps.update(savepoint=round(t_saved - t_fence, 4))
        return dict(t_fence=t_fence, new_job_id=new_job, steps=steps, savepoint=location)
    return run


def pin_variant(mode, ui_reader=False):
    def run(lin, src, dst):
        """The product's suspend (fence + pin) in-process, then the plain restore: pin latency."""
        ops, dummy, client_mod = product()
        client = client_mod.FlinkClient(src.url)
        job = client.resolve_job(name=lin.job_name)
        stop = threading.Event()
        reader = threading.Thread(target=_ui_reader, args=(src.url, job["jid"], stop), daemon=True) if ui_reader else None
        if reader:
            reader.start()
            time.sleep(1.0)
        try:
            called = time.time()
            result = ops.suspend(client, job, mode=mode, method="auto", timeout=lin.size["timeout"] + 60,
                                 checkpoint_dir="file://" + src.checkpoint_dir, aws={})
            returned = time.time()
        finally:
            stop.set()
        new_job, steps = lin.raw_restore(dst, result["pinned_checkpoint"]["external_path"])
        timings = result["timings"]
        return dict(t_fence=timings["fence_started_at"], new_job_id=new_job, steps=steps, pin_latency=round(returned - called, 4),
                    module=dict(pin=timings, pin_reason=result["pin_reason"]),
                    pin_after_fence=round(returned - timings["fence_started_at"], 4))
    return run


def _ui_reader(url, job_id, stop):
    """A dashboard: reads the cached checkpoint statistics every 0.5 s (keeps the REST cache warm)."""
    session = requests.Session()
    while not stop.is_set():
        try:
            session.get(url + "/v1/jobs/%s/checkpoints" % job_id, timeout=5)
        except requests.RequestException:
            pass
        stop.wait(0.5)


def variant_lib(lin, src, dst):
    """(a_lib) The product code of (a) in-process (flink_checkpointing's suspend + flink_job's ensure_running), metered."""
    ops, jobs, client_mod = product()
    meter = Meter(client_mod)
    source = client_mod.FlinkClient(src.url)
    target = client_mod.FlinkClient(dst.url)
    meter.wrap_transport(source.transport)
    meter.wrap_transport(target.transport)
    params = dict(name=lin.job_name, timeout=lin.size["timeout"] + 300.0, restore_from=None, replace=False, submit=True,
                  jar=lin.jar, entry_class=ENTRY_CLASS, args=lin.args, parallelism=1, claim_mode="no_claim",
                  allow_non_restored_state=False, flink_config=None, wait_for="checkpoint",
                  checkpoint_dir="file://" + dst.checkpoint_dir, aws={}, trigger_checkpoint=True, watch_seconds=0)
    with meter:
        called = time.perf_counter()
        job = source.resolve_job(name=lin.job_name)
        pinned = ops.suspend(source, job, mode="coordinator", method="auto", timeout=params["timeout"],
                             checkpoint_dir="file://" + src.checkpoint_dir, aws={})
        params["restore_from"] = pinned["pinned_checkpoint"]
        started = jobs.ensure_running(target, params, False)
        total = time.perf_counter() - called
    work = meter.as_dict()
    work.update(total=round(total, 4), other_seconds=round(total - meter.rest_seconds - meter.sleep_seconds, 4))
    return dict(t_fence=pinned["timings"]["fence_started_at"], new_job_id=started["job_id"], lib=work,
                module=dict(pin=pinned["timings"], restore=started.get("timings")))


def variant_playbook_a(lin, src, dst, claim=False, in_process=True):
    """(a) ansible-playbook: flink_job read-only check, then flink_checkpointing (fence + pin, ledger) and flink_job (restore).

    ``in_process=False`` (a_proc): ``flinkops_in_process: false``, each module task starts a module process."""
    launched = time.time()
    extra = dict(lin.extra_vars(src, dst, claim=claim), **({} if in_process else {"flinkops_in_process": False}))
    result = run_playbook(PLAYBOOK_A, extra_vars=extra, timeout=lin.size["timeout"] + 600)
    finished = time.time()
    if result.failed:
        raise BenchError("variant a failed:\n%s" % result.describe(6000))
    tasks = playbook_task_times(result)
    by_name = dict((t[0], t[3]) for t in tasks)
    pin, restore = by_name[PIN_TASK], by_name[RESTORE_TASK]
    timings = restore["timings"]
    began = timings["first_checkpoint_at"] - timings["checkpoint"]
    ansible = dict(launched=launched, finished=finished, tasks=[dict(name=t[0], start=t[1], end=t[2]) for t in tasks],
                   submit_at=began)
    return dict(t_fence=pin["timings"]["fence_started_at"], new_job_id=restore["job_id"], ansible=ansible,
                module=dict(pin=pin["timings"], restore=timings),
                reported_downtime=round(timings["first_checkpoint_at"] - pin["timings"]["fence_started_at"], 4))


def variant_playbook_handover(lin, src, dst):
    """(a') ansible-playbook: one flink_handover task."""
    launched = time.time()
    result = run_playbook(PLAYBOOK_HANDOVER, extra_vars=lin.extra_vars(src, dst), timeout=lin.size["timeout"] + 600)
    finished = time.time()
    if result.failed:
        raise BenchError("variant a' failed:\n%s" % result.describe(6000))
    tasks = playbook_task_times(result)
    moved = tasks[0][3]
    timings = moved["timings"]
    ansible = dict(launched=launched, finished=finished, tasks=[dict(name=t[0], start=t[1], end=t[2]) for t in tasks])
    return dict(t_fence=timings["fence_started_at"], new_job_id=moved["job_id"], ansible=ansible, module=dict(handover=timings),
                reported_downtime=timings.get("downtime"))


VARIANTS = {
    "a": variant_playbook_a,
    "a'": variant_playbook_handover,
    "a_proc": lambda lin, src, dst: variant_playbook_a(lin, src, dst, in_process=False),
    "a_lib": variant_lib,
    "b": variant_floor,
    "a_claim": lambda lin, src, dst: variant_playbook_a(lin, src, dst, claim=True),
    "b_claim": lambda lin, src, dst: variant_floor(lin, src, dst, claim=True),
    "c": savepoint_variant("CANONICAL"),
    "d": savepoint_variant("NATIVE"),
    "p_coord": pin_variant("coordinator"),
    "p_sched": pin_variant("scheduled"),
    "p_coord_ui": pin_variant("coordinator", ui_reader=True),
}
DESCRIPTIONS = {
    "a": "collection: flink_checkpointing fence + flink_job restore (ansible-playbook, 2 tasks after a check-mode restore check)",
    "a'": "collection: flink_handover (ansible-playbook, 1 task)",
    "a_proc": "as a, with flinkops_in_process: false (every module task starts a module process, as before 2026-11-22)",
    "a_lib": "collection code of (a) in-process, no Ansible",
    "b": "raw floor: cancel, read newest chk-N/_metadata, run, wait (plain script)",
    "a_claim": "as a, the restore in claim mode (the new job owns the pin: an incremental first checkpoint)",
    "b_claim": "as b, the restore in claim mode",
    "c": "stop-with-savepoint (canonical) + restore (plain script)",
    "d": "stop-with-savepoint (native) + restore (plain script)",
    "p_coord": "collection suspend, mode coordinator (in-process) + plain restore",
    "p_sched": "collection suspend, mode scheduled (in-process) + plain restore",
    "p_coord_ui": "as p_coord, with a dashboard reading /jobs/:id/checkpoints every 0.5 s (warm REST cache)",
}


def run_lineage(key, size, rest_cache, variants, reps, workdir, jar, flink_home=None, log=print, warmups=2):
    """Start a lineage, run ``reps`` rounds of ``variants`` (interleaved, so drift hits every variant alike), finish it.

    Returns ``(cycles, info)``; a failure is recorded in ``info["error"]`` with the cycles measured so far.
    """
    lineage = Lineage(key, size, rest_cache, workdir, jar, flink_home=flink_home, log=log, warmups=warmups)
    info = dict(key=key, size=size["label"], backend=size["backend"], rest_cache=rest_cache, interval_ms=size["interval_ms"],
                variants=list(variants), reps=reps, warmups=warmups)
    started = time.monotonic()
    try:
        lineage.start()
        info["state_bytes"] = lineage.state_bytes
        for rep in range(reps):
            order = list(variants) if rep % 2 == 0 else list(reversed(variants))
            for variant in order:
                lineage.cycle(variant)
        info.update(lineage.finish())
    except Exception as exc:  # pylint: disable=broad-except
        info["error"] = "%s: %s" % (type(exc).__name__, str(exc)[:4000])
        log("  lineage %s failed: %s" % (key, info["error"][:2000]))
    finally:
        lineage.stop()
        info["seconds"] = round(time.monotonic() - started, 1)
        _prune(workdir)
    return lineage.cycles, info


def _prune(workdir):
    """Drop the big state files of a finished lineage (logs and output stay for post-mortem)."""
    for side in ("x", "y"):
        for sub in ("checkpoints", "savepoints", "tmp"):
            shutil.rmtree(os.path.join(workdir, side, sub), ignore_errors=True)

# -*- coding: utf-8 -*-
"""Run the benchmark suite and write ``benchmarks/results/<UTC timestamp>/{results.json,downtime.svg,summary.md}``.

    scripts/benchmark.sh            # full run: 10 MB / 300 MB / 1 GB (RocksDB, two state shapes), fleet waves of 1, 2, 4, 8 clusters
    scripts/benchmark.sh --quick    # 10 MB state only, two repetitions, fleet waves of 1 and 2 clusters

See benchmarks/results/README.md for the format of the results.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time

from benchmarks import report
from benchmarks.downtime import DESCRIPTIONS, SIZES, run_lineage
from tests.harness.flinkdist import build_flink_home
from tests.harness.paths import CACHE_DIR, REPO_ROOT
from tests.harness.testjob import build_test_job_jar

RESULTS_DIR = os.path.join(REPO_ROOT, "benchmarks", "results")
ALL_VARIANTS = ["a", "a'", "a_proc", "a_lib", "b", "c", "d", "p_coord", "p_sched", "p_coord_ui"]
SHORT_CACHE_VARIANTS = ["a", "a'", "a_lib", "b", "p_coord"]
MID_VARIANTS = ["a", "a'", "a_proc", "b", "c", "d", "p_coord", "p_sched"]
BIG_VARIANTS = ["a", "a'", "a_proc", "a_claim", "b", "b_claim", "c", "d"]
SCHEMA = 1


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small state only, 2 repetitions, fleet waves of 1 and 2")
    parser.add_argument("--sizes", help="comma-separated state sizes out of %s ('none': fleet waves only)" % ",".join(SIZES))
    parser.add_argument("--reps", type=int, help="repetitions per variant (default: 5 small, 3 mid, 2 big; 2 with --quick)")
    parser.add_argument("--fleet-sizes", help="comma-separated wave sizes (default 1,2,4,8; 1,2 with --quick; '' skips)")
    parser.add_argument("--no-short-cache", action="store_true", help="skip the lineage with 100 ms REST caches")
    parser.add_argument("--variants", help="comma-separated variants for the small lineages (default: all)")
    parser.add_argument("--out", help="results directory (default benchmarks/results/<UTC timestamp>)")
    parser.add_argument("--rebuild", metavar="DIR", help="only recompute the figures, targets, plot and summary of DIR/results.json")
    return parser.parse_args(argv)


def rebuild(out_dir):
    """Recompute figures, targets, downtime.svg and summary.md of a finished run from its cycles and waves."""
    with open(os.path.join(out_dir, "results.json"), encoding="utf-8") as handle:
        results = json.load(handle)
    duration = results["duration_seconds"]
    assemble(results, results["cycles"], results["lineages"], results["fleet"]["waves"], time.monotonic() - duration)
    results["duration_seconds"] = duration
    write_results(out_dir, results)
    return 0


def plan(args):
    """The lineages to run: ``[(key, size name, rest cache, variants, reps)]``."""
    sizes = args.sizes.split(",") if args.sizes else (["small"] if args.quick else ["small", "mid", "big", "bigmap"])
    sizes = [] if sizes == ["none"] else sizes
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        raise SystemExit("unknown state size(s) %s (choose from %s)" % (unknown, ", ".join(SIZES)))
    small_variants = args.variants.split(",") if args.variants else ALL_VARIANTS
    lineages = []
    for size in sizes:
        reps = args.reps or (2 if args.quick else SIZES[size]["reps"])
        if size == "small":
            lineages.append(("small-3s", size, "3 s", small_variants, reps))
            if not args.no_short_cache:
                short = [v for v in SHORT_CACHE_VARIANTS if v in small_variants]
                lineages.append(("small-100ms", size, "100 ms", short, reps))
        else:
            lineages.append(("%s-3s" % size, size, "3 s", MID_VARIANTS if size == "mid" else BIG_VARIANTS, reps))
    if args.fleet_sizes is not None:
        waves = [int(n) for n in args.fleet_sizes.split(",") if n.strip()]
    else:
        waves = [1, 2] if args.quick else [1, 2, 4, 8]
    return lineages, waves


def machine(flink_home):
    mem_gb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    mem_gb = round(int(line.split()[1]) / 1024.0 / 1024.0, 1)
    except OSError:
        pass
    return dict(cpus=os.cpu_count(), mem_gb=mem_gb, python=platform.python_version(), platform=platform.platform(),
                flink_version=os.path.basename(flink_home.rstrip("/")).replace("flink-", ""))


def write_results(out_dir, results):
    os.makedirs(out_dir, exist_ok=True)
    tmp = os.path.join(out_dir, "results.json.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, sort_keys=True)
    os.replace(tmp, os.path.join(out_dir, "results.json"))
    with open(os.path.join(out_dir, "downtime.svg"), "w", encoding="utf-8") as handle:
        handle.write(report.downtime_svg(results["downtime"]))
    with open(os.path.join(out_dir, "summary.md"), "w", encoding="utf-8") as handle:
        handle.write(report.summary_markdown(results))


def assemble(results, cycles, lineages, waves, started):
    results["cycles"] = cycles
    results["lineages"] = lineages
    results["downtime"] = report.downtime_figures(cycles, lineages, DESCRIPTIONS)
    results["pin_latency"] = report.pin_figures(cycles, lineages)
    results["overhead"] = report.overhead_figures(cycles)
    results["fleet"] = report.fleet_figures(waves, (results.get("machine") or {}).get("cpus") or os.cpu_count())
    results["targets"] = report.targets(results["downtime"], results["pin_latency"], results["overhead"], results["fleet"])
    results["duration_seconds"] = round(time.monotonic() - started, 1)
    return results


def log(text):
    print(text, flush=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.rebuild:
        return rebuild(os.path.abspath(args.rebuild))
    lineage_plan, wave_plan = plan(args)
    run_id = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = os.path.abspath(args.out or os.path.join(RESULTS_DIR, run_id))
    work = os.path.join(CACHE_DIR, "bench", run_id)
    flink_home = build_flink_home()
    jar = build_test_job_jar(flink_home=flink_home)
    results = dict(schema=SCHEMA, run_id=run_id, quick=bool(args.quick), argv=sys.argv[1:] if argv is None else list(argv),
                   started_at=datetime.datetime.now(datetime.timezone.utc).isoformat(), machine=machine(flink_home),
                   workdir=work, variants=DESCRIPTIONS,
                   plan=dict(lineages=[dict(key=k, size=s, rest_cache=c, variants=v, reps=r) for k, s, c, v, r in lineage_plan],
                             fleet_waves=wave_plan),
                   method=dict(downtime="fence/stop request sent -> _metadata mtime of the restored job's first checkpoint",
                               first_checkpoint="triggered as soon as all tasks run, in every variant",
                               sink_gap="processing-time stamps of the committed output around each cycle",
                               state="random padding, ~1 MiB per key; hashmap backend below 1 GB, RocksDB incremental at 1 GB",
                               jvm="JAVA_TOOL_OPTIONS empty (full JIT); one warm-up move each way before a lineage's cycles "
                                   "(none with --reps 1)"))
    cycles, lineages, waves = [], [], []
    started = time.monotonic()
    log("benchmark %s -> %s" % (run_id, out_dir))
    for key, size, cache, variants, reps in lineage_plan:
        log("lineage %s: %s state, REST cache %s, variants %s, %d repetitions" % (key, SIZES[size]["label"], cache, variants, reps))
        found, info = run_lineage(key, SIZES[size], cache, variants, reps, os.path.join(work, key), jar, flink_home=flink_home, log=log,
                                  warmups=0 if reps == 1 else 2)
        cycles.extend(found)
        lineages.append(info)
        write_results(out_dir, assemble(results, cycles, lineages, waves, started))
    if wave_plan:
        from benchmarks.fleet import run_wave  # pylint: disable=import-outside-toplevel
        from tests.harness.moto import MotoServer  # pylint: disable=import-outside-toplevel

        moto = MotoServer(log_dir=os.path.join(work, "moto")).start()
        try:
            for count in wave_plan:
                log("fleet wave: %d cluster(s)" % count)
                waves.append(run_wave(count, moto, os.path.join(work, "fleet-%d" % count), jar, flink_home=flink_home, log=log,
                                      cost_repeat=4 if args.quick else 12))
                write_results(out_dir, assemble(results, cycles, lineages, waves, started))
        finally:
            moto.stop()
    results["finished_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    assemble(results, cycles, lineages, waves, started)
    write_results(out_dir, results)
    log("\n" + report.summary_markdown(results))
    log("results: %s" % os.path.join(out_dir, "results.json"))
    failed = [i["key"] for i in lineages if i.get("error")] + ["fleet-%d" % w["clusters"] for w in waves if w.get("error")]
    if failed:
        log("FAILED: %s" % ", ".join(failed))
        return 1
    return 0

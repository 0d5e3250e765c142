# -*- coding: utf-8 -*-
"""Figures, targets, the SVG plot and summary.md of a benchmark run (pure Python, no plotting library)."""

import re
from xml.sax.saxutils import escape

from benchmarks.common import PIN_TASK, PREFLIGHT_TASK, RESTORE_TASK, diff, ratio, stats

DOWNTIME_VARIANTS = ("a", "a'", "a_proc", "a_lib", "a_claim", "b", "b_claim", "c", "d")
PIN_VARIANTS = ("p_coord", "p_sched", "p_coord_ui")
COLORS = {"a": "#1f77b4", "a'": "#17becf", "a_proc": "#bcbd22",
          "a_lib": "#9467bd", "b": "#2ca02c", "a_claim": "#aec7e8", "b_claim": "#98df8a", "c": "#d62728", "d": "#ff7f0e",
          "p_coord": "#8c564b", "p_sched": "#e377c2", "p_coord_ui": "#7f7f7f"}
TARGET_A_MINUS_B = 0.5
TARGET_A_OVER_C = 0.2
TARGET_PIN_MARGIN = 0.5
TARGET_FLEET = 1.5


def _get(record, *path):
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def _med(variants, name, field="downtime"):
    return _get(variants, name, field, "median")


# ---------------------------------------------------------------------------------------------- figures
def downtime_figures(cycles, lineages, descriptions):
    """Figure 1 per lineage: downtime, sink gap and reported downtime per variant, and the ratios."""
    out = {}
    for info in lineages:
        mine = [c for c in cycles if c["lineage"] == info["key"]]
        variants = {}
        for name in info["variants"]:
            runs = [c for c in mine if c["variant"] == name]
            variants[name] = dict(description=descriptions.get(name, name), downtime=stats([c["downtime"] for c in runs]),
                                  sink_gap=stats([c.get("sink_gap") for c in runs]),
                                  reported_downtime=stats([c.get("reported_downtime") for c in runs]))
            if name.startswith("p_"):
                variants[name]["pin_latency"] = stats([c.get("pin_latency") for c in runs])
        ratios = {}
        for first, second in (("a", "b"), ("a'", "b"), ("a_proc", "b"), ("a", "a_proc"), ("a_lib", "b"), ("a_claim", "b_claim"), ("a", "c"), ("a'", "c"),
                              ("a_claim", "c"), ("a", "d"), ("a'", "d"), ("b", "c"), ("b_claim", "c"), ("d", "c")):
            if first in variants and second in variants:
                ratios["%s/%s" % (first, second)] = ratio(_med(variants, first), _med(variants, second))
                ratios["%s-%s" % (first, second)] = diff(_med(variants, first), _med(variants, second))
                ratios["sink_gap %s-%s" % (first, second)] = diff(_med(variants, first, "sink_gap"), _med(variants, second, "sink_gap"))
        out[info["key"]] = dict(info, variants=variants, ratios=ratios)
    return out


def pin_figures(cycles, lineages):
    """Figure 2 per lineage: suspend call -> pin returned, per mode, against the plain cancel (cancel -> CANCELED)."""
    out = {}
    for info in lineages:
        mine = [c for c in cycles if c["lineage"] == info["key"]]
        cancel = stats([_get(c, "steps", "cancel") for c in mine if c["variant"] == "b"])
        modes = {}
        for name in PIN_VARIANTS:
            runs = [c for c in mine if c["variant"] == name]
            if not runs:
                continue
            latency = stats([c.get("pin_latency") for c in runs])
            modes[name] = dict(pin_latency=latency, fence_to_pin=stats([c.get("pin_after_fence") for c in runs]),
                               module_cancel=stats([_get(c, "module", "pin", "cancel") for c in runs]),
                               in_flight_wait=stats([_get(c, "module", "pin", "in_flight_wait") for c in runs]),
                               margin_over_cancel=diff(latency["median"], cancel["median"]),
                               pin_reasons=sorted(set(re.sub(r"chk-\d+", "chk-N", _get(c, "module", "pin_reason") or "") for c in runs)))
        if modes:
            out[info["key"]] = dict(size=info["size"], rest_cache=info["rest_cache"], cancel=cancel, modes=modes)
    return out


def overhead_figures(cycles):
    """Figure 4: where the time of (a) goes (ansible-playbook start-up, task start-up, module work: REST vs sleeps)."""
    out = {}
    for key in sorted(set(c["lineage"] for c in cycles)):
        parts = {}

        def add(name, value, bucket=None):
            (parts if bucket is None else bucket).setdefault(name, []).append(value)

        procs = {}
        for cycle in (c for c in cycles if c["lineage"] == key and c["variant"] in ("a", "a_proc")):
            bucket = procs if cycle["variant"] == "a_proc" else parts
            ans, mod = cycle["ansible"], cycle["module"]
            named = dict((t["name"], t) for t in ans["tasks"])
            pin_task, restore_task, calib = named[PIN_TASK], named[RESTORE_TASK], ans["tasks"][-1]
            if PREFLIGHT_TASK in named:  # runs before the fence (results of older runs have no such task)
                add("preflight_task", named[PREFLIGHT_TASK]["end"] - named[PREFLIGHT_TASK]["start"], bucket)
            fence, pin_done = cycle["t_fence"], cycle["t_fence"] + mod["pin"]["pin"]
            submit_at = ans["submit_at"]
            running_at = submit_at + mod["restore"]["running"]
            add("playbook_startup", ans["tasks"][0]["start"] - ans["launched"], bucket)
            add("task_startup_calibrated", calib["end"] - calib["start"], bucket)
            add("pin_task", pin_task["end"] - pin_task["start"], bucket)
            add("pin_module_suspend", mod["pin"]["total"], bucket)
            add("restore_task", restore_task["end"] - restore_task["start"], bucket)
            add("playbook_exit", ans["finished"] - calib["end"], bucket)
            add("playbook_total", ans["finished"] - ans["launched"], bucket)
            # the downtime's critical path
            add("path_fence_to_pin", pin_done - fence, bucket)
            add("path_pin_to_task_end", pin_task["end"] - pin_done, bucket)
            add("path_between_tasks", restore_task["start"] - pin_task["end"], bucket)
            add("path_task_start_to_submit", submit_at - restore_task["start"], bucket)
            add("path_submit_to_running", running_at - submit_at, bucket)
            add("path_running_to_first_checkpoint", cycle["t_end"] - running_at, bucket)
            add("restore_module_seen_checkpoint_after_storage", mod["restore"]["first_checkpoint_at"] - cycle["t_end"], bucket)
        floors = {"b": {}, "b_claim": {}}
        for cycle in (c for c in cycles if c["lineage"] == key and c["variant"] in floors):
            steps, floor = cycle["steps"], floors[cycle["variant"]]
            add("cancel", steps["cancel"], floor)
            add("read", steps["read"], floor)
            add("submit", steps["submit"], floor)
            add("submit_to_running", steps["running"] - steps["submit"], floor)
            add("running_to_first_checkpoint", steps["checkpoint"] - steps["running"], floor)
        lib = {}
        for cycle in (c for c in cycles if c["lineage"] == key and c["variant"] == "a_lib"):
            for name in ("total", "rest_seconds", "rest_calls", "sleep_seconds", "sleeps", "other_seconds"):
                add(name, cycle["lib"][name], lib)
        handover = {}
        for cycle in (c for c in cycles if c["lineage"] == key and c["variant"] == "a'"):
            ans = cycle["ansible"]
            task, calib = ans["tasks"][0], ans["tasks"][-1]
            add("playbook_startup", task["start"] - ans["launched"], handover)
            add("task", task["end"] - task["start"], handover)
            add("task_start_to_fence", cycle["t_fence"] - task["start"], handover)
            add("task_startup_calibrated", calib["end"] - calib["start"], handover)
            add("module_reported_downtime", cycle.get("reported_downtime"), handover)
        if parts or lib or handover or floors["b"] or floors["b_claim"]:
            out[key] = dict(a=dict((k, stats(v)) for k, v in parts.items()),
                            a_proc=dict((k, stats(v)) for k, v in procs.items()),
                            b=dict((k, stats(v)) for k, v in floors["b"].items()),
                            b_claim=dict((k, stats(v)) for k, v in floors["b_claim"].items()),
                            a_lib=dict((k, stats(v)) for k, v in lib.items()),
                            a_handover=dict((k, stats(v)) for k, v in handover.items()))
    return out


def fleet_figures(waves, cores=None):
    """Figure 3: wall time of one wave against the number of clusters (``cores``: CPUs of the machine that ran it)."""
    ok = [w for w in waves if w.get("wall_seconds") is not None]
    base = next((w["wall_seconds"] for w in ok if w["clusters"] == 1), None)
    for wave in ok:
        wave["vs_one"] = ratio(wave["wall_seconds"], base)
        wave["downtime"] = stats(wave.get("downtimes") or [])
        if base and cores and wave.get("ansible_cpu_seconds"):
            # no schedule of the wave beats the CPU it needed spread over every core: Ansible (controller, workers,
            # modules), plus the clusters' JVMs and moto_server where measured
            used = sum(wave.get(k) or 0.0 for k in ("ansible_cpu_seconds", "flink_cpu_seconds", "moto_cpu_seconds"))
            wave["cpu_floor_vs_one"] = round(used / cores / base, 2)
    return dict(waves=waves, base_seconds=base, cores=cores)


# ---------------------------------------------------------------------------------------------- targets
def targets(downtime, pins, overhead, fleet):
    """Each target: measured value, target, met/missed, and the measured cause where missed."""
    rows = []
    for key, fig in downtime.items():
        for name, floor in (("a", "b"), ("a'", "b"), ("a_claim", "b_claim")):
            value = fig["ratios"].get("%s-%s" % (name, floor))
            if value is None:
                continue
            row = dict(target="%s - %s <= %.1f s" % (name, floor, TARGET_A_MINUS_B),
                       where="%s state, REST cache %s" % (fig["size"], fig["rest_cache"]),
                       measured=value, limit=TARGET_A_MINUS_B, met=value <= TARGET_A_MINUS_B,
                       detail="%s/%s = %s" % (name, floor, fig["ratios"].get("%s/%s" % (name, floor))))
            if not row["met"]:
                row["cause"] = _cause_a_minus_b(name, overhead.get(key) or {})
                if fig["ratios"].get("a_lib-b") is not None:
                    row["cause"] += "; the collection's own code (a_lib - b) adds %s s" % fig["ratios"]["a_lib-b"]
            rows.append(row)
    with_c = [fig for fig in downtime.values() if any(fig["ratios"].get(k) is not None for k in ("a/c", "a_claim/c"))]
    big = [fig for fig in with_c if (fig.get("state_bytes") or 0) >= 0.9 * 1024 ** 3]
    candidates = big or with_c
    # every >= 1 GB lineage (one value per key, many small MapState entries), else the largest one measured;
    # a_claim: the same with flink_patch_claim_mode claim, where the lineage measured it
    for fig in big or ([max(candidates, key=lambda f: f.get("state_bytes") or 0)] if candidates else []):
        for name in ("a", "a_claim"):
            value = fig["ratios"].get("%s/c" % name)
            if value is None:
                continue
            row = dict(target="%s / c <= %.1f at >= 1 GB state" % (name, TARGET_A_OVER_C), where="%s state (%s)%s" % (
                fig["size"], fig["backend"], "" if big else ": no >= 1 GB lineage in this run"), measured=value,
                limit=TARGET_A_OVER_C, met=bool(big) and value <= TARGET_A_OVER_C,
                detail="%s %.2fs, c %.2fs, d %.2fs" % tuple([name] + [_med(fig["variants"], v) or 0 for v in (name, "c", "d")]))
            if not row["met"]:
                row["cause"] = (_cause_a_over_c(fig, overhead.get(fig["key"]) or {}, name) if big
                                else "not measured at >= 1 GB (run without --quick)")
            rows.append(row)
    for key, fig in pins.items():
        for name, mode in fig["modes"].items():
            value = mode["margin_over_cancel"]
            label = name + (", a dashboard keeps the REST cache warm" if name == "p_coord_ui" else "")
            row = dict(target="pin latency (%s) <= cancel + %.1f s" % (label, TARGET_PIN_MARGIN),
                       where="%s state, REST cache %s" % (fig["size"], fig["rest_cache"]), measured=value, limit=TARGET_PIN_MARGIN,
                       met=value is not None and value <= TARGET_PIN_MARGIN,
                       detail="pin %.3fs, cancel %.3fs" % (mode["pin_latency"]["median"] or 0, fig["cancel"]["median"] or 0))
            if not row["met"] and name == "p_coord_ui":
                row["cause"] = ("the REST cache wait: a stale view cannot confirm the newest chk-N/_metadata, so final_checkpoint "
                                "polls renewed views until one lists it (up to rest.cache.checkpoint-statistics.timeout after "
                                "the view was made); pin reasons: %s" % "; ".join(mode["pin_reasons"])[:300])
            elif not row["met"]:
                row["cause"] = "in-flight wait %s s, module's cancel->terminal %s s, pin reasons: %s" % (
                    mode["in_flight_wait"]["median"], mode["module_cancel"]["median"], "; ".join(mode["pin_reasons"])[:300])
            rows.append(row)
    waves = [w for w in fleet.get("waves", []) if w.get("vs_one") is not None and w["clusters"] > 1]
    if waves:
        top = max(waves, key=lambda w: w["clusters"])
        row = dict(target="%d clusters in one wave <= %.1fx one cluster" % (top["clusters"], TARGET_FLEET),
                   where="%d in_place clusters, %d CPU cores" % (top["clusters"], fleet.get("cores") or 2), measured=top["vs_one"],
                   limit=TARGET_FLEET,
                   met=top["vs_one"] <= TARGET_FLEET and top["clusters"] >= 8,
                   detail="; ".join("%d: %.1fs" % (w["clusters"], w["wall_seconds"]) for w in fleet["waves"] if w.get("wall_seconds")))
        if not row["met"]:
            row["cause"] = ("only up to %d clusters measured" % top["clusters"] if top["vs_one"] <= TARGET_FLEET else
                            _cause_fleet(fleet["waves"], top, fleet.get("cores")))
        rows.append(row)
    return rows


KIND_LABELS = (("amazon_aws", "amazon.aws"), ("flinkops", "flinkops.fleet"), ("module", "other module"),
               ("controller", "controller-only"))


def cpu_model(wave):
    """``(text, modelled seconds)``: one cluster's Ansible CPU as its task mix times the measured cost of each kind of
    task (``task_costs`` of the 1-cluster wave), or ``(None, None)`` without those figures."""
    mix, costs = wave.get("task_mix") or {}, wave.get("task_costs") or {}
    if not mix or not costs:
        return None, None
    parts, total = [], costs.get("playbook") or 0.0
    for kind, label in KIND_LABELS:
        if mix.get(kind) and costs.get(kind) is not None:
            parts.append("%d %s x %.3f s" % (mix[kind], label, costs[kind]))
            total += mix[kind] * costs[kind]
    parts.append("ansible-playbook start %.2f s" % (costs.get("playbook") or 0.0))
    return " + ".join(parts), round(total, 1)


def _cause_fleet(waves, top, cores=None):
    one = next((w for w in waves if w["clusters"] == 1 and w.get("ansible_cpu_seconds")), None)
    cores = cores or 2
    text = "CPU-bound: %d clusters (JobManager + TaskManager JVMs each) and %d Ansible workers share %d cores" % (
        top["clusters"], top["clusters"], cores)
    if one and top.get("ansible_cpu_seconds"):
        text += "; ansible-playbook + modules used %.0f s CPU for %d clusters vs %.0f s for one (%.1f s per cluster), " \
                "i.e. >= %.0f s of wall time on %d cores before Flink's own work" % (
                    top["ansible_cpu_seconds"], top["clusters"], one["ansible_cpu_seconds"],
                    top["ansible_cpu_seconds"] / top["clusters"], top["ansible_cpu_seconds"] / float(cores), cores)
        if top.get("flink_cpu_seconds") is not None:
            text += "; the %d clusters' JVMs used %.0f s and moto_server %.0f s more" % (
                top["clusters"], top["flink_cpu_seconds"], top.get("moto_cpu_seconds") or 0.0)
        text += "; all CPU spread over %d cores alone is >= %sx one cluster's wall time" % (cores, top.get("cpu_floor_vs_one"))
        model, modelled = cpu_model(one)
        if model:
            text += "; one cluster's Ansible CPU by task: %s = %.1f s of %.1f s measured (the rest: controller work per task " \
                    "that bare-playbook tasks do not show, e.g. the role's variables and includes)" % (model, modelled, one["ansible_cpu_seconds"])
    slow = top.get("slowest_tasks") or []
    if slow:
        text += "; longest tasks: " + ", ".join("%s %.1fs" % (name[:50], secs) for name, secs, dummy in slow[:4])
    return text


def _cause_a_minus_b(name, over):
    a = over.get("a") or {}
    if name == "a'":
        ho = over.get("a_handover") or {}
        return "one module call: fence at %s s after the task started; compare a_lib - b for the product logic alone" % (
            _get(ho, "task_start_to_fence", "median"))
    parts = ["%s %s s" % (label, _get(a, key, "median")) for key, label in (
        ("path_pin_to_task_end", "pin returned -> task end"), ("path_between_tasks", "between tasks"),
        ("path_task_start_to_submit", "flink_job start-up + pre-submit"), ("task_startup_calibrated", "one trivial module task"))]
    return "Ansible on the critical path (two tasks): " + ", ".join(parts)


def _cause_a_over_c(fig, over, name="a"):
    floor_name = "b_claim" if name == "a_claim" else "b"
    floor = over.get(floor_name) or {}
    return "%s is bounded by Flink's own restore + first (%s) checkpoint: %s %.2fs (submit->running %s s, " \
           "running->first checkpoint %s s); c pays the savepoint on top" % (
               name, "incremental, CLAIM" if name == "a_claim" else "full, NO_CLAIM", floor_name, _med(fig["variants"], floor_name) or 0,
               _get(floor, "submit_to_running", "median"), _get(floor, "running_to_first_checkpoint", "median"))


# ---------------------------------------------------------------------------------------------- SVG
def downtime_svg(downtime):
    """Grouped bars: median downtime per variant (whiskers min-max, dot: median sink gap), one panel per lineage."""
    panels = [(k, f) for k, f in downtime.items() if any(f["variants"].get(v, {}).get("downtime", {}).get("n") for v in f["variants"])]
    width_panel, height, top, bottom, left = 300, 380, 50, 70, 50
    width = left + max(1, len(panels)) * width_panel + 20
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14" font-weight="bold">Per-job downtime: fence to first checkpoint of the restored job '
           '(median, min-max; dot: sink gap)</text>' % left]
    for index, (key, fig) in enumerate(panels):
        names = [v for v in fig["variants"] if fig["variants"][v]["downtime"]["n"]]
        top_value = max([fig["variants"][v]["downtime"]["max"] for v in names] +
                        [fig["variants"][v]["sink_gap"]["max"] or 0 for v in names]) or 1.0
        scale = (height - top - bottom) / (top_value * 1.1)
        x0 = left + index * width_panel
        base = height - bottom
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, base, x0 + width_panel - 30, base))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (x0, top, x0, base))
        for tick in _ticks(top_value * 1.1):
            y = base - tick * scale
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (x0, y, x0 + width_panel - 30, y))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%gs</text>' % (x0 - 4, y + 4, tick))
        bar_width = (width_panel - 50) / max(1, len(names))
        for pos, name in enumerate(names):
            var = fig["variants"][name]
            med, low, high = var["downtime"]["median"], var["downtime"]["min"], var["downtime"]["max"]
            bx = x0 + 10 + pos * bar_width
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %.3fs (%s)</title></rect>' % (
                bx, base - med * scale, bar_width * 0.7, med * scale, COLORS.get(name, "#333"), escape(name), med, escape(var["description"])))
            cx = bx + bar_width * 0.35
            out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>' % (cx, base - low * scale, cx, base - high * scale))
            if var["sink_gap"]["median"] is not None:
                out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="white" stroke="black"/>' % (cx, base - var["sink_gap"]["median"] * scale))
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (cx, base + 14, escape(name)))
            out.append('<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9">%.2f</text>' % (cx, base - high * scale - 4, med))
        ratios = fig["ratios"]
        label = "%s, %s, cache %s" % (fig["size"], fig["backend"], fig["rest_cache"])
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (x0 + 5, top - 12, escape(label)))
        notes = ["a/b %s" % ratios.get("a/b"), "a'/b %s" % ratios.get("a'/b")]
        if ratios.get("a/c") is not None:
            notes.append("a/c %s" % ratios.get("a/c"))
        out.append('<text x="%d" y="%d">%s</text>' % (x0 + 5, base + 32, escape(", ".join(notes))))
        out.append('<text x="%d" y="%d">a-b %ss</text>' % (x0 + 5, base + 46, ratios.get("a-b")))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _ticks(top):
    step = 10 ** len(str(int(top))) / 10.0 if top >= 1 else 0.1
    while top / step > 8:
        step *= 2
    while top / step < 3:
        step /= 2
    ticks, value = [], 0.0
    while value <= top:
        ticks.append(round(value, 3))
        value += step
    return ticks


# ---------------------------------------------------------------------------------------------- summary.md
def summary_markdown(results):
    lines = ["# flinkops.fleet benchmark %s" % results["run_id"], "",
             "%s run, %.0f s on %s CPUs / %s GB RAM; Flink %s. Every figure is a ratio of variants measured side by side, "
             "interleaved, on the same clusters." % ("Quick" if results["quick"] else "Full", results["duration_seconds"],
                                                     results["machine"]["cpus"], results["machine"]["mem_gb"],
                                                     results["machine"].get("flink_version")), "",
             "## Targets", "", "| target | where | measured | met | cause (where missed) |", "|---|---|---|---|---|"]
    for row in results["targets"]:
        verdict = "met" if row["met"] else "**missed**"
        lines.append("| %s | %s | %s (%s) | %s | %s |" % (row["target"], row["where"], row["measured"], row.get("detail", ""),
                                                          verdict, row.get("cause", "")))
    lines += ["", "## 1. Downtime per job (median s, min-max; fence -> first checkpoint of the restored job)", ""]
    for key, fig in results["downtime"].items():
        error = " - ERROR: %s" % fig["error"][:300] if fig.get("error") else ""
        lines.append("### %s state (%s), REST cache %s%s" % (fig["size"], fig["backend"], fig["rest_cache"], error))
        lines += ["", "| variant | downtime | sink gap | reported by the product | n |", "|---|---|---|---|---|"]
        for name, var in fig["variants"].items():
            lines.append("| %s: %s | %s | %s | %s | %s |" % (name, var["description"], _fmt(var["downtime"]), _fmt(var["sink_gap"]),
                                                             _fmt(var["reported_downtime"]), var["downtime"]["n"]))
        lines += ["", "Ratios: " + ", ".join("%s = %s" % (k, v) for k, v in fig["ratios"].items() if v is not None), ""]
    lines += ["## 2. Pin latency (suspend call -> pin returned)", ""]
    for key, fig in results["pin_latency"].items():
        lines.append("- %s state, REST cache %s: cancel alone %s" % (fig["size"], fig["rest_cache"], _fmt(fig["cancel"])))
        for name, mode in fig["modes"].items():
            lines.append("  - %s: %s (margin over cancel %s s; in-flight wait %s)" % (
                name, _fmt(mode["pin_latency"]), mode["margin_over_cancel"], _fmt(mode["in_flight_wait"])))
    lines += ["", "## 3. Fleet waves (in_place, one wave)", ""]
    for wave in results["fleet"]["waves"]:
        if wave.get("error"):
            lines.append("- %d clusters: ERROR %s" % (wave["clusters"], wave["error"][:300]))
        else:
            lines.append("- %d clusters: %.1f s (%sx one cluster); per-job downtime %s; CPU s: Ansible %s, Flink JVMs %s, "
                         "moto %s (spread over %s cores >= %sx one cluster)" % (
                             wave["clusters"], wave["wall_seconds"], wave.get("vs_one"), _fmt(wave.get("downtime") or stats([])),
                             wave.get("ansible_cpu_seconds"), wave.get("flink_cpu_seconds", "-"), wave.get("moto_cpu_seconds", "-"),
                             results["fleet"].get("cores"), wave.get("cpu_floor_vs_one")))
            model, modelled = cpu_model(wave)
            if model:
                lines.append("  - Ansible CPU of the cluster by task (tasks x measured CPU per task): %s = %.1f s modelled, "
                             "%.1f s measured" % (model, modelled, wave["ansible_cpu_seconds"]))
    lines += ["", "## 4. Where the time of (a) goes (median s)", ""]
    for key, over in results["overhead"].items():
        lines.append("- %s: %s" % (key, ", ".join("%s %s" % (k, v["median"]) for k, v in over["a"].items())))
        if over.get("a_proc"):
            lines.append("  - as a with module processes (a_proc): %s" % ", ".join(
                "%s %s" % (k, v["median"]) for k, v in over["a_proc"].items() if k.startswith(("path_", "task_startup"))))
        if over["a_lib"]:
            lines.append("  - product code in-process (a_lib): %s" % ", ".join("%s %s" % (k, v["median"]) for k, v in over["a_lib"].items()))
        for name, label in (("b", "raw floor (b)"), ("b_claim", "raw floor in claim mode (b_claim)")):
            if over.get(name):
                lines.append("  - %s: %s" % (label, ", ".join("%s %s" % (k, v["median"]) for k, v in over[name].items())))
        if over["a_handover"]:
            lines.append("  - handover (a'): %s" % ", ".join("%s %s" % (k, v["median"]) for k, v in over["a_handover"].items()))
    return "\n".join(lines) + "\n"


def _fmt(figure):
    if not figure or figure.get("median") is None:
        return "-"
    return "%.3f (%.3f-%.3f)" % (figure["median"], figure["min"], figure["max"])

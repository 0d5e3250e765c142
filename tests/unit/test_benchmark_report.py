# -*- coding: utf-8 -*-
"""benchmarks/report.py: the ratios and target rows built from recorded cycles (no clusters)."""

from benchmarks import report

GB = 1024 ** 3


def _cycle(variant, downtime, cycle, **extra):
    record = dict(variant=variant, lineage="big-3s", cycle=cycle, downtime=downtime, sink_gap=downtime + 0.1)
    record.update(extra)
    return record


def _floor_steps(submit, running, checkpoint):
    return dict(cancel=0.03, read=0.001, submit=submit, running=running, checkpoint=checkpoint)


def _figures(variants, state_bytes=GB):
    durations = dict(a=2.4, a_claim=1.2, b=2.1, b_claim=0.9, c=5.8, d=3.2)
    cycles = []
    for index, name in enumerate(variants):
        extra = {}
        if name == "b":
            extra["steps"] = _floor_steps(0.1, 0.95, 2.05)
        elif name == "b_claim":
            extra["steps"] = _floor_steps(0.1, 0.8, 0.88)
        cycles.append(_cycle(name, durations[name], index + 1, **extra))
    lineages = [dict(key="big-3s", size="1 GB", backend="rocksdb", rest_cache="3 s", variants=list(variants),
                     state_bytes=state_bytes)]
    # (a)'s own breakdown needs its playbook's task times: only the floors' steps are recorded here
    floors = [c for c in cycles if c["variant"].startswith("b")]
    return cycles, report.downtime_figures(cycles, lineages, {}), report.overhead_figures(floors)


def test_claim_ratios_and_a_target_row_each():
    dummy, downtime, overhead = _figures(["a", "a_claim", "b", "b_claim", "c", "d"])
    ratios = downtime["big-3s"]["ratios"]
    assert ratios["a_claim/b_claim"] == round(1.2 / 0.9, 4)
    assert ratios["a_claim/c"] == round(1.2 / 5.8, 4)
    assert ratios["b_claim/c"] == round(0.9 / 5.8, 4)
    assert overhead["big-3s"]["b_claim"]["running_to_first_checkpoint"]["median"] == 0.08
    every = report.targets(downtime, {}, overhead, {})
    floors = [r for r in every if " - " in r["target"]]
    assert [r["target"] for r in floors] == ["a - b <= 0.5 s", "a_claim - b_claim <= 0.5 s"]
    assert floors[1]["measured"] == 0.3 and floors[1]["met"] and floors[1]["detail"] == "a_claim/b_claim = %s" % round(1.2 / 0.9, 4)
    rows = [r for r in every if "/ c" in r["target"]]
    assert [r["target"].split(" ")[0] for r in rows] == ["a", "a_claim"]
    plain, claimed = rows
    assert not plain["met"] and "full, NO_CLAIM" in plain["cause"] and "b 2.10s" in plain["cause"]
    assert claimed["measured"] == round(1.2 / 5.8, 4) and not claimed["met"]
    assert "incremental, CLAIM" in claimed["cause"] and "b_claim 0.90s" in claimed["cause"]
    assert "running->first checkpoint 0.08 s" in claimed["cause"]


def test_no_claim_row_without_claim_variants_and_none_below_1_gb_when_a_1_gb_lineage_exists():
    dummy, downtime, overhead = _figures(["a", "b", "c", "d"])
    rows = [r for r in report.targets(downtime, {}, overhead, {}) if "/ c" in r["target"]]
    assert [r["target"].split(" ")[0] for r in rows] == ["a"]
    dummy, small, dummy2 = _figures(["a", "a_claim", "b", "c"], state_bytes=10 * 1024 ** 2)
    downtime["small-3s"] = dict(small["big-3s"], key="small-3s")
    rows = [r for r in report.targets(downtime, {}, overhead, {}) if "/ c" in r["target"]]
    assert [r["where"] for r in rows] == ["1 GB state (rocksdb)"]


def test_a_claim_row_meets_the_target_only_at_1_gb():
    durations_small = ["a_claim", "b_claim", "c"]
    dummy, downtime, overhead = _figures(durations_small, state_bytes=10 * 1024 ** 2)
    downtime["big-3s"]["variants"]["a_claim"]["downtime"]["median"] = 1.0
    downtime["big-3s"]["ratios"]["a_claim/c"] = round(1.0 / 5.8, 4)
    rows = [r for r in report.targets(downtime, {}, overhead, {}) if "/ c" in r["target"]]
    assert len(rows) == 1 and not rows[0]["met"] and "no >= 1 GB lineage" in rows[0]["where"]

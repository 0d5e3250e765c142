# -*- coding: utf-8 -*-
"""The benchmark suite runs end to end (quick, one state size, one repetition) and writes every figure.

Keeps ``benchmarks/`` from rotting: it is not a timed test, the values only have to be plausible.
"""

import json
import os
import subprocess

import pytest

from tests.harness.ansible import ansible_env
from tests.harness.paths import CACHE_DIR, REPO_ROOT, VENV_PYTHON

pytestmark = pytest.mark.integration


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_quick_benchmark_writes_every_figure():
    out = os.path.join(CACHE_DIR, "it", "benchmark-smoke")
    args = [VENV_PYTHON, "-m", "benchmarks", "--quick", "--reps", "1", "--fleet-sizes", "1", "--no-short-cache",
            "--variants", "a,a',a_lib,b,c,d,p_coord,p_sched", "--out", out]
    proc = subprocess.run(args, cwd=REPO_ROOT, env=ansible_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=380, check=False)
    assert proc.returncode == 0, "%s\n%s" % (proc.stdout[-8000:], proc.stderr[-8000:])
    with open(os.path.join(out, "results.json"), encoding="utf-8") as handle:
        results = json.load(handle)
    for name in ("downtime.svg", "summary.md"):
        assert os.path.getsize(os.path.join(out, name)) > 200

    # 1. downtime per job, every variant, with the ratios
    (figure,) = results["downtime"].values()
    assert figure["exactly_once"] is True, figure
    for name in ("a", "a'", "a_lib", "b", "c", "d"):
        variant = figure["variants"][name]
        assert variant["downtime"]["n"] == 1, (name, variant)
        assert 0 < variant["downtime"]["median"] < 60, (name, variant)
        assert variant["sink_gap"]["median"] is not None and variant["sink_gap"]["median"] > 0, (name, variant)
    for key in ("a/b", "a'/b", "a/c", "a-b"):
        assert figure["ratios"][key] is not None, key
    assert figure["ratios"]["a/b"] > 0
    assert figure["variants"]["a"]["reported_downtime"]["median"] > 0
    # 2. pin latency for both modes, against the cancel alone
    (pins,) = results["pin_latency"].values()
    assert pins["cancel"]["median"] > 0
    for mode in ("p_coord", "p_sched"):
        assert 0 < pins["modes"][mode]["pin_latency"]["median"] < 30, pins
    # 3. fleet wave of one cluster
    (wave,) = results["fleet"]["waves"]
    assert not wave.get("error"), wave
    assert wave["wall_seconds"] > 0 and wave["vs_one"] == 1.0
    # its task mix and what each kind of task costs: module processes cost more than controller-only tasks
    assert wave["task_mix"]["amazon_aws"] >= 5 and wave["task_mix"]["flinkops"] >= 5 and wave["task_mix"]["controller"] > 20
    costs = wave["task_costs"]
    assert 0 <= costs["controller"] < costs["flinkops"] and costs["controller"] < costs["amazon_aws"], costs
    with open(os.path.join(out, "summary.md"), encoding="utf-8") as handle:
        assert "Ansible CPU of the cluster by task" in handle.read()
    # 4. overhead breakdown of (a)
    (over,) = results["overhead"].values()
    assert over["a"]["playbook_startup"]["median"] > 0
    assert over["a"]["task_startup_calibrated"]["median"] > 0
    assert over["a_lib"]["rest_seconds"]["median"] > 0
    # targets: each with a measured value and a verdict
    assert results["targets"] and all("met" in row and "measured" in row for row in results["targets"])

# -*- coding: utf-8 -*-
"""Benchmarks of flinkops.fleet on real local Flink clusters: per-job downtime, pin latency, fleet waves, overhead.

Run ``scripts/benchmark.sh [--quick]`` (or ``.venv/bin/python -m benchmarks --help``); results go to
``benchmarks/results/<UTC timestamp>/`` (``results.json``, ``downtime.svg``, ``summary.md``).
"""

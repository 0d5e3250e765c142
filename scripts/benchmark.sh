#!/usr/bin/env bash
# Benchmarks of flinkops.fleet on real local Flink clusters (127.0.0.1): per-job downtime against the raw REST floor
# and stop-with-savepoint, pin latency, fleet waves, overhead breakdown.
#
#   scripts/benchmark.sh            full run (10 MB / 300 MB / 1 GB state, two 1 GB shapes; waves of 1, 2, 4, 8 clusters), ~45 min
#   scripts/benchmark.sh --quick    10 MB state only, fewer repetitions, waves of 1 and 2 clusters
#
# Results: benchmarks/results/<UTC timestamp>/{results.json,downtime.svg,summary.md}. More options: --help.
# Run scripts/setup.sh first. Everything started is stopped again by PID.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
exec </dev/null
ensure_collection_link
exec "$PY" -m benchmarks "$@"

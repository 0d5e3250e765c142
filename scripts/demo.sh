#!/usr/bin/env bash
# The local embedded demo: moto + three local Flink clusters; playbooks/patch_fleet.yml patches the fleet
# (one cluster blue_green, one in_place), exactly-once is checked, and the report's path is printed.
# Everything it starts is stopped again. Run scripts/setup.sh first (it runs this at its end).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
exec "$PY" scripts/demo.py "$@"

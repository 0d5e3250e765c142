#!/usr/bin/env bash
# Run every quality gate and all tests of flinkops.fleet, failing fast.
#
#   scripts/test.sh                                   all steps: sanity lint unit integration
#   scripts/test.sh sanity lint                       only the named steps (in the order given)
#
# Steps:
#   sanity       ansible-test sanity --python 3.11 --local (all tests that apply; ignore files stay empty)
#   lint         ansible-lint --offline (profile: production, see .ansible-lint)
#   unit         pytest tests/unit
#   integration  pytest tests/integration (real Flink + moto; the long one)
#
# Runs scripts/setup.sh --no-demo first (cheap when already set up).  Works without a TTY or stdin
# and with CI=true.  Environment: PYTEST_ADDOPTS is honoured; SKIP_SETUP=1 skips the setup step.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
exec </dev/null

ALL_STEPS=(sanity lint unit integration)
STEPS=("$@")
[ "${#STEPS[@]}" -gt 0 ] || STEPS=("${ALL_STEPS[@]}")
for step in "${STEPS[@]}"; do
    case " ${ALL_STEPS[*]} " in
        *" $step "*) ;;
        *) die "unknown step '$step' (choose from: ${ALL_STEPS[*]})" ;;
    esac
done

TIMINGS=()
CURRENT_STEP=""
report() {
    local rc=$?
    if [ "${#TIMINGS[@]}" -gt 0 ]; then
        printf '\n== timings\n'
        printf '   %s\n' "${TIMINGS[@]}"
    fi
    if [ "$rc" -ne 0 ] && [ -n "$CURRENT_STEP" ]; then
        printf '\n== FAILED in step %s (exit %d)\n' "$CURRENT_STEP" "$rc" >&2
    elif [ "$rc" -ne 0 ]; then
        printf '\n== FAILED (exit %d)\n' "$rc" >&2
    else
        printf '\n== all requested steps passed: %s\n' "${STEPS[*]}"
    fi
}
trap report EXIT

# ------------------------------------------------------------------------------------------ steps
step_sanity() {
    # ansible-test insists that the real path of the cwd is .../ansible_collections/flinkops/fleet, so
    # the symlink in .cache/collections does not do: sync a real copy (only what git would commit:
    # tracked + untracked-not-ignored files) and run there.  The copy gets its own (empty) git repo,
    # otherwise ansible-test would find the outer repository, in which .cache/ is ignored, and test
    # nothing.  --local: the tools ansible-test itself needs are in .venv; each sanity test still
    # gets its own virtualenv under .home/.ansible/test/venv (built once, then reused), bootstrapped
    # with the cached get-pip.py (the ensurepip stand-in when offline, see scripts/lib.sh).
    seed_ansible_test_get_pip
    "$PY" scripts/sync_collection.py "$REPO_ROOT" "$ANSIBLE_TEST_ROOT"
    [ -d "$ANSIBLE_TEST_ROOT/.git" ] || git -C "$ANSIBLE_TEST_ROOT" init -q .
    local color=()
    [ -z "${CI:-}" ] || color=(--color no)
    (cd "$ANSIBLE_TEST_ROOT" && ansible-test sanity --python 3.11 --local "${color[@]}")
}

step_lint() {
    ansible-lint --offline
}

run_pytest() {
    local rc=0
    "$PY" -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        die "pytest collected no tests in $1: CI must run tests"
    fi
    return "$rc"
}

step_unit() {
    run_pytest tests/unit
}

step_integration() {
    # Two pytest-xdist workers: the tests spend much of their time waiting on Flink (checkpoint intervals, REST
    # caches) and AWS polls, so two at once keep both cores busy (each test still runs at most two clusters; ports
    # come from per-worker ranges, shared artefacts are built under a lock). FLINKOPS_TEST_WORKERS=1 runs them one
    # at a time.
    local workers="${FLINKOPS_TEST_WORKERS:-2}"
    if [ "$workers" -gt 1 ]; then
        run_pytest tests/integration --durations=20 -n "$workers" --dist load
    else
        run_pytest tests/integration --durations=20
    fi
}

# ------------------------------------------------------------------------------------------- main
if [ "${SKIP_SETUP:-0}" != 1 ]; then
    header "setup (scripts/setup.sh --no-demo)"
    bash "$REPO_ROOT/scripts/setup.sh" --no-demo
fi

for step in "${STEPS[@]}"; do
    CURRENT_STEP="$step"
    header "test step: $step"
    started=$SECONDS
    "step_$step"
    TIMINGS+=("$(printf '%-12s %4ds' "$step" $((SECONDS - started)))")
done
CURRENT_STEP=""

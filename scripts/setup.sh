#!/usr/bin/env bash
# Prepare a machine to develop and test flinkops.fleet. Idempotent; fast when everything is in place.
#
#   scripts/setup.sh            set up, then run the local demo (when scripts/demo.sh exists)
#   scripts/setup.sh --no-demo  set up only (scripts/test.sh calls it this way)
#
# Environment: FORCE_SETUP=1 reinstalls the Python requirements even when the stamp says they are current.
#              PYTHON=/path/to/python3.11 selects the interpreter for a new venv.
#
# Needs: Python 3.11 (with the venv module), Java 17 JDK (Debian/Ubuntu: openjdk-17-jdk-headless),
# git, and access to PyPI (or the configured pip mirror).  Writes only inside the work tree.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

RUN_DEMO=1
for arg in "$@"; do
    case "$arg" in
        --no-demo) RUN_DEMO=0 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) die "unknown argument: $arg (expected --no-demo)" ;;
    esac
done

FLINK_PIP_SPEC="apache-flink==2.3.0"
STAMP="$VENV/.flinkops-setup.stamp"

# ------------------------------------------------------------------------------------------- java
check_java() {
    header "setup: Java"
    local missing=()
    command -v java >/dev/null 2>&1 || missing+=(java)
    command -v javac >/dev/null 2>&1 || missing+=(javac)
    if [ "${#missing[@]}" -gt 0 ]; then
        die "${missing[*]} not found on PATH. The integration tests run a real Flink and compile a test job:
       install a Java 17 JDK, e.g. on Debian/Ubuntu: apt-get install -y openjdk-17-jdk-headless"
    fi
    local version major
    # -XX:-UsePerfData: no /tmp/hsperfdata_<user> (nothing is written outside the work tree)
    version="$(javac -J-XX:-UsePerfData -version 2>&1 | awk '/^javac/ {print $2}')"
    major="${version%%.*}"
    if ! [ "$major" -ge 11 ] 2>/dev/null; then
        die "javac $version is too old for Flink 2.3 (needs Java 11+, 17 recommended): apt-get install -y openjdk-17-jdk-headless"
    fi
    info "java/javac $version OK"
}

# ------------------------------------------------------------------------------------------- venv
find_python311() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 "$(command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.11 2>/dev/null | head -n1)/bin/python3.11" python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

requirements_digest() {
    # what the venv was built from: the requirement files, the extra --no-deps install and the interpreter
    { cat requirements.txt requirements-dev.txt; echo "$FLINK_PIP_SPEC"; "$PY" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1
}

setup_venv() {
    header "setup: Python virtualenv (.venv)"
    if [ -x "$PY" ] && ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
        die ".venv exists but is not Python 3.11; remove it (rm -rf .venv) and rerun"
    fi
    if [ ! -x "$PY" ]; then
        local base
        base="$(find_python311)" || die "Python 3.11 not found (set PYTHON=/path/to/python3.11; Debian/Ubuntu: apt-get install -y python3.11 python3.11-venv)"
        info "creating .venv with $base"
        "$base" -m venv "$VENV"
        rm -f "$STAMP"
    fi
    local digest
    digest="$(requirements_digest)"
    if [ "${FORCE_SETUP:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$digest" ] \
        && "$PY" -c 'import ansible, ansible_test, ansiblelint, moto, boto3, requests, jmespath, pytest, pyflink' 2>/dev/null; then
        info "requirements already installed (stamp $STAMP is current)"
        return 0
    fi
    info "installing requirements-dev.txt (this takes a few minutes on a fresh machine)"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet -r requirements-dev.txt
    # apache-flink's own dependency pins (apache-beam, old numpy/pandas, ...) are irrelevant for running
    # the JVM distribution and do not resolve on Python 3.11: install it without dependencies.
    "$PY" -m pip install --quiet --no-deps "$FLINK_PIP_SPEC"
    "$PY" -c 'import ansible, ansible_test, ansiblelint, moto, boto3, requests, jmespath, pytest, pyflink' \
        || die "the venv is incomplete after installing the requirements"
    echo "$digest" > "$STAMP"
    info "requirements installed"
}

# ------------------------------------------------------------------------------------- collection
setup_collection() {
    header "setup: collection flinkops.fleet"
    ensure_collection_link
    ansible-galaxy collection list amazon.aws 2>/dev/null | grep -q 'amazon\.aws' \
        || die "amazon.aws is not visible to ansible (it should come with the 'ansible' package in .venv)"
    ansible-galaxy collection list flinkops.fleet 2>/dev/null | grep -q 'flinkops\.fleet' \
        || die "flinkops.fleet is not visible to ansible through $COLLECTIONS_ROOT"
    seed_ansible_test_get_pip
    info "flinkops.fleet -> $COLLECTION_LINK; amazon.aws from the ansible package"
}

# ------------------------------------------------------------------------------------------ flink
setup_flink() {
    header "setup: Flink distribution"
    if [ -f tests/harness/flinkdist.py ]; then
        local home
        home="$("$PY" -m tests.harness.flinkdist | tail -n1)" || die "building the Flink distribution failed (python -m tests.harness.flinkdist)"
        info "FLINK_HOME=$home"
    else
        info "tests/harness/flinkdist.py is not there yet: skipping the Flink distribution (integration tests need it)"
    fi
}

# ------------------------------------------------------------------------------------------- demo
# Final, separate step: the local demo.  Kept last so that everything above is a pure set-up.
run_demo() {
    header "demo"
    bash scripts/demo.sh
}

check_java
setup_venv
setup_collection
setup_flink
info "setup complete"

if [ "$RUN_DEMO" = 1 ]; then
    run_demo
fi

# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this file
# Shared by scripts/setup.sh and scripts/test.sh (sourced, not executed).
#
# Everything this project writes locally lives inside the work tree (all git-ignored):
#   .venv/                          Python 3.11 virtualenv with the dev/test requirements
#   .home/                          HOME for every tool (ansible, ansible-test, pip, java, ...)
#   .cache/                         pip cache, TMPDIR, Flink distribution, collection links, ansible-test copy
# Paths are derived from this file's location, never hard-coded.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export REPO_ROOT

VENV="$REPO_ROOT/.venv"
PY="$VENV/bin/python"
CACHE="$REPO_ROOT/.cache"
COLLECTIONS_ROOT="$CACHE/collections"
COLLECTION_LINK="$COLLECTIONS_ROOT/ansible_collections/flinkops/fleet"
# ansible-test refuses a symlinked collection root (it resolves the real path of the cwd), so sanity
# runs in a synced real copy (see scripts/sync_collection.py).
ANSIBLE_TEST_ROOT="$CACHE/ansible-test/ansible_collections/flinkops/fleet"

export HOME="$REPO_ROOT/.home"
export ANSIBLE_HOME="$HOME/.ansible"
export ANSIBLE_LOCAL_TEMP="$ANSIBLE_HOME/tmp"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_ROOT"
export TMPDIR="$CACHE/tmp"
export TMP="$TMPDIR" TEMP="$TMPDIR"
export PIP_CACHE_DIR="$CACHE/pip"
export XDG_CACHE_HOME="$CACHE/xdg"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_DATA_HOME="$HOME/.local/share"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PYTHONDONTWRITEBYTECODE=1
if [ -n "${CI:-}" ]; then
    export ANSIBLE_NOCOLOR=1 PY_COLORS=0 NO_COLOR=1
fi
# the tools in the venv first (ansible-test, ansible-lint, ansible-playbook, pytest)
case ":$PATH:" in
    *":$VENV/bin:"*) ;;
    *) export PATH="$VENV/bin:$PATH" ;;
esac

mkdir -p "$HOME" "$ANSIBLE_HOME/tmp" "$TMPDIR" "$PIP_CACHE_DIR" "$XDG_CACHE_HOME"

header() {
    printf '\n==============================================================================\n'
    printf '== %s\n' "$*"
    printf '==============================================================================\n'
}

info() { printf '[%s] %s\n' "$(basename "$0")" "$*"; }

die() {
    printf '\n[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2
    exit 1
}

# The collection must be importable as ansible_collections.flinkops.fleet: a relative symlink to the
# repository root (relative, so the tree can be moved or cloned elsewhere).
ensure_collection_link() {
    local parent="$COLLECTIONS_ROOT/ansible_collections/flinkops"
    mkdir -p "$parent"
    if [ -L "$COLLECTION_LINK" ] && [ "$(cd "$COLLECTION_LINK" 2>/dev/null && pwd -P)" = "$REPO_ROOT" ]; then
        return 0
    fi
    rm -rf "$COLLECTION_LINK"
    ln -s ../../../.. "$COLLECTION_LINK"
    [ "$(cd "$COLLECTION_LINK" && pwd -P)" = "$REPO_ROOT" ] || die "collection link $COLLECTION_LINK does not point at $REPO_ROOT"
}

# ansible-test bootstraps pip into each sanity-test virtualenv with get-pip.py, downloaded from
# https://ci-files.testing.ansible.com/ansible-test/get-pip-<pip version>.py and cached at
# ~/.ansible/test/cache/get_pip_<pip_version>.py (see ansible_test/_util/target/setup/requirements.py).
# That host is not reachable from offline machines (only the PyPI mirror is), so when the cached file
# is missing and a short download attempt fails, seed the cache with scripts/get_pip_standin.py, which
# runs `python -m ensurepip` (no network).  The requirements themselves are then installed by that pip
# through the normal pip configuration (PyPI / local mirror).
seed_ansible_test_get_pip() {
    local version cache url
    version="$("$PY" -c 'from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
import sys
print(get_venv_packages(NativePythonConfig(version="%d.%d" % sys.version_info[:2]))["pip"])' 2>/dev/null)" || version=""
    if [ -z "$version" ]; then
        # fall back to the pin found in the source
        version="$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" "$("$PY" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n1)"
    fi
    [ -n "$version" ] || die "cannot determine the pip version ansible-test bootstraps"
    cache="$ANSIBLE_HOME/test/cache/get_pip_${version//./_}.py"
    url="https://ci-files.testing.ansible.com/ansible-test/get-pip-${version}.py"
    [ -s "$cache" ] && return 0
    mkdir -p "$(dirname "$cache")"
    if "$PY" - "$url" "$cache.download" <<'PYEOF' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r, open(sys.argv[2], "wb") as f:
    f.write(r.read())
PYEOF
    then
        mv "$cache.download" "$cache"
        info "cached the real get-pip.py $version for ansible-test"
    else
        rm -f "$cache.download"
        cp "$REPO_ROOT/scripts/get_pip_standin.py" "$cache"
        info "offline: seeded ansible-test's get-pip $version cache with the ensurepip stand-in ($cache)"
    fi
}

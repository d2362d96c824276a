# shellcheck shell=bash
# Functions that prepare what the Ansible check tools need: their own venv, a pip bootstrap
# script for ansible-test, and a copy of the collection in the layout that ansible-test
# expects. Source scripts/venv.sh first (these functions use its .venv), then this file:
#
#   source scripts/venv.sh && source scripts/checks.sh
#   venv_prepare && checks_prepare
#   checks_in_collection_copy "$PWD/.venv/bin/ansible-test" sanity --venv
#
# checks_prepare leaves:
#   .build/venv-checks/                         the tools in tests/requirements-checks.txt:
#                                               ruff, ansible-lint, antsibull-changelog, ...
#   ~/.ansible/test/cache/get_pip_<version>.py  scripts/ansible-test-get-pip.py, unless another
#                                               bootstrap script is cached there already
#
# checks_in_collection_copy refreshes
#   .build/ansible-test/ansible_collections/entra/governance
# a git repository with a copy of every file of the working tree that git does not ignore,
# and runs a command in it. Set PYTHON to the interpreter that creates the venv (default: python3).

CHECKS_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKS_VENV_DIR="$CHECKS_REPO_ROOT/.build/venv-checks"
CHECKS_REQUIREMENTS="$CHECKS_REPO_ROOT/tests/requirements-checks.txt"
# Hash of the requirements file that was last installed into the venv.
CHECKS_VENV_STAMP="$CHECKS_VENV_DIR/.requirements.sha256"
CHECKS_TREE_ROOT="$CHECKS_REPO_ROOT/.build/ansible-test"
CHECKS_COLLECTION_DIR="$CHECKS_TREE_ROOT/ansible_collections/entra/governance"
CHECKS_GET_PIP="$CHECKS_REPO_ROOT/scripts/ansible-test-get-pip.py"
# The first line of the stand-in's docstring. It distinguishes an older copy of the stand-in
# from a real get-pip.py that ansible-test downloaded on a machine that reaches its file host.
CHECKS_GET_PIP_MARKER='Bootstrap pip in a venv of ansible-test without downloading get-pip.py.'

checks_log() {
    printf 'checks.sh: %s\n' "$*" >&2
}

# Create the venv unless it exists with a working interpreter, and install the requirements
# when their content differs from the last successful install.
checks_venv_prepare() {
    local python="${PYTHON:-python3}" wanted

    if ! { [ -x "$CHECKS_VENV_DIR/bin/python" ] && "$CHECKS_VENV_DIR/bin/python" -c 'import sys' 2>/dev/null; }; then
        checks_log "creating $CHECKS_VENV_DIR with $("$python" -c 'import sys; print(sys.executable)')"
        rm -rf "$CHECKS_VENV_DIR"
        "$python" -m venv "$CHECKS_VENV_DIR" || return 1
    fi

    wanted="$("$CHECKS_VENV_DIR/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' \
        < "$CHECKS_REQUIREMENTS")" || return 1
    if [ -f "$CHECKS_VENV_STAMP" ] && [ "$(cat "$CHECKS_VENV_STAMP")" = "$wanted" ]; then
        return 0
    fi

    checks_log "installing tests/requirements-checks.txt into .build/venv-checks"
    rm -f "$CHECKS_VENV_STAMP"
    "$CHECKS_VENV_DIR/bin/python" -m pip install --quiet -r "$CHECKS_REQUIREMENTS" || return 1
    printf '%s\n' "$wanted" > "$CHECKS_VENV_STAMP"
}

# Copy the working tree into the collection layout. ansible-test and ansible-lint list files
# through git, so the copy is a git repository too, with every file added to its index. The
# copy keeps tests/output/, where ansible-test caches its delegation venv between runs; the
# copied .gitignore hides that folder from both tools.
checks_copy_tree() {
    local file

    mkdir -p "$CHECKS_COLLECTION_DIR" || return 1

    # Remove everything but the git metadata and tests/output, then copy afresh, so that files
    # deleted or renamed in the working tree disappear from the copy as well.
    find "$CHECKS_COLLECTION_DIR" -mindepth 1 -maxdepth 1 ! -name .git ! -name tests -exec rm -rf {} + \
        || return 1
    if [ -d "$CHECKS_COLLECTION_DIR/tests" ]; then
        find "$CHECKS_COLLECTION_DIR/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} + \
            || return 1
    fi

    # --cached lists tracked files, --others the untracked ones that .gitignore does not hide.
    # A tracked file deleted from the working tree is still listed, so only existing files are copied.
    (
        cd "$CHECKS_REPO_ROOT" || exit 1
        git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
            if [ -e "$file" ] || [ -L "$file" ]; then
                printf '%s\0' "$file"
            fi
        done | xargs -0 --no-run-if-empty cp --parents --no-dereference --preserve=mode,timestamps \
            -t "$CHECKS_COLLECTION_DIR"
    ) || return 1

    (
        cd "$CHECKS_COLLECTION_DIR" || exit 1
        if [ ! -d .git ]; then
            git init --quiet || exit 1
        fi
        git add --all
    ) || return 1
}

# Cache the pip bootstrap stand-in where ansible-test looks before it downloads get-pip.py.
checks_get_pip_prepare() {
    local version cache_path

    # The pip release that ansible-test installs into its venvs. The Python version matters only
    # where ansible-test overrides the release for that version.
    if ! version="$("$VENV_DIR/bin/python" -c '
import sys, types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="%d.%d" % sys.version_info[:2]))["pip"])')"; then
        checks_log "failed to read the pip version of ansible-test from .venv; ansible_test._internal.python_requirements.get_venv_packages may have changed"
        return 1
    fi

    cache_path="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
    if [ -f "$cache_path" ] && ! grep -qF "$CHECKS_GET_PIP_MARKER" "$cache_path"; then
        return 0
    fi
    if ! cmp -s "$CHECKS_GET_PIP" "$cache_path"; then
        checks_log "writing $cache_path (copy of scripts/ansible-test-get-pip.py)"
        mkdir -p "$(dirname "$cache_path")" && cp "$CHECKS_GET_PIP" "$cache_path"
    fi
}

# Prepare the venv and the pip bootstrap script.
checks_prepare() {
    checks_venv_prepare \
        && checks_get_pip_prepare
}

# Refresh the copy of the collection and run the command "$@" in it. Calls from parallel runs
# wait for each other, so that no run changes the files while another one checks them.
checks_in_collection_copy() {
    local status=0 lock_fd

    mkdir -p "$CHECKS_TREE_ROOT" || return 1
    if command -v flock >/dev/null 2>&1; then
        exec {lock_fd}>"$CHECKS_TREE_ROOT/.lock"
        flock "$lock_fd"
    fi

    checks_copy_tree \
        && (cd "$CHECKS_COLLECTION_DIR" && "$@") \
        || status=$?

    if [ -n "${lock_fd:-}" ]; then
        exec {lock_fd}>&-
    fi
    return "$status"
}

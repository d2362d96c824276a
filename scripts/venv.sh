# shellcheck shell=bash
# Functions that prepare the repository's local Python venv and built collection.
# Source this file from bash, then call `venv_prepare`:
#
#   source scripts/venv.sh && venv_prepare
#
# venv_prepare leaves:
#   .venv/                                           Python venv with requirements.txt and
#                                                    tests/requirements.txt installed
#   .build/dist/entra-governance-*.tar.gz            the collection artifact
#   .build/collections/ansible_collections/entra/governance
#                                                    the artifact installed (what playbooks load)
#   .build/src/ansible_collections/entra/governance  a symlink to the repository root, so unit
#                                                    tests import the working tree as
#                                                    ansible_collections.entra.governance
#
# Set PYTHON to the interpreter that creates the venv (default: python3, 3.11 or newer).

VENV_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="$VENV_REPO_ROOT/.venv"
VENV_BUILD_DIR="$VENV_REPO_ROOT/.build"
VENV_COLLECTIONS_DIR="$VENV_BUILD_DIR/collections"
VENV_SRC_DIR="$VENV_BUILD_DIR/src"
# Hash of the requirement files that were last installed into .venv.
VENV_STAMP="$VENV_DIR/.requirements.sha256"

venv_log() {
    printf 'venv.sh: %s\n' "$*" >&2
}

# Create .venv unless it exists with a working interpreter.
venv_create() {
    local python="${PYTHON:-python3}"

    if [ -x "$VENV_DIR/bin/python" ] && "$VENV_DIR/bin/python" -c 'import sys' 2>/dev/null; then
        return 0
    fi

    if ! command -v "$python" >/dev/null 2>&1; then
        venv_log "$python not found; install Python 3.11 or newer, or set PYTHON to its path"
        return 1
    fi
    # ansible-core 2.19 needs Python 3.11 or newer on the controller.
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        venv_log "$python is Python $("$python" -c 'import platform; print(platform.python_version())'); 3.11 or newer is required (set PYTHON to another interpreter)"
        return 1
    fi

    venv_log "creating $VENV_DIR with $("$python" -c 'import sys; print(sys.executable)')"
    rm -rf "$VENV_DIR"
    if ! "$python" -m venv "$VENV_DIR"; then
        venv_log "failed to create the venv; on Debian and Ubuntu, install the python3-venv package"
        return 1
    fi
}

# Install both requirement files when their content differs from the last successful install.
venv_install_requirements() {
    local wanted
    wanted="$(cat "$VENV_REPO_ROOT/requirements.txt" "$VENV_REPO_ROOT/tests/requirements.txt" \
        | "$VENV_DIR/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')" \
        || return 1

    if [ -f "$VENV_STAMP" ] && [ "$(cat "$VENV_STAMP")" = "$wanted" ]; then
        return 0
    fi

    venv_log "installing requirements.txt and tests/requirements.txt into .venv"
    rm -f "$VENV_STAMP"
    "$VENV_DIR/bin/python" -m pip install --quiet \
        -r "$VENV_REPO_ROOT/requirements.txt" \
        -r "$VENV_REPO_ROOT/tests/requirements.txt" || return 1
    printf '%s\n' "$wanted" > "$VENV_STAMP"
}

# Build the collection artifact from the working tree and install it under .build/collections.
venv_build_collection() {
    local output artifact

    rm -rf "$VENV_BUILD_DIR/dist"
    if ! output="$(cd "$VENV_REPO_ROOT" && "$VENV_DIR/bin/ansible-galaxy" collection build \
        --force --output-path "$VENV_BUILD_DIR/dist" 2>&1)"; then
        printf '%s\n' "$output" >&2
        venv_log "ansible-galaxy collection build failed"
        return 1
    fi

    artifact="$(find "$VENV_BUILD_DIR/dist" -maxdepth 1 -name 'entra-governance-*.tar.gz' | head -n 1)"
    if [ -z "$artifact" ]; then
        printf '%s\n' "$output" >&2
        venv_log "ansible-galaxy collection build wrote no entra-governance-*.tar.gz"
        return 1
    fi

    # Listing the target in ANSIBLE_COLLECTIONS_PATH keeps ansible-galaxy from warning that
    # the install path is outside the configured collection paths.
    if ! output="$(ANSIBLE_COLLECTIONS_PATH="$VENV_COLLECTIONS_DIR" \
        "$VENV_DIR/bin/ansible-galaxy" collection install --force \
        -p "$VENV_COLLECTIONS_DIR" "$artifact" 2>&1)"; then
        printf '%s\n' "$output" >&2
        venv_log "ansible-galaxy collection install failed"
        return 1
    fi
}

# Point .build/src/ansible_collections/entra/governance at the repository root.
venv_link_source() {
    local namespace_dir="$VENV_SRC_DIR/ansible_collections/entra"

    mkdir -p "$namespace_dir"
    # Relative target, so the link survives moving the clone: four levels up from
    # .build/src/ansible_collections/entra is the repository root.
    ln -sfn ../../../.. "$namespace_dir/governance"
}

# Run every preparation step. Calls from parallel runs wait for each other.
venv_prepare() {
    local status=0

    mkdir -p "$VENV_BUILD_DIR"
    if command -v flock >/dev/null 2>&1; then
        exec {venv_lock_fd}>"$VENV_BUILD_DIR/.venv.lock"
        flock "$venv_lock_fd"
    fi

    venv_create \
        && venv_install_requirements \
        && venv_build_collection \
        && venv_link_source \
        || status=$?

    if [ -n "${venv_lock_fd:-}" ]; then
        exec {venv_lock_fd}>&-
        unset venv_lock_fd
    fi
    return "$status"
}

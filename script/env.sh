# Shared by script/setup, script/test and script/develop: where the Python 3.14
# environment lives and how to run a command inside it. Source, do not execute.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$REPO_ROOT/requirements_test.txt"
MIN_PYTHON="3.14.2"
CACHE_DIR="${SONOS_UPNP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sonos_upnp}"
DEBIAN_ROOT="$CACHE_DIR/forky-root"
VENV_IN_ROOT="/opt/sonos_upnp-venv"
LOCAL_VENV="$REPO_ROOT/.venv"
SHARED_DIR="$(cd "$REPO_ROOT/.." && pwd)/shared"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs "$@" and logs how long it took.
timed() {
    local label="$1" start end
    shift
    start=$(date +%s)
    log "$label ..."
    "$@"
    end=$(date +%s)
    log "$label took $((end - start)) s"
}

requirements_hash() { sha256sum "$REQUIREMENTS" | cut -d' ' -f1; }

# Prints the first python on PATH that is >= MIN_PYTHON, or nothing.
find_host_python() {
    local candidate
    for candidate in "${SONOS_UPNP_PYTHON:-}" python3.14 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$MIN_PYTHON'.split('.'))))" 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 0
}

# "venv" when a local .venv is (to be) used, "root" for the Debian testing root.
env_kind() {
    if [ -n "$(find_host_python)" ]; then echo venv; else echo root; fi
}

# Runs "$@" with the environment's python tools first on PATH, in the checkout.
# Inside the Debian root this happens in a private mount namespace, so the bind
# mounts of /proc, /dev, the checkout and ../shared vanish with the command.
run_in_env() {
    if [ "$(env_kind)" = venv ]; then
        (cd "$REPO_ROOT" && PATH="$LOCAL_VENV/bin:$PATH" "$@")
        return
    fi
    local quoted
    quoted=$(printf '%q ' "$@")
    local shared_mount=""
    if [ -d "$SHARED_DIR" ]; then
        shared_mount="mkdir -p '$DEBIAN_ROOT$SHARED_DIR' && mount --bind '$SHARED_DIR' '$DEBIAN_ROOT$SHARED_DIR' && mount -o remount,bind,ro '$DEBIAN_ROOT$SHARED_DIR' &&"
    fi
    unshare --mount --propagation private -- bash -c "
        set -e
        mount --bind /proc '$DEBIAN_ROOT/proc'
        mount --rbind /dev '$DEBIAN_ROOT/dev'
        mkdir -p '$DEBIAN_ROOT$REPO_ROOT'
        mount --bind '$REPO_ROOT' '$DEBIAN_ROOT$REPO_ROOT'
        $shared_mount
        exec chroot '$DEBIAN_ROOT' /usr/bin/env -i \
            HOME=/root LANG=C.UTF-8 TERM='${TERM:-dumb}' CI='${CI:-}' \
            PATH='$VENV_IN_ROOT/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
            MYPY_CACHE_DIR=/var/cache/sonos_upnp/mypy \
            PIP_DISABLE_PIP_VERSION_CHECK=1 \
            SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
            ${SONOS_UPNP_EXTRA_ENV:-} \
            bash -c 'cd \"\$0\" && exec \"\$@\"' '$REPO_ROOT' $quoted
    "
}

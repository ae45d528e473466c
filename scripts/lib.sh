# shellcheck shell=bash
# Shared helpers for scripts/run and scripts/test. Source it; do not execute it.
#
#   ROOT   the repository root (this file's parent's parent)
#   VENV   $ROOT/.venv, the project's virtualenv (override with WELDSHOP_VENV)
#   PY     $VENV/bin/python once ensure_venv has run

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${WELDSHOP_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
PYTHON="${PYTHON:-python3}" # the interpreter the venv is made from

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

banner() {
    local line="========================================================================"
    printf '\n%s\n  %s\n%s\n' "$line" "$*" "$line" >&2
}

# A clock in seconds with decimals, and the time since a start taken from it.
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# apt_install PKG... — install Debian packages (apt-get update first), as root or via sudo.
apt_install() {
    [ "$#" -gt 0 ] || return 0
    command -v apt-get >/dev/null 2>&1 || die "missing $*, and there is no apt-get to install them with"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "missing $*; run as root or install sudo"
        sudo=(sudo)
    fi
    log "Installing Debian packages: $*"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

_make_venv() {
    "$PYTHON" -m venv "$VENV" >/dev/null 2>&1 && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

# ensure_venv — create $VENV if needed and install requirements/dev.txt when any
# requirements file (or the interpreter) changed since the last install.
ensure_venv() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (need Python 3.11)"
    local version
    version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [ "$version" = "3.11" ] || warn "$PYTHON is Python $version; the project is pinned and tested on 3.11"

    if [ -x "$PY" ] && ! "$PY" -c 'import sys' >/dev/null 2>&1; then
        warn "$VENV is broken (its interpreter does not start); recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -x "$PY" ]; then
        log "Creating virtualenv $VENV"
        if ! _make_venv; then
            rm -rf "$VENV"
            if command -v apt-get >/dev/null 2>&1; then
                # Debian's python3 ships without ensurepip; python3-venv brings it.
                apt_install python3-venv
                _make_venv || die "could not create $VENV even after installing python3-venv"
            else
                die "$PYTHON -m venv failed (is the venv/ensurepip module installed?)"
            fi
        fi
    fi

    local stamp_file="$VENV/.requirements.sha256" want have=""
    want="$(cat "$ROOT"/requirements/*.txt <("$PY" -VV) | sha256sum | cut -d' ' -f1)"
    [ -f "$stamp_file" ] && have="$(cat "$stamp_file")"
    if [ "$want" != "$have" ]; then
        log "Installing requirements/dev.txt into $VENV (about a minute on a cold cache)"
        "$PY" -m pip install --disable-pip-version-check --quiet -r "$ROOT/requirements/dev.txt"
        printf '%s\n' "$want" >"$stamp_file"
    else
        log "Requirements unchanged since the last install ($VENV)"
    fi
}

# manage ARGS... — run manage.py with the venv's interpreter.
manage() { "$PY" "$ROOT/manage.py" "$@"; }

#!/usr/bin/env bash
# Idempotent set-up: system packages, .venv, dev requirements, and the extension in release mode.
# Each step checks first, so a second run only rebuilds what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMPS="$ROOT/.stamps"
PYTHON="${PYTHON:-python3}"
# LLVM for inkwell's static link; build-essential for the C shim, the linker and libstdc++;
# clang-22 for the test that compiles svml-shim with clang (ufuncgen/tests/shim_clang.rs).
APT_PACKAGES=(llvm-22-dev libpolly-22-dev libzstd-dev libffi-dev zlib1g-dev libxml2-dev
    build-essential clang-22)

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# Root installs directly; a non-root user needs sudo for apt.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root or sudo to run: $*"
    fi
}

install_system_packages() {
    local missing=()
    local pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        missing+=(python3 python3-venv python3-dev)
    elif ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        # Debian splits venv/ensurepip out of the interpreter package.
        missing+=(python3-venv)
    fi
    if [ "${#missing[@]}" -eq 0 ]; then
        say "system packages: ok"
        return
    fi
    say "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

check_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    command -v cargo >/dev/null 2>&1 \
        || die "cargo not found: install Rust with rustup (https://rustup.rs) and re-run"
    say "rust: $(cargo --version)"
}

create_venv() {
    if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        say "venv: ok ($("$VENV/bin/python" --version))"
        return
    fi
    say "creating .venv with $("$PYTHON" --version)"
    rm -rf "$VENV" "$STAMPS"
    "$PYTHON" -m venv "$VENV"
}

# install_requirements FILE STAMP: pip-installs FILE into .venv unless it is unchanged since;
# returns 0 when it installed something.
install_requirements() {
    local file="$1" stamp="$STAMPS/$2" want have=""
    want="$(sha256sum "$file" | cut -d' ' -f1)"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$want" = "$have" ]; then
        say "python requirements ($file): ok"
        return 1
    fi
    say "installing python requirements ($file)"
    # Explicit: callers test this function's status, which turns `set -e` off inside it.
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$file" \
        || die "pip could not install $file"
    mkdir -p "$STAMPS"
    echo "$want" >"$stamp"
}

# Any Rust/C build input newer than the stamp means the extension is stale. Python files are
# not inputs: maturin installs the package in editable mode, so they are read in place.
sources_changed() {
    [ -f "$STAMPS/build" ] || return 0
    local newer
    newer="$(find src ufuncgen svml-shim Cargo.toml Cargo.lock pyproject.toml .cargo \
        -path ufuncgen/tests -prune -o -type f \
        \( -name '*.rs' -o -name '*.c' -o -name '*.h' -o -name '*.toml' -o -name 'Cargo.lock' \) \
        -newer "$STAMPS/build" -print -quit 2>/dev/null || true)"
    [ -n "$newer" ]
}

build_extension() {
    if ! sources_changed && "$VENV/bin/python" -c 'import ufuncgen._native' >/dev/null 2>&1; then
        say "extension: up to date"
        return
    fi
    say "building the extension (release; static LLVM links take a while)"
    local start=$SECONDS
    # Stamp the time the build started: an edit made during the build still counts as newer.
    mkdir -p "$STAMPS"
    touch "$STAMPS/build.new"
    # An extension left by an earlier build under another name (a per-version one before abi3)
    # would shadow the new one: Python tries version-specific suffixes first.
    rm -f python/ufuncgen/_native.*.so
    VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" PYO3_PYTHON="$VENV/bin/python" \
        "$VENV/bin/maturin" develop --release --quiet
    mv "$STAMPS/build.new" "$STAMPS/build"
    say "extension built in $((SECONDS - start)) s"
}

install_system_packages
check_rust
create_venv
# New dev tools (maturin, numpy) may change the build: then the extension is rebuilt.
if install_requirements requirements-dev.txt requirements; then
    rm -f "$STAMPS/build"
fi
# `--bench`: also what the benchmarks compare against (Numba, numexpr); tests do not need them.
if [ "${1:-}" = "--bench" ]; then
    install_requirements requirements-bench.txt requirements-bench || true
fi
# `--wheel`: the tools `make wheel` tags and checks with; the wheel is built there, not here.
if [ "${1:-}" = "--wheel" ]; then
    install_requirements requirements-wheel.txt requirements-wheel || true
    say "done"
    exit 0
fi
build_extension
say "done"

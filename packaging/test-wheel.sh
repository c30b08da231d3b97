#!/usr/bin/env bash
# `make test-wheel`: the suite against the built wheel as users get it. For each interpreter
# given (default: python3): a virtual environment with only the wheel, NumPy and the test tools;
# the tests run from a copy outside the source tree, with every LLVM library on this machine
# hidden (a private mount namespace) where we may, and the extension checked to need no LLVM.
#
#   test-wheel.sh [--prepare] PYTHON...
#   --prepare       only the environments with the test requirements (no wheel needed yet: CI
#                   makes them while the wheel builds); the next run installs the wheel there.
#   WHEEL_TEST_JOBS pytest-xdist processes per suite (default: the CPU count; 0: no xdist)
#   WHEEL_TEST_FRESH=1  re-create the environments even when their requirements are unchanged
#   PYTEST_ARGS     extra pytest arguments
#
# The environments live in target/wheel-test/ (a fresh clone, as in CI, starts without them).
# One whose interpreter and requirements are unchanged is kept: the test requirements stay and
# the wheel is re-installed over the previous one (pip uninstalls that first), then `pip check`
# checks that the wheel's dependencies are met.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
say() { printf '[test-wheel] %s\n' "$*"; }
die() { printf '[test-wheel] error: %s\n' "$*" >&2; exit 1; }

prepare_only=0
if [ "${1:-}" = "--prepare" ]; then
    prepare_only=1
    shift
fi
[ "$#" -gt 0 ] || set -- python3
REQS=packaging/requirements-test.txt
ENVS="$ROOT/target/wheel-test"
JOBS="${WHEEL_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ufuncgen-wheel-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Wall and CPU seconds (this script's children, waited for) of each phase, for the summary.
summary=()
# `times` in this shell, not in a $(...) subshell: a subshell starts with no children's time.
cpu_to() {
    times >"$WORK/times"
    printf -v "$1" '%s' "$(awk 'NR == 2 { for (i = 1; i <= 2; i++) {
        split($i, a, "m"); s += a[1] * 60 + a[2] } } END { printf "%.1f", s }' "$WORK/times")"
}
phase_start() { phase_wall=$SECONDS; cpu_to phase_cpu; }
phase_end() {
    local line now
    cpu_to now
    line="$(printf '%-44s %4d s wall %7.1f s CPU' "$1" $((SECONDS - phase_wall)) \
        "$(awk -v a="$phase_cpu" -v b="$now" 'BEGIN { print b - a }')")"
    say "$line"
    summary+=("$line")
}

# prepare_env PYTHON: sets venv to the environment for PYTHON with the test requirements, made
# unless one with the same interpreter and requirements exists.
prepare_env() {
    local python="$1" ver key
    ver="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
    venv="$ENVS/venv-${ver%.*}"
    key="$ver $(command -v "$python") $(sha256sum "$REQS" | cut -d' ' -f1)"
    if [ "${WHEEL_TEST_FRESH:-0}" != 1 ] && [ -f "$venv/.requirements" ] \
        && [ "$(cat "$venv/.requirements")" = "$key" ] && "$venv/bin/python" -c '' 2>/dev/null; then
        say "CPython $ver: environment with the test requirements kept ($venv)"
        return
    fi
    phase_start
    say "CPython $ver ($python): fresh environment, installing the test requirements"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS"
    echo "$key" >"$venv/.requirements"
    phase_end "CPython ${ver%.*}: environment"
}

if [ "$prepare_only" = 1 ]; then
    for python in "$@"; do
        command -v "$python" >/dev/null 2>&1 || die "no interpreter $python"
        prepare_env "$python"
    done
    exit 0
fi

shopt -s nullglob
wheels=(dist/ufuncgen-*.whl)
[ "${#wheels[@]}" -eq 1 ] || die "expected one wheel in dist/, found ${#wheels[@]}: run make wheel"
WHEEL="$ROOT/${wheels[0]}"

# The tests and the data they read, in the repository's layout; no package sources.
TREE="$WORK/tree"
mkdir -p "$TREE/ufuncgen/tests"
cp pyproject.toml "$TREE/"
cp -r tests "$TREE/tests"
cp -r ufuncgen/tests/data "$TREE/ufuncgen/tests/data"
# The examples some tests build and run (examples/aot_package, examples/dask_demo.py).
cp -r examples "$TREE/examples"
find "$TREE" -name __pycache__ -prune -exec rm -rf {} +

# Every LLVM shared library on this machine: the LLVM directories and libLLVM files elsewhere.
hidden_llvm() {
    local p
    for p in /usr/lib/llvm-* /usr/lib/*/libLLVM* /usr/lib/libLLVM* /usr/local/lib/libLLVM*; do
        [ -e "$p" ] && printf '%s\n' "$p"
    done
}

# run_hidden CMD...: CMD in a mount namespace where those paths are empty, when allowed (root).
run_hidden() {
    if unshare --mount --propagation private true 2>/dev/null; then
        # shellcheck disable=SC2016
        unshare --mount --propagation private bash -c '
            set -e
            while read -r p; do
                if [ -d "$p" ]; then mount -t tmpfs none "$p"; else mount --bind /dev/null "$p"; fi
            done
            exec "$@" </dev/null' hide "$@" < <(hidden_llvm)
    else
        say "cannot unshare a mount namespace (not root?): LLVM stays visible; ldd checks only"
        "$@"
    fi
}

# The 2000-compile lifetime stress test already runs in `make test` on .venv's interpreter; the
# wheel runs it on the other interpreters only.
STRESS=tests/python/binding/test_lifetime.py::test_two_thousand_compiled_ufuncs_are_freed
dev_ver="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
# pytest-xdist: whole files to a process (--dist loadfile), so each file's tests run in their
# order and share their module fixtures, as in a serial run.
xdist=()
[ "$JOBS" -gt 0 ] && xdist=(-n "$JOBS" --dist loadfile)

first_python=""
for python in "$@"; do
    command -v "$python" >/dev/null 2>&1 || die "no interpreter $python"
    prepare_env "$python"
    ver="$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    [ -n "$first_python" ] || first_python="$venv/bin/python"
    phase_start
    say "CPython $ver: installing $(basename "$WHEEL")"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
        "$WHEEL"
    # The wheel's own requirements (NumPy) are met by what is installed.
    "$venv/bin/python" -m pip check --disable-pip-version-check
    site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    native=("$site"/ufuncgen/_native*.so)
    [ "${#native[@]}" -eq 1 ] || die "expected one extension in $site/ufuncgen"
    # Needs nothing beyond glibc, the C++ runtime and what auditwheel copied into ufuncgen.libs.
    deps="$(ldd "${native[0]}")"
    printf '%s\n' "$deps" | sed 's/^/    /'
    if grep -qi -e llvm -e 'not found' <<<"$deps"; then
        die "the extension needs LLVM or a missing library"
    fi
    phase_end "CPython $ver: wheel installed and checked"
    numpy_ver="$("$venv/bin/python" -c 'import numpy; print(numpy.__version__)')"
    skip=()
    [ "$ver" = "$dev_ver" ] && skip=(--deselect "$STRESS")
    say "CPython $ver, NumPy $numpy_ver: running the suite from $TREE ${skip[*]} ${xdist[*]}"
    phase_start
    (
        cd "$TREE"
        unset LD_LIBRARY_PATH PYTHONPATH
        # -I: neither the working directory nor PYTHON* variables reach sys.path.
        # shellcheck disable=SC2086
        UFUNCGEN_TEST_INSTALLED_IN="$site" run_hidden "$venv/bin/python" -I -m pytest \
            -p no:cacheprovider --timeout=120 -q "${xdist[@]}" "${skip[@]}" ${PYTEST_ARGS:-} \
            tests/python
    )
    phase_end "CPython $ver: suite"
done

# Issue 11's start-up targets, reported (not asserted: timing belongs in benchmarks): import
# time against NumPy's, and the first compile against the development build's when it exists.
phase_start
pythons=(--python "$first_python")
if .venv/bin/python -c 'import ufuncgen._native' 2>/dev/null; then
    pythons+=(--python "$ROOT/.venv/bin/python")
fi
(cd "$WORK" && "$first_python" "$ROOT/benchmarks/bench_startup.py" --rounds 9 "${pythons[@]}")
phase_end "start-up benchmark"

say "passed on: $*"
say "time per phase (load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '    %s\n' "${summary[@]}"

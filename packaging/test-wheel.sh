#!/usr/bin/env bash
# `make test-wheel`: the suite against the built wheel as users get it. For each interpreter
# given (default: python3): a fresh venv with only the wheel, NumPy and the test tools; the
# tests run from a copy outside the source tree, with every LLVM library on this machine hidden
# (a private mount namespace) where we may, and the extension checked to need no LLVM.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
say() { printf '[test-wheel] %s\n' "$*"; }
die() { printf '[test-wheel] error: %s\n' "$*" >&2; exit 1; }

shopt -s nullglob
wheels=(dist/ufuncgen-*.whl)
[ "${#wheels[@]}" -eq 1 ] || die "expected one wheel in dist/, found ${#wheels[@]}: run make wheel"
WHEEL="$ROOT/${wheels[0]}"
[ "$#" -gt 0 ] || set -- python3

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ufuncgen-wheel-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
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

# The 2000-compile lifetime stress test (half the suite's time) already runs in `make test` on
# .venv's interpreter; the wheel runs it on the other interpreters only, to keep CI short.
STRESS=tests/python/binding/test_lifetime.py::test_two_thousand_compiled_ufuncs_are_freed
dev_ver="$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"

for python in "$@"; do
    command -v "$python" >/dev/null 2>&1 || die "no interpreter $python"
    ver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    venv="$WORK/venv-$ver"
    say "CPython $ver ($python): fresh venv, installing the wheel"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL" \
        -r packaging/requirements-test.txt
    site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    native=("$site"/ufuncgen/_native*.so)
    [ "${#native[@]}" -eq 1 ] || die "expected one extension in $site/ufuncgen"
    # Needs nothing beyond glibc, the C++ runtime and what auditwheel copied into ufuncgen.libs.
    deps="$(ldd "${native[0]}")"
    printf '%s\n' "$deps" | sed 's/^/    /'
    if grep -qi -e llvm -e 'not found' <<<"$deps"; then
        die "the extension needs LLVM or a missing library"
    fi
    numpy_ver="$("$venv/bin/python" -c 'import numpy; print(numpy.__version__)')"
    skip=()
    [ "$ver" = "$dev_ver" ] && skip=(--deselect "$STRESS")
    say "CPython $ver, NumPy $numpy_ver: running the suite from $TREE ${skip[*]}"
    (
        cd "$TREE"
        unset LD_LIBRARY_PATH PYTHONPATH
        # -I: neither the working directory nor PYTHON* variables reach sys.path.
        UFUNCGEN_TEST_INSTALLED_IN="$site" run_hidden "$venv/bin/python" -I -m pytest \
            -p no:cacheprovider --timeout=120 -q "${skip[@]}" ${PYTEST_ARGS:-} tests/python
    )
done
say "passed on: $*"

#!/usr/bin/env bash
# Builds the extension for a second interpreter (CPython 3.13 with NumPy >= 2.5, where NumPy's
# dispatcher differs from 2.4's) in its own venv and target dir, then runs the tests that
# exercise NumPy's dispatch: lazy ufuncs, ufunc objects, errors. Idempotent; CI runs it as
# `make test-py313`.
#   PY313=/path/to/python3.13   the interpreter (default: pyenv's 3.13.0)
#   PYTEST_ARGS=...             extra pytest arguments
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY313="${PY313:-$HOME/.pyenv/versions/3.13.0/bin/python}"
VENV="$ROOT/.venv313"
TARGET="$ROOT/target313"

say() { printf '[py313] %s\n' "$*"; }

[ -x "$PY313" ] || { say "no interpreter at $PY313 (set PY313)"; exit 2; }
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PY313" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import numpy, pytest, pytest_timeout, hypothesis' 2>/dev/null \
    || ! [ -x "$VENV/bin/maturin" ]; then
    say "installing numpy>=2.5 and the test tools"
    "$VENV/bin/pip" install -q "numpy>=2.5,<3" "pytest>=8,<10" "pytest-timeout>=2,<3" \
        "hypothesis>=6,<7" "maturin>=1.5,<2"
fi
# A separate target dir: pyo3 rebuilds for each interpreter, and sharing one would make the two
# builds undo each other. Seeding it from the main one spares rebuilding LLVM's bindings.
if [ ! -d "$TARGET" ] && [ -d "$ROOT/target" ]; then
    say "seeding $TARGET from target/"
    cp -r "$ROOT/target" "$TARGET"
fi
say "building the extension for $("$VENV/bin/python" -V) with NumPy $("$VENV/bin/python" -c 'import numpy; print(numpy.__version__)')"
(
    export VIRTUAL_ENV="$VENV" PYO3_PYTHON="$VENV/bin/python" CARGO_TARGET_DIR="$TARGET"
    "$VENV/bin/maturin" develop --release -q
)
say "running tests"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q --timeout=300 ${PYTEST_ARGS:-} \
    tests/python/test_lazy.py tests/python/test_ufunc_object.py tests/python/binding

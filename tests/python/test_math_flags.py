"""FP flags of math functions as NumPy's loops raise them, at every vector-math tier (the tier
in force here, and per-lane libm, libmvec and SVML in subprocesses), in the vector body and the
scalar tail, cpu and parallel: no underflow from expm1/log1p/tan/arcsin/arctan/sinh/tanh/
arcsinh/arctanh of the smallest subnormal nor from arctan2(1e-30f, 1e10f) (glibc raises it,
NumPy does not), and divide-by-zero from 0.0 ** -inf (NumPy raises it, glibc does not)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAG_BITS = {"divide": 1, "overflow": 2, "underflow": 4, "invalid": 8}
LENGTHS = (1, 3, 16, 17, 33)  # scalar loop only, vector body only, body and tail
UNARY = {  # kernel's math call -> NumPy ufunc
    "expm1": "expm1",
    "log1p": "log1p",
    "tan": "tan",
    "asin": "arcsin",
    "atan": "arctan",
    "sinh": "sinh",
    "tanh": "tanh",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
}
BINARY = {"atan2": "arctan2", "pow": "power"}


def cases():
    """(kernel call, NumPy ufunc, dtype, arguments) for every checked input."""
    out = []
    for dt in ("float32", "float64"):
        fi = np.finfo(dt)
        for call, uf in UNARY.items():
            for x in (fi.smallest_subnormal, -fi.smallest_subnormal, fi.tiny / 4):
                out.append((call, uf, dt, [float(x)]))
        # a NaN argument raises nothing (the range check must compare quietly); domain errors
        # and poles raise what NumPy raises even where a library does not (SVML: acosh(0.5),
        # atanh(2), log1p(-1)) or raises more (SVML: invalid for pow(-1, 1))
        for call, uf in UNARY.items():
            out.append((call, uf, dt, [np.nan]))
        out += [
            ("acosh", "arccosh", dt, [0.5]),
            ("atanh", "arctanh", dt, [2.0]),
            ("log1p", "log1p", dt, [-1.0]),
            ("pow", "power", dt, [-1.0, 1.0]),
            ("pow", "power", dt, [-1.0, 0.5]),
            ("pow", "power", dt, [0.5, np.nan]),
            ("atan2", "arctan2", dt, [0.5, np.nan]),
            ("atan2", "arctan2", dt, [1e-30, float(fi.max)]),
            ("atan2", "arctan2", dt, [0.5, float(fi.max)]),
        ]
        out.append(("atan2", "arctan2", dt, [1e-30, 1e10]))
        out.append(("atan2", "arctan2", dt, [float(fi.smallest_subnormal), 2.0]))
        for base in (0.0, -0.0):
            out.append(("pow", "power", dt, [base, -np.inf]))
            out.append(("pow", "power", dt, [base, -3.0]))
    return out


def flags_of(fn, *args) -> list[str]:
    seen = []
    with np.errstate(all="call", call=lambda kind, flag: seen.append(flag)):
        fn(*args)
    bits = 0
    for flag in seen:
        bits |= flag
    return sorted(n for n, b in FLAG_BITS.items() if bits & b)


def measure(ufunc_of) -> dict:
    """{case key: flags} with `ufunc_of(call, uf, dtype, target)` giving the function to call."""
    out = {}
    for call, uf, dt, args in cases():
        for target in ("cpu", "parallel"):
            f = ufunc_of(call, uf, dt, target)
            if f is None:
                continue
            for n in LENGTHS:
                arrays = [np.full(n, a, dt) for a in args]
                out[f"{call} {dt} {args} n={n} {target}"] = flags_of(f, *arrays)
    return out


def ours() -> dict:
    from vecmath_cases import make_kernel

    from ufuncgen import config

    @functools.cache
    def kernel(call, dt, target):
        arity = 1 if call in UNARY else 2
        sig = f"{dt}({', '.join([dt] * arity)})"
        return make_kernel(f"k_{call}", f"math.{call}", arity, [sig], target=target)

    result = measure(lambda call, uf, dt, target: kernel(call, dt, target))
    result["tier"] = config()["vector_library"]
    return result


def numpy_flags() -> dict:
    return measure(lambda call, uf, dt, target: getattr(np, uf) if target == "cpu" else None)


def svml_path() -> str | None:
    path = os.environ.get("UFUNCGEN_SVML_PATH") or os.path.join(sys.prefix, "lib", "libsvml.so")
    return path if os.path.exists(path) else None


TIERS = {
    "in_force": None,
    "scalar": {"UFUNCGEN_DISABLE_SVML": "1", "UFUNCGEN_DISABLE_LIBMVEC": "1"},
    "libmvec": {"UFUNCGEN_DISABLE_SVML": "1"},
    "svml": {"UFUNCGEN_SVML_PATH": svml_path() or ""},
}


@pytest.mark.parametrize("tier", list(TIERS))
def test_math_flags_match_numpy(tier):
    if tier == "svml" and svml_path() is None:
        pytest.skip("SVML not found (set UFUNCGEN_SVML_PATH or install it under sys.prefix/lib)")
    if TIERS[tier] is None:
        got = ours()
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
        env.update(TIERS[tier])
        run = subprocess.run(
            [sys.executable, __file__],
            env=env,
            cwd=str(ROOT),
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
        got = json.loads(run.stdout)
        if tier != "libmvec" or got["tier"] != "scalar":  # no libmvec.so.1: scalar instead
            assert got["tier"] == tier
    want = numpy_flags()
    bad = []
    for key, flags in got.items():
        if key == "tier":
            continue
        call_dt_args = key.rsplit(" n=", 1)[0]
        n = key.rsplit(" n=", 1)[1].split()[0]
        expected = want[f"{call_dt_args} n={n} cpu"]
        if flags != expected:
            bad.append(f"{key}: ours {flags}, NumPy {expected}")
    assert not bad, f"{len(bad)} differences at {got['tier']}:\n" + "\n".join(bad[:20])


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    print(json.dumps(ours()))

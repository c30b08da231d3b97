"""Vector math (issue 3): contiguous float loops call the vector entries, every function is
accurate to the bound below against exact (mpmath) results at every tier, special values match
NumPy exactly, and only fastmath=True carries fast-math flags.

The tier in force is tested in this process; the others run the same kernels in subprocesses
with the tier's environment variables (see vecmath_cases.py) and are judged here.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from vecmath_cases import (
    BY_NAME,
    DTYPES,
    FUNCS,
    compute,
    inputs_for,
    is_special,
    make_kernel,
    reference,
    signatures,
)

import ufuncgen

ROOT = Path(__file__).resolve().parents[2]

# The accuracy bounds: max ULP error (against the exact result rounded once) that each function
# may show at any tier, (float64, float32), as the compiler's one table declares them
# (ufuncgen/src/math_functions.rs, where a bound above 4 must say why).
MAX_ULP = {f.name: f.max_ulp for f in FUNCS}

# Every spelling of every function: the math ones (used by the accuracy kernels) first, one per
# function, then the NumPy ones (and their aliases, `np.asin` beside `np.arcsin`).
SPELLINGS = [(f.name, f.math_call) for f in FUNCS] + [
    (f.name, call) for f in FUNCS for call in f.np_calls
]

FEATURES = set(ufuncgen.config()["cpu_features"])


def widest_entries(dtype: np.dtype) -> list[str]:
    """Suffixes of the widest vector entries this CPU's loops call (`f64x8`, `f32x16`, ...)."""
    bits = 512 if "avx512f" in FEATURES else 256 if "avx2" in FEATURES else 0
    return [f"{dtype.name.replace('float', 'f')}x{bits // (dtype.itemsize * 8)}"] if bits else []


# --- 1. the loops call the vector entries ----------------------------------------------------


@pytest.mark.skipif(not widest_entries(DTYPES[0]), reason="no AVX2: no vector variants")
@pytest.mark.parametrize("name, call", SPELLINGS, ids=[c for _, c in SPELLINGS])
def test_contiguous_loop_calls_vector_entry(name, call):
    kernel = make_kernel(f"v_{name}", call, BY_NAME[name].arity, signatures(BY_NAME[name].arity))
    asm = ufuncgen.inspect_asm(kernel)
    for dt, sig in zip(DTYPES, signatures(BY_NAME[name].arity), strict=True):
        called = set(re.findall(r"\bcall\w*\s+\*?(ufg_\w+)", asm[sig]))
        # A code-generated routine (codegen/polymath.rs) is defined in the module and inlined
        # into the vector loop; a library entry is called.
        defined = set(re.findall(r"^(ufg_\w+):", asm[sig], re.MULTILINE))
        for sfx in widest_entries(dt):
            entry = f"ufg_{name}_{sfx}"
            assert entry in called | defined, f"{call} {dt}: calls {sorted(called)}"


def test_power_operator_calls_vector_entry():
    kernel = ufuncgen.vectorize(signatures(2))(lambda x, y: x**y)
    asm = ufuncgen.inspect_asm(kernel)
    for dt, sig in zip(DTYPES, signatures(2), strict=True):
        for sfx in widest_entries(dt):
            assert re.search(rf"\bcall\w*\s+ufg_pow_{sfx}\b", asm[sig]), f"{dt}"


# --- 2. accuracy and special values, per tier -------------------------------------------------


def svml_dir() -> str | None:
    """Where SVML is for the SVML tier: UFUNCGEN_SVML_PATH, else sys.prefix/lib."""
    path = os.environ.get("UFUNCGEN_SVML_PATH") or os.path.join(sys.prefix, "lib", "libsvml.so")
    return path if os.path.exists(path) else None


def _libmvec_present() -> bool:
    import ctypes

    try:
        ctypes.CDLL("libmvec.so.1")
    except OSError:
        return False
    return True


# Tier (as config() names it) -> the environment of its subprocess; "in_force" is this process.
TIERS = {
    "in_force": None,
    "scalar": {"UFUNCGEN_DISABLE_SVML": "1", "UFUNCGEN_DISABLE_LIBMVEC": "1"},
    "libmvec": {"UFUNCGEN_DISABLE_SVML": "1"},
    "svml": {"UFUNCGEN_SVML_PATH": svml_dir() or ""},
}


@functools.cache
def inputs(name: str) -> dict[str, np.ndarray]:
    """The argument columns of one function (see vecmath_cases.inputs_for), built once."""
    return inputs_for(BY_NAME[name], str(ROOT))


@functools.cache
def exact(name: str, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact results rounded to the dtype, and the mask of results exact by nature."""
    ins = inputs(name)
    args = [ins[f"{name}:{dtype}:{k}"] for k in range(BY_NAME[name].arity)]
    return reference(BY_NAME[name], np.dtype(dtype), args, ins.get(f"{name}:{dtype}:want"))


def _skip_reason(tier: str) -> str | None:
    if tier == "svml" and svml_dir() is None:
        return "SVML not found (set UFUNCGEN_SVML_PATH or install it under sys.prefix/lib)"
    if tier == "libmvec" and not _libmvec_present():
        return "no libmvec.so.1 on this system"
    if tier != "in_force" and tier == ufuncgen.config()["vector_library"]:
        return f"{tier} is the tier in force, tested in this process"
    return None


@functools.cache
def results(tier: str) -> tuple[dict[str, np.ndarray], dict]:
    """Every kernel's outputs at `tier`, and that process's `ufuncgen.config()`."""
    reason = _skip_reason(tier)
    if reason:
        pytest.skip(reason)
    all_inputs = {k: v for f in FUNCS for k, v in inputs(f.name).items()}
    if TIERS[tier] is None:
        return compute(all_inputs), ufuncgen.config()
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, "in.npz"), **all_inputs)
        env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
        env.update(TIERS[tier])
        script = Path(__file__).with_name("vecmath_cases.py")
        subprocess.run(
            [
                sys.executable,
                str(script),
                os.path.join(tmp, "in.npz"),
                os.path.join(tmp, "out.npz"),
            ],
            env=env,
            check=True,
            cwd=str(ROOT),
            timeout=120,
        )
        with np.load(os.path.join(tmp, "out.npz")) as data:
            out = dict(data)
    return out, json.loads(str(out.pop("config")))


TIER_IDS = list(TIERS)
CASES = [(f.name, dt.name) for f in FUNCS for dt in DTYPES]


@pytest.mark.parametrize("tier", TIER_IDS)
def test_tier_is_the_one_asked_for(tier):
    _, cfg = results(tier)
    if tier == "in_force":
        # The best library the environment allows: SVML, else libmvec, else per-lane libm.
        flag = lambda name: os.environ.get(name, "") not in ("", "0")
        if not flag("UFUNCGEN_DISABLE_SVML") and svml_dir() is not None:
            tier = "svml"
        elif not flag("UFUNCGEN_DISABLE_LIBMVEC") and _libmvec_present():
            tier = "libmvec"
        else:
            tier = "scalar"
    assert cfg["vector_library"] == tier
    if tier == "svml":
        path = svml_dir()
        expected = os.path.join(path, "libsvml.so") if os.path.isdir(path) else path
        assert os.path.realpath(cfg["svml_path"]) == os.path.realpath(expected)
    else:
        assert cfg["svml_path"] is None


def _bits(a: np.ndarray) -> np.ndarray:
    """The bit patterns of a float64/float32 array as int64."""
    return a.view(np.int64 if a.dtype == np.float64 else np.int32).astype(np.int64)


def ulp_distance(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """ULPs between same-dtype arrays, counting along the ordered line of floats (±0 are one
    point, and inf is one step past the largest finite number)."""

    def ordered(a):
        b = _bits(a)
        sign = np.int64(-(2**63)) if a.dtype == np.float64 else np.int64(-(2**31))
        return [int(-(x & ~sign)) if x & sign else int(x) for x in b]

    return np.array([abs(g - w) for g, w in zip(ordered(got), ordered(want), strict=True)])


def same_value(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Bit-identical, except that every NaN equals every NaN."""
    return (np.isnan(got) & np.isnan(want)) | (_bits(got) == _bits(want))


def _case(tier: str, name: str, dtype: str):
    out, _ = results(tier)
    f = BY_NAME[name]
    ins = inputs(name)
    args = [ins[f"{name}:{dtype}:{k}"] for k in range(f.arity)]
    got = out[f"{name}:{dtype}"]
    assert got.dtype == np.dtype(dtype) and got.shape == args[0].shape
    return f, args, got


def _rows(args, i) -> str:
    return "(" + ", ".join(repr(a[i]) for a in args) + ")"


@pytest.mark.parametrize("name, dtype", CASES)
@pytest.mark.parametrize("tier", TIER_IDS)
def test_max_ulp(tier, name, dtype):
    f, args, got = _case(tier, name, dtype)
    want, by_nature = exact(name, dtype)
    special = np.array([any(is_special(float(a[i])) for a in args) for i in range(len(got))])
    measured = ~special & ~by_nature
    assert measured.sum() >= 150
    err = ulp_distance(got[measured], want[measured])
    bound = MAX_ULP[name][DTYPES.index(np.dtype(dtype))]
    worst = int(np.argmax(err))
    rows = np.flatnonzero(measured)
    assert err.max() <= bound, (
        f"{name} {dtype} at {tier}: {err.max()} ULP > {bound} at {_rows(args, rows[worst])}: "
        f"got {got[rows[worst]]!r}, want {want[rows[worst]]!r}"
    )


@pytest.mark.parametrize("name, dtype", CASES)
@pytest.mark.parametrize("tier", TIER_IDS)
def test_special_values(tier, name, dtype):
    """Rows with a ±0, ±inf or NaN argument give NumPy's result bit for bit (any NaN for NaN).
    NumPy agrees with C99 on every such row here, so no exception is needed; erf and erfc, which
    NumPy lacks, are compared with Python's math module (C99's libm)."""
    f, args, got = _case(tier, name, dtype)
    want, by_nature = exact(name, dtype)
    special = np.array([any(is_special(float(a[i])) for a in args) for i in range(len(got))])
    with np.errstate(all="ignore"):
        numpy = f.numpy(*args)
    assert special.sum() >= 5
    problems = [
        f"{_rows(args, i)}: got {got[i]!r}, NumPy {numpy[i]!r}"
        for i in np.flatnonzero(special & ~same_value(got, numpy))
    ]
    # Results exact by nature (NaN outside the domain, infinities at poles, exact zeros).
    problems += [
        f"{_rows(args, i)}: got {got[i]!r}, exact {want[i]!r}"
        for i in np.flatnonzero(~special & by_nature & ~same_value(got, want))
    ]
    assert not problems, f"{name} {dtype} at {tier}:\n" + "\n".join(problems[:20])


# --- 3. fast-math flags only with fastmath=True ------------------------------------------------

FAST_FLAGS = re.compile(r"\b(fast|reassoc|contract|afn|arcp|nnan|ninf|nsz)\b")


@pytest.mark.parametrize("fastmath", [False, True])
def test_fast_math_flags_only_with_fastmath(fastmath):
    """The default IR is IEEE-exact (no flag anywhere); fastmath=True puts flags on every call
    of a vector-math entry, vector and scalar remainder alike."""
    wrong = []
    for name, call in SPELLINGS[: len(FUNCS)]:
        arity = BY_NAME[name].arity
        kernel = make_kernel(f"m_{name}", call, arity, signatures(arity), fastmath=fastmath)
        for sig, ir in ufuncgen.inspect_llvm(kernel).items():
            calls = [ln for ln in ir.splitlines() if re.search(rf"\bcall\b.*@ufg_{name}_f", ln)]
            assert calls, f"{call} {sig}: no call of ufg_{name}_*"
            if fastmath:
                wrong += [f"{call} {sig}: {c.strip()}" for c in calls if not FAST_FLAGS.search(c)]
            elif FAST_FLAGS.search(ir):
                wrong.append(f"{call} {sig}: {FAST_FLAGS.search(ir).group(0)}")
    assert not wrong, "\n".join(wrong[:20])

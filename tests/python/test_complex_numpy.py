"""Complex arithmetic exactly as NumPy's loops: values bit for bit (NaN == NaN) and FP flags
per element, for `*` (NumPy's fused SIMD product), `/` (Smith's method), `**` (npy_cpow) and
mixed operands (NumPy casts both to the complex result type first), in the scalar tail and the
vector body, cpu and parallel."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from numpy_diff import assert_identical

from ufuncgen import vectorize

C8, C16 = np.dtype(np.complex64), np.dtype(np.complex128)
FLAG_BITS = {"divide": 1, "overflow": 2, "underflow": 4, "invalid": 8}
TARGETS = ["cpu", "parallel"]


def flags_of(fn, *args):
    """(result, set of FP flags the call raised) under np.errstate(all='call')."""
    seen = []
    with np.errstate(all="call", call=lambda kind, flag: seen.append(flag)):
        result = fn(*args)
    bits = 0
    for flag in seen:
        bits |= flag
    return result, frozenset(n for n, b in FLAG_BITS.items() if bits & b)


def parts(dtype) -> list[float]:
    """Real and imaginary parts that reach every branch: zeros, units, tiny, subnormal, huge,
    inf, NaN, and integers (the small-integer powers)."""
    f = np.finfo(dtype)
    return [
        0.0,
        -0.0,
        1.0,
        -1.0,
        2.0,
        -3.0,
        0.5,
        1e-20,
        float(f.smallest_subnormal),
        float(f.tiny),
        float(f.max),
        -float(f.max),
        np.inf,
        -np.inf,
        np.nan,
    ]


def grid(dtype) -> np.ndarray:
    p = np.array(parts(dtype))
    re, im = np.meshgrid(p, p)
    z = np.empty(re.size, dtype)
    z.real, z.imag = re.ravel(), im.ravel()
    return z


def real_edges(dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.array([0, 1, 2, 3, -1 if dtype.kind == "i" else 7, info.max, info.min], dtype)
    return np.array(parts(dtype), dtype)


def operand_grid(t1, t2):
    """Every pair of edge values of the two dtypes, as two flat arrays."""
    a = grid(t1) if np.dtype(t1).kind == "c" else real_edges(t1)
    b = grid(t2) if np.dtype(t2).kind == "c" else real_edges(t2)
    aa, bb = np.meshgrid(a, b)
    return aa.ravel(), bb.ravel()


OPS = {
    "*": (lambda a, b: a * b, np.multiply),
    "/": (lambda a, b: a / b, np.true_divide),
    "**": (lambda a, b: a**b, np.power),
}
CASES = [
    ("*", C16, C16),
    ("*", C8, C8),
    ("/", C16, C16),
    ("/", C8, C8),
    ("**", C16, C16),
    ("**", C8, C8),
    # mixed operands: NumPy casts both to the result type, then runs the complex loop
    ("*", "f8", C8),
    ("*", "i8", C16),
    ("*", C8, "f4"),
    ("/", "i4", C8),
    ("/", C16, "f8"),
    ("**", C16, "u8"),
    ("**", C8, "i2"),
    ("**", "f8", C8),
]


@functools.cache
def kernel(op, t1, t2, target):
    out = np.result_type(np.dtype(t1), np.dtype(t2))
    signature = f"{out.name}({np.dtype(t1).name}, {np.dtype(t2).name})"
    return vectorize([signature], target=target)(OPS[op][0])


def numpy_per_element(op, a, b):
    """NumPy's value and flags for each element on its own (one-element arrays)."""
    want = np.empty(len(a), np.result_type(a, b))
    flags = []
    for i in range(len(a)):
        r, f = flags_of(OPS[op][1], a[i : i + 1], b[i : i + 1])
        want[i] = r[0]
        flags.append(f)
    return want, flags


@functools.cache
def reference(op, t1, t2):
    a, b = operand_grid(t1, t2)
    want, flags = numpy_per_element(op, a, b)
    return a, b, want, flags


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("op, t1, t2", CASES, ids=[f"{t1}{o}{t2}" for o, t1, t2 in CASES])
def test_values_and_flags_per_element(op, t1, t2, target):
    # One-element calls run the scalar loop: each element's value and flags on their own.
    a, b, want, flags = reference(op, t1, t2)
    f = kernel(op, t1, t2, target)
    bad = []
    for i in range(len(a)):
        got, got_flags = flags_of(f, a[i : i + 1], b[i : i + 1])
        if got_flags != flags[i]:
            bad.append((a[i], b[i], sorted(got_flags), sorted(flags[i])))
    assert not bad, f"{len(bad)} flag differences, first: {bad[:8]}"
    with np.errstate(all="ignore"):
        assert_identical(f(a, b), want)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("op, t1, t2", CASES, ids=[f"{t1}{o}{t2}" for o, t1, t2 in CASES])
def test_flags_in_vector_body_and_tail(op, t1, t2, target):
    # Elements grouped by the flags NumPy raises for them: a group run as one array (vector body
    # and scalar tail, at several lengths and offsets) raises exactly that group's flags.
    a, b, want, flags = reference(op, t1, t2)
    f = kernel(op, t1, t2, target)
    for fl in set(flags):
        idx = np.array([i for i, g in enumerate(flags) if g == fl])
        for n in (len(idx), 1, 3, 7, 8, 17, 33):
            for shift in (0, 5):
                sel = np.roll(idx, shift)[:n]
                got, got_flags = flags_of(f, a[sel], b[sel])
                assert got_flags == fl, (op, t1, t2, n, shift, a[sel][:4], b[sel][:4])
                with np.errstate(all="ignore"):
                    assert_identical(got, want[sel])


@pytest.mark.parametrize("target", TARGETS)
def test_issue_examples(target):
    # The cases reported: values and flags under np.errstate(all="raise").
    pw = kernel("**", C16, C16, target)
    dv = kernel("/", C16, C16, target)
    with np.errstate(all="raise"):
        assert_identical(pw(np.array([0j]), np.array([1 - 2j])), np.array([0j]))
        assert_identical(dv(np.array([1 + 0j]), np.array([-2j])), np.array([complex(-0.0, 0.5)]))
        assert_identical(
            kernel("/", "i4", C8, target)(np.array([1], "i4"), np.array([-2j], C8)),
            np.array([complex(-0.0, 0.5)]),
        )
        assert_identical(
            kernel("*", C16, C16, target)(np.array([-2j]), np.array([complex(np.inf, np.nan)])),
            np.multiply(np.array([-2j]), np.array([complex(np.inf, np.nan)])),
        )
        assert_identical(
            kernel("**", C16, "u8", target)(np.array([complex(0, np.inf)]), np.array([0], "u8")),
            np.array([1 + 0j]),
        )
    with np.errstate(all="raise", invalid="ignore"):
        dv(np.array([0j]), np.array([0j]))  # invalid only, no divide
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        pw(np.array([0j]), np.array([-2j]))

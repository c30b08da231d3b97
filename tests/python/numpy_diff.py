"""Helpers for the differential suite: dtypes, inputs with edge values, and the one table of
tolerances every comparison with NumPy uses. (A module of its own, not conftest.py: another
conftest.py lives in tests/python/binding/ and would shadow a `from conftest import`.)"""

from __future__ import annotations

import numpy as np

# Float arithmetic (+ - * / // %) is IEEE-exact in both NumPy and ufuncgen: compared bit for bit.
# Math functions go through different libraries (libm or a vector library here, NumPy's own SIMD
# loops there), each documented within 4 ulp: compared within the sum of the two. (Measured
# NumPy 2.4 vs glibc: at most 3 ulp on the test domains.)
MATH_ULPS = {np.dtype(np.float64): 8, np.dtype(np.float32): 8}
# Complex results whose algorithm may legitimately differ (division, abs, cmath functions).
COMPLEX_RTOL = {np.dtype(np.complex128): 1e-13, np.dtype(np.complex64): 2e-6}

# NumPy's own order (b B h H i I l L): a ufunc with loops in this order picks, for every input
# dtype, its own loop as the first one reachable by safe casting.
INT_DTYPES = [np.dtype(t) for t in "int8 uint8 int16 uint16 int32 uint32 int64 uint64".split()]
SIGNED_DTYPES = [d for d in INT_DTYPES if d.kind == "i"]
FLOAT_DTYPES = [np.dtype(np.float32), np.dtype(np.float64)]
COMPLEX_DTYPES = [np.dtype(np.complex64), np.dtype(np.complex128)]
NUMERIC_DTYPES = INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES

N_RANDOM = 200
# NumPy's type characters for 64-bit ints differ by platform ('l' on Linux, 'q' on Windows).
I8 = np.dtype(np.int64).char
U8 = np.dtype(np.uint64).char


def sig(ret, *args) -> str:
    """A signature string from dtypes, e.g. ``float64(float64, float64)``."""
    ret_name = "" if ret is None else np.dtype(ret).name
    return f"{ret_name}({', '.join(np.dtype(a).name for a in args)})"


def edge_values(dtype) -> np.ndarray:
    """The values where implementations usually differ: extremes, zeros, ±1, inf, NaN."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = [info.min, info.min + 1, -2, -1, 0, 1, 2, 3, 7, info.max - 1, info.max]
        return np.array([v for v in vals if info.min <= v <= info.max], dtype=dtype)
    if dtype.kind == "f":
        info = np.finfo(dtype)
        vals = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -2.5,
            3.0,
            1e-30,
            info.tiny,
            info.max,
            -info.max,
            np.inf,
            -np.inf,
            np.nan,
        ]
        return np.array(vals, dtype=dtype)
    if dtype.kind == "c":
        part = edge_values(np.float32 if dtype.itemsize == 8 else np.float64)
        part = part[np.isfinite(part) & (np.abs(part) < 1e10)]
        re, im = np.meshgrid(part, part)
        return (re.ravel() + 1j * im.ravel()).astype(dtype)
    if dtype.kind == "b":
        return np.array([False, True])
    raise ValueError(dtype)


def random_values(rng: np.random.Generator, dtype, n: int = N_RANDOM) -> np.ndarray:
    """Random values spread over the dtype's range (ints) or many magnitudes (floats)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        wide = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        small = rng.integers(max(info.min, -100), min(info.max, 100), n, dtype=dtype)
        return np.concatenate([wide, small])
    if dtype.kind == "f":
        mags = 10.0 ** rng.uniform(-5, 5, n)
        return (rng.choice([-1.0, 1.0], n) * mags).astype(dtype)
    if dtype.kind == "c":
        part = np.float32 if dtype.itemsize == 8 else np.float64
        return (random_values(rng, part, n) + 1j * random_values(rng, part, n)).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, n).astype(bool)
    raise ValueError(dtype)


def values(rng, dtype, n: int = N_RANDOM) -> np.ndarray:
    """Edge values followed by random ones."""
    return np.concatenate([edge_values(dtype), random_values(rng, dtype, n)])


def pairs(rng, dtype, n: int = N_RANDOM) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of edge values, plus random pairs."""
    edge = edge_values(dtype)
    a, b = np.meshgrid(edge, edge)
    ra, rb = random_values(rng, dtype, n), random_values(rng, dtype, n)
    return np.concatenate([a.ravel(), ra]), np.concatenate([b.ravel(), rb])


def assert_identical(got, want) -> None:
    """Same dtype, shape and values; floats bit for bit (sign of zero included), NaN == NaN."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    if got.dtype.kind == "c":
        assert_identical(got.real, want.real)
        assert_identical(got.imag, want.imag)
        return
    if got.dtype.kind == "f":
        nan_g, nan_w = np.isnan(got), np.isnan(want)
        bad = (nan_g != nan_w) | (~nan_w & ((got != want) | (np.signbit(got) != np.signbit(want))))
    else:
        bad = got != want
    if bad.any():
        idx = np.flatnonzero(bad)[:10]
        raise AssertionError(
            f"{bad.sum()} of {bad.size} differ; first: "
            + ", ".join(f"[{i}] got {got.flat[i]!r} want {want.flat[i]!r}" for i in idx)
        )


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between two float arrays of one dtype (NaN vs NaN is 0)."""
    itype = {4: np.int32, 8: np.int64}[a.dtype.itemsize]
    ia, ib = a.view(itype).astype(np.int64), b.view(itype).astype(np.int64)
    # Map the sign-magnitude bit patterns onto a monotonic integer line.
    low = np.iinfo(itype).min
    ia = np.where(ia < 0, low - ia, ia).astype(object)
    ib = np.where(ib < 0, low - ib, ib).astype(object)
    dist = np.abs(ia - ib)
    both_nan = np.isnan(a) & np.isnan(b)
    return np.where(both_nan, 0, dist)


def assert_ulp_close(got, want, ulps: int | None = None) -> None:
    """Same dtype and shape; every float within ``ulps`` (default: ``MATH_ULPS``) of NumPy's."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    limit = MATH_ULPS[got.dtype] if ulps is None else ulps
    dist = ulp_distance(got.ravel(), want.ravel())
    bad = dist > limit
    if bad.any():
        idx = np.flatnonzero(bad)[:10]
        raise AssertionError(
            f"{bad.sum()} of {bad.size} beyond {limit} ulp; first: "
            + ", ".join(
                f"[{i}] got {got.flat[i]!r} want {want.flat[i]!r} ({dist[i]} ulp)" for i in idx
            )
        )


def assert_complex_close(got, want) -> None:
    """Same dtype and shape; complex values within ``COMPLEX_RTOL`` (NaNs in the same places)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"dtype {got.dtype} != {want.dtype}"
    np.testing.assert_allclose(got, want, rtol=COMPLEX_RTOL[got.dtype], atol=0, equal_nan=True)

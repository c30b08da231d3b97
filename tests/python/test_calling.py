"""Calling compiled ufuncs the ways NumPy allows, each compared with NumPy on the same data."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
from numpy_diff import FLOAT_DTYPES, INT_DTYPES, assert_identical, random_values, sig

from ufuncgen import vectorize

ADD_DTYPES = INT_DTYPES + FLOAT_DTYPES  # in NumPy's order: b B h H i I l L f d


def _add(a, b):
    return a + b


def _sub_twice(a, b):
    return a - 2 * b


@pytest.fixture(scope="module")
def add():
    """a + b for every integer and float dtype, narrow types first (NumPy's order)."""
    return vectorize([sig(d, d, d) for d in ADD_DTYPES], identity=0)(_add)


@pytest.fixture(scope="module")
def sub_twice():
    """A non-commutative, non-associative kernel: catches swapped operands in reduce/accumulate."""
    return vectorize(["int64(int64, int64)", "float64(float64, float64)"])(_sub_twice)


@pytest.mark.parametrize("dtype", ADD_DTYPES, ids=str)
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 31, 1003])
def test_contiguous_sizes(add, rng, dtype, n):
    vals = random_values(rng, dtype, 2 * n + 1)
    a, b = vals[:n], vals[n : 2 * n]
    with np.errstate(over="ignore"):
        assert_identical(add(a, b), np.add(a, b))


@pytest.mark.parametrize("dtype", [np.dtype(np.int16), np.dtype(np.float64)], ids=str)
@pytest.mark.parametrize(
    "view",
    [
        lambda x: x[::2],
        lambda x: x[::-1],
        lambda x: x[::-3],
        lambda x: x.reshape(20, 50).T,
        lambda x: np.asfortranarray(x.reshape(25, 40)),
        lambda x: x.reshape(10, 100)[:, 1::7],
        lambda x: np.broadcast_to(x[:1], (300,)),
    ],
    ids=["step2", "reversed", "step-3", "transposed", "fortran", "2d-slice", "stride0"],
)
def test_strided_inputs(add, rng, dtype, view):
    a = view(random_values(rng, dtype, 1000)[:1000])
    b = view(random_values(rng, dtype, 1000)[-1000:])
    with np.errstate(over="ignore"):
        assert_identical(add(a, b), np.add(a, b))


def test_strided_output(add, rng):
    a, b = rng.standard_normal(100), rng.standard_normal(100)
    out = np.zeros(300)
    res = add(a, b, out=out[::-3])
    assert res.base is out
    want = np.zeros(300)
    np.add(a, b, out=want[::-3])
    assert_identical(out, want)


def test_broadcasting(add, rng):
    a = rng.standard_normal((4, 1, 3))
    b = rng.standard_normal((5, 1))
    assert_identical(add(a, b), np.add(a, b))
    assert_identical(add(a, 2.5), np.add(a, 2.5))
    assert add(a, b).shape == (4, 5, 3)


def test_zero_dim_and_scalars(add):
    res = add(np.float64(1.5), np.float64(2.25))
    assert isinstance(res, np.float64) and res == 3.75
    assert_identical(add(np.array(1.5), np.array(-0.5)), np.add(np.array(1.5), np.array(-0.5)))
    assert add(1.5, 2.0) == 3.5
    assert_identical(add(np.int8(100), np.int8(100)), np.add(np.int8(100), np.int8(100)))


def test_empty(add):
    assert_identical(add(np.array([]), np.array([])), np.add(np.array([]), np.array([])))
    e = np.empty((3, 0), dtype=np.int32)
    assert_identical(add(e, e), np.add(e, e))


def test_out_argument(add, rng):
    a, b = rng.standard_normal(50), rng.standard_normal(50)
    out = np.empty(50)
    res = add(a, b, out=out)
    assert res is out
    assert_identical(out, np.add(a, b))
    out2 = np.empty(50)
    assert add(a, b, out=(out2,)) is out2
    assert_identical(out2, np.add(a, b))


def test_in_place_and_overlapping_out(add, rng):
    x = rng.integers(-1000, 1000, 1001).astype(np.int64)
    want = x[:-1] + x[1:]
    y = x.copy()
    add(y[:-1], y[1:], out=y[1:])
    assert_identical(y[1:], want)
    z = x.copy()
    add(z, z, out=z)
    assert_identical(z, x + x)


def test_where(add, rng):
    a, b = rng.standard_normal(64), rng.standard_normal(64)
    mask = rng.integers(0, 2, 64).astype(bool)
    out = np.full(64, -7.0)
    want = np.full(64, -7.0)
    add(a, b, out=out, where=mask)
    np.add(a, b, out=want, where=mask)
    assert_identical(out, want)


def test_dtype_argument_selects_loop(add):
    a = np.arange(5, dtype=np.int16)
    res = add(a, a, dtype=np.float64)
    assert res.dtype == np.float64
    assert_identical(res, np.add(a, a, dtype=np.float64))
    assert add(a, a, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("dtype", ADD_DTYPES, ids=str)
def test_exact_loop_wins_in_numpy_order(add, dtype):
    a = np.arange(6, dtype=dtype)
    assert add(a, a).dtype == dtype


def test_exact_loop_wins_over_earlier_safe_cast():
    # uint8 reaches int16 by a safe cast, and that loop comes first, but an exact match wins.
    f = vectorize(["int16(int16, int16)", "uint8(uint8, uint8)"])(_add)
    a = np.array([200, 100], dtype=np.uint8)
    assert f(a, a).dtype == np.uint8
    assert_identical(f(a, a), np.add(a, a))
    assert f(np.int8(3), np.int8(4)).dtype == np.int16


def test_safe_casting_in_signature_order():
    f = vectorize(["int64(int64, int64)", "float64(float64, float64)"])(_add)
    g = vectorize(["float64(float64, float64)", "int64(int64, int64)"])(_add)
    a = np.array([1, 2, 3], dtype=np.int32)
    assert f(a, a).dtype == np.int64
    # int32 reaches float64 by a safe cast too, and that loop comes first in g.
    assert g(a, a).dtype == np.float64
    assert_identical(g(a, a), np.array([2.0, 4.0, 6.0]))
    # uint64 cannot reach int64 safely, only float64.
    u = np.array([2**63, 5], dtype=np.uint64)
    assert f(u, u).dtype == np.float64


def test_casting_keyword():
    f = vectorize(["int64(int64, int64)"])(_add)
    x = np.array([1.7, -2.2, 3.9])
    with pytest.raises(TypeError):
        f(x, x)
    # NumPy searches loops with safe input casts whatever `casting` says; naming the loop's
    # dtype lets `casting="unsafe"` cast the inputs to it.
    res = f(x, x, dtype=np.int64, casting="unsafe")
    assert_identical(res, np.add(x, x, dtype=np.int64, casting="unsafe"))
    assert_identical(res, x.astype(np.int64) + x.astype(np.int64))
    g = vectorize(["float64(float64, float64)"])(_add)
    out = np.empty(3, dtype=np.int32)
    with pytest.raises(TypeError):
        g(x, x, out=out)
    g(x, x, out=out, casting="unsafe")
    assert_identical(out, (x + x).astype(np.int32))


def _py_reduce(op, x):
    return functools.reduce(op, x.tolist())


@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, (0, 2), (1, 2), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_axes(add, rng, axis, keepdims):
    x = rng.integers(-(2**20), 2**20, (3, 4, 5)).astype(np.int64)
    assert_identical(
        add.reduce(x, axis=axis, keepdims=keepdims), np.add.reduce(x, axis=axis, keepdims=keepdims)
    )


def test_reduce_float_exact_values(add, rng):
    # Small integers in float64: every summation order gives the same exact result.
    x = rng.integers(-1000, 1000, (7, 1001)).astype(np.float64)
    assert_identical(add.reduce(x, axis=1), np.add.reduce(x, axis=1))
    assert_identical(add.reduce(x, axis=0), np.add.reduce(x, axis=0))
    assert_identical(add.reduce(x[:, ::-2], axis=1), np.add.reduce(x[:, ::-2], axis=1))


def test_reduce_empty_with_identity(add):
    for dtype in (np.int64, np.float32, np.uint8):
        empty = np.array([], dtype=dtype)
        # np.add.reduce widens small ints by itself; dtype= asks for the plain loop.
        assert_identical(add.reduce(empty), np.add.reduce(empty, dtype=dtype))
    e = np.empty((0, 3), dtype=np.int64)
    assert_identical(add.reduce(e, axis=0), np.zeros(3, dtype=np.int64))


def test_reduce_initial_and_where(add):
    x = np.arange(10, dtype=np.int64)
    assert add.reduce(x, initial=100) == 145
    mask = x % 3 == 0
    assert add.reduce(x, where=mask, initial=0) == np.add.reduce(x, where=mask, initial=0)


def test_reduce_order_non_commutative(sub_twice, rng):
    x = rng.integers(-100, 100, 1001).astype(np.int64)
    assert sub_twice.reduce(x) == _py_reduce(lambda a, b: a - 2 * b, x)
    xf = x.astype(np.float64)
    assert sub_twice.reduce(xf) == _py_reduce(lambda a, b: a - 2 * b, xf)


def test_accumulate(add, rng):
    x = rng.integers(-1000, 1000, (5, 1001)).astype(np.int64)
    assert_identical(add.accumulate(x, axis=1), np.add.accumulate(x, axis=1))
    assert_identical(add.accumulate(x, axis=0), np.add.accumulate(x, axis=0))
    xf = rng.standard_normal(2000)
    # accumulate is sequential in NumPy too: bit-identical.
    assert_identical(add.accumulate(xf), np.add.accumulate(xf))


def test_accumulate_non_commutative(sub_twice, rng):
    x = rng.integers(-100, 100, 513).astype(np.int64)
    want = np.array(list(itertools.accumulate(x.tolist(), lambda a, b: a - 2 * b)))
    assert_identical(sub_twice.accumulate(x), want.astype(np.int64))


def test_accumulate_in_place(add, rng):
    x = rng.integers(-1000, 1000, 4097).astype(np.int64)
    want = np.add.accumulate(x)
    add.accumulate(x, out=x)
    assert_identical(x, want)


def test_reduceat(add, rng):
    x = rng.integers(-1000, 1000, 20).astype(np.int64)
    idx = [0, 4, 4, 10, 3, 19]
    assert_identical(add.reduceat(x, idx), np.add.reduceat(x, idx))
    m = x.reshape(4, 5)
    assert_identical(add.reduceat(m, [0, 2], axis=1), np.add.reduceat(m, [0, 2], axis=1))


def test_outer(add, sub_twice, rng):
    a, b = rng.standard_normal(7), rng.standard_normal((2, 3))
    assert_identical(add.outer(a, b), np.add.outer(a, b))
    ia, ib = np.arange(4, dtype=np.int64), np.arange(3, dtype=np.int64)
    assert_identical(sub_twice.outer(ia, ib), np.subtract.outer(ia, 2 * ib))


def test_at(add, sub_twice, rng):
    x = rng.integers(-100, 100, 10).astype(np.int64)
    idx = np.array([0, 3, 3, 9, 0, 0])
    vals = np.arange(6, dtype=np.int64)
    got, want = x.copy(), x.copy()
    add.at(got, idx, vals)
    np.add.at(want, idx, vals)
    assert_identical(got, want)
    got = x.copy()
    sub_twice.at(got, idx, vals)
    want = x.copy()
    for i, v in zip(idx, vals, strict=True):
        want[i] = want[i] - 2 * v
    assert_identical(got, want)


def test_unsupported_dtype_raises_type_error():
    f = vectorize(["int64(int64, int64)"])(_add)
    with pytest.raises(TypeError):
        f(np.array(["a"]), np.array(["b"]))
    with pytest.raises(TypeError):
        f(np.array([1 + 2j]), np.array([1j]))

"""Keeps docs/numba-differences.md true: each claim there, measured against the installed Numba
(skipped without it). A failure here means Numba changed or we did: update the page."""

from __future__ import annotations

import numpy as np
import pytest

import ufuncgen

numba = pytest.importorskip("numba")


def flags(fn):
    """(result or the exception's type, NumPy FP flag bits raised)."""
    bits = [0]

    def handler(_kind, flag):
        bits[0] |= flag

    with np.errstate(all="call", call=handler):
        try:
            res = fn()
        except ValueError as exc:
            res = type(exc)
    return res, bits[0]


def both(sigs, kernel, **kw):
    return numba.vectorize(sigs, **kw)(kernel), ufuncgen.vectorize(sigs, **kw)(kernel)


def test_exact_dtype_match_wins_over_first_safe_cast_loop():
    nb, ug = both(["f8(f8)", "f4(f4)"], lambda x: x + 1)
    x = np.ones(3, np.float32)
    assert nb(x).dtype == np.float64
    assert ug(x).dtype == np.float32


def test_python_literals_are_weak():
    nb, ug = both(["f8(f4)"], lambda x: x * 0.1)
    x = np.array([3.0], np.float32)
    assert nb(x)[0] == 3.0 * 0.1  # float64 arithmetic
    assert ug(x)[0] == np.float64(x[0] * np.float32(0.1))  # float32, as NumPy
    nb, ug = both(["i8(i1)"], lambda x: x + 100)
    x = np.array([100], np.int8)
    assert nb(x)[0] == 200  # int64 arithmetic
    assert ug(x)[0] == -56  # int8 wraps, as np.array([100], np.int8) + 100


def test_cube_calls_pow():
    nb, ug = both(["f8(f8)"], lambda x: x**3)
    x = np.random.default_rng(0).uniform(-10, 10, 100_000)
    want = np.power(x, 3)
    # Numba multiplies (x * x * x): a quarter of the results differ in the last bit.
    assert np.count_nonzero(nb(x) != want) > 10_000
    np.testing.assert_array_almost_equal_nulp(ug(x), want, nulp=4)


def test_integer_division_by_zero_raises_the_divide_flag():
    for kernel in (lambda a, b: a // b, lambda a, b: a % b):
        nb, ug = both(["i8(i8, i8)"], kernel)
        a, b = np.array([7]), np.array([0])
        res, bits = flags(lambda f=nb, a=a, b=b: f(a, b))
        assert res[0] == 0 and bits == 0
        res, bits = flags(lambda f=ug, a=a, b=b: f(a, b))
        assert res[0] == 0 and bits == 1  # divide, as NumPy


def test_integer_to_negative_power():
    nb, ug = both(["i8(i8, i8)"], lambda a, b: a**b)
    a, b = np.array([2]), np.array([-1])
    res, _ = flags(lambda: nb(a, b))
    assert res[0] == 0
    assert flags(lambda: ug(a, b))[0] is ValueError  # as NumPy


def test_signatures_give_a_real_ufunc():
    nb, ug = both(["f8(f8)"], lambda x: x)
    assert not isinstance(nb, np.ufunc)  # Numba's DUFunc wraps one
    assert isinstance(ug, np.ufunc)


def test_shared_behaviour():
    # Where the two agree (the page says so): bool + bool is Python's int, int(nan) is
    # INT64_MIN with the invalid flag.
    nb, ug = both(["i8(b1, b1)"], lambda a, b: a + b)
    t = np.array([True])
    assert nb(t, t)[0] == ug(t, t)[0] == 2
    nb, ug = both(["i8(f8)"], lambda x: int(x))
    x = np.array([np.nan, 1e30])
    for f in (nb, ug):
        res, bits = flags(lambda f=f: f(x))
        assert list(res) == [np.iinfo(np.int64).min] * 2 and bits == 8


def test_parallel_accumulate_is_numpys():
    # Numba's parallel accumulate was measured wrong in 8 of 20 calls on 100,000 elements (and
    # its reduce differs from np.add.reduce in the last bits); not asserted, as it is a race.
    ug = ufuncgen.vectorize(["f8(f8, f8)"], target="parallel")(lambda a, b: a + b)
    x = np.arange(100_000.0)
    for _ in range(20):
        np.testing.assert_array_equal(ug.accumulate(x), np.add.accumulate(x))
        assert ug.reduce(x) == np.add.reduce(x)

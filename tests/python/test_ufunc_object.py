"""The object a decorator returns: a real numpy.ufunc with the right metadata."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy_diff import I8

import ufuncgen
from ufuncgen import vectorize

SCALE = 2.0
OFFSET = 3


def test_is_a_real_ufunc():
    @vectorize(["float64(float64, float64)"])
    def f(a, b):
        return a + b

    assert isinstance(f, np.ufunc)
    assert type(f) is np.ufunc
    assert f.signature is None
    assert f(np.float64(1.5), np.float64(2.0)) == 3.5


@pytest.mark.parametrize(
    "sigs, types",
    [
        (["float64(float64, float64)", "float32(float32, float32)"], ["dd->d", "ff->f"]),
        (["float32(float32, float32)", "float64(float64, float64)"], ["ff->f", "dd->d"]),
        (["f8(f8,f8)", "i8(i8,i8)", "u1(u1,u1)"], ["dd->d", f"{I8}{I8}->{I8}", "BB->B"]),
        (["complex128(complex128, complex128)", "c8(c8, c8)"], ["DD->D", "FF->F"]),
        (["int32(int32, int32)"], ["ii->i"]),
    ],
)
def test_types_follow_signature_order(sigs, types):
    f = vectorize(sigs)(lambda a, b: a + b)
    assert f.types == types
    assert f.ntypes == len(types)


def test_single_string_signature():
    f = vectorize("float64(float64)")(lambda x: x * 2.0)
    assert f.types == ["d->d"]
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 2.0, 4.0])


def test_name_and_doc():
    @vectorize(["float64(float64)"])
    def scaled_square(x):
        """Squares x and scales it."""
        return x * x

    assert scaled_square.__name__ == "scaled_square"
    assert "Squares x and scales it." in scaled_square.__doc__


def _unary(a):
    return a + 1


def _binary(a, b):
    return a - b


def _ternary(a, b, c):
    return a * b + c


def _quaternary(a, b, c, d):
    return a * b - c * d


KERNELS_BY_ARITY = {1: _unary, 2: _binary, 3: _ternary, 4: _quaternary}


@pytest.mark.parametrize(
    "nin, sigs",
    [
        (1, ["float64(float64)"]),
        (2, ["float64(float64, float64)"]),
        (3, ["float64(float64, float64, float64)"]),
        (4, ["int64(int64, int64, int64, int64)"]),
    ],
)
def test_nin_nout(nin, sigs):
    src = KERNELS_BY_ARITY[nin]
    f = vectorize(sigs)(src)
    assert (f.nin, f.nout, f.nargs) == (nin, 1, nin + 1)
    args = [np.arange(1, 6, dtype=f.types[0][0]) * (i + 2) for i in range(nin)]
    np.testing.assert_array_equal(f(*args), src(*args))


def _add(a, b):
    return a + b


@pytest.mark.parametrize(
    "identity, sig, dtype, empty_result",
    [
        (0, "int64(int64, int64)", np.int64, 0),
        (1, "int64(int64, int64)", np.int64, 1),
        (0, "float64(float64, float64)", np.float64, 0.0),
        (1, "float32(float32, float32)", np.float32, 1.0),
        (5, "int32(int32, int32)", np.int32, 5),
        (-1.5, "float64(float64, float64)", np.float64, -1.5),
    ],
)
def test_identity_value(identity, sig, dtype, empty_result):
    f = vectorize([sig], identity=identity)(_add)
    assert f.identity == identity
    got = f.reduce(np.array([], dtype=dtype))
    assert got == empty_result
    assert np.asarray(got).dtype == np.dtype(dtype)
    # NumPy starts every reduction from the identity, not only empty ones.
    x = np.array([2, 3, 4], dtype=dtype)
    assert f.reduce(x) == np.add.reduce(x, initial=empty_result)


def test_identity_none():
    f = vectorize(["int64(int64, int64)"], identity=None)(_add)
    assert f.identity is None
    with pytest.raises(ValueError):
        f.reduce(np.array([], dtype=np.int64))
    # Without "reorderable", NumPy refuses to reduce over several axes at once.
    with pytest.raises(ValueError):
        f.reduce(np.ones((2, 3), dtype=np.int64), axis=(0, 1))
    assert f.reduce(np.array([1, 2, 3], dtype=np.int64)) == 6


def test_identity_reorderable():
    f = vectorize(["int64(int64, int64)"], identity="reorderable")(_add)
    assert f.identity is None
    with pytest.raises(ValueError):
        f.reduce(np.array([], dtype=np.int64))
    assert f.reduce(np.arange(6, dtype=np.int64).reshape(2, 3), axis=(0, 1)) == 15


def test_default_identity_is_none():
    f = vectorize(["float64(float64, float64)"])(_add)
    assert f.identity is None


def test_lambda():
    f = vectorize(["float64(float64, float64)"])(lambda a, b: a * b - 1.0)
    assert isinstance(f, np.ufunc)
    assert f.__name__ == "<lambda>"
    x = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(f(x, x[::-1]), x * x[::-1] - 1.0)


def test_lambdas_on_one_line_are_told_apart():
    f, g = vectorize("f8(f8)")(lambda x: x + 1.0), vectorize("f8(f8)")(lambda y: y * 10.0)
    assert f(np.float64(2.0)) == 3.0
    assert g(np.float64(2.0)) == 20.0


def _make_scaler(k):
    def scale(x):
        return x * k

    return vectorize(["float64(float64)"])(scale)


def test_closures_over_numbers():
    double, triple = _make_scaler(2.0), _make_scaler(3)
    x = np.array([1.0, -2.5, 4.0])
    np.testing.assert_array_equal(double(x), x * 2.0)
    np.testing.assert_array_equal(triple(x), x * 3)


def test_closure_over_numpy_scalar():
    k = np.float32(0.1)

    @vectorize(["float64(float64)"])
    def f(x):
        return x + k

    # A NumPy scalar is a strong float32 constant: NumPy promotes it to float64 with x.
    assert f(np.float64(1.0)) == np.float64(1.0) + k


def test_module_constants_frozen_at_decoration():
    global SCALE, OFFSET

    @vectorize(["float64(float64)"])
    def f(x):
        return x * SCALE + OFFSET

    saved = SCALE, OFFSET
    try:
        SCALE, OFFSET = 10.0, 100
        x = np.array([1.0, 2.0])
        np.testing.assert_array_equal(f(x), x * 2.0 + 3)
    finally:
        SCALE, OFFSET = saved


def test_math_constants_and_aliases():
    from math import exp as e_to_the

    @vectorize(["float64(float64)"])
    def f(x):
        return e_to_the(x) * math.pi + np.e

    x = np.array([0.0, 1.0, -2.0])
    np.testing.assert_allclose(f(x), np.exp(x) * np.pi + np.e, rtol=1e-15)


def test_exports():
    for name in (
        "vectorize",
        "inspect_llvm",
        "inspect_asm",
        "config",
        "CompileError",
        "TypingError",
        "UnsupportedError",
        "SignatureError",
        "__version__",
    ):
        assert hasattr(ufuncgen, name), name
    assert issubclass(ufuncgen.TypingError, ufuncgen.CompileError)
    assert issubclass(ufuncgen.UnsupportedError, ufuncgen.CompileError)
    assert issubclass(ufuncgen.SignatureError, ufuncgen.CompileError)
    assert issubclass(ufuncgen.SignatureError, ValueError)


def test_bare_decorator_with_signatures_keyword():
    f = vectorize(signatures=["int64(int64)"])(lambda x: -x)
    assert f.types == [f"{I8}->{I8}"]
    np.testing.assert_array_equal(f(np.array([1, -2, 3])), [-1, 2, -3])


def test_nopython_false_changes_nothing():
    f = vectorize(["float64(float64)"], nopython=False)(lambda x: x + 0.5)
    assert isinstance(f, np.ufunc)
    assert f(np.float64(1.0)) == 1.5

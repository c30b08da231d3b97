"""Inputs a gufunc kernel stores into are read-write for NumPy (issue 9, item 1).

NumPy passes such an operand with `NPY_ITER_READWRITE | NPY_ITER_UPDATEIFCOPY`, so a cast copy
is written back to the caller's array and a read-only array is refused by NumPy itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from ufuncgen import SignatureError, guvectorize


def fill(x, v, out):
    for i in range(x.shape[0]):
        x[i] = v + i
    out[0] = x.shape[0]


def scale_rows(m, k, out):
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            m[i, j] = m[i, j] * k
    out[0] = m[0, 0]


def add_into(x, y, out):
    for i in range(x.shape[0]):
        x[i] += y[i]
    out[0] = x[0]


def read_only(x, y, out):
    out[0] = x[0] + y[0]


FILL = ["void(float64[:], float64, float64[:])"]


@pytest.mark.parametrize("target", ["cpu", "parallel"])
@pytest.mark.parametrize("writable", [(), (0,), ("x",)])
def test_cast_copy_is_written_back(target, writable):
    f = guvectorize(FILL, "(n),()->()", target=target, writable_args=writable)(fill)
    x = np.zeros(5, dtype=np.float32)
    f(x, 2.0)
    np.testing.assert_array_equal(x, np.array([2, 3, 4, 5, 6], dtype=np.float32))
    # Many rows, so the parallel target has something to split.
    xs = np.zeros((3000, 4), dtype=np.float32)
    f(xs, 1.0)
    np.testing.assert_array_equal(xs, np.tile(np.float32([1, 2, 3, 4]), (3000, 1)))


@pytest.mark.parametrize("target", ["cpu", "parallel"])
def test_same_dtype_is_written_in_place(target):
    f = guvectorize(FILL, "(n),()->()", target=target)(fill)
    x = np.zeros(4)
    f(x, 10.0)
    np.testing.assert_array_equal(x, [10.0, 11.0, 12.0, 13.0])
    # A strided view of a larger buffer: the writes land in the buffer.
    buf = np.zeros(8)
    f(buf[::2], 1.0)
    np.testing.assert_array_equal(buf, [1, 0, 2, 0, 3, 0, 4, 0])


@pytest.mark.parametrize("target", ["cpu", "parallel"])
def test_two_dimensional_core_written_back(target):
    f = guvectorize(["void(float64[:, :], float64, float64[:])"], "(m,n),()->()", target=target)(
        scale_rows
    )
    m = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    want = m * np.float32(3)
    f(m, 3.0)
    np.testing.assert_array_equal(m, want)
    # A Fortran-ordered array is written back in place too.
    t = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    f(t, 2.0)
    np.testing.assert_array_equal(t, np.arange(12.0).reshape(3, 4) * 2)


def test_read_only_array_is_refused_by_numpy():
    f = guvectorize(FILL, "(n),()->()")(fill)
    x = np.zeros(4)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        f(x, 1.0)
    np.testing.assert_array_equal(x, 0.0)
    # An input the kernel only reads may stay read-only.
    g = guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()")(read_only)
    assert g(x, x) == 0.0


def test_listed_but_unwritten_input_is_read_write_like_numba():
    sigs = ["void(float64[:], float64[:], float64[:])"]
    g = guvectorize(sigs, "(n),(n)->()", writable_args=("y",))(read_only)
    y = np.ones(3)
    y.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        g(np.ones(3), y)
    assert g(np.ones(3), np.ones(3)) == 2.0


@pytest.mark.parametrize("target", ["cpu", "parallel"])
def test_broadcast_written_input_is_refused_as_numpy_does(target):
    # A written operand that is broadcast over the loop dimensions would be written by every
    # outer iteration; NumPy's iterator refuses a broadcast read-write operand.
    sigs = ["void(float64[:], float64[:], float64[:])"]
    f = guvectorize(sigs, "(n),(n)->()", target=target)(add_into)
    x = np.zeros(4)
    y = np.ones((3000, 4))
    with pytest.raises(ValueError):
        f(x, y)
    np.testing.assert_array_equal(x, 0.0)
    # Broadcasting the read-only input is fine.
    xs = np.zeros((3000, 4))
    f(xs, np.arange(4.0))
    np.testing.assert_array_equal(xs, np.tile(np.arange(4.0), (3000, 1)))


@pytest.mark.parametrize("bad", [(3,), (-1,), ("nope",), (1.5,), 7.0, (True,)])
def test_bad_writable_args_are_signature_errors(bad):
    with pytest.raises(SignatureError):
        guvectorize(FILL, "(n),()->()", writable_args=bad)(fill)


def test_only_written_inputs_are_read_write():
    f = guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()")(add_into)
    x = np.zeros(3)
    y = np.arange(3.0)
    y.flags.writeable = False  # y is only read, so it may be read-only
    f(x, y)
    np.testing.assert_array_equal(x, [0.0, 1.0, 2.0])

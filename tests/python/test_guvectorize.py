"""`guvectorize` end to end: real gufuncs checked against NumPy, run-time errors reaching Python
as the right exception (for gufuncs and vectorize ufuncs), and bad signature/layout pairs."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import ufuncgen
from ufuncgen import SignatureError, TypingError, _native, guvectorize, vectorize

F8_DOT = "void(float64[:], float64[:], float64[:])"


def dot_kernel(a, b, out):
    """Row dot product."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    out[0] = acc


dot = guvectorize([F8_DOT, "void(float32[:], float32[:], float32[:])"], "(n),(n)->()")(dot_kernel)
dot_unchecked = guvectorize([F8_DOT], "(n),(n)->()", boundscheck=False)(dot_kernel)


@guvectorize(["void(float64[:, :], float64[:, :], float64[:, :])"], "(m,n),(n,p)->(m,p)")
def matmul(a, b, out):
    m, n = a.shape
    p = b.shape[1]
    for i in range(m):
        for j in range(p):
            acc = 0.0
            for k in range(n):
                acc += a[i, k] * b[k, j]
            out[i, j] = acc


@guvectorize(["(f4[:], i8, f4[:])", "void(float64[:], int64, float64[:])"], "(n),()->(n)")
def move_mean(a, w, out):
    acc = 0.0
    for i in range(len(a)):
        acc += a[i]
        if i >= w:
            acc -= a[i - w]
        out[i] = acc / min(i + 1, w)


def move_mean_ref(a, w):
    c = np.cumsum(a, axis=-1, dtype=np.float64)
    c[..., w:] = c[..., w:] - c[..., :-w]
    n = a.shape[-1]
    return c / np.minimum(np.arange(1, n + 1), w)


@guvectorize(["void(int32[:], int64[:])", "void(float64[:], float64[:])"], "(n)->(n)")
def cumsum(a, out):
    acc = 0
    for i in range(a.shape[0]):
        acc += a[i]
        out[i] = acc


@guvectorize(["void(float64[:], int64[:], int64[:])"], "(n)->(),()")
def argminmax(a, lo, hi):
    lo[0] = 0
    hi[0] = 0
    for i in range(1, len(a)):
        if a[i] < a[lo[0]]:
            lo[0] = i
        elif a[i] > a[hi[0]]:
            hi[0] = i


@guvectorize(["void(float64[:], float64[:], float64[:])"], "(n)->(),()")
def minmax(a, lo, hi):
    lo[0] = a[0]
    hi[0] = a[0]
    for v in a:
        lo[0] = min(lo[0], v)
        hi[0] = max(hi[0], v)


@guvectorize(["void(int64[:], int64, int64[:])"], "(n),()->()")
def first_above(a, t, out):
    i = 0
    out[0] = -1
    while True:
        if i >= len(a):
            break
        if a[i] <= t:
            i += 1
            continue
        out[0] = i
        break


@guvectorize(["void(float64[:], int64[:])"], "(n)->(n)")
def classify(a, out):
    for i in range(len(a)):
        x = a[i]
        if x < 0:
            out[i] = -1
        elif x == 0:
            out[i] = 0
        elif x < 1:
            out[i] = 1
        else:
            out[i] = 2


def pick_kernel(a, k, out):
    out[0] = a[k]  # <- index


pick = guvectorize(["void(float64[:], int64, float64[:])"], "(n),()->()")(pick_kernel)


@guvectorize(["void(float64[:], int64, float64[:])"], "(n),()->()", boundscheck=False)
def pick_unchecked(a, k, out):
    out[0] = a[k]


def test_is_a_real_gufunc_with_loops_in_order():
    assert isinstance(dot, np.ufunc)
    assert dot.signature == "(n),(n)->()"
    assert dot.types == ["dd->d", "ff->f"]
    assert (dot.nin, dot.nout, dot.ntypes) == (2, 1, 2)
    assert dot.__name__ == "dot_kernel"
    assert "Row dot product." in dot.__doc__
    assert argminmax.signature == "(n)->(),()"
    assert argminmax.types == ["d->ll"]
    assert matmul.signature == "(m,n),(n,p)->(m,p)"
    assert ufuncgen.guvectorize is guvectorize


def test_dot_matches_einsum(rng):
    a, b = rng.random((50, 17)), rng.random((50, 17))
    np.testing.assert_allclose(dot(a, b), np.einsum("ij,ij->i", a, b), rtol=1e-13)
    r32 = dot(a.astype(np.float32), b.astype(np.float32))
    assert r32.dtype == np.float32
    np.testing.assert_allclose(r32, np.einsum("ij,ij->i", a, b), rtol=1e-5)


def test_ints_reach_the_float64_loop_by_safe_casting():
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    r = dot(a, a)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, (a.astype(np.float64) ** 2).sum(axis=1))


def test_matmul_matches_numpy(rng):
    a, b = rng.random((4, 3, 5)), rng.random((5, 2))
    np.testing.assert_allclose(matmul(a, b), a @ b, rtol=1e-13)


def test_moving_average_with_scalar_window(rng):
    a = rng.random((6, 40))
    for w in (1, 3, 10, 40, 55):
        np.testing.assert_allclose(move_mean(a, w), move_mean_ref(a, w), rtol=1e-10)
    r32 = move_mean(a.astype(np.float32), 4)
    assert r32.dtype == np.float32


def test_cumsum_matches_numpy(rng):
    a = rng.integers(-1000, 1000, (5, 33)).astype(np.int32)
    r = cumsum(a)
    assert r.dtype == np.int64
    np.testing.assert_array_equal(r, np.cumsum(a, axis=1, dtype=np.int64))
    f = rng.random((3, 9))
    np.testing.assert_allclose(cumsum(f), np.cumsum(f, axis=1), rtol=1e-14)


def test_argmin_argmax_have_int64_outputs(rng):
    a = rng.random((7, 25))
    lo, hi = argminmax(a)
    assert lo.dtype == hi.dtype == np.int64
    np.testing.assert_array_equal(lo, a.argmin(axis=1))
    np.testing.assert_array_equal(hi, a.argmax(axis=1))


def test_two_outputs_with_tuple_out(rng):
    a = rng.standard_normal((4, 11))
    lo, hi = np.empty(4), np.empty(4)
    res = minmax(a, out=(lo, hi))
    assert res[0] is lo and res[1] is hi
    np.testing.assert_array_equal(lo, a.min(axis=1))
    np.testing.assert_array_equal(hi, a.max(axis=1))


def test_while_break_continue_kernel():
    a = np.array([[1, 2, 7, 3], [1, 1, 1, 1], [9, 0, 0, 0]])
    np.testing.assert_array_equal(first_above(a, 5), [2, -1, 0])
    np.testing.assert_array_equal(first_above(a, np.array([0, 6, 10])), [0, -1, -1])


def test_if_elif_kernel(rng):
    a = np.concatenate([rng.standard_normal(20) * 3, [0.0, -0.0, 0.5, 1.0]])
    want = np.select([a < 0, a == 0, a < 1], [-1, 0, 1], 2)
    np.testing.assert_array_equal(classify(a), want)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((5, 8), (8,)), ((3, 1, 8), (4, 8)), ((2, 3, 4, 8), (3, 1, 8)), ((1, 8), (6, 8))],
)
def test_broadcasting_over_loop_dimensions(rng, shape_a, shape_b):
    a, b = rng.random(shape_a), rng.random(shape_b)
    np.testing.assert_allclose(dot(a, b), np.einsum("...i,...i->...", a, b), rtol=1e-13)


def test_non_contiguous_core_dimensions(rng):
    a = rng.random((9, 20))
    b = rng.random((20, 9))
    np.testing.assert_allclose(
        dot(a[::2, ::3], b.T[::2, ::3]), np.einsum("ij,ij->i", a[::2, ::3], b.T[::2, ::3])
    )
    m = rng.random((6, 5))
    np.testing.assert_allclose(matmul(m.T, m[:, ::2]), m.T @ m[:, ::2], rtol=1e-13)
    np.testing.assert_allclose(move_mean(a[:, ::-1], 3), move_mean_ref(a[:, ::-1], 3))


def test_zero_length_core_and_loop_dimensions():
    assert dot(np.ones((0, 5)), np.ones((0, 5))).shape == (0,)
    np.testing.assert_array_equal(dot(np.ones((3, 0)), np.ones((3, 0))), np.zeros(3))
    assert cumsum(np.ones((4, 0))).shape == (4, 0)
    assert matmul(np.ones((2, 0)), np.ones((0, 3))).shape == (2, 3)
    np.testing.assert_array_equal(matmul(np.ones((2, 0)), np.ones((0, 3))), np.zeros((2, 3)))


def test_axes_axis_and_keepdims(rng):
    a, b = rng.random((7, 4)), rng.random((7, 4))
    want = np.einsum("ij,ij->j", a, b)
    np.testing.assert_allclose(dot(a, b, axes=[(0,), (0,), ()]), want)
    np.testing.assert_allclose(dot(a, b, axis=0), want)
    kept = dot(a, b, keepdims=True)
    assert kept.shape == (7, 1)
    np.testing.assert_allclose(kept[:, 0], np.einsum("ij,ij->i", a, b))
    m = rng.random((3, 4, 2))
    # a's core (m, n) on axes 0, 1; b's core (n, p) on axes 1, 0: b's core is a's transposed.
    want = np.stack([m[:, :, i] @ m[:, :, i].T for i in range(2)], axis=-1)
    np.testing.assert_allclose(matmul(m, m, axes=[(0, 1), (1, 0), (0, 1)]), want, rtol=1e-13)


def test_out_argument_is_written(rng):
    a = rng.random((3, 6))
    out = np.full(3, np.nan)
    assert dot(a, a, out=out) is out
    np.testing.assert_allclose(out, (a * a).sum(axis=1))


def _marked_line(func, mark: str) -> int:
    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, text in enumerate(lines) if mark in text)


@pytest.mark.parametrize("k", [5, 6, 1000, 10**12, -6, -(10**12), np.iinfo(np.int64).min])
def test_out_of_bounds_index_is_an_index_error_naming_kernel_and_line(k):
    a = np.arange(5.0)
    with pytest.raises(IndexError) as info:
        pick(a, k)
    message = str(info.value)
    assert "out of bounds" in message
    assert "'pick_kernel'" in message
    assert f"line {_marked_line(pick_kernel, '# <- index')}" in message
    assert "test_guvectorize.py" in message


def test_uint64_index_beyond_int64_is_out_of_bounds_not_from_the_end():
    # 2**64 - 1 read as int64 is -1: it must not pick the last element as a negative index.
    upick = guvectorize(["void(float64[:], uint64, float64[:])"], "(n),()->()")(pick_kernel)
    a = np.arange(5.0)
    np.testing.assert_array_equal(upick(a, np.array([0, 4], dtype=np.uint64)), [0.0, 4.0])
    for k in (2**64 - 1, 2**63, 2**64 - 5):
        with pytest.raises(IndexError, match="out of bounds"):
            upick(a, np.uint64(k))


def test_negative_indices_wrap_as_in_python():
    a = np.arange(5.0)
    np.testing.assert_array_equal(pick(a, [-1, -5, 0, 4]), [4.0, 0.0, 0.0, 4.0])


def test_index_error_in_a_large_broadcast_call_releases_nothing_bad():
    # Many rows (NumPy releases the GIL), one bad index in the last row only.
    a = np.zeros((100_000, 4))
    k = np.zeros(100_000, dtype=np.int64)
    k[-1] = 4
    with pytest.raises(IndexError):
        pick(a, k)
    # A later good call on the same thread is not disturbed by the earlier error.
    k[-1] = 3
    np.testing.assert_array_equal(pick(a, k), np.zeros(100_000))


def test_boundscheck_false_computes_the_same_on_valid_input(rng):
    a, b = rng.random((30, 9)), rng.random((30, 9))
    np.testing.assert_array_equal(dot_unchecked(a, b), dot(a, b))
    np.testing.assert_array_equal(pick_unchecked(np.arange(5.0), [0, 4, -1]), [0.0, 4.0, 4.0])


def test_boundscheck_false_leaves_the_check_out_of_the_code():
    (checked,) = ufuncgen.inspect_llvm(pick).values()
    (unchecked,) = ufuncgen.inspect_llvm(pick_unchecked).values()
    assert "ufg_index_error" in checked
    assert "ufg_index_error" not in unchecked


def test_writable_args_by_index_and_by_name():
    def scale(a, k, out):
        for i in range(a.shape[0]):
            a[i] = a[i] * k
            out[i] = a[i]

    sigs = ["void(float64[:], float64, float64[:])"]
    for writable in ((0,), ("a",), [0, "a"]):
        f = guvectorize(sigs, "(n),()->(n)", writable_args=writable)(scale)
        a = np.arange(4.0)
        np.testing.assert_array_equal(f(a, 2.0), [0.0, 2.0, 4.0, 6.0])
        np.testing.assert_array_equal(a, [0.0, 2.0, 4.0, 6.0])
    with pytest.raises(TypingError):
        guvectorize(sigs, "(n),()->(n)")(scale)
    for bad in ((3,), (-1,), ("nope",), (1.5,), 7.0):
        with pytest.raises(SignatureError):
            guvectorize(sigs, "(n),()->(n)", writable_args=bad)(scale)


def test_fixed_optional_and_output_only_dimensions(rng):
    @guvectorize(["void(float64[:], float64[:], float64[:])"], "(3),(n)->(n)")
    def weighted(v, a, out):
        for i in range(a.shape[0]):
            out[i] = a[i] * (v[0] + v[1] + v[2])

    assert weighted.signature == "(3),(n)->(n)"
    np.testing.assert_array_equal(weighted([1.0, 2.0, 3.0], [1.0, 2.0]), [6.0, 12.0])
    with pytest.raises(ValueError):
        weighted([1.0, 2.0], [1.0, 2.0])

    @guvectorize(["void(float64[:], float64[:])"], "(n)->(m)")
    def head(a, out):
        for i in range(out.shape[0]):
            out[i] = a[i % a.shape[0]]

    out = np.empty((2, 3))
    head(np.array([[1.0, 2.0], [3.0, 4.0]]), out=out)
    np.testing.assert_array_equal(out, [[1.0, 2.0, 1.0], [3.0, 4.0, 3.0]])
    with pytest.raises(ValueError, match="'m' .* pass out="):
        head(np.ones(2))

    @guvectorize(["void(float64[:], float64[:], float64[:])"], "(n?),(n?)->()")
    def opt_dot(a, b, out):
        acc = 0.0
        for i in range(a.shape[0]):
            acc += a[i] * b[i]
        out[0] = acc

    assert opt_dot.signature == "(n?),(n?)->()"
    assert opt_dot([1.0, 2.0], [3.0, 4.0]) == 11.0
    assert opt_dot(2.0, 3.0) == 6.0


def test_all_scalar_cores_give_an_element_wise_ufunc():
    @guvectorize(["void(float64, float64, float64[:])"], "(),()->()", identity=0)
    def add(a, b, out):
        out[0] = a + b

    assert add.signature is None
    np.testing.assert_array_equal(add([1.0, 2.0], 3.0), [4.0, 5.0])
    assert add.reduce(np.arange(5.0)) == 10.0
    assert add.reduce(np.array([])) == 0.0


def test_signature_spellings():
    def k(a, out):
        out[0] = a[0] + a[-1]

    for sig in (
        "void(f8[:], f8[:])",
        "(f8[:], f8[:])",
        "f8[:], f8[:]",
        "void(float64[::1], f8[:])",
    ):
        f = guvectorize([sig], "(n)->()")(k)
        assert f(np.array([1.0, 5.0, 2.0])) == 3.0
    f = guvectorize("void(f8[:], f8[:])", "(n)->()")(k)
    assert f.types == ["d->d"]


BAD_PAIRS = [
    ("void(f8[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f8[:], f8[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:, :], f8[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f8[:, :], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f8[:], f8)", "(n),(n)->()"),
    ("void(f8, f8[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f8[:], f8[:, :])", "(n),(n)->()"),
    ("f8(f8[:], f8[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f8[:], f8[:])", "(n),(n)"),
    ("void(f8[:], f8[:], f8[:])", "(n),(n)->(),()"),
    ("void(f8[:], f8[:], f8[:])", "(n,),(n)->()"),
    ("void(f8[:], f8[:], f8[:])", "(n)(n)->()"),
    ("void(f8[:], f8[:], f8[:])", "(m,n),(n)->(m)"),
    ("void(f8[::2], f8[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f9[:], f8[:])", "(n),(n)->()"),
    ("void(f8[:], f8[:], f8[:])", ""),
    ("void(f8[:], f8[:], f8[:])", "(n),(n)->(n"),
    ("void(f8[:], f8[:], f8[:])", "n,n->"),
    ("void(f8[:], f8[:], f8[:])", "(n),(n)->(1.5)"),
    ("", "(n),(n)->()"),
]


@pytest.mark.parametrize(("sig", "layout"), BAD_PAIRS)
def test_bad_signature_layout_pairs_are_signature_errors(sig, layout):
    def bad_pair(a, b, out):
        out[0] = 0.0

    with pytest.raises(SignatureError) as info:
        guvectorize([sig], layout)(bad_pair)
    message = str(info.value)
    assert "bad_pair" in message
    assert len(message) > 40
    assert info.value.function == "bad_pair"


def test_layout_must_be_a_string():
    with pytest.raises(SignatureError):
        guvectorize([F8_DOT], 3)(dot_kernel)
    with pytest.raises(TypeError):
        guvectorize([F8_DOT])
    # The layout alone is a lazy gufunc (test_lazy.py).
    assert isinstance(guvectorize("(n),(n)->()")(dot_kernel), np.ufunc)


def test_options_are_checked_like_vectorize():
    with pytest.raises(ValueError):
        guvectorize([F8_DOT], "(n),(n)->()", target="gpu")
    with pytest.raises(TypeError):
        guvectorize([F8_DOT], "(n),(n)->()", bogus=1)
    f = guvectorize([F8_DOT], "(n),(n)->()", nopython=False, fastmath=True)(dot_kernel)
    assert f(np.ones(3), np.ones(3)) == 3.0


# ---- run-time errors from vectorize ufuncs ----


def ipow_kernel(a, b):
    return a**b  # <- pow


ipow = vectorize(["int64(int64, int64)", "float64(float64, float64)"])(ipow_kernel)


def test_int_power_with_negative_exponent_is_a_value_error():
    np.testing.assert_array_equal(ipow(np.array([2, 3]), np.array([3, 0])), [8, 1])
    with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
        ipow(np.array([2, 3]), np.array([2, -1]))
    with pytest.raises(
        ValueError, match=f"'ipow_kernel'.*line {_marked_line(ipow_kernel, '# <- pow')}"
    ):
        ipow(np.arange(100_000), -1)
    # int32 inputs reach the int64 loop by casting (NumPy's buffered path): same error.
    with pytest.raises(ValueError):
        ipow(np.array([2, 3], dtype=np.int32), np.array([1, -2], dtype=np.int32))
    assert ipow(2.0, -1.0) == 0.5


def test_runtime_errors_from_reduce_accumulate_at_and_outer():
    b = np.array([2, -1, 3])
    with pytest.raises(ValueError):
        ipow.reduce(b)
    with pytest.raises(ValueError):
        ipow.accumulate(b)
    with pytest.raises(ValueError):
        ipow.outer(np.array([1, 2]), b)
    x = np.array([2, 2, 2])
    with pytest.raises(ValueError):
        ipow.at(x, [0, 1], -1)
    ipow.at(x, [0, 1], 2)
    np.testing.assert_array_equal(x, [4, 4, 2])


@pytest.mark.parametrize(
    ("kind", "exc"),
    [
        (1, IndexError),
        (2, ValueError),
        (3, AssertionError),
        (4, ZeroDivisionError),
        (5, OverflowError),
        (9, RuntimeError),
    ],
)
def test_each_error_kind_maps_to_its_exception(kind, exc):
    f = _native._test_raising_ufunc()
    np.testing.assert_array_equal(f(np.arange(3.0)), [0.0, 1.0, 2.0])
    for n in (7, 50_000):
        x = np.ones(n)
        x[n // 2] = -kind
        with pytest.raises(exc, match="negative input to the test loop"):
            f(x)


def test_errors_do_not_leak_between_calls():
    f = _native._test_raising_ufunc()
    with pytest.raises(IndexError):
        f(np.array([1.0, -1.0]))
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [1.0, 2.0])
    np.testing.assert_array_equal(ipow(np.array([2]), np.array([2])), [4])


def test_vectorize_reduction_semantics_stay_numpys():
    @vectorize(["float64(float64, float64)", "int64(int64, int64)"], identity=0)
    def add(a, b):
        return a + b

    assert add.reduce(np.array([])) == 0.0
    assert add.reduce(np.ones((2, 3)), axis=(0, 1)) == 6.0
    np.testing.assert_array_equal(add.reduce(np.arange(6).reshape(2, 3), axis=None), 15)
    assert add.reduce(np.ones(3), where=[True, False, True]) == 2.0

    @vectorize(["float64(float64, float64)"])
    def sub(a, b):
        return a - b

    with pytest.raises(ValueError, match="no identity"):
        sub.reduce(np.array([]))
    with pytest.raises(ValueError, match="not reorderable"):
        sub.reduce(np.ones((2, 2)), axis=(0, 1))
    assert sub.reduce(np.array([10.0, 1.0, 2.0])) == 7.0

    @vectorize(["uint8(uint8, uint8)"], identity=-1)
    def band(a, b):
        return a & b

    assert band.reduce(np.array([], dtype=np.uint8)) == 255
    assert math.isnan(
        vectorize(["float64(float64, float64)"], identity=float("nan"))(lambda a, b: a).reduce(
            np.array([])
        )
    )


def test_contiguity_promise_is_checked():
    @guvectorize(["void(float64[::1], float64[:])"], "(n)->()")
    def total(a, out):
        acc = 0.0
        for i in range(a.shape[0]):
            acc += a[i]
        out[0] = acc

    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(total(a), a.sum(axis=1))
    np.testing.assert_array_equal(total(a[:, :1]), a[:, 0])  # one element: nothing to promise
    with pytest.raises(ValueError, match="C-contiguous"):
        total(a[:, ::2])
    with pytest.raises(ValueError, match="C-contiguous"):
        total(a.T)

    @guvectorize(["void(float64[:, ::1], float64[:])"], "(m,n)->()")
    def total2(a, out):
        acc = 0.0
        for i in range(a.shape[0]):
            for j in range(a.shape[1]):
                acc += a[i, j]
        out[0] = acc

    b = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(total2(b), b.sum(axis=(1, 2)))
    with pytest.raises(ValueError, match="C-contiguous"):
        total2(b[:, :, :2])

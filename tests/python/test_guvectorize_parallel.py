"""guvectorize(target="parallel"): bit-identical to "cpu", serial wherever chunks could race."""

import numpy as np
import pytest

from ufuncgen import _native, guvectorize

SIGS = ["void(float64[:], float64[:], float64[:])", "void(float32[:], float32[:], float32[:])"]


def dot(a, b, out):
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    out[0] = acc


def moving_sum(x, w, out):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
        if i >= w:
            acc -= x[i - w]
        out[i] = acc


def add_into(x, y, out):
    for i in range(x.shape[0]):
        x[i] += y[i]
    out[0] = 0.0


@pytest.fixture(autouse=True)
def chunk_everything():
    # Chunk every call that can be chunked safely, so small test arrays exercise the threads.
    _native._force_chunking(True)
    yield
    _native._force_chunking(False)


def both(sigs, layout, kernel, **options):
    """The same gufunc kernel compiled for the cpu and the parallel target."""
    return tuple(
        guvectorize(sigs, layout, target=target, **options)(kernel)
        for target in ("cpu", "parallel")
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dot_is_bit_identical_to_cpu(dtype):
    cpu, par = both(SIGS, "(n),(n)->()", dot)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20000, 17)).astype(dtype)
    b = rng.standard_normal((20000, 17)).astype(dtype)
    np.testing.assert_array_equal(par(a, b), cpu(a, b))
    np.testing.assert_array_equal(par(a[::2, ::-1], b[1::2]), cpu(a[::2, ::-1], b[1::2]))
    assert max(s[1] for s in _native._parallel_stats(par)) > 0, "no call was chunked"


def exp_rows(x, out):
    for i in range(x.shape[0]):
        out[i] = np.exp(x[i]) * 0.5


def test_a_few_heavy_rows_are_split_when_any_split_gives_the_same_bits():
    # No vector-math library call: chunks may hold any number of rows, so even 3 rows split.
    sigs = ["void(float64[:], int64, float64[:])"]
    cpu, par = both(sigs, "(n),()->(n)", moving_sum)
    x = np.random.default_rng(2).standard_normal((3, 20000))
    np.testing.assert_array_equal(par(x, 7), cpu(x, 7))
    assert _native._parallel_stats(par)[0][1] == 1, "3 rows were not split"


def test_rows_calling_vector_math_split_anywhere():
    # exp runs one routine for every element (issue 15), so rows calling it split like any
    # other: 3 heavy rows are split too, and the bits are still the cpu target's.
    sigs = ["void(float64[:], float64[:])"]
    cpu, par = both(sigs, "(n)->(n)", exp_rows)
    rng = np.random.default_rng(3)
    few = rng.uniform(-5, 5, (3, 1000))
    np.testing.assert_array_equal(par(few), cpu(few))
    assert _native._parallel_stats(par)[0][1] == 1, "3 rows were not split"
    many = rng.uniform(-5, 5, (2001, 3))
    np.testing.assert_array_equal(par(many), cpu(many))


def test_core_outputs_and_scalar_inputs():
    sigs = ["void(float64[:], int64, float64[:])"]
    cpu, par = both(sigs, "(n),()->(n)", moving_sum)
    x = np.random.default_rng(1).standard_normal((5000, 64))
    np.testing.assert_array_equal(par(x, 5), cpu(x, 5))
    out = np.zeros_like(x)
    par(x, 3, out=out)
    np.testing.assert_array_equal(out, cpu(x, 3))


def test_overlapping_rows_run_serially_and_correctly():
    sigs = ["void(float64[:], float64[:])"]
    cpu, par = both(sigs, "(n)->(n)", _copy)
    base = np.arange(3000 * 8, dtype=np.float64)
    want = base.copy()
    cpu(want[:-8].reshape(-1, 8), out=want[8:].reshape(-1, 8))
    got = base.copy()
    par(got[:-8].reshape(-1, 8), out=got[8:].reshape(-1, 8))
    np.testing.assert_array_equal(got, want)


def _copy(x, out):
    for i in range(x.shape[0]):
        out[i] = x[i]


def test_writable_inputs_are_treated_as_outputs():
    sigs = ["void(float64[:], float64[:], float64[:])"]
    par = guvectorize(sigs, "(n),(n)->()", target="parallel", writable_args=(0,))(add_into)
    x = np.zeros((4000, 4))
    y = np.ones((4000, 4))
    par(x, y)
    np.testing.assert_array_equal(x, np.ones((4000, 4)))
    # Rows of x overlapping each other (a view stepping by one element): must stay sequential.
    buf = np.zeros(4003)
    xs = np.lib.stride_tricks.as_strided(buf, shape=(4000, 4), strides=(8, 8))
    cpu = guvectorize(sigs, "(n),(n)->()", writable_args=(0,))(add_into)
    ref = np.zeros(4003)
    cpu(np.lib.stride_tricks.as_strided(ref, shape=(4000, 4), strides=(8, 8)), y)
    par(xs, y)
    np.testing.assert_array_equal(buf, ref)


def test_index_errors_from_workers_reach_the_caller():
    def shift(x, out):
        for i in range(x.shape[0]):
            out[i] = x[i + 1]

    par = guvectorize(["void(float64[:], float64[:])"], "(n)->(n)", target="parallel")(shift)
    with pytest.raises(IndexError, match="out of bounds"):
        par(np.ones((4000, 5)))

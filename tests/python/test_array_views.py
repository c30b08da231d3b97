"""Arrays as values in kernels: slices and views with NumPy's semantics, names bound to views,
rebinding a name to another type, slice stores, and local arrays, each checked against NumPy on
the cpu and the parallel target."""

import warnings

import numpy as np
import pytest

from ufuncgen import _native, guvectorize

# A frozen module-level table: the kernels read rows of it as views.
WEIGHTS = np.array([[0.25, 0.5, 0.25], [1.0 / 3, 1.0 / 3, 1.0 / 3]])


@pytest.fixture(autouse=True)
def chunk_everything():
    _native._force_chunking(True)
    yield
    _native._force_chunking(False)


def both(sigs, layout, kernel, **options):
    """The kernel compiled for the cpu and the parallel target."""
    return tuple(
        guvectorize(sigs, layout, target=t, **options)(kernel) for t in ("cpu", "parallel")
    )


def check(kernels, expected, *args):
    for k in kernels:
        np.testing.assert_allclose(k(*args), expected, rtol=1e-12, atol=0, equal_nan=True)


# ---- rows of 2-d cores and slice stores of a scalar ----


def column_means(g, out):
    out[:] = 0
    m = g.shape[0]
    for i in range(m):
        row = g[i]
        for j in range(len(row)):
            out[j] += row[j] / m


def test_rows_of_a_2d_core_are_1d_views(rng):
    g = rng.standard_normal((50, 7, 4))
    check(both(["void(f8[:,:], f8[:])"], "(m,n)->(n)", column_means), g.mean(axis=1), g)


def lagged_products(x, out):
    # Climate-index style: lag-k products, NaN where the lag leaves no overlap.
    out[:, :] = np.nan
    n = x.shape[0]
    for k in range(out.shape[0]):
        r = out[k, :]
        for i in range(n - k):
            r[i] = x[i] * x[i + k]


def lagged_reference(x, lags):
    out = np.full(x.shape[:-1] + (lags, x.shape[-1]), np.nan)
    n = x.shape[-1]
    for k in range(lags):
        out[..., k, : n - k] = x[..., : n - k] * x[..., k:]
    return out


def test_nan_fill_of_a_2d_core_and_row_stores(rng):
    x = rng.standard_normal((30, 9))
    x[3, 2] = np.nan
    out = np.empty((30, 4, 9))
    for k in both(["void(f8[:], f8[:,:])"], "(n)->(k,n)", lagged_products):
        k(x, out=out)
        np.testing.assert_array_equal(out, lagged_reference(x, 4))


def cube_fill(x, v, out):
    out[:, :, :] = v
    out[0, 1:, ::2] = x[0, 1:, ::2]
    out[..., -1] = -1.0


def test_3d_core_fill_and_strided_copy(rng):
    x = rng.standard_normal((6, 2, 3, 5))
    want = np.broadcast_to(2.5, x.shape).copy()
    want[:, 0, 1:, ::2] = x[:, 0, 1:, ::2]
    want[..., -1] = -1.0
    check(both(["void(f8[:,:,:], f8, f8[:,:,:])"], "(a,b,c),()->(a,b,c)", cube_fill), want, x, 2.5)


# ---- windows, steps and reversed views ----


def window_mean(p, a, b, out):
    pw = p[a:b]
    s = 0.0
    for v in pw:
        s += v
    out[0] = s / len(pw) if len(pw) > 0 else np.nan


def test_window_views_clamp_like_numpy(rng):
    p = rng.standard_normal((40, 12))
    for a, b in [(2, 5), (-3, 100), (5, 2), (-100, 3), (0, 12)]:
        want = np.array([r[a:b].mean() if len(r[a:b]) else np.nan for r in p])
        check(both(["void(f8[:], i8, i8, f8[:])"], "(n),(),()->()", window_mean), want, p, a, b)


def every_other(p, start, step, out):
    q = p[start::step]
    out[:] = np.nan
    out[: len(q)] = q


@pytest.mark.parametrize("start,step", [(0, 2), (1, 3), (-1, -1), (5, -2), (0, 100), (11, -5)])
def test_stepped_views(start, step, rng):
    p = rng.standard_normal((10, 12))
    want = np.full(p.shape, np.nan)
    q = p[:, start::step]
    want[:, : q.shape[1]] = q
    check(
        both(["void(f8[:], i8, i8, f8[:])"], "(n),(),()->(n)", every_other),
        want,
        p,
        start,
        step,
    )


def survival(a, out):
    # The reversed view is assigned back to the parameter's name.
    a = a[::-1]
    acc = 0.0
    for i in range(len(a)):
        acc += a[i]
        out[len(a) - 1 - i] = acc


def test_reversed_view_rebound_to_the_parameter(rng):
    a = rng.random((25, 8))
    want = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
    check(both(["void(f8[:], f8[:])"], "(n)->(n)", survival), want, a)


def smooth(x, kind, out):
    w = WEIGHTS[kind, :]
    out[:] = np.nan
    for i in range(1, len(x) - 1):
        out[i] = w[0] * x[i - 1] + w[1] * x[i] + w[2] * x[i + 1]


def test_row_of_a_frozen_table(rng):
    x = rng.standard_normal((15, 10))
    for kind in (0, 1, -1):
        w = WEIGHTS[kind]
        want = np.full(x.shape, np.nan)
        want[:, 1:-1] = w[0] * x[:, :-2] + w[1] * x[:, 1:-1] + w[2] * x[:, 2:]
        check(both(["void(f8[:], i8, f8[:])"], "(n),()->(n)", smooth), want, x, kind)


def test_table_row_out_of_range_is_an_index_error():
    (k, _) = both(["void(f8[:], i8, f8[:])"], "(n),()->(n)", smooth, boundscheck=False)
    # Frozen tables are checked even with boundscheck=False: their size is no caller's promise.
    with pytest.raises(IndexError, match=r"index 2 is out of bounds for axis 0 with size 2"):
        k(np.zeros(4), 2)


# ---- rebinding a name to another type (Numba's SSA rule) ----


def brier(obs, fc, out):
    obs = obs[0]
    s = 0.0
    for p in fc:
        s += (p - obs) ** 2
    out[0] = s / len(fc)


def test_parameter_rebound_to_its_first_element(rng):
    obs = (rng.random((20, 1)) > 0.5).astype(np.float64)
    fc = rng.random((20, 6))
    want = ((fc - obs) ** 2).mean(axis=1)
    check(both(["void(f8[:], f8[:], f8[:])"], "(o),(m)->()", brier), want, obs, fc)


def shape3(a, out):
    m, n, p = a.shape
    out[0] = m * 100 + n * 10 + p


def test_unpacking_a_3d_shape():
    a = np.zeros((2, 3, 4, 5))
    check(both(["void(f8[:,:,:], i8[:])"], "(m,n,p)->()", shape3), np.full(2, 345), a)


# ---- slice stores of arrays: copy, broadcast, overlap, dtype ----


def shift_right(a, out):
    out[:] = a
    out[1:] = out[:-1]
    out[0] = 0


def test_overlapping_slice_copy_is_numpys(rng):
    a = rng.standard_normal((9, 6))
    want = np.concatenate([np.zeros((9, 1)), a[:, :-1]], axis=1)
    check(both(["void(f8[:], f8[:])"], "(n)->(n)", shift_right), want, a)


def tile_rows(row, out):
    out[:, :] = row


def test_slice_store_broadcasts_rows(rng):
    row = rng.standard_normal((5, 4))
    out = np.empty((5, 3, 4))
    for k in both(["void(f8[:], f8[:,:])"], "(n)->(m,n)", tile_rows):
        k(row, out=out)
        np.testing.assert_array_equal(out, np.broadcast_to(row[:, None, :], out.shape))


def int_into_float(a, out):
    out[::-1] = a


def test_slice_store_converts_the_dtype():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    check(both(["void(i8[:], f8[:])"], "(n)->(n)", int_into_float), a[:, ::-1].astype(float), a)


def mismatched(a, out):
    out[:] = a[:2]


def test_mismatched_slice_store_is_a_value_error():
    for k in both(["void(f8[:], f8[:])"], "(n)->(n)", mismatched):
        with pytest.raises(
            ValueError,
            match=r"could not broadcast input array from shape \(2,\) into shape \(5,\) "
            r"in 'mismatched' \(.*test_array_views.py, line \d+\)",
        ):
            k(np.arange(5.0))


def view_index(a, i, out):
    r = a[1:]
    out[0] = r[i]


def test_index_into_a_view_is_checked():
    for k in both(["void(f8[:], i8, f8[:])"], "(n),()->()", view_index):
        assert k(np.arange(5.0), -1) == 4.0
        with pytest.raises(IndexError, match=r"index 4 is out of bounds .* in 'view_index'"):
            k(np.arange(5.0), 4)


def row_index(g, i, out):
    out[:] = g[i]


def test_row_index_out_of_range_names_kernel_and_line():
    (k, _) = both(["void(f8[:,:], i8, f8[:])"], "(m,n),()->(n)", row_index)
    g = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(k(g, -1), g[-1])
    with pytest.raises(IndexError, match=r"index 2 is out of bounds for axis 0 with size 2"):
        k(g, 2)
    unchecked = guvectorize(["void(f8[:,:], i8, f8[:])"], "(m,n),()->(n)", boundscheck=False)(
        row_index
    )
    np.testing.assert_array_equal(unchecked(g, 1), g[1])


def stepped(a, s, out):
    out[0] = a[::s][0]


def test_zero_step_at_run_time_is_a_value_error():
    k = guvectorize(["void(f8[:], i8, f8[:])"], "(n),()->()")(stepped)
    assert k(np.arange(4.0), -1) == 3.0
    with pytest.raises(ValueError, match="slice step cannot be zero in 'stepped'"):
        k(np.arange(4.0), 0)


# ---- local arrays ----


def running_max_drawdown(x, out):
    # Finance style: a local array of running peaks, then the worst drawdown.
    n = len(x)
    peak = np.empty(n)
    m = -np.inf
    for i in range(n):
        m = max(m, x[i])
        peak[i] = m
    worst = 0.0
    for i in range(n):
        worst = min(worst, x[i] - peak[i])
    out[0] = worst


def test_local_empty_array(rng):
    x = np.cumsum(rng.standard_normal((40, 30)), axis=1)
    want = (x - np.maximum.accumulate(x, axis=1)).min(axis=1)
    check(both(["void(f8[:], f8[:])"], "(n)->()", running_max_drawdown), want, x)


def histogram_counts(x, nbins, out):
    counts = np.zeros(nbins, dtype=np.int64)
    lo = x[0]
    hi = x[0]
    for v in x:
        lo = min(lo, v)
        hi = max(hi, v)
    for v in x:
        k = int((v - lo) / (hi - lo) * nbins) if hi > lo else 0
        if k == nbins:
            k = nbins - 1
        counts[k] += 1
    out[:] = counts


def test_local_zeros_with_dtype(rng):
    x = rng.standard_normal((12, 200))
    want = np.array([np.histogram(r, bins=8)[0] for r in x])
    for k in both(["void(f8[:], i8, i8[:])"], "(n),()->(m)", histogram_counts):
        out = np.empty((12, 8), dtype=np.int64)
        k(x, 8, out=out)
        np.testing.assert_array_equal(out, want)


def grid(m, n, v, out):
    a = np.ones((m, n))
    b = np.full((m, n), v, dtype=np.float32)
    c = np.zeros(a.shape)
    c[:, :] = a
    s = 0.0
    for i in range(m):
        for j in range(n):
            s += a[i, j] * b[i, j] + c[i, j]
    out[0] = s


def test_local_ones_full_and_shape_of_another(rng):
    (k, p) = both(["void(i8, i8, f8, f8[:])"], "(),(),()->()", grid)
    v = np.array([0.1, 2.5, -3.0])
    want = 3 * 4 * (np.float32(v).astype(np.float64) + 1)
    np.testing.assert_allclose(k(3, 4, v), want, rtol=1e-7)
    np.testing.assert_allclose(p(3, 4, v), want, rtol=1e-7)


def edit_distance(a, b, out):
    # Dynamic programming over two local rows; `prev = cur` makes the old row a view.
    n = len(a)
    m = len(b)
    prev = np.zeros(m + 1, dtype=np.int64)
    for j in range(m + 1):
        prev[j] = j
    for i in range(1, n + 1):
        cur = np.empty(m + 1, dtype=np.int64)
        cur[0] = i
        for j in range(1, m + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        prev = cur
    out[0] = prev[m]


def edit_reference(a, b):
    d = np.zeros((len(a) + 1, len(b) + 1), dtype=np.int64)
    d[:, 0] = np.arange(len(a) + 1)
    d[0, :] = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + cost)
    return d[-1, -1]


def test_local_arrays_allocated_in_a_loop_and_aliased(rng):
    a = rng.integers(0, 3, (10, 9))
    b = rng.integers(0, 3, (10, 7))
    want = np.array([edit_reference(x, y) for x, y in zip(a, b, strict=True)])
    check(both(["void(i8[:], i8[:], i8[:])"], "(n),(m)->()", edit_distance), want, a, b)


def scratch_in_loop(x, out):
    # The same size every pass: the buffer is reused, not reallocated.
    n = len(x)
    for k in range(out.shape[0]):
        tmp = np.empty(n)
        for i in range(n):
            tmp[i] = x[i] * (k + 1)
        s = 0.0
        for v in tmp:
            s += v
        out[k] = s


def test_reused_local_array_in_a_loop(rng):
    x = rng.standard_normal((8, 5))
    want = x.sum(axis=1)[:, None] * np.arange(1, 4)
    for k in both(["void(f8[:], f8[:])"], "(n)->(k)", scratch_in_loop):
        out = np.empty((8, 3))
        k(x, out=out)
        np.testing.assert_allclose(out, want, rtol=1e-12)


def negative(n, out):
    a = np.zeros(n)
    out[0] = len(a)


def test_negative_size_is_a_value_error():
    k = guvectorize(["void(i8, f8[:])"], "()->()")(negative)
    assert k(3) == 3.0
    with pytest.raises(ValueError, match=r"negative dimensions are not allowed in 'negative'"):
        k(np.array([2, -1]))


def local_then_fail(x, i, out):
    tmp = np.zeros(len(x))
    tmp[:] = x
    out[0] = tmp[i]


def test_error_after_a_local_array_is_clean():
    k = guvectorize(["void(f8[:], i8, f8[:])"], "(n),()->()")(local_then_fail)
    with pytest.raises(IndexError, match="in 'local_then_fail'"):
        k(np.arange(4.0), 9)
    assert k(np.arange(4.0), -1) == 3.0


# ---- arrays passed to helper functions ----


def mean_of(a):
    s = 0.0
    for v in a:
        s += v
    return s / len(a)


def fill_nan(out):
    out[:] = np.nan


def trailing_means(src, dst, w):
    for i in range(len(src)):
        lo = max(0, i - w)
        dst[i] = mean_of(src[lo : i + 1])


def moving_average(x, w, out):
    fill_nan(out)
    trailing_means(x, out, w)


def test_views_passed_to_helpers_alias_their_base(rng):
    x = rng.standard_normal((7, 11))
    want = np.array([[r[max(0, i - 3) : i + 1].mean() for i in range(11)] for r in x])
    check(both(["void(f8[:], i8, f8[:])"], "(n),()->(n)", moving_average), want, x, 3)


def row_means(g, out):
    for i in range(g.shape[0]):
        out[i] = mean_of(g[i])


def test_rows_passed_to_helpers(rng):
    g = rng.standard_normal((5, 4, 6))
    check(both(["void(f8[:,:], f8[:])"], "(m,n)->(m)", row_means), g.mean(axis=2), g)


def vector_mean_of_ramp(x, n):
    buf = np.zeros(n)
    for i in range(n):
        buf[i] = x * i
    return mean_of(buf)


def test_local_array_in_a_vectorize_kernel_passed_to_a_helper():
    from ufuncgen import vectorize

    k = vectorize(["f8(f8, i8)"])(vector_mean_of_ramp)
    np.testing.assert_allclose(k(np.array([1.0, 2.0]), 5), [2.0, 4.0])


def uses_none(a, out):
    out[0] = fill_nan(out)


def writes_input(a):
    a[0] = 1.0
    return 0.0


def calls_writer(a, out):
    out[0] = writes_input(a)


def test_helper_errors_are_compile_errors():
    from ufuncgen.errors import TypingError

    with pytest.raises(TypingError, match=r"fill_nan\(\) returns nothing"):
        guvectorize(["void(f8[:], f8[:])"], "(n)->()")(uses_none)


def test_a_helper_writing_an_input_makes_it_read_write():
    """A store into an input through a helper marks the input read-write for NumPy: a cast
    copy is written back, and a read-only array is refused by NumPy itself."""
    g = guvectorize(["void(f8[:], f8[:])"], "(n)->()")(calls_writer)
    a = np.zeros((3, 4), dtype=np.float32)
    out = g(a)
    np.testing.assert_array_equal(out, np.zeros(3))
    np.testing.assert_array_equal(a[:, 0], np.ones(3, dtype=np.float32))
    frozen = np.zeros((2, 4))
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        g(frozen)


# ---- reductions of arrays and views ----


def summaries(x, out):
    w = x[1:]
    out[0] = w.sum()
    out[1] = np.prod(x[:3])
    out[2] = w.min()
    out[3] = np.max(x)
    out[4] = x.mean()
    out[5] = np.nansum(x)
    out[6] = np.nanmin(x)
    out[7] = np.nanmax(w)
    out[8] = np.nanmean(x)
    out[9] = 1.0 if np.any(x) else 0.0
    out[10] = 1.0 if x.all() else 0.0


def summaries_reference(x):
    w = x[:, 1:]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cols = [
            w.sum(1),
            np.prod(x[:, :3], 1),
            w.min(1),
            x.max(1),
            x.mean(1),
            np.nansum(x, 1),
            np.nanmin(x, 1),
            np.nanmax(w, 1),
            np.nanmean(x, 1),
            x.any(1),
            x.all(1),
        ]
    return np.stack([np.asarray(c, dtype=float) for c in cols], axis=1)


def test_reductions_match_numpy_with_nans(rng):
    x = rng.standard_normal((20, 9))
    x[2, 4] = np.nan
    x[3, :] = np.nan
    x[4, :] = 0.0
    for k in both(["void(f8[:], f8[:])"], "(n)->(k)", summaries):
        out = np.empty((20, 11))
        # The all-NaN row's nanmean is 0/0: NumPy warns there too.
        with np.errstate(invalid="ignore"):
            k(x, out=out)
        np.testing.assert_allclose(out, summaries_reference(x), rtol=1e-12, equal_nan=True)


def int_stats(x, out):
    out[0] = x.sum()
    out[1] = x.min()
    out[2] = x.max()


def test_integer_reductions_and_empty_min():
    x = np.array([[3, -7, 5], [2, 2, 2]], dtype=np.int32)
    for k in both(["void(i4[:], i8[:])"], "(n)->(k)", int_stats):
        out = np.empty((2, 3), dtype=np.int64)
        k(x, out=out)
        np.testing.assert_array_equal(out, np.stack([x.sum(1), x.min(1), x.max(1)], 1))
        with pytest.raises(ValueError, match="zero-size array to reduction operation minimum"):
            k(np.empty((1, 0), dtype=np.int32), out=np.empty((1, 3), dtype=np.int64))

"""NumPy's functions of 1-d arrays inside kernels (`np.argmin`, `np.var`, `np.searchsorted`,
`np.dot`, `np.interp`, `np.linalg.norm` as values; `np.cumsum`, `np.sort`, `np.argsort`,
`np.arange`, `np.linspace`, `np.convolve`, the window functions bound to names; `a.sort()`),
each compared with NumPy on realistic data with NaNs and edge cases, cpu and parallel."""

import numpy as np
import pytest
from ufuncgen.errors import TypingError, UnsupportedError

from ufuncgen import _native, guvectorize


@pytest.fixture(autouse=True)
def chunk_everything():
    _native._force_chunking(True)
    yield
    _native._force_chunking(False)


def both(sigs, layout, kernel):
    """The kernel compiled for the cpu and the parallel target."""
    return tuple(guvectorize(sigs, layout, target=t)(kernel) for t in ("cpu", "parallel"))


def rows_with_nans(rng, m, n, dtype=np.float64):
    x = rng.standard_normal((m, n)).astype(dtype)
    x[rng.random((m, n)) < 0.1] = np.nan
    return x


# ---- positions of extremes ----


def extremes(a, lo, hi, nlo, nhi):
    lo[0] = np.argmin(a)
    hi[0] = a.argmax()
    nlo[0] = np.nanargmin(a)
    nhi[0] = np.nanargmax(a)


@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "i2", "u1", "b1"])
def test_argmin_argmax_and_nan_forms(dtype, rng):
    if dtype.startswith("f"):
        x = rows_with_nans(rng, 40, 9, dtype)
        x[:, 0] = x[:, 1]  # ties: the first wins
        x[0] = [1, 1, np.nan, 0, 0, 5, 5, np.nan, 1]
        x = x[~np.isnan(x).all(axis=1)]
    elif dtype == "b1":
        x = rng.random((40, 9)) < 0.5
    else:
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, (40, 9), endpoint=True, dtype=dtype)
        x[:, 3] = x[:, 5]
    sig = [f"void({dtype}[:], i8[:], i8[:], i8[:], i8[:])"]
    for k in both(sig, "(n)->(),(),(),()", extremes):
        lo, hi, nlo, nhi = k(x)
        np.testing.assert_array_equal(lo, np.argmin(x, axis=-1))
        np.testing.assert_array_equal(hi, np.argmax(x, axis=-1))
        np.testing.assert_array_equal(nlo, np.nanargmin(x, axis=-1))
        np.testing.assert_array_equal(nhi, np.nanargmax(x, axis=-1))


def test_argmin_of_an_empty_row_and_nanargmin_of_all_nan_name_the_line():
    (k, _) = both(["void(f8[:], i8[:], i8[:], i8[:], i8[:])"], "(n)->(),(),(),()", extremes)
    with pytest.raises(
        ValueError,
        match=r"argmin of an empty sequence in 'extremes' \(.*test_array_functions.py, line 3\d\)",
    ):
        k(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="All-NaN slice encountered in 'extremes'"):
        k(np.array([[1.0, 2.0], [np.nan, np.nan]]))


# ---- variance and standard deviation ----


def spread(a, v, s, v1, s1):
    v[0] = np.var(a)
    s[0] = a.std()
    v1[0] = a.var(ddof=1)
    s1[0] = np.std(a, ddof=1)


def nanspread(a, v, s, v1, s1):
    v[0] = np.nanvar(a)
    s[0] = np.nanstd(a)
    v1[0] = np.nanvar(a, ddof=1)
    s1[0] = np.nanstd(a, ddof=1)


@pytest.mark.parametrize("dtype,rtol", [("f8", 1e-12), ("f4", 2e-5), ("i4", 1e-12)])
def test_var_std_against_numpy(dtype, rtol, rng):
    x = (rng.standard_normal((30, 257)) * 40 + 3).astype(dtype)
    out = "f4" if dtype == "f4" else "f8"
    sig = [f"void({dtype}[:], {out}[:], {out}[:], {out}[:], {out}[:])"]
    for k in both(sig, "(n)->(),(),(),()", spread):
        v, s, v1, s1 = k(x)
        np.testing.assert_allclose(v, np.var(x, axis=-1), rtol=rtol)
        np.testing.assert_allclose(s, np.std(x, axis=-1), rtol=rtol)
        np.testing.assert_allclose(v1, np.var(x, axis=-1, ddof=1), rtol=rtol)
        np.testing.assert_allclose(s1, np.std(x, axis=-1, ddof=1), rtol=rtol)
        assert v.dtype == np.var(x, axis=-1).dtype


def test_nanvar_nanstd_against_numpy(rng):
    x = rows_with_nans(rng, 40, 33)
    x[0] = np.nan
    x[1, 1:] = np.nan  # one value left: ddof=1 has no degree of freedom
    for k in both(["void(f8[:], f8[:], f8[:], f8[:], f8[:])"], "(n)->(),(),(),()", nanspread):
        with np.errstate(all="raise"):
            v, s, v1, s1 = k(x)
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
            expected = [
                np.nanvar(x, axis=-1),
                np.nanstd(x, axis=-1),
                np.nanvar(x, axis=-1, ddof=1),
                np.nanstd(x, axis=-1, ddof=1),
            ]
        for got, want in zip((v, s, v1, s1), expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_var_of_an_empty_row_is_nan_with_numpys_warning():
    (k, _) = both(["void(f8[:], f8[:], f8[:], f8[:], f8[:])"], "(n)->(),(),(),()", spread)
    with pytest.warns(RuntimeWarning):
        v, s, _, _ = k(np.zeros(0))
    assert np.isnan(v) and np.isnan(s)


# ---- searching, products, norms, interpolation ----


def bins(edges, v, left, right):
    left[0] = np.searchsorted(edges, v)
    right[0] = edges.searchsorted(v, side="right")


@pytest.mark.parametrize("dtype", ["f8", "i8"])
def test_searchsorted_both_sides(dtype, rng):
    edges = np.array([-1.0, 0, 0, 0, 2.5, 7, 7, 9, np.nan, np.nan]).astype(
        dtype if dtype == "f8" else "f8"
    )
    if dtype == "i8":
        edges = np.array([-3, 0, 0, 0, 2, 7, 7, 9], dtype="i8")
    values = np.array([-5, -1, 0, 0.5, 2.5, 7, 8, 9, 10, np.inf, -np.inf, np.nan])
    for k in both([f"void({dtype}[:], f8, i8[:], i8[:])"], "(n),()->(),()", bins):
        left, right = k(edges, values)
        np.testing.assert_array_equal(left, np.searchsorted(edges, values))
        np.testing.assert_array_equal(right, np.searchsorted(edges, values, side="right"))


def products(a, b, d, n, n1, ninf):
    d[0] = np.dot(a, b)
    n[0] = np.linalg.norm(a)
    n1[0] = np.linalg.norm(b, 1)
    ninf[0] = np.linalg.norm(a, ord=np.inf)


def test_dot_and_norms(rng):
    a = rng.standard_normal((20, 50))
    b = rng.standard_normal((20, 50))
    for k in both(
        ["void(f8[:], f8[:], f8[:], f8[:], f8[:], f8[:])"], "(n),(n)->(),(),(),()", products
    ):
        d, n, n1, ninf = k(a, b)
        np.testing.assert_allclose(d, np.einsum("ij,ij->i", a, b), rtol=1e-12)
        np.testing.assert_allclose(n, np.linalg.norm(a, axis=-1), rtol=1e-12)
        np.testing.assert_allclose(n1, np.linalg.norm(b, 1, axis=-1), rtol=1e-12)
        np.testing.assert_array_equal(ninf, np.linalg.norm(a, np.inf, axis=-1))


def int_dot(a, b, out):
    out[0] = np.dot(a, b)


def test_dot_of_int8_wraps_like_numpy():
    a = np.array([100, 100, 7], np.int8)
    b = np.array([2, 3, -1], np.int8)
    (k, _) = both(["void(i1[:], i1[:], i1[:])"], "(n),(n)->()", int_dot)
    assert k(a, b) == np.dot(a, b)


def test_dot_of_different_lengths_is_a_value_error():
    k = guvectorize(["void(f8[:], f8[:], f8[:])"], "(n),(m)->()")(int_dot)
    with pytest.raises(ValueError, match="shapes not aligned.* in 'int_dot'"):
        k(np.ones(3), np.ones(4))


def interpolate(x, xp, fp, out, clipped):
    out[0] = np.interp(x, xp, fp)
    clipped[0] = np.interp(x, xp, fp, left=-1.0, right=np.nan)


def test_interp_of_points_against_numpy():
    xp = np.array([0.0, 1, 1, 2, 4, 4.5])
    fp = np.array([0.0, 10, 20, 30, np.inf, 1])
    xs = np.array([-1, 0, 0.5, 1, 1.5, 2, 3, 4, 4.2, 4.5, 5, np.nan, np.inf, -np.inf])
    for k in both(["void(f8, f8[:], f8[:], f8[:], f8[:])"], "(),(n),(n)->(),()", interpolate):
        with np.errstate(invalid="ignore"):
            got, clipped = k(xs, xp, fp)
            np.testing.assert_array_equal(got, np.interp(xs, xp, fp))
            np.testing.assert_array_equal(clipped, np.interp(xs, xp, fp, left=-1.0, right=np.nan))
    # One sample point.
    one = both(["void(f8, f8[:], f8[:], f8[:], f8[:])"], "(),(n),(n)->(),()", interpolate)[0]
    got, _ = one(xs, np.array([1.0]), np.array([5.0]))
    np.testing.assert_array_equal(got, np.interp(xs, [1.0], [5.0]))


def test_interp_checks_its_tables():
    k = guvectorize(["void(f8, f8[:], f8[:], f8[:], f8[:])"], "(),(n),(m)->(),()")(interpolate)
    with pytest.raises(ValueError, match="array of sample points is empty"):
        k(1.0, np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="fp and xp are not of the same length"):
        k(1.0, np.zeros(3), np.zeros(2))


# ---- functions that give arrays, bound to names ----


def running(a, cs, cp):
    s = np.cumsum(a)
    p = a.cumprod()
    for i in range(len(a)):
        cs[i] = s[i]
        cp[i] = p[i]


@pytest.mark.parametrize(
    "dtype,acc", [("f8", "f8"), ("f4", "f4"), ("i4", "i8"), ("u1", "u8"), ("b1", "i8")]
)
def test_cumsum_cumprod_types_and_bits(dtype, acc, rng):
    if dtype == "b1":
        x = rng.random((10, 17)) < 0.7
    elif dtype.startswith("f"):
        x = rows_with_nans(rng, 10, 17, dtype)
    else:
        x = rng.integers(0, 100, (10, 17)).astype(dtype)
    assert np.cumsum(x, axis=-1).dtype == np.dtype(acc)
    for k in both([f"void({dtype}[:], {acc}[:], {acc}[:])"], "(n)->(n),(n)", running):
        with np.errstate(all="ignore"):
            cs, cp = k(x)
        np.testing.assert_array_equal(cs, np.cumsum(x, axis=-1))
        np.testing.assert_array_equal(cp, np.cumprod(x, axis=-1))


def sorted_and_order(a, s, order, inplace):
    b = np.sort(a)
    idx = np.argsort(a, kind="stable")
    for i in range(len(a)):
        s[i] = b[i]
        order[i] = idx[i]
        inplace[i] = a[i]
    inplace.sort()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 1000])
def test_sort_and_argsort_put_nan_last(n, rng):
    x = rows_with_nans(rng, 6, n)
    if n:
        x[:, n // 2] = x[:, 0]  # ties keep their order in argsort
        x[0, :] = np.nan
    for k in both(["void(f8[:], f8[:], i8[:], f8[:])"], "(n)->(n),(n),(n)", sorted_and_order):
        s, order, inplace = k(x)
        np.testing.assert_array_equal(s, np.sort(x, axis=-1))
        np.testing.assert_array_equal(inplace, np.sort(x, axis=-1))
        np.testing.assert_array_equal(order, np.argsort(x, axis=-1, kind="stable"))


def test_sort_of_integers(rng):
    x = rng.integers(-50, 50, (5, 300))
    for k in both(["void(i8[:], i8[:], i8[:], i8[:])"], "(n)->(n),(n),(n)", sorted_and_order):
        s, order, inplace = k(x)
        np.testing.assert_array_equal(s, np.sort(x, axis=-1))
        np.testing.assert_array_equal(order, np.argsort(x, axis=-1, kind="stable"))


def sequences(start, stop, step, ar, ls, lsx):
    a = np.arange(start, stop, step)
    n = len(ar)
    for i in range(n):
        ar[i] = a[i] if i < len(a) else -99.0
    b = np.linspace(start, stop, n)
    c = np.linspace(start, stop, num=n, endpoint=False)
    for i in range(n):
        ls[i] = b[i]
        lsx[i] = c[i]


@pytest.mark.parametrize(
    "start,stop,step",
    [(0.0, 1.0, 0.1), (-3.0, 7.5, 0.7), (5.0, 1.0, -0.3), (0.0, 1e-310, 1e-311), (1.0, 1.0, 1.0)],
)
def test_arange_and_linspace_bits(start, stop, step):
    for k in both(["void(f8, f8, f8, f8[:], f8[:], f8[:])"], "(),(),(),(n)->(n),(n)", sequences):
        ar = np.zeros(20)
        ls, lsx = k(start, stop, step, ar)
        a = np.arange(start, stop, step)[:20]
        np.testing.assert_array_equal(ar[: len(a)], a)
        assert (ar[len(a) :] == -99).all()
        np.testing.assert_array_equal(ls, np.linspace(start, stop, 20))
        np.testing.assert_array_equal(lsx, np.linspace(start, stop, 20, endpoint=False))


def int_range(n, out):
    a = np.arange(n)
    b = np.arange(2, n, 3)
    out[0] = len(a)
    out[1] = len(b)
    out[2] = a.sum() + b.sum()


def test_integer_arange():
    k = guvectorize(["void(i8, i8[:])"], "()->(k)")(int_range)
    for n in [-3, 0, 1, 2, 5, 100]:
        out = np.zeros(3, np.int64)
        k(n, out=out)
        a, b = np.arange(n), np.arange(2, n, 3)
        assert list(out) == [len(a), len(b), a.sum() + b.sum()]


def zero_step(a, out):
    r = np.arange(0.0, 1.0, a[0])
    out[0] = len(r)


def test_arange_with_a_zero_step_is_numpys_error():
    k = guvectorize(["void(f8[:], i8[:])"], "(n)->()")(zero_step)
    with pytest.raises(ZeroDivisionError, match="division by zero in 'zero_step'"):
        k(np.zeros(1))


def windows(m, han, ham, bla, bar):
    a = np.hanning(m)
    b = np.hamming(m)
    c = np.blackman(m)
    d = np.bartlett(m)
    for i in range(len(a)):
        han[i] = a[i]
        ham[i] = b[i]
        bla[i] = c[i]
        bar[i] = d[i]


@pytest.mark.parametrize("m", [1, 2, 5, 64])
def test_window_functions(m):
    k = guvectorize(["void(i8, f8[:], f8[:], f8[:], f8[:])"], "()->(n),(n),(n),(n)")(windows)
    outs = [np.zeros(m) for _ in range(4)]
    k(m, out=tuple(outs))
    for got, f in zip(outs, (np.hanning, np.hamming, np.blackman, np.bartlett), strict=True):
        np.testing.assert_allclose(got, f(m), rtol=0, atol=4e-16)


def smooth(a, v, full, same, valid):
    f = np.convolve(a, v)
    s = np.convolve(a, v, mode="same")
    w = np.convolve(a, v, "valid")
    for i in range(len(f)):
        full[i] = f[i] if i < len(full) else 0.0
    for i in range(len(s)):
        same[i] = s[i] if i < len(same) else 0.0
    for i in range(len(valid)):
        valid[i] = w[i] if i < len(w) else -1.0


@pytest.mark.parametrize("n,m", [(7, 3), (7, 4), (3, 7), (5, 5), (1, 1), (6, 1)])
def test_convolve_modes(n, m, rng):
    a, v = rng.standard_normal(n), rng.standard_normal(m)
    full, same, valid = np.zeros(n + m - 1), np.zeros(max(n, m)), np.zeros(abs(n - m) + 1)
    k = guvectorize(["void(f8[:], f8[:], f8[:], f8[:], f8[:])"], "(n),(m)->(a),(b),(c)")(smooth)
    k(a, v, out=(full, same, valid))
    np.testing.assert_allclose(full, np.convolve(a, v), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(same, np.convolve(a, v, "same"), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(valid, np.convolve(a, v, "valid"), rtol=1e-12, atol=1e-15)


def test_convolve_of_an_empty_array_is_numpys_error():
    k = guvectorize(["void(f8[:], f8[:], f8[:], f8[:], f8[:])"], "(n),(m)->(a),(b),(c)")(smooth)
    with pytest.raises(ValueError, match="v cannot be empty in 'smooth'"):
        k(np.ones(3), np.zeros(0), out=(np.zeros(2), np.zeros(3), np.zeros(4)))


def resample(x, xp, fp, out):
    y = np.interp(x, xp, fp)
    for i in range(len(y)):
        out[i] = y[i]


def test_interp_of_an_array_into_a_local(rng):
    xp = np.sort(rng.uniform(0, 10, 30))
    fp = np.sin(xp)
    x = rng.uniform(-1, 11, (4, 100))
    for k in both(["void(f8[:], f8[:], f8[:], f8[:])"], "(n),(m),(m)->(n)", resample):
        np.testing.assert_array_equal(k(x, xp, fp), np.interp(x, xp, fp))


# ---- kernels written the way scientists write them ----


def zscore_outliers(x, thresh, flags):
    # Flag points more than `thresh` sample standard deviations from the mean of the row.
    m = np.nanmean(x)
    s = np.nanstd(x, ddof=1)
    for i in range(len(x)):
        flags[i] = abs(x[i] - m) > thresh * s


def test_zscore_outlier_flags(rng):
    x = rows_with_nans(rng, 50, 200)
    x[:, 7] = 9.0
    for k in both(["void(f8[:], f8, b1[:])"], "(n),()->(n)", zscore_outliers):
        expected = np.abs(x - np.nanmean(x, axis=-1, keepdims=True)) > 3 * np.nanstd(
            x, axis=-1, ddof=1, keepdims=True
        )
        np.testing.assert_array_equal(k(x, 3.0), expected)


def percentile_rank(sample, values, out):
    # Empirical CDF of a sample at given values (forecast verification).
    s = np.sort(sample)
    n = len(s)
    for i in range(len(values)):
        out[i] = np.searchsorted(s, values[i], side="right") / n


def test_empirical_cdf(rng):
    sample = rng.standard_normal((8, 500))
    values = np.linspace(-3, 3, 13)
    for k in both(["void(f8[:], f8[:], f8[:])"], "(n),(m)->(m)", percentile_rank):
        expected = np.array(
            [np.searchsorted(np.sort(r), values, side="right") / r.size for r in sample]
        )
        np.testing.assert_array_equal(k(sample, values), expected)


def tapered_power(x, out):
    # Audio analysis: a Hann-tapered signal's mean power and its peak position.
    w = np.hanning(len(x))
    p = 0.0
    for i in range(len(x)):
        p += (x[i] * w[i]) ** 2
    out[0] = p / len(x)
    out[1] = np.argmax(x)


def test_tapered_power(rng):
    x = rng.standard_normal((6, 256))
    for k in both(["void(f8[:], f8[:])"], "(n)->(k)", tapered_power):
        out = np.zeros((6, 2))
        k(x, out=out)
        w = np.hanning(256)
        np.testing.assert_allclose(out[:, 0], ((x * w) ** 2).mean(axis=-1), rtol=1e-12)
        np.testing.assert_array_equal(out[:, 1], np.argmax(x, axis=-1))


# ---- refusals ----


def test_unsupported_forms_say_what_to_do():
    def axis_var(a, out):
        out[0] = np.var(a, 0)

    with pytest.raises(UnsupportedError, match="no axis"):
        guvectorize(["void(f8[:], f8[:])"], "(n)->()")(axis_var)

    def two_d(a, out):
        out[0] = np.argmin(a)

    with pytest.raises(UnsupportedError, match="of a 2-d array .* pass 1-d arrays"):
        guvectorize(["void(f8[:,:], i8[:])"], "(n,m)->()")(two_d)

    def bad_side(a, out):
        out[0] = np.searchsorted(a, 1.0, side="middle")

    with pytest.raises(TypingError, match="side must be 'left' or 'right'"):
        guvectorize(["void(f8[:], i8[:])"], "(n)->()")(bad_side)

    def sort_an_input(a, out):
        a.sort()
        out[0] = a[0]

    # An input sorted in place is written: NumPy gets it back (read-write operand).
    k = guvectorize(["void(f8[:], f8[:])"], "(n)->()")(sort_an_input)
    x = np.array([3.0, 1.0, 2.0])
    assert k(x) == 1.0
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


# ---- frozen module-level tables in vectorize kernels ----

XP = np.array([0.0, 1.0, 2.0, 5.0])
FP = np.array([0.0, 10.0, 15.0, 16.0])


def test_lookup_tables_in_vectorize_kernels():
    from ufuncgen import vectorize

    def lookup(x):
        return np.interp(x, XP, FP)

    def bucket(x):
        return np.searchsorted(XP, x, side="right")

    x = np.linspace(-1, 6, 29)
    for target in ("cpu", "parallel"):
        f = vectorize(["float64(float64)"], target=target)(lookup)
        g = vectorize(["int64(float64)"], target=target)(bucket)
        np.testing.assert_array_equal(f(x), np.interp(x, XP, FP))
        np.testing.assert_array_equal(g(x), np.searchsorted(XP, x, side="right"))


# ---- whole-array expressions, boolean masks ----


def detrend_and_decay(x, k, centred, decay, ramp):
    centred[:] = x - x.mean()
    e = np.exp(-x * k) + 1.0
    d = np.exp(np.arange(len(x)) * k)
    for i in range(len(x)):
        decay[i] = e[i]
        ramp[i] = d[i]


def test_whole_array_expressions_bind_and_store(rng):
    x = rng.standard_normal((5, 33))
    sig = ["void(f8[:], f8, f8[:], f8[:], f8[:])"]
    for k in both(sig, "(n),()->(n),(n),(n)", detrend_and_decay):
        centred, decay, ramp = k(x, 0.25)
        np.testing.assert_allclose(centred, x - x.mean(axis=-1, keepdims=True), rtol=1e-12)
        # exp is the vector-math tier's (within its ulp bound of NumPy's, not bit for bit).
        np.testing.assert_allclose(decay, np.exp(-x * 0.25) + 1.0, rtol=1e-15)
        ramp_want = np.broadcast_to(np.exp(np.arange(33) * 0.25), x.shape)
        np.testing.assert_allclose(ramp, ramp_want, rtol=1e-15)


def scaled32(a, out):
    t = a * 2.5 + 1
    out[:] = np.sqrt(t) - a / 3


def test_whole_array_expressions_keep_numpys_dtypes(rng):
    a = rng.uniform(0, 10, (4, 9)).astype(np.float32)
    for k in both(["void(f4[:], f4[:])"], "(n)->(n)", scaled32):
        np.testing.assert_array_equal(k(a), np.sqrt(a * 2.5 + 1) - a / 3)


def valid_mean(a, mean, count):
    v = a[~np.isnan(a)]
    count[0] = len(v)
    mean[0] = v.mean() if len(v) > 0 else np.nan


def test_boolean_mask_selects_into_a_view(rng):
    a = rows_with_nans(rng, 20, 15)
    a[0] = np.nan
    for k in both(["void(f8[:], f8[:], i8[:])"], "(n)->(),()", valid_mean):
        mean, count = k(a)
        np.testing.assert_array_equal(count, (~np.isnan(a)).sum(axis=-1))
        with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
            np.testing.assert_allclose(mean, np.nanmean(a, axis=-1), rtol=1e-12)


def clip_and_fill(a, out):
    out[:] = a
    out[out < 0] = 0.0
    out[np.isnan(out)] = -1


def test_masked_stores(rng):
    a = rows_with_nans(rng, 10, 12)
    expected = np.where(a < 0, 0.0, a)
    expected[np.isnan(a)] = -1
    for k in both(["void(f8[:], f8[:])"], "(n)->(n)", clip_and_fill):
        np.testing.assert_array_equal(k(a), expected)


def test_whole_array_errors_name_the_line():
    def mismatch(a, b, out):
        c = a + b
        out[0] = c[0]

    k = guvectorize(["void(f8[:], f8[:], f8[:])"], "(n),(m)->()")(mismatch)
    with pytest.raises(ValueError, match="could not be broadcast.* in 'mismatch'"):
        k(np.ones(3), np.ones(4))

    def fancy(a, idx, out):
        v = a[idx]
        out[0] = v[0]

    with pytest.raises(UnsupportedError, match="fancy indexing"):
        guvectorize(["void(f8[:], i8[:], f8[:])"], "(n),(m)->()")(fancy)

    def two_d(g, out):
        h = g * 2.0
        out[0] = h[0, 0]

    with pytest.raises(UnsupportedError, match="2-d arrays are not supported.*loop over the rows"):
        guvectorize(["void(f8[:,:], f8[:])"], "(n,m)->()")(two_d)


# ---- ufuncgen ufuncs inside kernels ----


def test_ufuncs_apply_to_arrays_and_lazy_ufuncs_to_scalars(rng):
    from ufuncgen import vectorize

    @vectorize(["float64(float64)", "float32(float32)"])
    def soft(x):
        return x / (1.0 + abs(x))

    @vectorize
    def cube(x):
        return x * x * x

    def apply(a, out, s):
        out[:] = soft(a) * 2.0
        s[0] = cube(a[0]) + cube(np.float32(2.0))

    a = rng.standard_normal((3, 8))
    for k in both(["void(f8[:], f8[:], f8[:])"], "(n)->(n),()", apply):
        out, s = k(a)
        np.testing.assert_array_equal(out, soft(a) * 2.0)
        np.testing.assert_array_equal(s, a[:, 0] ** 3 + 8.0)


# ---- histograms ----


def histogram_range(a, lo, hi, counts, edges):
    c, e = np.histogram(a, bins=len(counts), range=(lo, hi))
    counts[:] = c
    edges[:] = e


@pytest.mark.parametrize("bins", [1, 7, 13, 100])
def test_histogram_with_a_range_is_numpys(bins, rng):
    a = rng.normal(size=(3, 2000))
    a[:, ::7] = np.nan
    a[1] = np.linspace(-2, 2.5, 2000)  # values on and next to the edges
    a[2, :50] = [-2.0, 2.5] * 25
    k = guvectorize(["void(f8[:], f8, f8, i8[:], f8[:])"], "(n),(),()->(k),(j)")(histogram_range)
    for row in a:
        counts, edges = np.zeros(bins, np.int64), np.zeros(bins + 1)
        k(row, -2.0, 2.5, out=(counts, edges))
        want_counts, want_edges = np.histogram(row, bins=bins, range=(-2.0, 2.5))
        np.testing.assert_array_equal(counts, want_counts)
        np.testing.assert_array_equal(edges, want_edges)


def histogram_auto(a, counts, edges):
    c = np.histogram(a, len(counts))[0]
    counts[:] = c
    e = np.histogram(a, len(counts))[1]
    edges[:] = e


def test_histogram_of_the_data_range_and_its_errors(rng):
    k = guvectorize(["void(i8[:], i8[:], f8[:])"], "(n)->(k),(j)")(histogram_auto)
    for a in (rng.integers(-40, 90, 700), np.full(5, 3), np.zeros(0, np.int64)):
        counts, edges = np.zeros(9, np.int64), np.zeros(10)
        k(a, out=(counts, edges))
        want_counts, want_edges = np.histogram(a, 9)
        np.testing.assert_array_equal(counts, want_counts)
        np.testing.assert_array_equal(edges, want_edges)
    f = guvectorize(["void(f8[:], i8[:], f8[:])"], "(n)->(k),(j)")(histogram_auto)
    with pytest.raises(ValueError, match="autodetected range of the histogram is not finite"):
        f(np.array([1.0, np.nan]), out=(np.zeros(3, np.int64), np.zeros(4)))
    g = guvectorize(["void(f8[:], f8, f8, i8[:], f8[:])"], "(n),(),()->(k),(j)")(histogram_range)
    with pytest.raises(ValueError, match="max must be larger than min in range parameter"):
        g(np.ones(3), 2.0, 1.0, out=(np.zeros(3, np.int64), np.zeros(4)))
    with pytest.raises(ValueError, match="bins. must be positive"):
        g(np.ones(3), 0.0, 1.0, out=(np.zeros(0, np.int64), np.zeros(1)))


def histogram_edges(a, bins, counts):
    c, e = np.histogram(a, bins)
    counts[:] = c


def test_histogram_with_bin_edges(rng):
    a = np.concatenate([rng.normal(size=500), [2.0, 2.0, -3.0, np.nan, 7.0]])
    bins = np.array([-3, -1, 0, 0.5, 2, 2])
    k = guvectorize(["void(f8[:], f8[:], i8[:])"], "(n),(k)->(j)")(histogram_edges)
    counts = np.zeros(5, np.int64)
    k(a, bins, out=(counts,))
    np.testing.assert_array_equal(counts, np.histogram(a, bins)[0])
    with pytest.raises(ValueError, match="must increase monotonically"):
        k(a, np.array([0.0, 1.0, 0.5]), out=(np.zeros(2, np.int64),))

"""Tuples, enumerate/zip loops, loop variables after their loop, keyword arguments, njit
helpers and ufuncgen ufuncs called inside kernels: kernels in the style of real scientific
code, compared with NumPy (and plain Python) on inputs with NaNs and edge cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy_diff import assert_identical, assert_ulp_close

import ufuncgen
from ufuncgen import guvectorize, jit, njit, prange, vectorize

TARGETS = ["cpu", "parallel"]


# --- helpers in the kernel language (module level, as users write them) --------------------


@njit
def _sincos(theta):
    return math.sin(theta), math.cos(theta)


@njit(cache=True, fastmath=False, nogil=True)
def _welford_step(count, mean, m2, x):
    count += 1
    delta = x - mean
    mean += delta / count
    m2 += delta * (x - mean)
    return count, mean, m2


@jit("float64(float64, float64)", nopython=True)
def _hypot2(a, b):
    return a * a + b * b


def _clip(x, lo, hi):
    return min(max(x, lo), hi)


def _order(a, b):
    if a <= b:
        return a, b
    return b, a


@vectorize(["float64(float64)", "float32(float32)"])
def _half(x):
    return x * 0.5


@vectorize(["int64(int64)"])
def _tri(n):
    return n * (n + 1) // 2


# --- tuples -----------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_rotation_with_tuple_helper_and_swap(target):
    @vectorize(["float64(float64, float64, float64)"], target=target)
    def rotate_x(x, y, theta):
        s, c = _sincos(theta)
        x, y = c * x - s * y, s * x + c * y
        x, y = y, x
        return y

    x = np.array([1.0, 0.0, -2.5, np.nan, np.inf])
    y = np.array([0.0, 1.0, 3.0, 1.0, 0.0])
    t = np.array([0.3, np.pi / 2, -1.0, 0.5, 0.0])
    with np.errstate(invalid="ignore"):
        want = np.cos(t) * x - np.sin(t) * y
        # sin and cos are library calls: within NumPy's ulp tolerance of NumPy's own loops.
        assert_ulp_close(rotate_x(x, y, t), want)


@pytest.mark.parametrize("target", TARGETS)
def test_online_variance_gufunc_with_tuple_returning_njit_helper(target, rng):
    @guvectorize(["void(float64[:], float64[:])"], "(n)->()", target=target)
    def nanvar(a, out):
        n, mean, m2 = 0, 0.0, 0.0
        for v in a:
            if not np.isnan(v):
                n, mean, m2 = _welford_step(n, mean, m2, v)
        out[0] = m2 / n if n > 0 else np.nan

    a = rng.normal(size=(20, 50))
    a[a > 1.5] = np.nan
    a[3] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-NaN row
        want = np.nanvar(a, axis=1)
    got = nanvar(a)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("target", TARGETS)
def test_three_d_shape_unpack_and_element_swap(target):
    @guvectorize(["void(float64[:,:,:], float64[:])"], "(m,n,p)->()", target=target)
    def volume(a, out):
        m, n, p = a.shape
        out[0] = m * 100 + n * 10 + p

    assert_identical(volume(np.zeros((4, 2, 3, 5))), np.full(4, 235.0))

    @guvectorize(["void(float64[:], float64[:])"], "(n)->(n)", target=target)
    def reverse(a, out):
        for i in range(len(a)):
            out[i] = a[i]
        i, j = 0, len(a) - 1
        while i < j:
            out[i], out[j] = out[j], out[i]
            i, j = i + 1, j - 1

    a = np.arange(14.0).reshape(2, 7)
    assert_identical(reverse(a), a[:, ::-1])


def test_chained_assignment_and_divmod_still_work():
    @vectorize(["int64(int64, int64)"])
    def k(a, b):
        x = y = z = 0
        q, r = divmod(a, b)
        q2, r2 = np.divmod(a, b)
        x = y = q + r2
        return x + y + z + r + q2

    a, b = np.array([7, -7, 9]), np.array([2, 2, -4])
    q, r = np.divmod(a, b)
    assert_identical(k(a, b), 2 * (q + r) + r + q)


def test_tuple_errors():
    def bad_count(x):
        a, b = x, x, x  # noqa: F841
        return a

    with pytest.raises(ufuncgen.TypingError, match="cannot unpack 3 values into 2"):
        vectorize(["f8(f8)"])(bad_count)

    def tuple_kernel(x):
        return x, x

    with pytest.raises(ufuncgen.UnsupportedError, match="tuple can only be returned from a helper"):
        vectorize(["f8(f8)"])(tuple_kernel)

    def unpacked_wrong(x):
        a, b, c = _order(x, 1.0)
        return a

    with pytest.raises(ufuncgen.TypingError, match="returns a tuple of 2 values but 3"):
        vectorize(["f8(f8)"])(unpacked_wrong)

    def used_as_value(x):
        return _order(x, 1.0)

    with pytest.raises(ufuncgen.UnsupportedError, match="can only unpack"):
        vectorize(["f8(f8)"])(used_as_value)


# --- loops ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_enumerate_argmax_and_zip_correlation(target, rng):
    @guvectorize(["void(float64[:], int64[:])"], "(n)->()", target=target)
    def nanargmax(a, out):
        best = -np.inf
        out[0] = -1
        for i, v in enumerate(a):
            if v > best:
                best = v
                out[0] = i

    @guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()", target=target)
    def pearson(x, y, out):
        sx = sy = sxx = syy = sxy = 0.0
        n = 0
        for a, b in zip(x, y, strict=True):
            if np.isnan(a) or np.isnan(b):
                continue
            n += 1
            sx += a
            sy += b
            sxx += a * a
            syy += b * b
            sxy += a * b
        cov = sxy - sx * sy / n
        out[0] = cov / math.sqrt((sxx - sx * sx / n) * (syy - sy * sy / n))

    a = rng.normal(size=(6, 40))
    a[1, 5] = np.nan
    b = a * 0.5 + rng.normal(size=(6, 40))
    with np.errstate(invalid="ignore"):
        want_idx = np.where(np.isnan(a), -np.inf, a).argmax(axis=1)
    assert_identical(nanargmax(a), want_idx)
    got = pearson(a, b)
    for r in range(6):
        m = ~np.isnan(a[r]) & ~np.isnan(b[r])
        np.testing.assert_allclose(got[r], np.corrcoef(a[r, m], b[r, m])[0, 1], rtol=1e-10)


def test_enumerate_start_and_zip_of_three_stops_at_shortest():
    @guvectorize(["void(float64[:], float64[:], float64[:], float64[:])"], "(n),(n),(m)->()")
    def weighted(a, b, c, out):
        t = 0.0
        for x, y, z in zip(a, b, c, strict=False):
            t += x * y * z
        for k, v in enumerate(a, 1):
            t += k * v
        out[0] = t

    a, b, c = np.arange(1.0, 5.0), np.full(4, 2.0), np.array([1.0, 10.0])
    want = (a[:2] * b[:2] * c).sum() + (np.arange(1, 5) * a).sum()
    assert_identical(weighted(a, b, c), np.float64(want))


@pytest.mark.parametrize("target", TARGETS)
def test_for_else_and_loop_variable_after_loop(target):
    @guvectorize(["void(float64[:], float64, int64[:])"], "(n),()->()", target=target)
    def first_above(a, thresh, out):
        for i in range(len(a)):
            if a[i] > thresh:
                break
        else:
            i = -1
        out[0] = i

    a = np.array([[0.0, 2.0, 5.0], [0.0, 0.0, 0.0]])
    assert_identical(first_above(a, 1.0), np.array([1, -1]))

    @vectorize(["int64(int64)"], target=target)
    def last_index(n):
        for i in range(n):  # noqa: B007
            pass
        return i

    assert_identical(last_index(np.array([3, 1, 10])), np.array([2, 0, 9]))
    with pytest.raises(UnboundLocalError, match=r"'i'.*in 'last_index'.*line"):
        last_index(np.array([3, 0, 2]))

    @guvectorize(["void(float64[:], float64[:])"], "(n)->()", target=target)
    def last_value(a, out):
        for v in a:  # noqa: B007
            pass
        out[0] = v

    assert_identical(last_value(np.arange(6.0).reshape(2, 3)), np.array([2.0, 5.0]))
    with pytest.raises(UnboundLocalError, match="'v'"):
        last_value(np.zeros((2, 0)))


def test_loop_variable_rebound_after_an_empty_loop_is_defined():
    @vectorize(["int64(int64, int64)"])
    def k(n, m):
        for i in range(n):  # noqa: B007
            pass
        if m > 0:
            i = 100
        for i in range(m, m + n):  # noqa: B007
            pass
        return i

    # n == 0: the first loop leaves i unbound; m > 0 binds it.
    assert_identical(k(np.array([0, 2, 3]), np.array([5, 0, 1])), np.array([100, 1, 3]))
    with pytest.raises(UnboundLocalError):
        k(np.array([0]), np.array([0]))


@pytest.mark.parametrize("target", TARGETS)
def test_prange_is_range_in_kernels_and_in_python(target):
    assert list(prange(2, 8, 3)) == [2, 5]

    @guvectorize(["void(float64[:], float64[:])"], "(n)->()", target=target)
    def total(a, out):
        s = 0.0
        for i in prange(len(a)):
            s += a[i]
        out[0] = s

    a = np.arange(12.0).reshape(3, 4)
    assert_identical(total(a), a.sum(axis=1))


def test_enumerate_over_non_array_is_a_clear_error():
    def k(x):
        t = 0
        for i, v in enumerate(x):  # noqa: B007
            t += v
        return t

    with pytest.raises(ufuncgen.UnsupportedError, match="1-d arrays"):
        vectorize(["f8(f8)"])(k)


# --- calls ------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_keyword_arguments(target):
    @vectorize(["float64(float64, float64)"], target=target)
    def k(x, lo):
        return _clip(hi=1.0, x=x, lo=lo) + round(x, ndigits=1) + np.round(x, decimals=2)

    x = np.array([-3.0, 0.25, 0.5, 7.123])
    lo = np.array([-1.0, 0.0, 0.6, 0.0])
    want = np.clip(x, lo, 1.0) + np.round(x, 1) + np.round(x, 2)
    assert_identical(k(x, lo), want)


def test_keyword_argument_errors():
    def unknown(x):
        return _clip(x, 0.0, hi=1.0, width=2.0)

    with pytest.raises(ufuncgen.TypingError, match="unexpected keyword argument 'width'"):
        vectorize(["f8(f8)"])(unknown)

    def twice(x):
        return _clip(x, 0.0, 1.0, x=2.0)

    with pytest.raises(ufuncgen.TypingError, match="multiple values for argument 'x'"):
        vectorize(["f8(f8)"])(twice)

    def ufunc_keyword(x):
        return np.sin(x=x)

    with pytest.raises(ufuncgen.TypingError, match="takes no keyword arguments"):
        vectorize(["f8(f8)"])(ufunc_keyword)


@pytest.mark.parametrize("target", TARGETS)
def test_ufuncgen_ufuncs_called_on_scalars(target):
    @vectorize(["float32(float32)", "float64(float64)"], target=target)
    def k(x):
        return _half(x) + _hypot2(x, 1.0) + _tri(3)

    for dt in (np.float32, np.float64):
        x = np.array([0.0, 1.5, -4.0, np.nan], dtype=dt)
        got = k(x)
        assert got.dtype == dt
        # _half keeps float32 (its own float32 loop); _hypot2 is typed float64 by its
        # signature and rounded back into the kernel's float32 return.
        want = (x * dt(0.5)).astype(np.float64) + (x.astype(np.float64) ** 2 + 1.0) + 6
        np.testing.assert_allclose(got, want.astype(dt), rtol=1e-6)


def test_ufunc_without_a_loop_for_the_arguments_is_a_typing_error():
    def k(x):
        return _tri(x)

    with pytest.raises(ufuncgen.TypingError, match=r"_tri\(\) has no signature"):
        vectorize(["f8(f8)"])(k)


def test_njit_and_jit_return_the_python_function():
    assert _sincos(0.0) == (0.0, 1.0)
    assert _hypot2(3.0, 4.0) == 25.0
    assert njit(lambda x: x) is not None or True
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        njit(bogus=True)
    with pytest.raises(TypeError, match="object mode"):
        jit(forceobj=True)


def test_numba_helpers_when_numba_is_installed():
    numba = pytest.importorskip("numba")

    @numba.njit
    def sq(x):
        return x * x

    @vectorize(["float64(float64)"])
    def k(x):
        s = 0.0
        for i in numba.prange(2):  # noqa: B007
            s += sq(x)
        return s

    assert_identical(k(np.array([3.0])), np.array([18.0]))


# --- scalar coverage and stores ---------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_float_stored_into_int_array_truncates(target):
    @guvectorize(["void(float64[:], int64[:], uint8[:])"], "(n)->(n),(n)", target=target)
    def quantize(a, out, q):
        for i in range(len(a)):
            out[i] = a[i] * 10.0
            q[i] = a[i] * 100.0

    a = np.array([[0.27, -0.31, 1.0, 0.015]])
    out, q = quantize(a)
    want = np.empty(4, np.int64)
    want_q = np.empty(4, np.uint8)
    for i, v in enumerate(a[0]):
        want[i] = v * 10.0
        with np.errstate(invalid="ignore"):
            want_q[i] = np.float64(v * 100.0).astype(np.uint8)
    assert_identical(out[0], want)
    assert_identical(q[0], want_q)


def _cube(x):
    return x * x * x


def test_numba_dispatcher_surface_without_numba(monkeypatch):
    """What ufuncgen relies on of Numba (a dispatcher class from a `numba.*` module with the
    Python function as `py_func`, and `numba.prange`), checked without Numba installed."""
    import sys
    import types

    fake = types.ModuleType("numba")

    class CPUDispatcher:  # the surface of numba.core.registry.CPUDispatcher we use
        def __init__(self, py_func):
            self.py_func = py_func

        def __call__(self, *args):
            return self.py_func(*args)

    CPUDispatcher.__module__ = "numba.core.registry"

    class prange:  # numba.misc.special.prange
        def __new__(cls, *args):
            return range(*args)

    prange.__module__ = "numba.misc.special"
    fake.prange = prange
    monkeypatch.setitem(sys.modules, "numba", fake)
    cube = CPUDispatcher(_cube)
    nprange = fake.prange

    def k(x):
        s = 0.0
        for i in nprange(3):
            s += cube(x) + i
        return s

    f = vectorize(["float64(float64)"])(k)
    assert_identical(f(np.array([2.0, -1.0])), np.array([27.0, 0.0]))


# --- more kernels in the style of real scientific code ------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_finance_max_drawdown_with_peak_index(target, rng):
    @guvectorize(["void(float64[:], float64[:], int64[:])"], "(n)->(),()", target=target)
    def max_drawdown(prices, dd, at):
        peak, peak_i = -np.inf, -1
        dd[0] = 0.0
        at[0] = -1
        for i, p in enumerate(prices):
            if np.isnan(p):
                continue
            if p > peak:
                peak, peak_i = p, i
            d = (peak - p) / peak
            if d > dd[0]:
                dd[0] = d
                at[0] = peak_i

    prices = np.cumprod(1 + rng.normal(0, 0.02, size=(8, 120)), axis=1)
    prices[2, 10:20] = np.nan
    dd, at = max_drawdown(prices)
    for r in range(8):
        best, best_at, peak, peak_i = 0.0, -1, -np.inf, -1
        for i, p in enumerate(prices[r]):
            if np.isnan(p):
                continue
            if p > peak:
                peak, peak_i = p, i
            if (peak - p) / peak > best:
                best, best_at = (peak - p) / peak, peak_i
        assert dd[r] == best and at[r] == best_at


@pytest.mark.parametrize("target", TARGETS)
def test_physics_log_sum_exp_with_logaddexp(target, rng):
    @guvectorize(["void(float64[:], float64[:])"], "(n)->()", target=target)
    def logsumexp(a, out):
        acc = -np.inf
        for v in a:
            acc = np.logaddexp(acc, v)
        out[0] = acc

    a = rng.normal(0, 30, size=(10, 64))
    a[0] = -np.inf
    got = logsumexp(a)
    want = np.logaddexp.reduce(a, axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert got[0] == -np.inf


@pytest.mark.parametrize("target", TARGETS)
def test_climate_growing_degree_days_with_heaviside_and_fmax(target, rng):
    @guvectorize(
        ["void(float64[:], float64[:], float64, float64[:])"], "(n),(n),()->()", target=target
    )
    def gdd(tmin, tmax, base, out):
        total = 0.0
        for lo, hi in zip(tmin, tmax, strict=True):
            mean = (np.fmax(lo, base) + np.fmax(hi, base)) * 0.5
            total += (mean - base) * np.heaviside(mean - base, 0.0)
        out[0] = total

    tmin = rng.normal(8, 6, size=(5, 365))
    tmax = tmin + rng.uniform(2, 12, size=(5, 365))
    tmin[1, ::7] = np.nan
    mean = (np.fmax(tmin, 10.0) + np.fmax(tmax, 10.0)) * 0.5
    want = ((mean - 10.0) * np.heaviside(mean - 10.0, 0.0)).sum(axis=1)
    np.testing.assert_allclose(gdd(tmin, tmax, 10.0), want, rtol=1e-12)


@pytest.mark.parametrize("target", TARGETS)
def test_hashing_fnv1a_with_bitwise_ufuncs(target, rng):
    @guvectorize(["void(uint8[:], uint64[:])"], "(n)->()", target=target)
    def fnv1a(data, out):
        h = np.uint64(14695981039346656037)
        for b in data:
            h = np.bitwise_xor(h, np.uint64(b))
            h = np.multiply(h, np.uint64(1099511628211))
        out[0] = h

    data = rng.integers(0, 256, size=(4, 33), dtype=np.uint8)
    want = []
    for row in data:
        h = 14695981039346656037
        for b in row:
            h = ((h ^ int(b)) * 1099511628211) % 2**64
        want.append(h)
    assert_identical(fnv1a(data), np.array(want, dtype=np.uint64))


@pytest.mark.parametrize("target", TARGETS)
def test_fractal_mandelbrot_escape_with_tuple_update(target):
    @vectorize(["int64(float64, float64, int64)"], target=target)
    def escape(cr, ci, limit):
        x, y = 0.0, 0.0
        for n in range(limit):
            if x * x + y * y > 4.0:
                return n
            x, y = x * x - y * y + cr, 2.0 * x * y + ci
        return limit

    cr, ci = np.meshgrid(np.linspace(-2, 0.5, 40), np.linspace(-1.2, 1.2, 30))
    got = escape(cr, ci, 50)
    want = np.empty(cr.shape, np.int64)
    for idx in np.ndindex(cr.shape):
        z, c, n = 0j, complex(cr[idx], ci[idx]), 0
        while n < 50 and abs(z) ** 2 <= 4.0:
            z = z * z + c
            n += 1
        want[idx] = n
    assert (np.abs(got - want) <= 1).all() and (got == want).mean() > 0.99


@pytest.mark.parametrize("target", TARGETS)
def test_popgen_expected_heterozygosity_with_zip_and_frexp(target, rng):
    @guvectorize(
        ["void(int64[:], int64[:], float64[:], int32[:])"], "(n),(n)->(),()", target=target
    )
    def heterozygosity(ref, alt, out, scale):
        total, sites = 0.0, 0
        for r, a in zip(ref, alt, strict=True):
            n = r + a
            if n == 0:
                continue
            p = r / n
            total += 2.0 * p * (1.0 - p)
            sites += 1
        out[0] = total / sites if sites > 0 else np.nan
        m, e = np.frexp(total)
        scale[0] = e

    ref = rng.integers(0, 30, size=(6, 200))
    alt = rng.integers(0, 30, size=(6, 200))
    ref[3], alt[3] = 0, 0
    n = ref + alt
    with np.errstate(invalid="ignore", divide="ignore"):
        p = ref / n
        h = np.where(n > 0, 2 * p * (1 - p), 0.0)
    sites = (n > 0).sum(axis=1)
    with np.errstate(invalid="ignore"):
        want = np.where(sites > 0, h.sum(axis=1) / np.maximum(sites, 1), np.nan)
    got, scale = heterozygosity(ref, alt)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert_identical(scale, np.frexp(h.sum(axis=1))[1])


@pytest.mark.parametrize("target", TARGETS)
def test_zip_strict_raises_value_error_for_arrays_of_other_lengths(target):
    @guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(m)->()", target=target)
    def dot(a, b, out):
        s = 0.0
        for x, y in zip(a, b, strict=True):
            s += x * y
        out[0] = s

    assert_identical(dot(np.ones(3), np.full(3, 2.0)), np.float64(6.0))
    with pytest.raises(ValueError, match=r"zip\(\) argument 2 has another length.*in 'dot'"):
        dot(np.ones(3), np.ones(4))

    def not_constant(a, b, out):
        for x, _y in zip(a, b, strict=len(a) > 0):
            out[0] = x
        out[0] = 0.0

    with pytest.raises(ufuncgen.UnsupportedError, match="constant True or False"):
        guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()")(not_constant)

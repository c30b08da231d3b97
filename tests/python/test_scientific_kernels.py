"""Kernels written the way scientists write them (population genetics, climate indices,
moving windows, forecast verification, audio, ocean physics, neutrino physics, finance,
fractals, hashing), each compared with a NumPy reference on realistic inputs with NaNs and
edge cases, on the cpu and the parallel target."""

import math

import numpy as np
import pytest

from ufuncgen import _native, guvectorize, vectorize


@pytest.fixture(autouse=True)
def chunk_everything():
    _native._force_chunking(True)
    yield
    _native._force_chunking(False)


def gu(sigs, layout, kernel):
    return [guvectorize(sigs, layout, target=t)(kernel) for t in ("cpu", "parallel")]


def vec(sigs, kernel):
    return [vectorize(sigs, target=t)(kernel) for t in ("cpu", "parallel")]


# ---- population genetics ----


def allele_stats(genotypes, freq, het):
    # Genotypes 0/1/2 alternate-allele copies, -1 missing.
    called = genotypes[genotypes >= 0]
    n = len(called)
    if n == 0:
        freq[0] = np.nan
        het[0] = np.nan
        return
    p = called.sum() / (2.0 * n)
    freq[0] = p
    het[0] = 2.0 * p * (1.0 - p)


def test_allele_frequency_and_heterozygosity(rng):
    g = rng.integers(-1, 3, (200, 57)).astype(np.int8)
    g[0] = -1
    for k in gu(["void(i1[:], f8[:], f8[:])"], "(n)->(),()", allele_stats):
        freq, het = k(g)
        called = np.where(g >= 0, g, 0).sum(axis=-1)
        n = (g >= 0).sum(axis=-1)
        with np.errstate(invalid="ignore"):
            p = called / (2.0 * n)
        np.testing.assert_allclose(freq, p, rtol=1e-15, equal_nan=True)
        np.testing.assert_allclose(het, 2 * p * (1 - p), rtol=1e-15, equal_nan=True)


def nucleotide_diversity(alt_counts, sample_size, pi):
    # Per-site expected heterozygosity summed over sites (unbiased, n/(n-1)).
    n = sample_size
    total = 0.0
    for i in range(len(alt_counts)):
        p = alt_counts[i] / n
        total += 2.0 * p * (1.0 - p) * n / (n - 1)
    pi[0] = total


def test_nucleotide_diversity(rng):
    counts = rng.integers(0, 41, (30, 1000))
    for k in gu(["void(i8[:], i8, f8[:])"], "(n),()->()", nucleotide_diversity):
        p = counts / 40
        expected = (2 * p * (1 - p) * 40 / 39).sum(axis=-1)
        np.testing.assert_allclose(k(counts, 40), expected, rtol=1e-12)


# ---- climate indices ----


def standardized_anomaly(x, out):
    valid = x[~np.isnan(x)]
    if len(valid) < 2:
        out[:] = np.nan
        return
    m = valid.mean()
    s = valid.std()
    out[:] = (x - m) / s


def test_standardized_anomaly(rng):
    x = rng.gamma(2.0, 3.0, (40, 120))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[0, 1:] = np.nan
    for k in gu(["void(f8[:], f8[:])"], "(n)->(n)", standardized_anomaly):
        got = k(x)
        with np.errstate(all="ignore"):
            expected = (x - np.nanmean(x, axis=-1, keepdims=True)) / np.nanstd(
                x, axis=-1, keepdims=True
            )
        expected[0] = np.nan
        np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


def longest_dry_spell(precip, threshold, out):
    best = 0
    run = 0
    for v in precip:
        if v < threshold:
            run += 1
            if run > best:
                best = run
        else:
            run = 0
    out[0] = best


def dry_spell_reference(row, threshold):
    best = run = 0
    for v in row:
        run = run + 1 if v < threshold else 0
        best = max(best, run)
    return best


def test_longest_dry_spell(rng):
    p = rng.exponential(2.0, (50, 365)) * (rng.random((50, 365)) < 0.4)
    p[1] = 0.0
    for k in gu(["void(f8[:], f8, i8[:])"], "(n),()->()", longest_dry_spell):
        np.testing.assert_array_equal(k(p, 1.0), [dry_spell_reference(r, 1.0) for r in p])


# ---- moving windows ----


def rolling_nanmean(x, w, out):
    for i in range(len(x)):
        lo = max(0, i - w + 1)
        window = x[lo : i + 1]
        valid = window[~np.isnan(window)]
        out[i] = valid.mean() if len(valid) > 0 else np.nan


def test_rolling_nanmean(rng):
    x = rng.standard_normal((10, 80))
    x[rng.random(x.shape) < 0.2] = np.nan
    for k in gu(["void(f8[:], i8, f8[:])"], "(n),()->(n)", rolling_nanmean):
        got = k(x, 5)
        expected = np.full_like(x, np.nan)
        for r in range(x.shape[0]):
            for i in range(x.shape[1]):
                win = x[r, max(0, i - 4) : i + 1]
                win = win[~np.isnan(win)]
                if win.size:
                    expected[r, i] = win.mean()
        np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)


def rolling_max(x, w, out):
    for i in range(len(x)):
        out[i] = x[max(0, i - w + 1) : i + 1].max()


def test_rolling_max(rng):
    x = rng.standard_normal((10, 100))
    for k in gu(["void(f8[:], i8, f8[:])"], "(n),()->(n)", rolling_max):
        expected = np.array([[r[max(0, i - 6) : i + 1].max() for i in range(r.size)] for r in x])
        np.testing.assert_array_equal(k(x, 7), expected)


# ---- forecast verification ----


def crps_ensemble(members, obs, out):
    # CRPS of an ensemble: E|X - y| - E|X - X'| / 2, from the sorted members.
    x = np.sort(members)
    m = len(x)
    skill = 0.0
    for i in range(m):
        skill += abs(x[i] - obs)
    spread = 0.0
    for i in range(m):
        spread += (2 * i - m + 1) * x[i]
    out[0] = skill / m - spread / (m * m)


def test_crps_ensemble(rng):
    ens = rng.standard_normal((60, 21))
    obs = rng.standard_normal(60)
    for k in gu(["void(f8[:], f8, f8[:])"], "(m),()->()", crps_ensemble):
        skill = np.abs(ens - obs[:, None]).mean(axis=-1)
        spread = np.abs(ens[:, :, None] - ens[:, None, :]).mean(axis=(-1, -2)) / 2
        np.testing.assert_allclose(k(ens, obs), skill - spread, rtol=1e-10, atol=1e-14)


def brier_score(prob, outcome, out):
    d = prob - outcome
    out[0] = np.dot(d, d) / len(d)


def test_brier_score(rng):
    p = rng.random((20, 300))
    o = (rng.random((20, 300)) < p).astype(np.float64)
    for k in gu(["void(f8[:], f8[:], f8[:])"], "(n),(n)->()", brier_score):
        np.testing.assert_allclose(k(p, o), ((p - o) ** 2).mean(axis=-1), rtol=1e-12)


# ---- audio ----


def frame_features(frame, zcr, rms_db):
    crossings = 0
    for i in range(1, len(frame)):
        if (frame[i - 1] >= 0) != (frame[i] >= 0):
            crossings += 1
    zcr[0] = crossings / (len(frame) - 1)
    rms = math.sqrt(np.dot(frame, frame) / len(frame))
    rms_db[0] = 20.0 * math.log10(max(rms, 1e-10))


def test_frame_features(rng):
    t = np.arange(1024) / 16000
    frames = np.sin(2 * np.pi * rng.uniform(50, 2000, (16, 1)) * t) * rng.uniform(0, 1, (16, 1))
    frames[0] = 0.0
    for k in gu(["void(f8[:], f8[:], f8[:])"], "(n)->(),()", frame_features):
        zcr, db = k(frames)
        signs = frames >= 0
        expected_zcr = (signs[:, 1:] != signs[:, :-1]).sum(axis=-1) / 1023
        rms = np.sqrt((frames * frames).sum(axis=-1) / 1024)
        np.testing.assert_array_equal(zcr, expected_zcr)
        np.testing.assert_allclose(db, 20 * np.log10(np.maximum(rms, 1e-10)), rtol=1e-12)


def autocorrelation(x, lags, out):
    xc = x - x.mean()
    denom = np.dot(xc, xc)
    n = len(x)
    for k in range(len(lags)):
        lag = lags[k]
        out[k] = np.dot(xc[: n - lag], xc[lag:]) / denom


def test_autocorrelation(rng):
    x = np.cumsum(rng.standard_normal((8, 500)), axis=-1)
    lags = np.array([0, 1, 5, 50, 499])
    for k in gu(["void(f8[:], i8[:], f8[:])"], "(n),(k)->(k)", autocorrelation):
        xc = x - x.mean(axis=-1, keepdims=True)
        expected = np.stack(
            [(xc[:, : 500 - lag] * xc[:, lag:]).sum(-1) / (xc * xc).sum(-1) for lag in lags],
            axis=-1,
        )
        np.testing.assert_allclose(k(x, lags), expected, rtol=1e-10, atol=1e-14)


# ---- ocean physics ----

RHO0, ALPHA, BETA, T0, S0 = 1027.0, 2e-4, 7.6e-4, 10.0, 35.0


def linear_density(t, s):
    return RHO0 * (1.0 - ALPHA * (t - T0) + BETA * (s - S0))


def mixed_layer_depth(rho, depth, out):
    # First depth where density exceeds the surface value by 0.03 kg/m^3.
    surface = rho[0]
    out[0] = np.nan
    for i in range(1, len(rho)):
        if rho[i] > surface + 0.03:
            out[0] = depth[i]
            return


def test_ocean_density_and_mixed_layer(rng):
    depth = np.linspace(0, 500, 60)
    t = 20 - 15 * (1 - np.exp(-depth / rng.uniform(20, 200, (30, 1))))
    s = 35 + 0.5 * rng.standard_normal((30, 1)) * np.ones_like(t)
    t[0] = 18.0  # well mixed: no depth qualifies
    for f in vec(["float64(float64, float64)"], linear_density):
        rho = f(t, s)
        np.testing.assert_allclose(rho, RHO0 * (1 - ALPHA * (t - T0) + BETA * (s - S0)), rtol=1e-15)
    for k in gu(["void(f8[:], f8[:], f8[:])"], "(n),(n)->()", mixed_layer_depth):
        got = k(rho, depth)
        expected = np.full(30, np.nan)
        for r in range(30):
            idx = np.nonzero(rho[r, 1:] > rho[r, 0] + 0.03)[0]
            if idx.size:
                expected[r] = depth[idx[0] + 1]
        np.testing.assert_array_equal(got, expected)


# ---- neutrino physics ----


def oscillation_probability(l_km, e_gev, sin2_2theta, dm2_ev2):
    return sin2_2theta * np.sin(1.267 * dm2_ev2 * l_km / e_gev) ** 2


def test_two_flavour_oscillation(rng):
    length = rng.uniform(1, 13000, 1000)
    energy = rng.uniform(0.1, 50, 1000)
    for f in vec(["float64(float64, float64, float64, float64)"], oscillation_probability):
        got = f(length, energy, 0.95, 2.5e-3)
        expected = 0.95 * np.sin(1.267 * 2.5e-3 * length / energy) ** 2
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-16)


# ---- finance ----


def max_drawdown(prices, out):
    peak = prices[0]
    worst = 0.0
    for p in prices:
        if p > peak:
            peak = p
        dd = (p - peak) / peak
        if dd < worst:
            worst = dd
    out[0] = worst


def test_max_drawdown(rng):
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (40, 250)), axis=-1))
    for k in gu(["void(f8[:], f8[:])"], "(n)->()", max_drawdown):
        peak = np.maximum.accumulate(prices, axis=-1)
        expected = np.minimum(((prices - peak) / peak).min(axis=-1), 0.0)
        np.testing.assert_allclose(k(prices), expected, rtol=1e-15)


def ewma_volatility(returns, lam, out):
    var = returns[0] * returns[0]
    out[0] = math.sqrt(var)
    for i in range(1, len(returns)):
        var = lam * var + (1.0 - lam) * returns[i] * returns[i]
        out[i] = math.sqrt(var)


def test_ewma_volatility(rng):
    r = rng.normal(0, 0.02, (20, 300))
    for k in gu(["void(f8[:], f8, f8[:])"], "(n),()->(n)", ewma_volatility):
        expected = np.empty_like(r)
        var = r[:, 0] ** 2
        expected[:, 0] = np.sqrt(var)
        for i in range(1, 300):
            var = 0.94 * var + (1 - 0.94) * r[:, i] * r[:, i]
            expected[:, i] = np.sqrt(var)
        np.testing.assert_allclose(k(r, 0.94), expected, rtol=1e-14)


# ---- fractals ----


def mandelbrot(c, max_iter):
    z = 0j
    for n in range(max_iter):
        z = z * z + c
        if z.real * z.real + z.imag * z.imag > 4.0:
            return n
    return max_iter


def test_mandelbrot_escape_counts():
    y, x = np.mgrid[-1.2:1.2:60j, -2.0:0.6:80j]
    c = x + 1j * y
    for f in vec(["int64(complex128, int64)"], mandelbrot):
        got = f(c, 60)
        expected = np.full(c.shape, 60)
        z = np.zeros_like(c)
        alive = np.ones(c.shape, bool)
        for n in range(60):
            z[alive] = z[alive] * z[alive] + c[alive]
            escaped = alive & (z.real * z.real + z.imag * z.imag > 4.0)
            expected[escaped] = n
            alive &= ~escaped
        np.testing.assert_array_equal(got, expected)


# ---- hashing ----

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


def fnv1a(data, out):
    h = FNV_OFFSET
    for b in data:
        h = (h ^ np.uint64(b)) * FNV_PRIME
    out[0] = h


def fnv1a_reference(row):
    h = 0xCBF29CE484222325
    for b in row.tolist():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def test_fnv1a_hash(rng):
    data = rng.integers(0, 256, (25, 64)).astype(np.uint8)
    for k in gu(["void(u1[:], u8[:])"], "(n)->()", fnv1a):
        np.testing.assert_array_equal(k(data), [fnv1a_reference(r) for r in data])

"""The kernel shapes issue 12 measured slower than Numba, each compiled by ufuncgen and by
Numba from the same source, timed side by side (medians of interleaved samples).

- an exponentially weighted moving nan-mean gufunc `(a),(a),()->(a)` (a serial recurrence per
  row with a NaN test and a `>=` against a per-element threshold), 400x1000 float64;
- a drought-index gufunc with a sequential recurrence, 400x1000;
- a complex Mandelbrot gufunc with an early exit from its inner loop, `target="parallel"`;
- a uint64 modulo hash reduction (`out[0] %= P` in a loop);
- an int64 wrap-around hash.

Ratios are Numba time / ufuncgen time (above 1: ufuncgen is faster). Needs Numba
(`make bench` installs it). Run: ``python benchmarks/bench_numba_shapes.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import markdown, time_interleaved  # noqa: E402

import ufuncgen  # noqa: E402

P = np.uint64(1_000_000_007)


def ewma_nanmean(values, minp, alpha, out):
    weighted = 0.0
    total = 0.0
    for i in range(len(values)):
        v = values[i]
        weighted *= 1.0 - alpha
        total *= 1.0 - alpha
        if not np.isnan(v):
            weighted += v
            total += 1.0
        out[i] = weighted / total if total >= minp[i] else np.nan


def drought_index(z, out):
    x = 0.0
    for i in range(len(z)):
        if x >= 0.0:
            x = 0.897 * x + z[i] / 3.0
        else:
            x = 0.897 * x + z[i] / 3.2
        out[i] = x


def mandelbrot_rows(c, max_iter, out):
    for j in range(len(c)):
        z = 0j
        count = max_iter
        for n in range(max_iter):
            z = z * z + c[j]
            if z.real * z.real + z.imag * z.imag > 4.0:
                count = n
                break
        out[j] = count


def modulo_hash(data, out):
    out[0] = 0
    for b in data:
        out[0] = out[0] * np.uint64(257) + b
        out[0] %= P


def wrap_hash(data, out):
    h = 1469598103934665603
    for b in data:
        h = h * 1099511628211 + b
    out[0] = h


CASES = [
    # name, kernel, signature, layout, target, input maker
    (
        "ewma nan-mean 400x1000",
        ewma_nanmean,
        "void(float64[:], float64[:], float64, float64[:])",
        "(a),(a),()->(a)",
        "cpu",
        lambda rng: (
            np.where(rng.random((400, 1000)) < 0.1, np.nan, rng.standard_normal((400, 1000))),
            np.full(1000, 0.5),
            0.1,
        ),
    ),
    (
        "drought index 400x1000",
        drought_index,
        "void(float64[:], float64[:])",
        "(a)->(a)",
        "cpu",
        lambda rng: (rng.standard_normal((400, 1000)),),
    ),
    (
        "mandelbrot rows, parallel",
        mandelbrot_rows,
        "void(complex128[:], int64, int64[:])",
        "(n),()->(n)",
        "parallel",
        lambda rng: (
            (np.linspace(-2.0, 0.6, 400)[None, :] + 1j * np.linspace(-1.2, 1.2, 300)[:, None]),
            200,
        ),
    ),
    (
        "uint64 modulo hash 1000x1000",
        modulo_hash,
        "void(uint64[:], uint64[:])",
        "(n)->()",
        "cpu",
        lambda rng: (rng.integers(0, 256, (1000, 1000)).astype(np.uint64),),
    ),
    (
        "int64 wrap-around hash 1000x1000",
        wrap_hash,
        "void(int64[:], int64[:])",
        "(n)->()",
        "cpu",
        lambda rng: (rng.integers(0, 256, (1000, 1000)),),
    ),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    try:
        import numba
    except ImportError:
        sys.exit("needs Numba: make bench installs it")
    repeats, target_s = (5, 0.05) if args.quick else (15, 0.2)
    rng = np.random.default_rng(11)
    rows = []
    for name, kernel, sig, layout, target, make in CASES:
        inputs = make(rng)
        ours = ufuncgen.guvectorize([sig], layout, target=target)(kernel)
        theirs = numba.guvectorize([sig], layout, target=target)(kernel)
        np.testing.assert_array_equal(ours(*inputs), theirs(*inputs))
        secs = time_interleaved(
            {"ufuncgen": lambda f=ours, a=inputs: f(*a), "numba": lambda f=theirs, a=inputs: f(*a)},
            repeats,
            target_s,
        )
        rows.append(
            [
                name,
                f"{secs['ufuncgen'] * 1e3:.3f}",
                f"{secs['numba'] * 1e3:.3f}",
                f"{secs['numba'] / secs['ufuncgen']:.2f}x",
            ]
        )
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {repeats} interleaved samples")
    print(markdown(["kernel", "ufuncgen ms", "numba ms", "numba/ufuncgen"], rows))


if __name__ == "__main__":
    main()

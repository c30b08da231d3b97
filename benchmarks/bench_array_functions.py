"""Times NumPy's array functions inside gufunc kernels against NumPy's own row-wise calls.

Each case runs one function over every row of a (rows, n) float64 array: the ufuncgen
gufunc (`(n)->...`, cpu target) beside the NumPy call with `axis=-1` (or a Python loop over
rows where NumPy has no axis), and Numba's guvectorize of the same kernel when Numba is
installed. Medians in one process, contenders interleaved (see bench.py). Run by hand:
``python benchmarks/bench_array_functions.py`` (``--quick`` for a short run).
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


def k_sort(a, out):
    s = np.sort(a)
    out[:] = s


def k_argsort(a, out):
    s = np.argsort(a, kind="stable")
    out[:] = s


def k_var(a, out):
    out[0] = np.var(a)


def k_nanstd(a, out):
    out[0] = np.nanstd(a, ddof=1)


def k_argmax(a, out):
    out[0] = np.argmax(a)


def k_cumsum(a, out):
    c = np.cumsum(a)
    out[:] = c


def k_hist(a, out):
    c, e = np.histogram(a, bins=len(out), range=(-3.0, 3.0))
    out[:] = c


def k_detrend(a, out):
    out[:] = a - a.mean()


def k_valid(a, out):
    v = a[~np.isnan(a)]
    out[0] = v.sum()


CASES = {
    # name: (kernel, signature, layout, NumPy equivalent)
    "sort": (k_sort, "void(f8[:], f8[:])", "(n)->(n)", lambda x: np.sort(x, axis=-1)),
    "argsort stable": (
        k_argsort,
        "void(f8[:], i8[:])",
        "(n)->(n)",
        lambda x: np.argsort(x, axis=-1, kind="stable"),
    ),
    "var": (k_var, "void(f8[:], f8[:])", "(n)->()", lambda x: np.var(x, axis=-1)),
    "nanstd ddof=1": (
        k_nanstd,
        "void(f8[:], f8[:])",
        "(n)->()",
        lambda x: np.nanstd(x, axis=-1, ddof=1),
    ),
    "argmax": (k_argmax, "void(f8[:], i8[:])", "(n)->()", lambda x: np.argmax(x, axis=-1)),
    "cumsum": (k_cumsum, "void(f8[:], f8[:])", "(n)->(n)", lambda x: np.cumsum(x, axis=-1)),
    "histogram 20 bins": (
        k_hist,
        "void(f8[:], i8[:])",
        "(n)->(k)",
        lambda x: [np.histogram(r, 20, (-3.0, 3.0))[0] for r in x],
    ),
    "a - a.mean()": (
        k_detrend,
        "void(f8[:], f8[:])",
        "(n)->(n)",
        lambda x: x - x.mean(axis=-1, keepdims=True),
    ),
    "a[~isnan(a)].sum()": (
        k_valid,
        "void(f8[:], f8[:])",
        "(n)->()",
        lambda x: np.array([r[~np.isnan(r)].sum() for r in x]),
    ),
}


def numba_version(kernel, sig, layout):
    try:
        import numba
    except ImportError:
        return None
    return numba.guvectorize([sig.replace("f8", "float64").replace("i8", "int64")], layout)(kernel)


def contenders(kernel, sig, layout, ref, data) -> dict:
    """NumPy's call, the ufuncgen gufunc and (when installed) Numba's, on `data`."""
    ours = ufuncgen.guvectorize([sig], layout)(kernel)
    out = np.zeros((data.shape[0], 20), np.int64) if layout == "(n)->(k)" else None
    fns = {
        "numpy": lambda: ref(data),
        "ufuncgen": (lambda: ours(data, out=out)) if out is not None else (lambda: ours(data)),
    }
    nb = numba_version(kernel, sig, layout)
    if nb is not None and out is None:
        nb(data)
        fns["numba"] = lambda: nb(data)
    return fns


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    repeats, target_s = (5, 0.02) if args.quick else (15, 0.05)
    rng = np.random.default_rng(3)
    rows = []
    for rows_n, n in [(1000, 100), (100, 10_000)]:
        x = rng.standard_normal((rows_n, n))
        x[rng.random(x.shape) < 0.05] = np.nan
        for name, (kernel, sig, layout, ref) in CASES.items():
            data = np.nan_to_num(x) if name in ("sort", "argsort stable", "argmax") else x
            fns = contenders(kernel, sig, layout, ref, data)
            secs = time_interleaved(fns, repeats, target_s)
            row = [
                name,
                f"{rows_n}x{n}",
                f"{secs['numpy'] * 1e3:.3f}",
                f"{secs['ufuncgen'] * 1e3:.3f}",
            ]
            row.append(f"{secs['numpy'] / secs['ufuncgen']:.2f}x")
            row.append(f"{secs['numba'] * 1e3:.3f}" if "numba" in secs else "-")
            rows.append(row)
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {repeats} interleaved samples")
    header = ["function", "shape", "numpy ms", "ufuncgen ms", "numpy/ufuncgen", "numba ms"]
    print(markdown(header, rows))


if __name__ == "__main__":
    main()

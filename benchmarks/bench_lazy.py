"""Times lazy (signature-less) ufuncs against eager ones and NumPy: issue 13's targets.

- steady state: a 1-element call of a lazy ufunc within 10% of ``np.add``;
- first call with a new dtype: at most an eager compile of that signature plus 1 ms;
- memory: 2,000 lazy ufuncs created, called on 3 dtypes and dropped leave no growth.

Medians in one process, contenders interleaved (see bench.py). Run by hand:
``python benchmarks/bench_lazy.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import kernels, markdown, time_interleaved  # noqa: E402

import ufuncgen  # noqa: E402
from ufuncgen import _native  # noqa: E402

SIG = "float64(float64, float64)"


def bench_overhead(repeats: int, target_s: float) -> str:
    """One call on 1-element float64 arrays once the loop exists: dispatch only."""
    eager = ufuncgen.vectorize([SIG])(kernels.add)
    lazy = ufuncgen.vectorize(kernels.add)
    x, y = np.ones(1), np.ones(1)
    out = np.empty(1)
    lazy(x, y)
    fns = {
        "np.add(x, y)": lambda: np.add(x, y),
        "eager add(x, y)": lambda: eager(x, y),
        "lazy add(x, y)": lambda: lazy(x, y),
        "np.add(x, y, out=out)": lambda: np.add(x, y, out=out),
        "lazy add(x, y, out=out)": lambda: lazy(x, y, out=out),
    }
    secs = time_interleaved(fns, repeats, target_s)
    base = secs["np.add(x, y)"]
    base_out = secs["np.add(x, y, out=out)"]
    rows = []
    for name, s in secs.items():
        ref = base_out if "out=" in name else base
        rows.append([name, f"{s * 1e9:.0f}", f"{s / ref:.2f}"])
    return markdown(["1-element call", "median ns", "vs np.add"], rows)


def bench_first_call(rounds: int) -> str:
    """A fresh eager compile of one signature against a fresh lazy ufunc's first call."""
    x, y = np.linspace(1, 2, 1), np.linspace(1, 2, 1)
    eager, lazy, steady = [], [], []
    for _ in range(rounds):
        t = time.perf_counter()
        ufuncgen.vectorize([SIG])(kernels.rc_filter)
        eager.append(time.perf_counter() - t)
        t = time.perf_counter()
        f = ufuncgen.vectorize(kernels.rc_filter)
        f(x, y)
        lazy.append(time.perf_counter() - t)
        t = time.perf_counter()
        f(x, y)
        steady.append(time.perf_counter() - t)
    e, lz, s = (statistics.median(v) * 1e3 for v in (eager, lazy, steady))
    rows = [
        [f"eager vectorize([{SIG!r}]) of rc_filter", f"{e:.2f}", f"{min(eager) * 1e3:.2f}"],
        ["lazy vectorize + first call (compiles dd->d)", f"{lz:.2f}", f"{min(lazy) * 1e3:.2f}"],
        ["lazy second call", f"{s:.4f}", f"{min(steady) * 1e3:.4f}"],
        ["lazy first call minus eager compile", f"{lz - e:+.2f}", ""],
    ]
    return markdown([f"{rounds} fresh rounds", "median ms", "min ms"], rows)


def rss_mb() -> float:
    """Resident set size now (Linux), in MiB."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_memory(count: int) -> str:
    """``count`` lazy ufuncs, each called on 3 dtypes (3 compiles) and dropped."""
    inputs = [np.ones(4, dt) for dt in (np.float64, np.int64, np.float32)]
    gc.collect()
    live0 = _native._live_ufuncs()
    marks = sorted({count // 8, count // 4, count // 2, 3 * count // 4, count})
    rows = [["start", f"{rss_mb():.1f}", str(_native._live_ufuncs() - live0)]]
    start = time.perf_counter()
    for k in range(1, count + 1):
        f = ufuncgen.vectorize(kernels.add)
        for a in inputs:
            f(a, a)
        del f
        if k in marks:
            gc.collect()
            rows.append([f"after {k}", f"{rss_mb():.1f}", str(_native._live_ufuncs() - live0)])
    secs = time.perf_counter() - start
    rows.append([f"({3 * count} compiles in {secs:.0f} s)", "", ""])
    return markdown(["lazy ufuncs made and dropped", "RSS MiB", "alive"], rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and ufuncs")
    args = parser.parse_args(argv)
    repeats, target_s = (7, 0.02) if args.quick else (21, 0.05)
    rounds = 7 if args.quick else 25
    count = 200 if args.quick else 2000
    print(f"NumPy {np.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print(bench_overhead(repeats, target_s), end="\n\n")
    print(bench_first_call(rounds), end="\n\n")
    print(bench_memory(count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

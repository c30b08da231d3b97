"""The demo kernels on data split across a Dask LocalCluster of worker processes.

The kernels are defined right here, in ``__main__``: NumPy would pickle them by a name no worker
can import, so ufuncgen pickles them by value (source, frozen globals, signatures) and each
worker compiles them once for its own CPU. Inputs are generated on the workers (nothing large
crosses the network), results are checked against NumPy on a sample of blocks, and the table
compares one process (NumPy, ufuncgen cpu and parallel) with the cluster (the same graph built
from NumPy expressions and from the ufuncgen ufuncs), medians of ``--repeats`` runs.

Run: ``.venv/bin/python examples/dask_demo.py`` (10^8 elements; ``-n`` to change, ``--quick``
for a short check).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

from ufuncgen import vectorize

SIGS = ["float64(float64, float64)"]


@vectorize(SIGS)
def rc_filter(v, t):
    """One step of an RC low-pass filter (the README's first kernel)."""
    return v * (1 - math.exp(1 / t))


@vectorize(SIGS, target="parallel")
def rc_filter_parallel(v, t):
    """The same kernel on every core of one process."""
    return v * (1 - math.exp(1 / t))


def numpy_rc(v, t):
    """The NumPy expression the kernel replaces (works on NumPy and Dask arrays alike)."""
    return v * (1 - np.exp(1 / t))


def median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def inputs(n: int, chunk: int) -> tuple[da.Array, da.Array]:
    rs = da.random.RandomState(2024)
    v = rs.uniform(-1.0, 1.0, size=n, chunks=chunk)
    t = rs.uniform(0.5, 4.0, size=n, chunks=chunk)
    return v, t


def check_sample(v: da.Array, t: da.Array, out: da.Array, blocks: int) -> None:
    """Compares a few whole blocks with NumPy (same blocks, so the same bits are expected up to
    the vector library's documented error)."""
    step = max(1, v.numblocks[0] // blocks)
    for b in range(0, v.numblocks[0], step):
        vb, tb, ob = da.compute(v.blocks[b], t.blocks[b], out.blocks[b])
        np.testing.assert_allclose(ob, numpy_rc(vb, tb), rtol=1e-12, atol=0)


def single_process(n: int, repeats: int) -> list[tuple[str, float]]:
    """Rows for one process with whole arrays in memory (ufuncgen writing into ``out=``)."""
    rng = np.random.default_rng(2024)
    v = rng.uniform(-1.0, 1.0, n)
    t = rng.uniform(0.5, 4.0, n)
    out = np.empty_like(v)
    rows = [
        ("1 process, NumPy", median_s(lambda: numpy_rc(v, t), repeats)),
        ("1 process, ufuncgen cpu", median_s(lambda: rc_filter(v, t, out=out), repeats)),
        (
            "1 process, ufuncgen parallel",
            median_s(lambda: rc_filter_parallel(v, t, out=out), repeats),
        ),
    ]
    np.testing.assert_allclose(out, numpy_rc(v, t), rtol=1e-12, atol=0)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10**8, help="elements")
    parser.add_argument("--chunk", type=int, default=5 * 10**6, help="elements per block")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row")
    parser.add_argument("--quick", action="store_true", help="10^6 elements, one run each")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.chunk, args.repeats = 10**6, 10**5, 1

    rows = single_process(args.n, args.repeats)
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        v, t = inputs(args.n, args.chunk)
        v, t = client.persist([v, t])  # generated on the workers, kept there
        client.wait_for_workers(args.workers)
        da.compute(v.sum(), t.sum())  # materialize before timing
        graphs = {
            f"LocalCluster {args.workers} workers, NumPy expression": lambda: numpy_rc(v, t),
            f"LocalCluster {args.workers} workers, ufuncgen": lambda: rc_filter(v, t),
        }
        # Warm-up: the first ufuncgen task on each worker unpickles and compiles the kernel.
        rc_filter(v, t).sum().compute()
        for label, graph in graphs.items():
            rows.append((label, median_s(lambda g=graph: g().sum().compute(), args.repeats)))
        check_sample(v, t, rc_filter(v, t), blocks=4)

    width = max(len(r[0]) for r in rows)
    print(f"RC filter v*(1-exp(1/t)), float64, n={args.n:,} ({args.repeats} runs, medians)")
    print(f"{'configuration'.ljust(width)}  {'seconds':>8}  {'Melem/s':>8}")
    for label, seconds in rows:
        print(f"{label.ljust(width)}  {seconds:8.3f}  {args.n / seconds / 1e6:8.0f}")
    print("cluster rows include the graph's sum() and the client round trip; sample check OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

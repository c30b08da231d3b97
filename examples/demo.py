"""Compiles the demo kernels, checks them against NumPy on 1e6 random elements, and times both.

Run with ``make demo`` (which builds everything first) or ``.venv/bin/python examples/demo.py``.
Exits non-zero when any result differs from NumPy beyond the tolerance in ``kernels.TOLERANCES``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from kernels import DEMOS, TOLERANCES

import ufuncgen


def median_ns_per_elem(fn, n: int, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, in ns per element."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e9 / n


def interleaved(contenders: dict, n: int, repeats: int) -> dict:
    """Times each contender in turn, ``repeats`` rounds, so drift hits all of them alike."""
    samples = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            samples[name].append(median_ns_per_elem(fn, n, 1))
    return {name: statistics.median(s) for name, s in samples.items()}


def describe_tolerance(dtype) -> str:
    tol = TOLERANCES[dtype]
    return "exact" if tol is None else f"rtol={tol['rtol']:g}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1_000_000, help="elements per input")
    parser.add_argument("--repeats", type=int, default=9, help="timed runs per contender")
    args = parser.parse_args(argv)

    cfg = ufuncgen.config()
    print(
        f"ufuncgen {ufuncgen.__version__}, LLVM {cfg['llvm_version']}, CPU {cfg['cpu_name']}, "
        f"vector library {cfg['vector_library']}, NumPy {np.__version__}, n={args.n:,}"
    )
    rng = np.random.default_rng(2024)
    header = ("kernel", "compile ms", "NumPy ns/elem", "ufuncgen ns/elem", "ratio", "check")
    rows = []
    problems = []
    compiled = {}
    for demo in DEMOS:
        key = (demo.kernel.__name__, tuple(demo.signatures))
        if key not in compiled:
            start = time.perf_counter()
            compiled[key] = (demo.compile(), (time.perf_counter() - start) * 1e3)
        ufunc, compile_ms = compiled[key]

        inputs = demo.make_inputs(rng, args.n, demo.dtype)
        problem = demo.mismatch(demo.run(ufunc, inputs), demo.reference(*inputs))
        if problem:
            problems.append(f"{demo.label}: {problem}")
        times = interleaved(
            {
                "numpy": lambda d=demo, i=inputs: d.reference(*i),
                "ufuncgen": lambda d=demo, f=ufunc, i=inputs: d.run(f, i),
            },
            args.n,
            args.repeats,
        )
        rows.append(
            (
                demo.label,
                f"{compile_ms:.1f}",
                f"{times['numpy']:.2f}",
                f"{times['ufuncgen']:.2f}",
                f"{times['numpy'] / times['ufuncgen']:.2f}x",
                f"{'FAIL' if problem else 'OK'} ({describe_tolerance(demo.dtype)})",
            )
        )

    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(
            "  ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print("ratio = NumPy time / ufuncgen time (higher is better); medians of", args.repeats, "runs")
    if problems:
        print("FAIL: results differ from NumPy:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compile time of generated kernels against their size (issue 9, item 14).

Prints a markdown table: median seconds (wall clock, and CPU time of this process, which
counts LLVM's work without the waiting a loaded machine adds) to compile a one-signature kernel
of N source lines, for the shapes a user writes: straight-line arithmetic ``x = x * 1.0001 +
0.5``, ``if``/``else`` chains, many small ``for`` loops, and a ``guvectorize`` kernel whose one
loop has a long body. Linear growth doubles the time when N doubles. Run by hand:
``.venv/bin/python benchmarks/bench_compile_time.py [--lines 100 1000 10000] [--repeat 3]``.
The per-phase split (parse, lower, LLVM, JIT) and LLVM's per-pass times come from
``UFUNCGEN_LLVM_ARGS=-time-passes cargo run --release -p ufuncgen --example compile_scaling``.
"""

from __future__ import annotations

import argparse
import linecache
import os
import statistics
import time

import ufuncgen

# Each shape: (source lines per statement, statement i, signature or gufunc layout).
SHAPES = {
    "straight": (1, lambda i: "    x = x * 1.0001 + 0.5\n"),
    "branches": (
        4,
        lambda i: f"    if x > {i}.5:\n        x = x * 0.999\n    else:\n        x = x + 1.0\n",
    ),
    "loops": (2, lambda i: "    for k in range(3):\n        x = x * 1.0001 + 0.5\n"),
    "gufunc": (1, lambda i: "        x = x * 1.0001 + 0.5\n"),
}


def kernel(shape: str, lines: int):
    """A kernel of about `lines` source lines whose source ufuncgen can read back (registered in
    linecache), and its exact line count."""
    per, stmt = SHAPES[shape]
    body = "".join(stmt(i) for i in range(max(1, lines // per)))
    if shape == "gufunc":
        src = (
            "def f(a, out):\n    for i in range(a.shape[0]):\n        x = a[i]\n"
            + body
            + "        out[i] = x\n"
        )
    else:
        src = "def f(x):\n" + body + "    return x\n"
    filename = f"<bench-{shape}-{lines}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace: dict = {}
    exec(compile(src, filename, "exec"), namespace)
    return namespace["f"], src.count("\n")


def compile_once(shape: str, lines: int) -> tuple[float, float, int]:
    f, n = kernel(shape, lines)
    wall, cpu = time.perf_counter(), time.process_time()
    if shape == "gufunc":
        ufuncgen.guvectorize(["void(float64[:], float64[:])"], "(n)->(n)")(f)
    else:
        ufuncgen.vectorize(["float64(float64)"])(f)
    return time.perf_counter() - wall, time.process_time() - cpu, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, nargs="+", default=[100, 1000, 2000, 4000, 10000])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start")
    print("| shape | source lines | median wall s | median CPU s |")
    print("|---|---|---|---|")
    for shape in args.shapes:
        for lines in args.lines:
            runs = [compile_once(shape, lines) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(f"| {shape} | {runs[0][2]} | {wall:.3f} | {cpu:.3f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()

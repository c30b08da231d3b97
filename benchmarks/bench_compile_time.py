"""Compile time of generated kernels against their size (issue 9, item 14).

Prints a markdown table: median seconds to compile a one-signature ``vectorize`` kernel of
N lines, for three shapes: straight-line ``x = x * 1.0001 + 0.5``, ``if``/``else`` chains and
small ``for`` loops. Linear growth doubles the time when N doubles. Run by hand:
``.venv/bin/python benchmarks/bench_compile_time.py [--sizes 1000 2000 4000] [--repeat 3]``.
The per-phase split (parse, lower, LLVM, JIT) comes from
``cargo run --release -p ufuncgen --example compile_scaling``.
"""

from __future__ import annotations

import argparse
import linecache
import statistics
import time

import ufuncgen

SHAPES = {
    "straight": lambda i: "    x = x * 1.0001 + 0.5\n",
    "branches": lambda i: (
        f"    if x > {i}.5:\n        x = x * 0.999\n    else:\n        x = x + 1.0\n"
    ),
    "loops": lambda i: "    for k in range(3):\n        x = x * 1.0001 + 0.5\n",
}


def kernel(shape: str, n: int):
    """A kernel function whose source ufuncgen can read back (registered in linecache)."""
    src = "def f(x):\n" + "".join(SHAPES[shape](i) for i in range(n)) + "    return x\n"
    filename = f"<bench-{shape}-{n}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace: dict = {}
    exec(compile(src, filename, "exec"), namespace)
    return namespace["f"], src.count("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| shape | statements | source lines | median compile s |")
    print("|---|---|---|---|")
    for shape in args.shapes:
        for n in args.sizes:
            times = []
            for _ in range(args.repeat):
                f, lines = kernel(shape, n)
                t = time.perf_counter()
                ufuncgen.vectorize(["float64(float64)"])(f)
                times.append(time.perf_counter() - t)
            print(f"| {shape} | {n} | {lines} | {statistics.median(times):.3f} |", flush=True)


if __name__ == "__main__":
    main()

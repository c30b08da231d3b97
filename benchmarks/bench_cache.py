"""Start-up cost of `cache=True`: a process importing a module of 10 kernels, cold and cached.

Each row is the median over ``--repeats`` fresh interpreters of the time to import the module
(after ``import numpy`` and ``import ufuncgen``), with the cache empty (every loop compiled) and
with it filled by an earlier process (every loop loaded). Target (issue 13): at most 2 ms per
kernel over the two imports when cached.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

KERNELS = 10

MODULE_HEAD = """
import math
import numpy as np
from ufuncgen import guvectorize, vectorize

SCALE = 1.5
"""

VECTORIZE = """
@vectorize(["float64(float64, float64)", "float32(float32, float32)"], cache=True)
def k{i}(v, t):
    return v * (1 - math.exp({i} / t)) * SCALE
"""

GUVECTORIZE = """
@guvectorize(["void(float64[:], float64[:])"], "(n)->()", cache=True)
def g{i}(x, out):
    acc = 0.0
    for j in range(x.shape[0]):
        acc += x[j] * {i}
    out[0] = acc
"""

# Wall and CPU time of each step: on a loaded machine the wall clock mostly measures waiting
# for a core, so the CPU time of the process is printed beside it.
PROBE = """
import time, sys
t0, c0 = time.perf_counter(), time.process_time()
import numpy, ufuncgen
t1, c1 = time.perf_counter(), time.process_time()
import cached_kernels
t2, c2 = time.perf_counter(), time.process_time()
print((t1 - t0) * 1e3, (t2 - t1) * 1e3, (c1 - c0) * 1e3, (c2 - c1) * 1e3)
"""


def write_module(directory: Path) -> None:
    parts = [MODULE_HEAD]
    for i in range(KERNELS):
        parts.append((GUVECTORIZE if i % 5 == 4 else VECTORIZE).format(i=i))
    (directory / "cached_kernels.py").write_text(textwrap.dedent("\n".join(parts)))


def run(directory: Path, cache: Path) -> tuple[float, float, float, float]:
    env = {**os.environ, "UFUNCGEN_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2]), float(out[3])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_module(directory)
        cold, warm, base = [], [], []
        cold_cpu, warm_cpu, base_cpu = [], [], []
        load = os.getloadavg()[0]
        for r in range(repeats):
            cache = directory / f"cache{r}"
            b, c, b_cpu, c_cpu = run(directory, cache)  # empty cache: compiles and fills it
            cold.append(c)
            base.append(b)
            cold_cpu.append(c_cpu)
            base_cpu.append(b_cpu)
            _, w, _, w_cpu = run(directory, cache)
            warm.append(w)
            warm_cpu.append(w_cpu)
        load = max(load, os.getloadavg()[0])
    med = statistics.median
    print(f"import of a module with {KERNELS} kernels (8 vectorize x 2 loops, 2 guvectorize)")
    print("                            wall ms    cpu ms")
    print(f"  import numpy + ufuncgen : {med(base):7.1f}   {med(base_cpu):7.1f}")
    print(f"  cache empty (compile)   : {med(cold):7.1f}   {med(cold_cpu):7.1f}")
    print(
        f"  cache filled (load)     : {med(warm):7.1f}   {med(warm_cpu):7.1f}"
        f"   = {med(warm) / KERNELS:.2f} / {med(warm_cpu) / KERNELS:.2f} ms per kernel"
    )
    print(f"medians of {repeats} fresh interpreters each; load average up to {load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Ahead-of-time modules against the JIT: build time (10 kernels, 3 CPU levels), module size,
import time beyond `import numpy`, call speed of each kernel (AOT vs its JIT twin, same process,
interleaved medians). Usage: python benchmarks/bench_aot.py [--quick]"""

from __future__ import annotations

import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import warnings

import numpy as np

KERNELS = """
import math
from ufuncgen import vectorize, guvectorize

@vectorize(["float64(float64, float64)", "float32(float32, float32)"])
def axpy(a, b):
    return 2.5 * a + b

@vectorize(["float64(float64)"])
def poly(x):
    return ((x * 0.5 + 1.25) * x - 3.0) * x + 1.0

@vectorize(["float64(float64)"])
def vexp(x):
    return math.exp(x)

@vectorize(["float64(float64)"])
def vsin(x):
    return math.sin(x)

@vectorize(["int64(int64, int64)"])
def imix(a, b):
    return (a * 31 + b) % 1000003

@vectorize(["float64(float64, float64)"])
def hypot2(a, b):
    return math.sqrt(a * a + b * b)

@vectorize(["float64(float64)"])
def relu(x):
    return x if x > 0.0 else 0.0

@vectorize(["float32(float32)"])
def sq32(x):
    return x * x

@guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()")
def dot(a, b, out):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    out[0] = s

@guvectorize(["void(float64[:], float64[:])"], "(n)->(n)")
def cumsum(a, out):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
        out[i] = s
"""


def main() -> None:
    import ufuncgen

    quick = "--quick" in sys.argv
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench-aot-"))
    src = work / "benchk.py"
    src.write_text(KERNELS)
    times = []
    for _ in range(1 if quick else 3):
        t = time.perf_counter()
        path = ufuncgen.build(src, work)
        times.append(time.perf_counter() - t)
    print(f"build, 10 kernels x 3 levels: median {statistics.median(times):.2f} s")
    stripped = work / "stripped.so"
    subprocess.run(["strip", "-o", str(stripped), str(path)], check=False)
    size = stripped.stat().st_size if stripped.exists() else path.stat().st_size
    print(f"module size: {path.stat().st_size / 1024:.0f} KiB, stripped {size / 1024:.0f} KiB")

    code = (
        "import time, numpy; t = time.perf_counter(); import benchk; "
        "print((time.perf_counter() - t) * 1e3)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], cwd=work, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5 if quick else 15)
    ]
    print(f"import of the module after numpy: median {statistics.median(runs):.2f} ms")

    sys.path.insert(0, str(work))
    import benchk as aot

    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(KERNELS, str(src), "exec"), ns)  # noqa: S102 - the JIT twin
    rng = np.random.default_rng(0)
    n = 100_000
    x, y = rng.standard_normal(n), rng.standard_normal(n)
    m = rng.standard_normal((n // 16, 16))
    args = {
        "axpy": (x, y),
        "poly": (x,),
        "vexp": (x,),
        "vsin": (x,),
        "imix": (np.arange(n), np.arange(n)[::-1].copy()),
        "hypot2": (x, y),
        "relu": (x,),
        "sq32": (x.astype(np.float32),),
        "dot": (m, m),
        "cumsum": (m,),
    }
    print(f"{'kernel':8} {'JIT us':>8} {'AOT us':>8} {'AOT/JIT':>8}")
    for name, a in args.items():
        jit_f, aot_f = ns[name], getattr(aot, name)
        # Preallocated outputs: a fresh 800 KB result per call makes glibc's malloc switch
        # between mmap and the heap (measured 110 vs 510 us for the same loop).
        jo, ao = jit_f(*a), aot_f(*a)
        jt, at = [], []
        for _ in range(7 if quick else 21):
            jt.append(timeit.timeit(lambda f=jit_f, a=a, o=jo: f(*a, out=o), number=20) / 20)
            at.append(timeit.timeit(lambda f=aot_f, a=a, o=ao: f(*a, out=o), number=20) / 20)
        j, k = statistics.median(jt) * 1e6, statistics.median(at) * 1e6
        print(f"{name:8} {j:8.1f} {k:8.1f} {k / j:8.3f}")
    print(f"AOT level: {aot.__ufuncgen_cpu_level__}")
    parallel_speed(work, quick)


PAR_KERNELS = """
import math
from ufuncgen import vectorize, guvectorize

@vectorize(["float64(float64)"], target="parallel")
def ppoly(x):
    return ((x * 0.5 + 1.25) * x - 3.0) * x + 1.0

@vectorize(["float64(float64)"], target="parallel")
def pexp(x):
    return math.exp(x)

@guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()", target="parallel")
def pdot(a, b, out):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    out[0] = s
"""


def parallel_speed(work: pathlib.Path, quick: bool) -> None:
    """target='parallel': the module's own pool against the JIT's, same sizes, interleaved;
    the JIT's serial target as the reference the split is measured against."""
    import ufuncgen

    src = work / "benchpar.py"
    src.write_text(PAR_KERNELS)
    ufuncgen.build(src, work)
    import benchpar as aot

    ns: dict = {}
    exec(compile(PAR_KERNELS, str(src), "exec"), ns)  # noqa: S102 - the JIT twin
    serial: dict = {}
    serial_src = work / "benchser.py"
    serial_src.write_text(PAR_KERNELS.replace('target="parallel"', 'target="cpu"'))
    exec(compile(serial_src.read_text(), str(serial_src), "exec"), serial)  # noqa: S102
    print(
        f"\nparallel target, {ufuncgen.get_num_threads()} threads (JIT) / "
        f"{aot._get_num_threads()} (module); JIT vector math: {ufuncgen.config()['vector_library']}"
    )
    # Medians, and the best run in brackets: on a loaded machine the workers often do not get
    # a core, and the medians swing with the load while the best runs show the split.
    print(f"{'kernel':14} {'serial us':>16} {'JIT par us':>16} {'AOT par us':>16} {'AOT/JIT':>7}")
    rng = np.random.default_rng(1)
    for n in (10_000, 100_000, 1_000_000):
        x = rng.standard_normal(n)
        m = rng.standard_normal((n // 16, 16))
        for name, a in (("ppoly", (x,)), ("pexp", (x,)), ("pdot", (m, m))):
            fs = (serial[name], ns[name], getattr(aot, name))
            outs = [f(*a) for f in fs]
            number = max(1, 2_000_000 // n)
            times: list[list[float]] = [[], [], []]
            for _ in range(7 if quick else 21):
                for i, f in enumerate(fs):
                    call = lambda f=f, a=a, o=outs[i]: f(*a, out=o)  # noqa: E731
                    times[i].append(timeit.timeit(call, number=number) / number)
            med = [statistics.median(t) * 1e6 for t in times]
            best = [min(t) * 1e6 for t in times]
            cells = " ".join(f"{m:8.1f} [{b:6.1f}]" for m, b in zip(med, best, strict=True))
            print(f"{name + ' ' + str(n):14} {cells} {med[2] / med[1]:7.3f}")


if __name__ == "__main__":
    main()

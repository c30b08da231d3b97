"""Times ufuncgen against NumPy (and numexpr and Numba when they are importable).

Prints markdown tables: ns/element of each contender on the demo kernels and on the
memory-bound ``2.5 * x + y`` at several sizes, the compile time of a one-signature vectorize,
the time of ``import ufuncgen`` in a fresh interpreter, and the call overhead on 1-element
arrays. Every number is a median over repeated runs in one process, with the contenders
interleaved so that drift (turbo, other load) hits them alike. Run by hand: ``make bench``
(``make bench BENCH_ARGS=--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import kernels  # noqa: E402  (the demo kernels live in examples/)

import ufuncgen  # noqa: E402


def optional(name: str):
    """The module if it can be imported, else None (numexpr and Numba are not set-up's job)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


ne = optional("numexpr")
numba = optional("numba")


def axpy(x, y):
    """The memory-bound kernel: two loads, one store, two flops per element."""
    return 2.5 * x + y


@dataclass
class Case:
    """One benchmark kernel: how to make inputs and how each contender computes it."""

    name: str
    make_inputs: Callable[[np.random.Generator, int], tuple]
    contenders: dict[str, Callable[..., object]]


def build_cases() -> list[Case]:
    """Compiles every kernel once per contender and returns the cases to time."""
    rc = ufuncgen.vectorize(["float64(float64, float64)"])(kernels.rc_filter)
    ea = ufuncgen.vectorize(kernels.EXP_ARCSIN_SIGS)(kernels.exp_arcsin)
    add = ufuncgen.vectorize(["int64(int64, int64)"], identity=0)(kernels.add)
    ax = ufuncgen.vectorize(["float64(float64, float64)"])(axpy)

    def f64_pair(rng, n):
        return rng.uniform(-10, 10, n), rng.uniform(0.5, 5.0, n)

    def unit(dtype):
        return lambda rng, n: (rng.uniform(-1, 1, n).astype(dtype),)

    def ints(rng, n):
        return (rng.integers(-1_000_000, 1_000_000, n, dtype=np.int64),)

    cases = [
        Case(
            "rc_filter f8",
            f64_pair,
            {"numpy": lambda v, t: v * (1 - np.exp(1 / t)), "ufuncgen": rc},
        ),
        Case("exp_arcsin f8", unit(np.float64), {"numpy": kernels.exp_arcsin, "ufuncgen": ea}),
        Case("exp_arcsin f4", unit(np.float32), {"numpy": kernels.exp_arcsin, "ufuncgen": ea}),
        Case("add.reduce i8", ints, {"numpy": np.add.reduce, "ufuncgen": add.reduce}),
        Case("2.5*x+y f8", f64_pair, {"numpy": axpy, "ufuncgen": ax}),
    ]
    if ne is not None:
        ne.set_num_threads(1)
        exprs = {
            "rc_filter f8": ("v * (1 - exp(1 / t))", "vt"),
            "exp_arcsin f8": ("exp(arcsin(x))", "x"),
            "exp_arcsin f4": ("exp(arcsin(x))", "x"),
            "add.reduce i8": ("sum(x)", "x"),
            "2.5*x+y f8": ("2.5 * x + y", "xy"),
        }
        for case in cases:
            expr, names = exprs[case.name]
            case.contenders["numexpr"] = lambda *a, e=expr, n=names: ne.evaluate(
                e, local_dict=dict(zip(n, a, strict=True))
            )
    if numba is not None:
        nv = numba.vectorize
        nb = {
            "rc_filter f8": nv(["float64(float64, float64)"])(kernels.rc_filter),
            "exp_arcsin f8": nv(kernels.EXP_ARCSIN_SIGS)(kernels.exp_arcsin),
            "add.reduce i8": nv(["int64(int64, int64)"], identity=0)(kernels.add).reduce,
            "2.5*x+y f8": nv(["float64(float64, float64)"])(axpy),
        }
        nb["exp_arcsin f4"] = nb["exp_arcsin f8"]
        for case in cases:
            case.contenders["numba"] = nb[case.name]
    return cases


def row_dot(a, b, out):
    """``(n),(n)->()``: one dot product per row."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    out[0] = acc


def move_mean(a, w, out):
    """``(n),()->(n)``: running mean over a window of ``w``, shaped like Numba's gufunc example
    (a ramp-up loop, then a sliding loop), so both compilers run the same algorithm."""
    acc = 0.0
    for i in range(min(w, len(a))):
        acc += a[i]
        out[i] = acc / (i + 1)
    for i in range(w, len(a)):
        acc += a[i] - a[i - w]
        out[i] = acc / w


def move_mean_numpy(a, w):
    """The same running mean with NumPy: cumulative sums, differenced ``w`` apart."""
    c = np.cumsum(a, axis=-1)
    c[..., w:] -= c[..., :-w].copy()
    return c / np.minimum(np.arange(1, a.shape[-1] + 1), w)


DOT_SIG = "void(float64[:], float64[:], float64[:])"
MOVE_SIG = "void(float64[:], int64, float64[:])"


def bench_gufuncs(repeats: int, target_s: float) -> str:
    """Row dot on 100000x16 and moving average on 1000x1000 (window 10), ns per input element."""
    gu = ufuncgen.guvectorize
    dot_on = gu([DOT_SIG], "(n),(n)->()")(row_dot)
    dot_off = gu([DOT_SIG], "(n),(n)->()", boundscheck=False)(row_dot)
    mm_on = gu([MOVE_SIG], "(n),()->(n)")(move_mean)
    mm_off = gu([MOVE_SIG], "(n),()->(n)", boundscheck=False)(move_mean)
    dot_par = gu([DOT_SIG], "(n),(n)->()", target="parallel")(row_dot)
    mm_par = gu([MOVE_SIG], "(n),()->(n)", target="parallel")(move_mean)
    rng = np.random.default_rng(11)
    a, b = rng.random((100_000, 16)), rng.random((100_000, 16))
    m = rng.random((1000, 1000))
    cases = {
        "row dot (n),(n)->() 100000x16 f8": (
            a.size,
            {
                "numpy einsum('ij,ij->i')": lambda: np.einsum("ij,ij->i", a, b),
                "ufuncgen": lambda: dot_on(a, b),
                "ufuncgen boundscheck=False": lambda: dot_off(a, b),
                "ufuncgen parallel": lambda: dot_par(a, b),
            },
        ),
        "moving average (n),()->(n) 1000x1000 w=10": (
            m.size,
            {
                "numpy cumsum-based": lambda: move_mean_numpy(m, 10),
                "ufuncgen": lambda: mm_on(m, 10),
                "ufuncgen boundscheck=False": lambda: mm_off(m, 10),
                "ufuncgen parallel": lambda: mm_par(m, 10),
            },
        ),
    }
    if numba is not None:
        ngu = numba.guvectorize
        for target in ("cpu", "parallel"):
            nb_dot = ngu([DOT_SIG], "(n),(n)->()", target=target)(row_dot)
            nb_mm = ngu([MOVE_SIG], "(n),()->(n)", target=target)(move_mean)
            who = "numba" if target == "cpu" else "numba parallel"
            cases["row dot (n),(n)->() 100000x16 f8"][1][who] = lambda f=nb_dot: f(a, b)
            cases["moving average (n),()->(n) 1000x1000 w=10"][1][who] = lambda f=nb_mm: f(m, 10)
    rows = []
    for name, (elements, fns) in cases.items():
        ours = {k: f for k, f in fns.items() if not k.startswith("numba")}
        secs = time_numba_apart(ours, fns, repeats, target_s)
        rows += [
            [name, who, f"{t * 1e9 / elements:.3f}", f"{secs['ufuncgen'] / t:.2f}x"]
            for who, t in secs.items()
        ]
    return markdown(["gufunc", "contender", "ns per input element", "ufuncgen (cpu) / this"], rows)


def bench_gufunc_compile(count: int) -> str:
    """Median of fresh one-signature guvectorize compiles of the row dot."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        ufuncgen.guvectorize([DOT_SIG], "(n),(n)->()")(row_dot)
        times.append(time.perf_counter() - start)
    row = [f"guvectorize row dot, 1 signature, {count} fresh compiles"]
    row += [f"{statistics.median(times) * 1e3:.1f}", f"{min(times) * 1e3:.1f}"]
    return markdown(["compile", "median ms", "min ms"], [row])


def sample(fn: Callable[[], object], number: int) -> float:
    """Seconds per call of ``fn``, over one batch of ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calls_per_sample(fn: Callable[[], object], target_s: float) -> int:
    """How many calls make one sample last about ``target_s`` (small inputs need batches)."""
    once = sample(fn, 1)
    return max(1, min(100_000, int(target_s / max(once, 1e-9))))


def time_interleaved(fns: dict[str, Callable[[], object]], repeats: int, target_s: float):
    """Median seconds per call of each function, sampled round-robin."""
    numbers = {name: calls_per_sample(fn, target_s) for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(sample(fn, numbers[name]))
    return {name: statistics.median(s) for name, s in samples.items()}


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def bench_kernels(cases: list[Case], sizes: list[int], repeats: int, target_s: float) -> str:
    rng = np.random.default_rng(7)
    names = ["numpy", "ufuncgen"] + [c for c in ("numexpr", "numba") if c in cases[0].contenders]
    rows = []
    for case in cases:
        for n in sizes:
            inputs = case.make_inputs(rng, n)
            fns = {name: (lambda f=case.contenders[name], a=inputs: f(*a)) for name in names}
            secs = time_interleaved(fns, repeats, target_s)
            ns = {name: secs[name] * 1e9 / n for name in names}
            rows.append(
                [case.name, f"{n:.0e}"]
                + [f"{ns[name]:.3f}" for name in names]
                + [f"{ns['numpy'] / ns['ufuncgen']:.2f}x"]
            )
    header = ["kernel", "n"] + [f"{name} ns/elem" for name in names] + ["NumPy/ufuncgen"]
    return markdown(header, rows)


def build_parallel_cases() -> list[tuple[str, Callable, dict[str, Callable]]]:
    """(name, make_inputs, {contender: function}) for every demo kernel and axpy: ufuncgen's
    cpu and parallel targets, and Numba's when it is installed."""
    cases = []

    def targets(sigs, kernel, **options):
        fns = {
            name: ufuncgen.vectorize(sigs, target=target, **options)(kernel)
            for name, target in (("cpu", "cpu"), ("parallel", "parallel"))
        }
        if numba is not None:
            for name, target in (("numba cpu", "cpu"), ("numba parallel", "parallel")):
                fns[name] = numba.vectorize(sigs, target=target, **options)(kernel)
        return fns

    for case in build_cases():
        if case.name == "rc_filter f8":
            fns = targets(["float64(float64, float64)"], kernels.rc_filter)
        elif case.name.startswith("exp_arcsin"):
            fns = targets(kernels.EXP_ARCSIN_SIGS, kernels.exp_arcsin)
        elif case.name == "add.reduce i8":
            fns = targets(["int64(int64, int64)"], kernels.add, identity=0)
            fns = {name: f.reduce for name, f in fns.items()}
        else:
            fns = targets(["float64(float64, float64)"], axpy)
        cases.append((case.name, case.make_inputs, fns))
    for sig, dtype in (("float64(float64)", np.float64), ("float32(float32)", np.float32)):
        fns = targets([sig], kernels.trig_log1p)
        name = f"sin*cos+log1p {'f8' if dtype == np.float64 else 'f4'}"
        cases.append((name, lambda rng, n, d=dtype: (rng.uniform(-3, 3, n).astype(d),), fns))
    return cases


def bench_parallel(sizes: list[int], repeats: int, target_s: float, rounds: int) -> str:
    """``target="cpu"`` against ``target="parallel"`` on the same inputs, interleaved, and
    Numba's two targets beside them when Numba is installed.

    The whole table is timed ``rounds`` times and each cell is the median over the rounds:
    on a shared machine the other cores come and go over seconds, and one pass can catch a
    kernel at a bad moment that the next one does not."""
    rng = np.random.default_rng(11)
    cases = build_parallel_cases()
    timings: dict[tuple[str, int], dict[str, list[float]]] = {}
    for _ in range(rounds):
        for name, make_inputs, targets in cases:
            for n in sizes:
                inputs = make_inputs(rng, n)
                calls = {k: lambda f=f, a=inputs: f(*a) for k, f in targets.items()}
                ours = {k: calls[k] for k in ("cpu", "parallel")}
                if "reduce" not in name:
                    # Into a preallocated out=: without the kernel zeroing a fresh output's
                    # pages on first touch, which costs bandwidth and scales less with threads.
                    out = np.empty_like(inputs[0])
                    for k in ("cpu", "parallel"):
                        ours[f"{k} out="] = lambda f=targets[k], a=inputs, o=out: f(*a, out=o)
                secs = time_numba_apart(ours, calls, repeats, target_s)
                cell = timings.setdefault((name, n), {})
                for k, t in secs.items():
                    cell.setdefault(k, []).append(t)
    with_numba = numba is not None
    rows = []
    for (name, n), cell in timings.items():
        secs = {k: statistics.median(ts) for k, ts in cell.items()}
        row = [name, f"{n:.0e}"]
        row += [f"{secs[k] * 1e9 / n:.3f}" for k in ("cpu", "parallel")]
        row += [f"{secs['cpu'] / secs['parallel']:.2f}x"]
        if "cpu out=" in secs:
            row += [f"{secs[k] * 1e9 / n:.3f}" for k in ("cpu out=", "parallel out=")]
            row += [f"{secs['cpu out='] / secs['parallel out=']:.2f}x"]
        else:
            row += ["(reduce)"] * 3
        if with_numba:
            row += [f"{secs[k] * 1e9 / n:.3f}" for k in ("numba cpu", "numba parallel")]
            row += [f"{secs['numba cpu'] / secs['numba parallel']:.2f}x"]
            row += [f"{secs['numba parallel'] / secs['parallel']:.2f}x"]
        rows.append(row)
    header = ["kernel", "n", "cpu ns/elem", "parallel ns/elem", "speed-up"]
    header += ["cpu, out= ns/elem", "parallel, out= ns/elem", "speed-up, out="]
    if with_numba:
        header += [
            "Numba cpu ns/elem",
            "Numba parallel ns/elem",
            "Numba speed-up",
            "Numba parallel / parallel",
        ]
    return markdown(header, rows)


def time_numba_apart(ours: dict, all_calls: dict, repeats: int, target_s: float) -> dict:
    """Times ``ours`` interleaved, then the Numba entries of ``all_calls`` interleaved apart:
    after a call, Numba's OpenMP workers keep spinning for a while and would take the cores
    from whatever runs next."""
    secs = time_interleaved(ours, repeats, target_s)
    theirs = {k: f for k, f in all_calls.items() if k.startswith("numba")}
    if theirs:
        secs.update(time_interleaved(theirs, repeats, target_s))
    return secs


def bench_scaling(repeats: int, target_s: float) -> str:
    """``target="parallel"`` on 1, 2, 4, 8 and 16 threads (as many as this machine has), on
    the compute-bound kernels at 1e7 elements into a preallocated ``out=``."""
    cores = os.cpu_count() or 1
    counts = [t for t in (1, 2, 4, 8, 16) if t <= cores]
    rng = np.random.default_rng(3)
    n = 10**7
    rows = []
    for name, make_inputs, targets in build_parallel_cases():
        if not name.startswith(("rc_filter", "sin*cos")):
            continue
        inputs = make_inputs(rng, n)
        out = np.empty_like(inputs[0])
        par = targets["parallel"]
        secs = {}
        previous = ufuncgen.get_num_threads()
        try:
            for t in counts:
                ufuncgen.set_num_threads(t)
                secs[t] = time_interleaved(
                    {t: lambda f=par, a=inputs, o=out: f(*a, out=o)}, repeats, target_s
                )[t]
        finally:
            ufuncgen.set_num_threads(previous)
        base = secs[counts[0]]
        rows.append([name] + [f"{secs[t] * 1e9 / n:.3f} ({base / secs[t]:.2f}x)" for t in counts])
    header = ["kernel, 1e7, out="] + [f"{t} thread{'s' if t > 1 else ''}" for t in counts]
    return markdown(header, rows)


def bench_bandwidth(repeats: int, target_s: float) -> str:
    """``2.5*x+y`` on 1e7 float64 against a NumPy copy of 1e7 float64 in the same run.

    Both allocate their output, as a plain call does. The copy moves 16 bytes per element, the
    kernel 24 (two loads, one store): the bound for the kernel is 1.5 times the copy's time.
    The RC filter moves as much; on two threads with a fresh output it meets the same bound.
    """
    n = 10**7
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    cpu, par = (
        ufuncgen.vectorize(["float64(float64, float64)"], target=t)(axpy)
        for t in ("cpu", "parallel")
    )
    fns = {
        "NumPy x.copy()": lambda: x.copy(),
        "cpu 2.5*x+y": lambda: cpu(x, y),
        "parallel 2.5*x+y": lambda: par(x, y),
    }
    t = rng.uniform(0.5, 5.0, n)
    for target in ("cpu", "parallel"):
        rc = ufuncgen.vectorize(["float64(float64, float64)"], target=target)(kernels.rc_filter)
        fns[f"{target} rc_filter"] = lambda f=rc: f(x, t)
    calls = dict(fns)
    if numba is not None:
        nb_par = numba.vectorize(["float64(float64, float64)"], target="parallel")(axpy)
        calls["numba parallel 2.5*x+y"] = lambda: nb_par(x, y)
    secs = time_numba_apart(fns, calls, repeats, target_s)
    bound = 1.5 * secs["NumPy x.copy()"]
    rows = []
    for name, t in secs.items():
        moved = (16 if "copy" in name else 24) * n
        frac = "" if "copy" in name else f"{bound / t:.0%}"
        rows.append([name, f"{t * 1e3:.2f}", f"{moved / t / 1e9:.1f}", frac])
    return markdown(["1e7 float64", "median ms", "GB/s", "of the copy's bandwidth"], rows)


def bench_compile(count: int) -> str:
    """Median of fresh one-signature compiles (each a new ufunc: no caching in between)."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        ufuncgen.vectorize(["float64(float64, float64)"])(kernels.rc_filter)
        times.append(time.perf_counter() - start)
    row = [f"vectorize rc_filter, 1 signature, {count} fresh compiles"]
    row += [f"{statistics.median(times) * 1e3:.1f}", f"{min(times) * 1e3:.1f}"]
    return markdown(["compile", "median ms", "min ms"], [row])


def bench_import(count: int) -> str:
    """Fresh interpreters: ``import numpy`` alone, ``import ufuncgen`` and the first compile."""
    from bench_startup import table

    return table([sys.executable], count)


def bench_overhead(repeats: int, target_s: float) -> str:
    """Cost of one call on 1-element float64 arrays: dispatch and set-up, no real work."""
    add = ufuncgen.vectorize(["float64(float64, float64)"])(kernels.add)
    x, y = np.ones(1), np.ones(1)
    out = np.empty(1)
    fns = {
        "np.add(x, y)": lambda: np.add(x, y),
        "ufuncgen add(x, y)": lambda: add(x, y),
        "np.add(x, y, out=out)": lambda: np.add(x, y, out=out),
        "ufuncgen add(x, y, out=out)": lambda: add(x, y, out=out),
    }
    if numba is not None:
        nb_add = numba.vectorize(["float64(float64, float64)"])(kernels.add)
        fns["numba add(x, y)"] = lambda: nb_add(x, y)
    secs = time_interleaved(fns, repeats, target_s)
    return markdown(
        ["1-element call", "median ns"], [[k, f"{v * 1e9:.0f}"] for k, v in secs.items()]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    parser.add_argument(
        "--only",
        action="append",
        help="run only the sections whose title contains this text (repeatable)",
    )
    args = parser.parse_args(argv)

    sizes = [10**3, 10**5, 10**6] if args.quick else [10**3, 10**5, 10**6, 10**7]
    repeats = 3 if args.quick else 7
    target_s = 0.01 if args.quick else 0.05

    cfg = ufuncgen.config()
    extra = (
        ", ".join(f"{m.__name__} {m.__version__}" for m in (ne, numba) if m is not None)
        or "numexpr and Numba not installed"
    )
    parts = [
        f"# ufuncgen benchmarks\n\nufuncgen {ufuncgen.__version__}, LLVM {cfg['llvm_version']}, "
        f"CPU {cfg['cpu_name']}, vector library {cfg['vector_library']}, NumPy {np.__version__}, "
        f"{extra}; one thread except in the parallel sections ({ufuncgen.get_num_threads()} "
        f"threads); medians of {repeats} interleaved samples.",
    ]
    print(parts[0], flush=True)
    sections = [
        (
            "## Kernels (ns per element, lower is better)",
            lambda: bench_kernels(build_cases(), sizes, repeats, target_s),
        ),
        (
            "## Parallel target against cpu (ns per element, lower is better)",
            lambda: bench_parallel(sizes, repeats, target_s, 1 if args.quick else 3),
        ),
        (
            "## Thread scaling of the parallel target (ns per element and speed-up)",
            lambda: bench_scaling(repeats, target_s),
        ),
        ("## Memory bandwidth bound", lambda: bench_bandwidth(repeats, target_s)),
        ("## Compile time", lambda: bench_compile(5 if args.quick else 10)),
        (
            "## Gufuncs (ns per input element, lower is better)",
            lambda: bench_gufuncs(repeats, target_s),
        ),
        ("## Gufunc compile time", lambda: bench_gufunc_compile(5 if args.quick else 10)),
        ("## Import time", lambda: bench_import(3 if args.quick else 7)),
        ("## Call overhead", lambda: bench_overhead(repeats, target_s)),
    ]
    for title, run in sections:
        if args.only and not any(word.lower() in title.lower() for word in args.only):
            continue
        text = f"{title}\n\n{run()}"
        print(f"\n{text}", flush=True)
        parts.append(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Times the vector-math kernels of issue 3 against NumPy at each vector-math tier.

``--table`` instead times every math function with a NumPy ufunc (issue 15): float32 and
float64, a central and a wide input domain, 1e4/1e6/1e7 elements, ``np.f(x, out=o)`` beside
a one-line ufuncgen kernel's ``f(x, out=o)``, interleaved, medians; ``--functions log,exp``
and ``--sizes 1e6`` narrow it.

For every tier (SVML when found, libmvec, the per-lane libm loop) a subprocess with that tier's
environment variables times NumPy's expression and the ufuncgen ufunc on 1e6 contiguous
elements, interleaved, and reports medians; this process prints one markdown table per tier
plus the machine's load average, since the machine may be shared. SVML is looked for in
``--svml`` (a directory or a libsvml.so), else ``UFUNCGEN_SVML_PATH``, else
``sys.prefix/lib``. Run by hand: ``make bench`` (``BENCH_ARGS=--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import json
import linecache
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))
sys.path.insert(0, str(HERE))

import kernels  # noqa: E402  (rc_filter and exp_arcsin are the demo kernels)
from bench import markdown, time_interleaved  # noqa: E402

import ufuncgen  # noqa: E402

N = 10**6


def cases():
    """(label, NumPy expression, ufuncgen ufunc, inputs) for each row of the table."""
    rng = np.random.default_rng(3)
    rc = ufuncgen.vectorize(["float64(float64, float64)"])(kernels.rc_filter)
    ea = ufuncgen.vectorize(kernels.EXP_ARCSIN_SIGS)(kernels.exp_arcsin)
    tl = ufuncgen.vectorize(["float64(float64)", "float32(float32)"])(kernels.trig_log1p)
    v, t = rng.uniform(-10, 10, N), rng.uniform(0.5, 5.0, N)
    x = rng.uniform(-1, 1, N)
    return [
        ("RC `v*(1-exp(1/t))` f64", lambda v, t: v * (1 - np.exp(1 / t)), rc, (v, t)),
        ("`exp(arcsin(x))` f64", kernels.exp_arcsin, ea, (x,)),
        ("`exp(arcsin(x))` f32", kernels.exp_arcsin, ea, (x.astype(np.float32),)),
        ("`sin(x)*cos(x)+log1p(x*x)` f64", kernels.trig_log1p, tl, (x,)),
        ("`sin(x)*cos(x)+log1p(x*x)` f32", kernels.trig_log1p, tl, (x.astype(np.float32),)),
    ]


# Function -> (NumPy ufunc, central domain, wide domain (float32), wide domain (float64)); a
# domain is (low, high, spacing): "lin" uniform, "log" log-uniform magnitudes, "slog" the same
# with random signs. The second argument of binary functions uses the same domain (pow: below).
DOMAINS = {
    "exp": ("exp", (-5, 5, "lin"), (-87, 87, "lin"), (-700, 700, "lin")),
    "exp2": ("exp2", (-5, 5, "lin"), (-126, 126, "lin"), (-1000, 1000, "lin")),
    "expm1": ("expm1", (-1, 1, "lin"), (-87, 87, "lin"), (-700, 700, "lin")),
    "log": ("log", (0.1, 10, "lin"), (1e-30, 1e30, "log"), (1e-300, 1e300, "log")),
    "log2": ("log2", (0.1, 10, "lin"), (1e-30, 1e30, "log"), (1e-300, 1e300, "log")),
    "log10": ("log10", (0.1, 10, "lin"), (1e-30, 1e30, "log"), (1e-300, 1e300, "log")),
    "log1p": ("log1p", (-0.5, 5, "lin"), (1e-30, 1e30, "log"), (1e-300, 1e300, "log")),
    "cbrt": ("cbrt", (-10, 10, "lin"), (1e-30, 1e30, "slog"), (1e-300, 1e300, "slog")),
    "sin": ("sin", (-3.15, 3.15, "lin"), (-1e4, 1e4, "lin"), (-1e4, 1e4, "lin")),
    "cos": ("cos", (-3.15, 3.15, "lin"), (-1e4, 1e4, "lin"), (-1e4, 1e4, "lin")),
    "tan": ("tan", (-1.5, 1.5, "lin"), (-1e4, 1e4, "lin"), (-1e4, 1e4, "lin")),
    "asin": ("arcsin", (-0.5, 0.5, "lin"), (-1, 1, "lin"), (-1, 1, "lin")),
    "acos": ("arccos", (-0.5, 0.5, "lin"), (-1, 1, "lin"), (-1, 1, "lin")),
    "atan": ("arctan", (-2, 2, "lin"), (1e-30, 1e30, "slog"), (1e-300, 1e300, "slog")),
    "sinh": ("sinh", (-3, 3, "lin"), (-88, 88, "lin"), (-700, 700, "lin")),
    "cosh": ("cosh", (-3, 3, "lin"), (-88, 88, "lin"), (-700, 700, "lin")),
    "tanh": ("tanh", (-3, 3, "lin"), (-50, 50, "lin"), (-50, 50, "lin")),
    "asinh": ("arcsinh", (-3, 3, "lin"), (1e-30, 1e30, "slog"), (1e-300, 1e300, "slog")),
    "acosh": ("arccosh", (1, 10, "lin"), (1, 1e30, "log"), (1, 1e300, "log")),
    "atanh": ("arctanh", (-0.5, 0.5, "lin"), (-0.999, 0.999, "lin"), (-0.999, 0.999, "lin")),
    "pow": ("power", (0.5, 2, "lin"), (1e-3, 1e3, "log"), (1e-3, 1e3, "log")),
    "atan2": ("arctan2", (-1, 1, "lin"), (1e-30, 1e30, "slog"), (1e-300, 1e300, "slog")),
    "hypot": ("hypot", (-10, 10, "lin"), (1e-15, 1e15, "slog"), (1e-150, 1e150, "slog")),
}
BINARY = {"pow", "atan2", "hypot"}
SIZES = (10**4, 10**6, 10**7)


def draw(rng, domain, n: int, dtype) -> np.ndarray:
    lo, hi, kind = domain
    if kind == "lin":
        x = rng.uniform(lo, hi, n)
    else:
        x = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        if kind == "slog":
            x *= rng.choice([-1.0, 1.0], n)
    return x.astype(dtype)


def table_rows(functions, sizes, repeats: int, target_s: float) -> list[list]:
    """[function, dtype, domain, n, NumPy ns/element, ufuncgen ns/element] for every case."""
    rng = np.random.default_rng(15)
    rows = []
    for name in functions:
        uf_name, central, wide32, wide64 = DOMAINS[name]
        npf = getattr(np, uf_name)
        params = "x, y" if name in BINARY else "x"
        src = f"def k_{name}({params}):\n    return np.{uf_name}({params})\n"
        # ufuncgen compiles from source text: register it where `inspect` looks.
        filename = f"<bench {name}>"
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
        ns = {"np": np}
        exec(compile(src, filename, "exec"), ns)
        sigs = [f"{t}({', '.join([t] * (2 if name in BINARY else 1))})" for t in ("f8", "f4")]
        kernel = ufuncgen.vectorize(sigs)(ns[f"k_{name}"])
        for dtype in (np.float32, np.float64):
            wide = wide32 if dtype == np.float32 else wide64
            for label, domain in (("central", central), ("wide", wide)):
                for n in sizes:
                    args = [draw(rng, domain, n, dtype)]
                    if name == "pow":
                        args.append(rng.uniform(-3, 3, n).astype(dtype))
                    elif name in BINARY:
                        args.append(draw(rng, domain, n, dtype))
                    out = np.empty(n, dtype)
                    with np.errstate(all="ignore"):
                        want = npf(*args)
                        got = kernel(*args)
                    ok = np.isfinite(want)
                    # A wrong answer would make the timing meaningless (subnormal results: a few
                    # of their coarse ulps apart).
                    np.testing.assert_allclose(
                        got[ok],
                        want[ok],
                        rtol=1e-5 if dtype == np.float32 else 1e-13,
                        atol=16 * np.finfo(dtype).smallest_subnormal,
                    )
                    fns = {
                        "numpy": lambda f=npf, a=args, o=out: f(*a, out=o),
                        "ufuncgen": lambda f=kernel, a=args, o=out: f(*a, out=o),
                    }
                    with np.errstate(all="ignore"):
                        secs = time_interleaved(fns, repeats, target_s)
                    rows.append(
                        [name, np.dtype(dtype).name, label, n]
                        + [secs[k] * 1e9 / n for k in ("numpy", "ufuncgen")]
                    )
    return rows


def worker(repeats: int, target_s: float) -> None:
    """Times every case at the tier this process's environment selects; prints JSON."""
    rows = []
    for label, expr, ufunc, args in cases():
        # A wrong answer would make the timing meaningless; sin*cos+log1p cancels near its
        # zeros, hence the absolute part.
        tol = (1e-5, 1e-6) if args[0].dtype == np.float32 else (1e-12, 1e-14)
        np.testing.assert_allclose(ufunc(*args), expr(*args), rtol=tol[0], atol=tol[1])
        fns = {"numpy": lambda e=expr, a=args: e(*a), "ufuncgen": lambda f=ufunc, a=args: f(*a)}
        secs = time_interleaved(fns, repeats, target_s)
        rows.append([label] + [secs[k] * 1e9 / N for k in ("numpy", "ufuncgen")])
    cfg = ufuncgen.config()
    print(json.dumps({"config": cfg, "rows": rows, "load": os.getloadavg()}))


def svml_location(given: str | None) -> str | None:
    path = given or os.environ.get("UFUNCGEN_SVML_PATH") or os.path.join(sys.prefix, "lib")
    file = os.path.join(path, "libsvml.so") if os.path.isdir(path) else path
    return path if os.path.isfile(file) else None


def tiers(svml: str | None) -> dict[str, dict[str, str]]:
    """Tier name -> environment changes that select it."""
    out = {}
    if svml is not None:
        out["svml"] = {"UFUNCGEN_SVML_PATH": svml}
    out["libmvec"] = {"UFUNCGEN_DISABLE_SVML": "1"}
    out["scalar"] = {"UFUNCGEN_DISABLE_SVML": "1", "UFUNCGEN_DISABLE_LIBMVEC": "1"}
    return out


def run_tier(env_changes: dict[str, str], repeats: int, target_s: float, extra=()) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
    env.update(env_changes)
    cmd = [sys.executable, __file__, "--worker", f"--repeats={repeats}", f"--target={target_s}"]
    return json.loads(subprocess.check_output([*cmd, *extra], env=env, text=True).splitlines()[-1])


def table_main(args, repeats: int, target_s: float) -> list[str]:
    """Runs the function table at every tier; returns one markdown table per tier."""
    functions = args.functions.split(",") if args.functions else list(DOMAINS)
    sizes = [int(float(s)) for s in args.sizes.split(",")] if args.sizes else list(SIZES)
    extra = [
        "--table",
        f"--functions={','.join(functions)}",
        f"--sizes={','.join(map(str, sizes))}",
    ]
    parts = []
    for tier, env in tiers(svml_location(args.svml)).items():
        if args.tiers and tier not in args.tiers.split(","):
            continue
        if args.no_polymath:
            env = {**env, "UFUNCGEN_DISABLE_POLYMATH": "1"}
        before = os.getloadavg()[0]
        result = run_tier(env, repeats, target_s, extra)
        got = result["config"]["vector_library"]
        rows = [
            [name, dt, dom, f"{n:.0e}", f"{npy:.3f}", f"{ufg:.3f}", f"{npy / ufg:.2f}x"]
            for name, dt, dom, n, npy, ufg in result["rows"]
        ]
        text = (
            f"## Tier: {got}\n\n"
            + markdown(["function", "dtype", "domain", "n", "NumPy ns", f"{got} ns", "ratio"], rows)
            + f"\n\nLoad average (1 min) before/after: {before:.2f} / {result['load'][0]:.2f}"
        )
        print(f"\n{text}", flush=True)
        parts.append(text)
    return parts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--svml", help="SVML directory or libsvml.so for the SVML tier")
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    parser.add_argument("--table", action="store_true", help="every function x dtype x domain")
    parser.add_argument("--functions", help="comma-separated functions for --table")
    parser.add_argument("--sizes", help="comma-separated sizes for --table (default 1e4,1e6,1e7)")
    parser.add_argument("--tiers", help="comma-separated tiers (svml, libmvec, scalar)")
    parser.add_argument(
        "--no-polymath",
        action="store_true",
        help="library routines only (UFUNCGEN_DISABLE_POLYMATH=1): the generated ones' baseline",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker and args.table:
        functions = args.functions.split(",")
        sizes = [int(s) for s in args.sizes.split(",")]
        rows = table_rows(functions, sizes, args.repeats, args.target)
        cfg = ufuncgen.config()
        print(json.dumps({"config": cfg, "rows": rows, "load": os.getloadavg()}))
        return 0
    if args.worker:
        worker(args.repeats, args.target)
        return 0

    repeats, target_s = (5, 0.02) if args.quick else (15, 0.05)
    cfg = ufuncgen.config()
    parts = [
        f"# Vector-math kernels, ns per element (1e6 contiguous elements, one thread)\n\n"
        f"ufuncgen {ufuncgen.__version__}, LLVM {cfg['llvm_version']}, CPU {cfg['cpu_name']}, "
        f"NumPy {np.__version__}, {os.cpu_count()} cores; medians of {repeats} interleaved "
        f"samples per kernel; ratio = NumPy time / ufuncgen time."
    ]
    if args.table:
        parts[0] = (
            "# Vector math against NumPy, ns per element (`np.f(x, out=o)` vs a one-line "
            f"kernel's `f(x, out=o)`, one thread)\n\nufuncgen {ufuncgen.__version__}, LLVM "
            f"{cfg['llvm_version']}, CPU {cfg['cpu_name']}, NumPy {np.__version__}, "
            f"{os.cpu_count()} cores; medians of {repeats} interleaved samples; ratio = NumPy "
            "time / ufuncgen time (above 1: ufuncgen faster)."
        )
        print(parts[0], flush=True)
        parts += table_main(args, repeats, target_s)
        if args.output:
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text("\n\n".join(parts) + "\n")
        return 0
    print(parts[0], flush=True)
    for tier, env in tiers(svml_location(args.svml)).items():
        before = os.getloadavg()[0]
        result = run_tier(env, repeats, target_s)
        got = result["config"]["vector_library"]
        if got != tier:
            print(f"\nwarning: asked for {tier}, got {got}", file=sys.stderr)
        rows = [
            [label, f"{npy:.2f}", f"{ufg:.2f}", f"{npy / ufg:.2f}x"]
            for label, npy, ufg in result["rows"]
        ]
        where = f" ({result['config']['svml_path']})" if got == "svml" else ""
        text = (
            f"## Tier: {got}{where}\n\n"
            + markdown(["kernel", "NumPy", f"ufuncgen ({got})", "ratio"], rows)
            + f"\n\nLoad average (1 min) before/after: {before:.2f} / {result['load'][0]:.2f}"
        )
        print(f"\n{text}", flush=True)
        parts.append(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("\n\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

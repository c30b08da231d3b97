"""Times the vector-math kernels of issue 3 against NumPy at each vector-math tier.

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


def run_tier(env_changes: dict[str, str], repeats: int, target_s: float) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
    env.update(env_changes)
    cmd = [sys.executable, __file__, "--worker", f"--repeats={repeats}", f"--target={target_s}"]
    return json.loads(subprocess.check_output(cmd, env=env, text=True).splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--svml", help="SVML directory or libsvml.so for the SVML tier")
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
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

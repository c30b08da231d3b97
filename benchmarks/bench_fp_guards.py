"""Loop speed of the code that keeps NumPy's FP flags exact: kernels with conditional paths
(whose operations are guarded so that an untaken branch raises nothing) and float -> int
casts (which raise invalid for NaN and out-of-range values), beside NumPy.

Two builds side by side: ``--baseline DIR`` names a directory holding another build's
``ufuncgen`` package (e.g. a copy of main's ``python/ufuncgen`` with its ``_native`` library);
the timings then run in alternating child processes, one per build, several rounds, and the
table shows the median of each. Without it, only this checkout's build is timed.

    python benchmarks/bench_fp_guards.py --baseline /tmp/base --rounds 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

N = 1_000_000


def _mul_add(x):
    return x * x + 1.0 if x < 1e18 else 0.0


def _clip_div(x):
    return 1.0 / x if x > 0.5 else x * 2.0


def _relu_scale(x):
    y = 0.0
    if x > 0:
        y = x * 3.0 - 1.0
    return y


def _early_return(x):
    if x < 0.1:
        return 0.0
    return (x - 0.1) * (x + 0.1) / x


def _log_if_positive(x):
    return math.log(x) if x > 0 else -1.0


def _piecewise(x):
    if x < 0.3:
        return x * x
    elif x < 0.6:
        return 2.0 * x - 0.3
    return x / 0.6


def _to_i8(x):
    return np.int64(x)


def _to_i4(x):
    return np.int32(x)


def _to_i1(x):
    return np.int8(x)


def _to_u8(x):
    return np.uint64(x)


def _to_u4(x):
    return np.uint32(x)


def _to_u1(x):
    return np.uint8(x)


KERNELS = {
    "mul_add_if": (_mul_add, ["f8(f8)", "f4(f4)"]),
    "div_or_double": (_clip_div, ["f8(f8)"]),
    "relu_scale_stmt": (_relu_scale, ["f8(f8)"]),
    "early_return": (_early_return, ["f8(f8)"]),
    "log_if_positive": (_log_if_positive, ["f8(f8)"]),
    "piecewise": (_piecewise, ["f8(f8)", "f4(f4)"]),
}

CASTS = {"i8": _to_i8, "i4": _to_i4, "i1": _to_i1, "u8": _to_u8, "u4": _to_u4, "u1": _to_u1}


def sample(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def measure(repeats: int) -> dict[str, float]:
    """Median ms per call of every case in this process's ufuncgen build."""
    from ufuncgen import vectorize

    rng = np.random.default_rng(3)
    cases = {}
    for name, (kernel, sigs) in KERNELS.items():
        for sig in sigs:
            f = vectorize([sig])(kernel)
            dt = np.float64 if sig.startswith("f8") else np.float32
            x = rng.random(N).astype(dt)
            cases[f"{name} {sig[:2]}"] = lambda f=f, x=x: f(x)
            xs = rng.random(2 * N).astype(dt)[::2]
            cases[f"{name} {sig[:2]} strided"] = lambda f=f, x=xs: f(x)
    for to, kernel in CASTS.items():
        for src in ("f8", "f4"):
            f = vectorize([f"{to}({src})"])(kernel)
            x = (rng.random(N) * 100).astype(src)
            out = np.empty(N, to)
            cases[f"cast {src}->{to}"] = lambda f=f, x=x, out=out: f(x, out=out)
            cases[f"cast {src}->{to} numpy astype"] = lambda x=x, out=out: np.copyto(
                out, x, casting="unsafe"
            )
    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeats):
        for k, fn in cases.items():
            samples[k].append(sample(fn, 5))
    return {k: 1e3 * statistics.median(v) for k, v in samples.items()} | {
        f"{k} (min)": 1e3 * min(v) for k, v in samples.items()
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help="directory holding another build's ufuncgen package")
    ap.add_argument("--rounds", type=int, default=3, help="alternating runs per build")
    ap.add_argument("--repeats", type=int, default=15, help="samples per case and run")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeats)))
        return 0
    builds = {"this build": None}
    if args.baseline:
        builds = {"baseline": args.baseline, "this build": None}
    runs: dict[str, list[dict[str, float]]] = {b: [] for b in builds}
    for _ in range(args.rounds):
        for label, path in builds.items():
            env = dict(os.environ)
            if path:
                env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
            cmd = [sys.executable, __file__, "--child", "--repeats", str(args.repeats)]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            runs[label].append(json.loads(out.stdout.strip().splitlines()[-1]))
    labels = list(builds)
    keys = [k for k in runs[labels[0]][0] if not k.endswith(" (min)")]
    header = ["case (1e6 elements)"] + [f"{b} ms (median, min)" for b in labels]
    if len(labels) == 2:
        header.append("ratio")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for k in keys:
        med = [statistics.median(r[k] for r in runs[b]) for b in labels]
        low = [min(r[f"{k} (min)"] for r in runs[b]) for b in labels]
        row = [k] + [f"{m:.3f}, {lo:.3f}" for m, lo in zip(med, low, strict=True)]
        if len(med) == 2:
            row.append(f"{med[1] / med[0]:.2f}")
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up costs in fresh interpreters: issue 11's targets for the installed wheel.

- ``import ufuncgen`` within 10 ms of ``import numpy`` (it imports NumPy; the rest must be cheap);
- the first compile in a fresh process (loading the extension, LLVM's target set-up, one
  one-signature ``vectorize``) no slower from the wheel than from the development build.

Each sample is a new interpreter timing itself (interpreter start-up is not counted); the
interpreters and the three measurements are interleaved round by round, so load from other
processes hits them alike, and the table gives medians side by side. Run by hand:
``python benchmarks/bench_startup.py [--python PY ...] [--rounds N]``; ``make test-wheel`` runs
it on the wheel's interpreter against the development build's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

IMPORT_TARGET_MS = 10.0

# Runs in the fresh interpreter: a file, so that ufuncgen can read the kernel's source.
CHILD = """
import sys, time
mode = sys.argv[1]
if mode == "info":
    import numpy, ufuncgen
    print(f"{sys.version.split()[0]}|{numpy.__version__}|{ufuncgen.__version__}|{ufuncgen.__file__}")
elif mode in ("numpy", "ufuncgen"):
    t = time.perf_counter()
    __import__(mode)
    print(time.perf_counter() - t)
else:
    import math, ufuncgen

    def rc_filter(v, t):
        return v * (1 - math.exp(1 / t))

    t = time.perf_counter()
    ufuncgen.vectorize(["float64(float64, float64)"])(rc_filter)
    print(time.perf_counter() - t)
"""

MODES = ("numpy", "ufuncgen", "compile")


def run_child(python: str, script: Path, mode: str, env: dict[str, str]) -> str:
    # -I: the working directory (a source checkout, say) must not shadow the installed package.
    return subprocess.run(
        [python, "-I", str(script), mode], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()


def measure(pythons: list[str], rounds: int) -> tuple[dict, dict]:
    """Per interpreter: its versions, and the samples (seconds) of each mode."""
    with tempfile.TemporaryDirectory(prefix="ufuncgen-bench-startup-") as tmp:
        script = Path(tmp) / "child.py"
        script.write_text(CHILD)
        # No on-disk cache, no inherited thread or tier settings: a first compile is a compile.
        env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
        env["UFUNCGEN_CACHE_DIR"] = str(Path(tmp) / "cache")
        info = {py: run_child(py, script, "info", env).split("|") for py in pythons}
        samples: dict[str, dict[str, list[float]]] = {py: {m: [] for m in MODES} for py in pythons}
        for _ in range(rounds):
            for py in pythons:
                for mode in MODES:
                    samples[py][mode].append(float(run_child(py, script, mode, env)))
    return info, samples


def table(pythons: list[str], rounds: int) -> str:
    """The markdown table: medians in ms, the import difference against its target, and the
    first compile relative to the first interpreter's."""
    info, samples = measure(pythons, rounds)
    med = {py: {m: statistics.median(s) * 1e3 for m, s in samples[py].items()} for py in pythons}
    base = med[pythons[0]]["compile"]
    rows = [
        "| interpreter | ufuncgen from | import numpy ms | import ufuncgen ms "
        f"| difference ms (target <= {IMPORT_TARGET_MS:.0f}) | first compile ms "
        f"| vs {Path(pythons[0]).parent.parent.name} |",
        "|---|---|---|---|---|---|---|",
    ]
    for py in pythons:
        py_ver, np_ver, ver, path = info[py]
        m = med[py]
        diff = m["ufuncgen"] - m["numpy"]
        rows.append(
            f"| CPython {py_ver}, NumPy {np_ver} | {ver} {Path(path).parent} | {m['numpy']:.1f} "
            f"| {m['ufuncgen']:.1f} | {diff:+.1f} {'ok' if diff <= IMPORT_TARGET_MS else 'OVER'} "
            f"| {m['compile']:.1f} | {m['compile'] / base:.2f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        action="append",
        help="an interpreter with ufuncgen installed (repeatable; default: this one); "
        "the first is the reference for the compile ratio",
    )
    parser.add_argument("--rounds", type=int, default=7, help="fresh processes per measurement")
    args = parser.parse_args(argv)
    pythons = args.python or [sys.executable]
    print(
        f"{args.rounds} rounds, medians, load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs",
        flush=True,
    )
    print(table(pythons, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`import ufuncgen` stays cheap: no LLVM, no JIT, no target machine until first use."""

import subprocess
import sys


def run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout


def test_import_does_not_load_the_native_extension():
    out = run("import sys, ufuncgen; print('ufuncgen._native' in sys.modules)")
    assert out.strip() == "False"


def _import_seconds(module: str) -> float:
    # Timed inside the child, so interpreter start-up is not counted; best of 5 absorbs load
    # from other processes on a small machine.
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    return min(float(run(code)) for _ in range(5))


def test_import_costs_little_beyond_numpy():
    # The target is 150 ms including NumPy on an idle machine; relative to NumPy's own import
    # the check does not depend on how busy the machine is.
    numpy_s, ours_s = _import_seconds("numpy"), _import_seconds("ufuncgen")
    assert ours_s - numpy_s < max(0.030, 0.5 * numpy_s), (
        f"numpy {numpy_s * 1e3:.0f} ms, ufuncgen {ours_s * 1e3:.0f} ms"
    )


def test_import_adds_only_light_modules_to_numpy():
    code = (
        "import sys; import numpy; before = set(sys.modules); import ufuncgen; "
        "print(sorted(set(sys.modules) - before))"
    )
    added = eval(run(code))
    assert all(m == "ufuncgen" or m.startswith("ufuncgen.") or m in LIGHT for m in added), added


# Small pure-Python standard modules the package may pull in beyond what NumPy imports.
LIGHT = {"__future__", "numbers", "argparse", "gettext", "locale", "cmath", "textwrap", "linecache"}

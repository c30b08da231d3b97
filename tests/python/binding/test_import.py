"""`import ufuncgen` stays cheap: no LLVM, no JIT, no target machine until first use."""

import os
import subprocess
import sys

import pytest


def run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout


def test_import_does_not_load_the_native_extension():
    out = run("import sys, ufuncgen; print('ufuncgen._native' in sys.modules)")
    assert out.strip() == "False"


def test_import_maps_no_native_library_beyond_numpy_and_the_standard_library():
    # What made `import ufuncgen` slow would be loading native code (the extension and LLVM
    # with it, or another package's); its time against NumPy's is measured by
    # benchmarks/bench_startup.py, not here. Standard C modules (cmath) are cheap.
    code = (
        "import os\n"
        "def libs():\n"
        "    with open('/proc/self/maps') as maps:\n"
        "        return {line.split()[-1] for line in maps if '.so' in line}\n"
        "import numpy\n"
        "before = libs()\n"
        "import ufuncgen\n"
        "stdlib = os.path.dirname(os.__file__) + os.sep\n"
        "print(sorted(p for p in libs() - before if not p.startswith(stdlib)))"
    )
    if not os.path.exists("/proc/self/maps"):
        pytest.skip("needs /proc/self/maps (Linux)")
    assert run(code).strip() == "[]"


def test_import_starts_no_thread():
    # The worker pool and LLVM start on first use; NumPy's own threads (OpenBLAS) come before.
    code = (
        "import os, threading, numpy\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "import ufuncgen\n"
        "print(len(os.listdir('/proc/self/task')) - before, threading.active_count())"
    )
    if not os.path.exists("/proc/self/task"):
        pytest.skip("needs /proc/self/task (Linux)")
    assert run(code).split() == ["0", "1"]


def test_import_adds_only_light_modules_to_numpy():
    code = (
        "import sys; import numpy; before = set(sys.modules); import ufuncgen; "
        "print(sorted(set(sys.modules) - before))"
    )
    added = eval(run(code))
    assert all(m == "ufuncgen" or m.startswith("ufuncgen.") or m in LIGHT for m in added), added


# Small pure-Python standard modules the package may pull in beyond what NumPy imports.
LIGHT = {"__future__", "numbers", "argparse", "gettext", "locale", "cmath", "textwrap", "linecache"}

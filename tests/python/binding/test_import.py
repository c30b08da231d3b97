"""`import ufuncgen` stays cheap: no LLVM, no JIT, no target machine until first use."""

import subprocess
import sys
import time


def run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout


def test_import_does_not_load_the_native_extension():
    out = run("import sys, ufuncgen; print('ufuncgen._native' in sys.modules)")
    assert out.strip() == "False"


def test_import_is_fast():
    best = min(_timed_import() for _ in range(3))
    assert best < 0.150, f"import ufuncgen took {best * 1000:.0f} ms"


def _timed_import() -> float:
    start = time.perf_counter()
    run("import ufuncgen")
    return time.perf_counter() - start

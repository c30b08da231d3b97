"""The package as installed: one version everywhere, LLVM inside the extension, and (in the
installed-wheel test, packaging/test-wheel.sh) the package under test is the installed one."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ufuncgen
from ufuncgen import _native as native


def _python(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_version_has_one_value():
    version = ufuncgen.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?(a|b|rc|dev|post)\d*)*", version), version
    assert native.__version__ == version
    # The installed distribution's metadata (written by maturin from Cargo.toml) agrees.
    assert importlib.metadata.version("ufuncgen") == version
    assert _python("-m", "ufuncgen", "--version").strip() == f"ufuncgen {version}"


def test_unknown_attribute_still_raises():
    with pytest.raises(AttributeError, match="no_such_name"):
        ufuncgen.no_such_name  # noqa: B018


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc (Linux)")
def test_no_llvm_library_is_loaded(tmp_path):
    # LLVM is linked into the extension: compiling and running a kernel maps no libLLVM.
    script = tmp_path / "kernel.py"
    script.write_text(
        "import numpy as np, ufuncgen\n"
        "@ufuncgen.vectorize(['float64(float64)'])\n"
        "def f(x):\n"
        "    return x * 2.0 + 1.0\n"
        "assert f(np.arange(3.0)).tolist() == [1.0, 3.0, 5.0]\n"
        "maps = open('/proc/self/maps').read().split('\\n')\n"
        "print([m for m in maps if 'libLLVM' in m or '/llvm-' in m])\n"
    )
    assert _python(str(script)).strip() == "[]"


INSTALLED_IN = os.environ.get("UFUNCGEN_TEST_INSTALLED_IN")


@pytest.mark.skipif(INSTALLED_IN is None, reason="only in the installed-wheel test")
def test_the_installed_package_is_under_test():
    site = Path(INSTALLED_IN).resolve()
    for module in (ufuncgen, native):
        assert Path(module.__file__).resolve().is_relative_to(site), module.__file__
    # One abi3 extension serves every CPython >= 3.11.
    assert Path(native.__file__).name == "_native.abi3.so"

"""inspect_llvm / inspect_asm and config(): the documented keys, value types and IR facts."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import ufuncgen
from ufuncgen import inspect_asm, inspect_llvm, vectorize

SIGS = ["float64(float64, float64)", "f4(f4,f4)", "int32(int32, int32)"]


def axpy(a, b):
    # A multiply feeding an add: what FMA contraction would fuse if it were allowed.
    return a * 3 + b


@pytest.fixture(scope="module")
def ufunc():
    return vectorize(SIGS)(axpy)


@pytest.fixture(scope="module")
def fast_ufunc():
    return vectorize(SIGS, fastmath=True)(axpy)


def test_inspect_llvm_keys_are_signatures_as_written(ufunc):
    ir = inspect_llvm(ufunc)
    assert list(ir) == SIGS
    assert all(isinstance(text, str) and text for text in ir.values())


def test_each_loop_has_its_own_ir(ufunc):
    ir = inspect_llvm(ufunc)
    assert "double" in ir["float64(float64, float64)"]
    assert "float" in ir["f4(f4,f4)"]
    assert "double" not in ir["int32(int32, int32)"]


def test_contiguous_float_loop_is_vectorized(ufunc):
    ir = inspect_llvm(ufunc)
    assert re.search(r"x double>", ir["float64(float64, float64)"])
    assert re.search(r"x float>", ir["f4(f4,f4)"])


# Fast-math flags as LLVM prints them on instructions and calls.
FAST_FLAGS = re.compile(r"\b(fast|reassoc|contract|afn|arcp|nnan|ninf|nsz)\b")


def test_default_ir_is_ieee_exact(ufunc):
    for sig, text in inspect_llvm(ufunc).items():
        assert not FAST_FLAGS.search(text), f"{sig}: {FAST_FLAGS.search(text).group(0)}"
        assert "fmuladd" not in text, sig
        assert "llvm.fma" not in text, sig


def test_fastmath_ir_has_fast_flags(fast_ufunc):
    text = inspect_llvm(fast_ufunc)["float64(float64, float64)"]
    assert re.search(r"\bfast\b", text)


def test_default_results_are_bit_exact(ufunc, rng):
    # Without contraction a * 3 + b rounds twice, exactly as NumPy's two loops do.
    a, b = rng.standard_normal(10_000), rng.standard_normal(10_000)
    np.testing.assert_array_equal(ufunc(a, b), a * 3 + b)


def test_fastmath_results_still_close(fast_ufunc, rng):
    a, b = rng.standard_normal(1000), rng.standard_normal(1000)
    # A fused multiply-add rounds once: at most an ulp of the operands apart, even on cancellation.
    np.testing.assert_allclose(fast_ufunc(a, b), a * 3 + b, rtol=1e-14, atol=1e-14)


def test_inspect_asm_returns_text(ufunc):
    asm = inspect_asm(ufunc)
    assert list(asm) == SIGS
    for text in asm.values():
        assert isinstance(text, str)
        # x86-64 assembly of a loop: a return and at least one vector register.
        assert re.search(r"\bret[lq]?\b", text)
    assert re.search(r"%[xyz]mm\d+", asm["float64(float64, float64)"])


def test_inspect_rejects_foreign_ufuncs():
    with pytest.raises(TypeError):
        inspect_llvm(np.add)
    with pytest.raises(TypeError):
        inspect_asm(np.sin)
    with pytest.raises(TypeError):
        inspect_llvm(axpy)


CONFIG_TYPES = {
    "llvm_version": str,
    "cpu_name": str,
    "cpu_features": list,
    "vector_library": str,
    "num_threads": int,
    "cache_dir": str,
}


def test_config_keys_and_types():
    cfg = ufuncgen.config()
    for key, typ in CONFIG_TYPES.items():
        assert key in cfg, key
        assert isinstance(cfg[key], typ), (key, cfg[key])
    assert "svml_path" in cfg
    assert cfg["svml_path"] is None or isinstance(cfg["svml_path"], str)
    assert re.fullmatch(r"22\.\d+\.\d+", cfg["llvm_version"])
    assert cfg["cpu_name"]
    assert all(isinstance(f, str) and not f.startswith("+") for f in cfg["cpu_features"])
    assert "sse2" in cfg["cpu_features"]
    assert cfg["vector_library"] in ("svml", "libmvec", "scalar")
    assert cfg["num_threads"] >= 1


def _config_in_subprocess(env_updates: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
    env.update(env_updates)
    code = "import ufuncgen, warnings; warnings.simplefilter('always'); print(ufuncgen.config())"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout + proc.stderr


def test_config_environment(tmp_path):
    out = _config_in_subprocess({"UFUNCGEN_NUM_THREADS": "3", "UFUNCGEN_CACHE_DIR": str(tmp_path)})
    assert "'num_threads': 3" in out
    assert repr(str(tmp_path)) in out


def test_config_invalid_thread_count_warns():
    out = _config_in_subprocess({"UFUNCGEN_NUM_THREADS": "many"})
    assert "UFUNCGEN_NUM_THREADS" in out  # the warning names the variable
    assert "'num_threads': " in out


def test_disable_svml_reports_no_svml():
    out = _config_in_subprocess({"UFUNCGEN_DISABLE_SVML": "1"})
    assert "'svml_path': None" in out
    assert "'vector_library': 'svml'" not in out

"""The demo kernels, after Intel's article on speeding up NumPy with Numba's ``@vectorize``.

Each kernel is plain Python in the kernel language; ``DEMOS`` pairs it with its signatures, the
NumPy expression it replaces, the inputs it runs on and the tolerance it is checked with.
``examples/demo.py`` compiles and checks them; ``benchmarks/bench.py`` times them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ufuncgen import vectorize


def rc_filter(v, t):
    """One step of an RC low-pass filter."""
    return v * (1 - math.exp(1 / t))


def exp_arcsin(x):
    """exp(arcsin(x)), written with NumPy's spellings."""
    return np.exp(np.arcsin(x))


def trig_log1p(x):
    """Three vector-math calls per element (benchmarks only); also NumPy's own expression."""
    return np.sin(x) * np.cos(x) + np.log1p(x * x)


def add(a, b):
    """Integer addition, used through ``add.reduce``."""
    return a + b


# What "equal to NumPy" means per dtype: libm and NumPy's own SIMD loops may differ by a few ulp.
TOLERANCES = {
    np.dtype(np.float64): {"rtol": 1e-12, "atol": 0.0},
    np.dtype(np.float32): {"rtol": 1e-5, "atol": 0.0},
    np.dtype(np.int64): None,  # exact
}


@dataclass(frozen=True)
class Demo:
    """One demo row: which ufunc, how to call it, and the NumPy expression it must match."""

    label: str
    kernel: Callable
    signatures: list[str]
    dtype: np.dtype
    make_inputs: Callable[[np.random.Generator, int, np.dtype], tuple]
    reference: Callable[..., object]
    method: str = "__call__"
    options: dict = field(default_factory=dict)

    def compile(self) -> np.ufunc:
        """Compiles the kernel with this demo's signatures and options."""
        return vectorize(self.signatures, **self.options)(self.kernel)

    def run(self, ufunc, inputs):
        """Applies ``ufunc`` (or the ufunc method this demo uses) to the inputs."""
        return getattr(ufunc, self.method)(*inputs)

    def mismatch(self, got, want) -> str | None:
        """Why a result differs from NumPy's beyond this dtype's tolerance; None if it does not."""
        tol = TOLERANCES[self.dtype]
        got, want = np.asarray(got), np.asarray(want)
        if got.dtype != want.dtype:
            return f"dtype {got.dtype}, NumPy gives {want.dtype}"
        if got.shape != want.shape:
            return f"shape {got.shape}, NumPy gives {want.shape}"
        if tol is None:
            bad = np.count_nonzero(got != want)
            return f"{bad} values differ" if bad else None
        if np.allclose(got, want, equal_nan=True, **tol):
            return None
        with np.errstate(all="ignore"):
            rel = np.nanmax(np.abs(got - want) / np.abs(want))
        return f"max relative error {rel:.3g} > rtol {tol['rtol']:g}"


def _rc_inputs(rng, n, dtype):
    return rng.uniform(-10.0, 10.0, n).astype(dtype), rng.uniform(0.5, 5.0, n).astype(dtype)


def _unit_inputs(rng, n, dtype):
    return (rng.uniform(-1.0, 1.0, n).astype(dtype),)


def _int_inputs(rng, n, dtype):
    return (rng.integers(-1_000_000, 1_000_000, n, dtype=dtype),)


def _exp_arcsin_numpy(x):
    return np.exp(np.arcsin(x))


F8, F4, I8 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.int64)
EXP_ARCSIN_SIGS = ["float64(float64)", "float32(float32)"]

DEMOS = [
    Demo(
        "rc_filter f8",
        rc_filter,
        ["float64(float64, float64)"],
        F8,
        _rc_inputs,
        lambda v, t: v * (1 - np.exp(1 / t)),
    ),
    Demo("exp_arcsin f8", exp_arcsin, EXP_ARCSIN_SIGS, F8, _unit_inputs, _exp_arcsin_numpy),
    Demo("exp_arcsin f4", exp_arcsin, EXP_ARCSIN_SIGS, F4, _unit_inputs, _exp_arcsin_numpy),
    Demo(
        "add.reduce i8",
        add,
        ["int64(int64, int64)"],
        I8,
        _int_inputs,
        np.add.reduce,
        method="reduce",
        options={"identity": 0},
    ),
]

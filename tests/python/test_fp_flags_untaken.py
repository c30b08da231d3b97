"""No spurious FP flags from branches a lane did not take (vectorized, if-converted code)."""

import math

import numpy as np
import pytest

from ufuncgen import vectorize

KERNELS = {
    "log_if_positive": (lambda x: math.log(x) if x > 0 else -1.0, "divide"),
    "inverse_if_nonzero": (lambda x: 1.0 / x if x != 0 else 0.0, "divide"),
    "sqrt_if_nonnegative": (lambda x: math.sqrt(x) if x >= 0 else 0.0, "invalid"),
    "exp_if_small": (lambda x: math.exp(x) if x < 700 else 0.0, "over"),
    "acosh_if_defined": (lambda x: math.acosh(x) if x >= 1 else 0.0, "invalid"),
    "asin_if_defined": (lambda x: math.asin(x) if -1 <= x <= 1 else 2.0, "invalid"),
    "pow_if_positive": (lambda x: math.pow(x, 0.5) if x > 0 else 0.0, "invalid"),
}


def _inputs(dtype):
    x = np.linspace(-3, 3, 4099).astype(dtype)
    x[::5] = 0
    x[1::11] = 800
    x[2::13] = -50.0
    return x


@pytest.mark.parametrize("dtype", ["f8", "f4"])
@pytest.mark.parametrize("name", sorted(KERNELS))
def test_untaken_branches_raise_no_flags(name, dtype):
    kernel, _ = KERNELS[name]
    f = vectorize([f"{dtype}({dtype})"])(kernel)
    x = _inputs(dtype)
    with np.errstate(all="raise"):
        got = f(x)
    with np.errstate(all="ignore"):
        want = np.array([kernel(float(v)) for v in x], dtype=dtype)
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "f4" else 1e-12)


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_taken_branches_still_raise(name):
    # The same functions without the guard must raise: proves the inputs reach the bad lanes.
    kernel, flag = KERNELS[name]
    body = {
        "log_if_positive": lambda x: math.log(x),
        "inverse_if_nonzero": lambda x: 1.0 / x,
        "sqrt_if_nonnegative": lambda x: math.sqrt(x),
        "exp_if_small": lambda x: math.exp(x),
        "acosh_if_defined": lambda x: math.acosh(x),
        "asin_if_defined": lambda x: math.asin(x),
        "pow_if_positive": lambda x: math.pow(x, 0.5),
    }[name]
    f = vectorize(["f8(f8)"])(body)
    with np.errstate(all="ignore", **{flag: "raise"}), pytest.raises(FloatingPointError):
        f(_inputs("f8"))


@pytest.mark.parametrize("dtype", ["f8", "f4"])
def test_half_power_is_numpys_sqrt(dtype):
    # np.power(x, 0.5) is sqrt(x) in NumPy (exact; -inf gives NaN, -0.0 stays -0.0).
    f = vectorize([f"{dtype}({dtype})"])(lambda x: x**0.5)
    x = np.concatenate([np.random.default_rng(1).random(1000) * 1e6, [0.0, -0.0, np.inf]])
    x = x.astype(dtype)
    np.testing.assert_array_equal(f(x), np.sqrt(x))
    assert np.signbit(f(np.array([-0.0], dtype)))[0]

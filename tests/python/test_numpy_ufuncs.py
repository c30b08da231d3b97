"""Every NumPy ufunc that applies to numbers can be called on scalars inside a kernel, with
NumPy's results and floating-point flags, for each dtype NumPy has a loop of its own for."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import numpy as np
import pytest
from numpy_diff import (
    assert_complex_close,
    assert_identical,
    assert_ulp_close,
    pairs,
    values,
)

import ufuncgen

# Ufuncs that do not apply to numeric scalars: datetimes, and the linear-algebra gufuncs whose
# core dimensions need arrays.
NON_NUMERIC = {"isnat", "matmul", "matvec", "vecdot", "vecmat"}

# Results computed by a math library (ufuncgen's libm or vector library, NumPy's own SIMD
# loops): compared within numpy_diff's ulp tolerance. Everything else must match bit for bit.
LIBRARY = set(
    "arccos arccosh arcsin arcsinh arctan arctan2 arctanh acos acosh asin asinh atan atan2 "
    "atanh cbrt cos cosh exp exp2 expm1 log log10 log1p log2 logaddexp logaddexp2 power pow "
    "float_power sin sinh tan tanh hypot".split()
)

DTYPES = [
    np.dtype(t) for t in "bool int8 uint8 int32 int64 uint64 float32 float64 complex128".split()
]

ALL = sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc))


def _own_loops(u: np.ufunc) -> list[np.dtype]:
    """The dtypes for which `u` has a loop taking exactly that dtype for every input."""
    found = []
    for d in DTYPES:
        if any(t.split("->")[0] == d.char * u.nin for t in u.types):
            found.append(d)
    return found


_KERNELS: dict[tuple[str, int | None], object] = {}


def _kernel(name: str, nin: int, part: int | None):
    """A kernel calling np.<name> on its arguments (`part`: which result of a tuple-valued
    ufunc it returns), written to a file of its own since kernels compile from source."""
    key = (name, part)
    if key not in _KERNELS:
        args = ", ".join("xyz"[:nin])
        if part is None:
            body = f"    return np.{name}({args})\n"
        else:
            body = f"    r0, r1 = np.{name}({args})\n    return r{part}\n"
        fn = f"k_{name}_{'x' if part is None else part}"
        path = Path(tempfile.mkdtemp(prefix="ufg_np_")) / f"{fn}.py"
        path.write_text(f"import numpy as np\n\n\ndef {fn}({args}):\n{body}")
        spec = importlib.util.spec_from_file_location(fn, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _KERNELS[key] = getattr(module, fn)
    return _KERNELS[key]


def _flags(f, *args):
    raised = []
    with np.errstate(all="call", call=lambda kind, flag: raised.append(kind)):
        out = f(*args)
    return out, sorted(set(raised))


# Complex results NumPy computes with other formulas (hypot for abs, Smith's division, its own
# complex power): compared within numpy_diff's complex tolerance.
# (complex `sign` is z / |z|, with |z| a library hypot: within an ulp of NumPy's.)
COMPLEX_FORMULAS = {"abs", "absolute", "reciprocal", "divide", "true_divide", "square", "sign"}


# Complex loops whose results differ from NumPy's today (existing complex code, not the ufunc
# table), reported: NumPy's SIMD complex multiply fuses with FMA (1 ulp, and 5.8e-77 where an
# unfused product cancels to 0); `0j ** (1+1j)` is NaN here, 0j in NumPy (also float_power);
# log10(-0+0j) has a 1-ulp imaginary part next to an infinite real part.
KNOWN_COMPLEX_DIFFS = {
    "multiply": "NumPy's SIMD complex multiply uses FMA",
    "power": "0j ** (1+1j) is NaN here, 0j in NumPy",
    "pow": "0j ** (1+1j) is NaN here, 0j in NumPy",
    "float_power": "0j ** (1+1j) is NaN here, 0j in NumPy",
    "log10": "log10(-0+0j): 1 ulp in the imaginary part next to -inf",
}


def _compare(name: str, got, want, complex_in: bool) -> None:
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype.kind == "c" and name == "log1p":
        # log|1 + z| cancels near z = 0: a last-bit difference in hypot or log shows as a
        # relative error there, so the real part gets an absolute tolerance too.
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15, equal_nan=True)
    elif got.dtype.kind == "c" and name in LIBRARY | COMPLEX_FORMULAS:
        assert_complex_close(got, want)
    elif got.dtype.kind == "f" and (name in LIBRARY or (complex_in and name in COMPLEX_FORMULAS)):
        assert_ulp_close(got, want)
    else:
        assert_identical(got, want)


# It compiles a kernel per NumPy ufunc: minutes on a loaded machine, not a hang.
@pytest.mark.timeout(600)
def test_every_numpy_ufunc_is_supported_or_listed():
    assert NON_NUMERIC <= set(ALL), "a listed ufunc no longer exists"
    missing = []
    for name in ALL:
        u = getattr(np, name)
        if name in NON_NUMERIC or not _own_loops(u):
            continue
        for d in _own_loops(u):
            k = _kernel(name, u.nin, None if u.nout == 1 else 0)
            try:
                ufuncgen.vectorize([f"({', '.join([d.name] * u.nin)})"])(k)
            except ufuncgen.CompileError as e:
                missing.append(f"{name}({d}): {e}")
    assert not missing, "\n".join(missing)


CASES = [
    (name, d, part)
    for name in ALL
    if name not in NON_NUMERIC
    for d in _own_loops(getattr(np, name))
    for part in (range(getattr(np, name).nout) if getattr(np, name).nout > 1 else [None])
]


@pytest.mark.parametrize(("name", "dtype", "part"), CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("target", ["cpu", "parallel"])
def test_ufunc_in_kernel_matches_numpy(name, dtype, part, target, rng):
    if dtype.kind == "c" and name in KNOWN_COMPLEX_DIFFS:
        pytest.xfail(KNOWN_COMPLEX_DIFFS[name])
    u = getattr(np, name)
    if u.nin == 1:
        args = (values(rng, dtype, 50),)
    else:
        args = pairs(rng, dtype, 50)
    if name in {"left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift"}:
        args = (args[0], (np.abs(args[1].astype(np.int64)) % 70).astype(dtype))
    if name in {"power", "pow"} and dtype.kind in "iu":
        # NumPy raises ValueError for negative integer exponents (tested in test_semantics).
        args = (args[0], (np.abs(args[1].astype(np.int64)) % 70).astype(dtype))
    if name == "reciprocal" and dtype.kind in "iu":
        # 1/0 on integers is the C cast of an infinity in NumPy (MIN for int32/int64, 0
        # for int8): not a value to match; the divide-by-zero flag is tested below.
        args = (args[0][args[0] != 0],)
    if name == "ldexp":
        return  # mixed-type loops only; covered by test_ldexp_frexp
    k = _kernel(name, u.nin, part)
    f = ufuncgen.vectorize([f"({', '.join([dtype.name] * u.nin)})"], target=target)(k)
    want, want_flags = _flags(u, *args)
    if part is not None:
        want = want[part]
    got, got_flags = _flags(f, *args)
    _compare(name, got, want, dtype.kind == "c")
    # A kernel that keeps only divmod's remainder does not compute the quotient, so the
    # quotient's flags (overflow of a huge a / b) are not raised: compared for the quotient.
    if name not in LIBRARY and dtype.kind != "c" and not (name == "divmod" and part == 1):
        assert got_flags == want_flags


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ldexp_frexp(dtype, rng):
    @ufuncgen.vectorize([f"{dtype}({dtype}, int64)", f"{dtype}({dtype}, int32)"])
    def ld(x, n):
        return np.ldexp(x, n)

    @ufuncgen.vectorize([f"{dtype}({dtype})"])
    def mant(x):
        m, e = np.frexp(x)
        return m

    @ufuncgen.vectorize([f"int32({dtype})"])
    def expo(x):
        m, e = np.frexp(x)
        return e

    x = values(rng, dtype, 50)
    for n in (0, 1, -1, 5, -30, 200, -200, 1100, -1100, 2000, -2000, -1074, -1080, 127, -149):
        with np.errstate(all="ignore"):
            assert_identical(ld(x, np.int64(n)), np.ldexp(x, np.int64(n)))
            assert_identical(ld(x, np.int32(n)), np.ldexp(x, np.int32(n)))
    tiny = np.array([5e-324, 1e-310, -3e-320, 1.5e-45, 1e-40], dtype=np.float64).astype(dtype)
    for arr in (x, tiny):
        m, e = np.frexp(arr)
        assert_identical(mant(arr), m)
        assert_identical(expo(arr), e)


def test_integer_reciprocal_of_zero_raises_divide_by_zero():
    @ufuncgen.vectorize(["int64(int64)"])
    def k(x):
        return np.reciprocal(x)

    _, raised = _flags(k, np.array([0, 1, -1, 5]))
    assert "divide by zero" in raised


def test_complex_sign_of_infinities_and_nan():
    @ufuncgen.vectorize(["complex128(complex128)"])
    def k(z):
        return np.sign(z)

    inf, nan = np.inf, np.nan
    z = np.array(
        [
            complex(inf, 1),
            complex(-inf, -2),
            complex(1, -inf),
            complex(inf, inf),
            complex(nan, 1),
            0j,
            complex(-0.0, -0.0),
            3 + 4j,
            complex(1e308, 1e308),
        ]
    )
    with np.errstate(all="ignore"):
        assert_identical(k(z), np.sign(z))


def test_math_radians_degrees_gcd_lcm():
    import math

    @ufuncgen.vectorize(["float64(float64)"])
    def rad(x):
        return math.radians(x) + math.degrees(x)

    @ufuncgen.vectorize(["int64(int64, int64)"])
    def g(a, b):
        return math.gcd(a, b) * 1000 + math.lcm(a, b)

    x = np.array([0.0, 1.0, -2.5, 180.0, np.inf, np.nan, 1e300])
    want = [math.radians(v) + math.degrees(v) for v in x]
    assert_identical(rad(x), np.array(want))
    a = np.array([0, 12, -18, 7, 0, 100])
    b = np.array([0, 18, 12, 0, -5, 75])
    assert_identical(
        g(a, b),
        np.array([math.gcd(p, q) * 1000 + math.lcm(p, q) for p, q in zip(a, b, strict=True)]),
    )


def test_isnan_on_ints_and_invert_on_bools():
    @ufuncgen.vectorize(["bool(int64, bool)"])
    def k(i, b):
        return (not np.isnan(i)) and ~b

    assert_identical(k(np.array([1, 2]), np.array([True, False])), np.array([False, True]))


def test_complex64_loops_and_math_refuses_complex():
    import math

    @ufuncgen.vectorize(["complex64(complex64)"])
    def k(z):
        return np.log2(z) + np.rint(z) + np.maximum(z, 1j) + np.sign(z)

    z = np.array([1 + 2j, -3.5 + 0.5j, 0j, 2.5 - 1j], np.complex64)
    with np.errstate(divide="ignore", invalid="ignore"):
        got = k(z)
        want = np.log2(z) + np.rint(z) + np.maximum(z, np.complex64(1j)) + np.sign(z)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, want, rtol=2e-6)

    def m(z):
        return math.log2(z)

    with pytest.raises(ufuncgen.TypingError, match="complex"):
        ufuncgen.vectorize(["complex128(complex128)"])(m)

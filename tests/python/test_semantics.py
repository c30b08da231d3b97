"""Kernel-language semantics, differential against NumPy (and Python where NumPy has no
spelling): operators per dtype with edge values, floating-point flags, control flow, typing
rules (unification, NEP 50 weak literals), complex numbers, math functions and casts."""

from __future__ import annotations

import cmath
import functools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy_diff import (
    COMPLEX_DTYPES,
    COMPLEX_RTOL,
    FLOAT_DTYPES,
    I8,
    INT_DTYPES,
    U8,
    assert_complex_close,
    assert_identical,
    assert_ulp_close,
    edge_values,
    pairs,
    random_values,
    sig,
    values,
)

from ufuncgen import vectorize

BOOL = np.dtype(np.bool_)
F4, F8 = np.dtype(np.float32), np.dtype(np.float64)


# --- operators ---------------------------------------------------------------------------


def op_add(a, b):
    return a + b


def op_sub(a, b):
    return a - b


def op_mul(a, b):
    return a * b


def op_truediv(a, b):
    return a / b


def op_floordiv(a, b):
    return a // b


def op_mod(a, b):
    return a % b


def op_pow(a, b):
    return a**b


def op_and(a, b):
    return a & b


def op_or(a, b):
    return a | b


def op_xor(a, b):
    return a ^ b


def op_lshift(a, b):
    return a << b


def op_rshift(a, b):
    return a >> b


def op_eq(a, b):
    return a == b


def op_ne(a, b):
    return a != b


def op_lt(a, b):
    return a < b


def op_le(a, b):
    return a <= b


def op_gt(a, b):
    return a > b


def op_ge(a, b):
    return a >= b


# operator -> (kernel, NumPy ufunc, dtypes it is tested on)
ARITH = INT_DTYPES + FLOAT_DTYPES
BINARY = {
    "+": (op_add, np.add, ARITH + COMPLEX_DTYPES),
    "-": (op_sub, np.subtract, ARITH + COMPLEX_DTYPES),
    "*": (op_mul, np.multiply, ARITH + COMPLEX_DTYPES),
    "/": (op_truediv, np.true_divide, ARITH + COMPLEX_DTYPES),
    "//": (op_floordiv, np.floor_divide, ARITH),
    "%": (op_mod, np.remainder, ARITH),
    "**": (op_pow, np.power, ARITH),
    "&": (op_and, np.bitwise_and, INT_DTYPES + [BOOL]),
    "|": (op_or, np.bitwise_or, INT_DTYPES + [BOOL]),
    "^": (op_xor, np.bitwise_xor, INT_DTYPES + [BOOL]),
    "<<": (op_lshift, np.left_shift, INT_DTYPES),
    ">>": (op_rshift, np.right_shift, INT_DTYPES),
    "==": (op_eq, np.equal, ARITH + COMPLEX_DTYPES + [BOOL]),
    "!=": (op_ne, np.not_equal, ARITH + COMPLEX_DTYPES + [BOOL]),
    "<": (op_lt, np.less, ARITH + [BOOL]),
    "<=": (op_le, np.less_equal, ARITH + [BOOL]),
    ">": (op_gt, np.greater, ARITH + [BOOL]),
    ">=": (op_ge, np.greater_equal, ARITH + [BOOL]),
}
BINARY_CASES = [(op, d) for op, (_, _, dts) in BINARY.items() for d in dts]


@functools.cache
def compiled(kernel, signature: str):
    """One compile per (kernel, signature) for the whole session."""
    return vectorize([signature])(kernel)


def operands(rng, op: str, dtype):
    a, b = pairs(rng, dtype)
    if op == "**" and dtype.kind in "iu":
        # NumPy raises ValueError for negative integer exponents; the kernel cannot raise yet.
        b = np.abs(b % 64).astype(dtype)
    if op == "/" and dtype.kind == "c":
        keep = b != 0  # complex division by zero: inf/nan patterns are implementation-defined
        a, b = a[keep], b[keep]
    return a, b


@pytest.mark.parametrize("op, dtype", BINARY_CASES, ids=[f"{o} {d}" for o, d in BINARY_CASES])
def test_binary_operator(rng, op, dtype):
    kernel, np_op, _ = BINARY[op]
    a, b = operands(rng, op, dtype)
    with np.errstate(all="ignore"):
        want = np_op(a, b)
        f = compiled(kernel, sig(want.dtype, dtype, dtype))
        got = f(a, b)
    if op == "**" and dtype.kind == "f":
        assert_ulp_close(got, want)
    elif dtype.kind == "c" and op in ("*", "/"):
        assert_complex_close(got, want)
    else:
        assert_identical(got, want)


def u_neg(x):
    return -x


def u_pos(x):
    return +x


def u_invert(x):
    return ~x


def u_not(x):
    return not x


def u_abs(x):
    return abs(x)


UNARY = {
    "neg": (u_neg, np.negative, ARITH + COMPLEX_DTYPES),
    "pos": (u_pos, np.positive, ARITH + COMPLEX_DTYPES),
    "invert": (u_invert, np.invert, INT_DTYPES + [BOOL]),
    "not": (u_not, np.logical_not, ARITH + [BOOL]),
    "abs": (u_abs, np.absolute, ARITH),
}
UNARY_CASES = [(op, d) for op, (_, _, dts) in UNARY.items() for d in dts]


@pytest.mark.parametrize("op, dtype", UNARY_CASES, ids=[f"{o} {d}" for o, d in UNARY_CASES])
def test_unary_operator(rng, op, dtype):
    kernel, np_op, _ = UNARY[op]
    x = values(rng, dtype)
    with np.errstate(all="ignore"):
        want = np_op(x)
        got = compiled(kernel, sig(want.dtype, dtype))(x)
    assert_identical(got, want)


def test_complex_abs(rng):
    for dtype in COMPLEX_DTYPES:
        x = values(rng, dtype)
        want = np.absolute(x)
        assert_ulp_close(compiled(UNARY["abs"][0], sig(want.dtype, dtype))(x), want)


# --- floating-point flags ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
@pytest.mark.parametrize("op", ["//", "%"])
def test_integer_division_by_zero(op, dtype):
    kernel, np_op, _ = BINARY[op]
    f = compiled(kernel, sig(dtype, dtype, dtype))
    a = np.array([7, 0, 1, 5, 3, 2, 9, 4, 6], dtype=dtype)
    b = np.array([0, 0, 1, 0, 2, 0, 3, 0, 0], dtype=dtype)
    with np.errstate(divide="ignore"):
        assert_identical(f(a, b), np_op(a, b))
        assert not f(a, b)[b == 0].any()
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        f(a, b)
    with pytest.warns(RuntimeWarning, match="divide"):
        f(a, b)
    with np.errstate(all="raise"):
        f(a, np.where(b == 0, 1, b).astype(dtype))  # no zero divisor: no flag at all


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_float_division_flags(dtype):
    f = compiled(op_truediv, sig(dtype, dtype, dtype))
    one, zero = np.ones(3, dtype), np.zeros(3, dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_identical(f(one, zero), np.full(3, np.inf, dtype))
        assert np.isnan(f(zero, zero)).all()
        assert_identical(f(-one, zero), np.full(3, -np.inf, dtype))
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        f(one, zero)
    with np.errstate(invalid="raise", divide="ignore"), pytest.raises(FloatingPointError):
        f(zero, zero)


@pytest.mark.parametrize("n", list(range(1, 18)) + [63, 64, 65, 1000])
def test_no_spurious_flags_from_vector_tails(rng, n):
    a = rng.uniform(1, 2, n)
    b = rng.uniform(1, 2, n)
    with np.errstate(all="raise"):
        compiled(op_truediv, "float64(float64, float64)")(a, b)
        compiled(op_truediv, "float32(float32, float32)")(a.astype(F4), b.astype(F4))
        compiled(op_floordiv, "int64(int64, int64)")(np.arange(1, n + 1), np.arange(1, n + 1))
        compiled(op_mod, "int32(int32, int32)")(
            np.arange(n, dtype=np.int32), np.arange(1, n + 1, dtype=np.int32)
        )


def guarded_div(a, b):
    return a / b if b != 0 else 0.0


def guarded_floordiv(a, b):
    if b == 0:
        return 0
    return a // b


def test_no_flags_from_untaken_branches():
    fa = vectorize(["float64(float64, float64)"])(guarded_div)
    fi = vectorize(["int64(int64, int64)"])(guarded_floordiv)
    a = np.arange(1.0, 101.0)
    b = np.where(np.arange(100) % 3 == 0, 0.0, 2.0)
    with np.errstate(all="raise"):
        assert_identical(fa(a, b), np.where(b != 0, a / np.where(b == 0, 1, b), 0.0))
        ai, bi = a.astype(np.int64), b.astype(np.int64)
        assert_identical(fi(ai, bi), np.where(bi != 0, ai // np.where(bi == 0, 1, bi), 0))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_nan_comparisons_raise_no_flag(dtype):
    a = np.array([np.nan, 1.0, np.nan, -np.inf, 0.0] * 5, dtype=dtype)
    b = np.array([1.0, np.nan, np.nan, np.nan, -0.0] * 5, dtype=dtype)
    with np.errstate(all="raise"):
        for op in ("==", "!=", "<", "<=", ">", ">="):
            kernel, np_op, _ = BINARY[op]
            assert_identical(compiled(kernel, sig(BOOL, dtype, dtype))(a, b), np_op(a, b))
        for kernel, np_op in ((np_minimum_kernel, np.minimum), (np_maximum_kernel, np.maximum)):
            assert_identical(compiled(kernel, sig(dtype, dtype, dtype))(a, b), np_op(a, b))


def test_integer_overflow_wraps(rng):
    for dtype in INT_DTYPES:
        info = np.iinfo(dtype)
        a = np.array([info.max, info.min, info.max], dtype=dtype)
        b = np.array([1, -1 if dtype.kind == "i" else 1, info.max], dtype=dtype)
        for op in ("+", "-", "*"):
            kernel, np_op, _ = BINARY[op]
            assert_identical(compiled(kernel, sig(dtype, dtype, dtype))(a, b), np_op(a, b))


def mul32(a, b):
    return a * b + a


def test_arithmetic_in_promoted_width():
    f = vectorize(["int64(int32, int32)"])(mul32)
    a = np.array([2**20, -(2**30), 7], dtype=np.int32)
    b = np.array([2**15, 3, 9], dtype=np.int32)
    # The product wraps at 32 bits (int32 * int32 is int32), only then widens.
    assert_identical(f(a, b), (a * b + a).astype(np.int64))


# --- comparisons, logic, conditionals ---------------------------------------------------


def chained(a, b, c):
    return a < b < c


def chained_mixed(a, b, c):
    return a == b != c


def between_incl(a, b, c):
    return a <= b <= c <= 10


def test_chained_comparisons(rng):
    a, b, c = (rng.integers(-3, 4, 300) for _ in range(3))
    f = vectorize(["b1(i8, i8, i8)"])(chained)
    g = vectorize(["b1(i8, i8, i8)"])(chained_mixed)
    h = vectorize(["b1(f8, f8, f8)"])(between_incl)
    assert_identical(f(a, b, c), (a < b) & (b < c))
    assert_identical(g(a, b, c), (a == b) & (b != c))
    af, bf, cf = (x.astype(np.float64) * 4 for x in (a, b, c))
    assert_identical(h(af, bf, cf), (af <= bf) & (bf <= cf) & (cf <= 10))


def py_and(a, b):
    return a and b


def py_or(a, b):
    return a or b


def and_or_bool(a, b, c):
    return (a > 0 and b > 0) or c > 0


@pytest.mark.parametrize("dtype", [np.dtype(np.int64), F8], ids=str)
def test_and_or_return_operands(rng, dtype):
    a, b = pairs(rng, dtype)
    f = compiled(py_and, sig(dtype, dtype, dtype))
    g = compiled(py_or, sig(dtype, dtype, dtype))
    # Python: `a and b` is a when a is falsy, else b; `a or b` is a when truthy, else b.
    assert_identical(f(a, b), np.where(a != 0, b, a))
    assert_identical(g(a, b), np.where(a != 0, a, b))


def test_and_or_on_comparisons(rng):
    a, b, c = (rng.integers(-2, 3, 200) for _ in range(3))
    f = vectorize(["b1(i8, i8, i8)"])(and_or_bool)
    assert_identical(f(a, b, c), ((a > 0) & (b > 0)) | (c > 0))


def conditional(a, b):
    return a - b if a > b else b * 2


def truthy_conditional(a, b):
    return a if b else -a


def test_conditional_expressions(rng):
    a, b = pairs(rng, np.dtype(np.int32))
    f = vectorize(["int32(int32, int32)"])(conditional)
    assert_identical(f(a, b), np.where(a > b, a - b, b * 2))
    x, y = pairs(rng, F8)
    g = vectorize(["float64(float64, float64)"])(truthy_conditional)
    # NaN is truthy, as in Python.
    assert_identical(g(x, y), np.where(y != 0, x, -x))


# --- control flow: the kernel itself, run by Python on small ints, is the reference --------


def collatz_steps(n):
    steps = 0
    while n != 1 and steps < 1000:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def range_sum(a, b):
    total = 0
    for i in range(a, b, 3):
        if i % 5 == 0:
            continue
        if total > 200:
            break
        total += i
    for j in range(b, a, -2):
        total -= j
    for k in range(a):
        total += k
    return total


def classify(x):
    if x < -10:
        r = -2
    elif x < 0:
        r = -1
    elif x == 0:
        r = 0
    elif x <= 10:
        r = 1
    else:
        r = 2
    return r


def first_divisor(n):
    d = 0
    for i in range(2, n):
        if n % i == 0:
            d = i
            break
    else:
        d = -1
    return d


def while_else(n):
    i = 0
    while i < n:
        if i * i > 50:
            break
        i += 1
    else:
        i = -i
    return i


def nested_loops(n):
    acc = 0
    for i in range(n):
        j = 0
        while True:
            j += 1
            if j > i:
                break
            if (i + j) % 3 == 0:
                continue
            acc += i * j
    return acc


CONTROL_FLOW = [collatz_steps, classify, first_divisor, while_else, nested_loops]


@pytest.mark.parametrize("kernel", CONTROL_FLOW, ids=lambda k: k.__name__)
def test_control_flow_unary(kernel):
    xs = np.arange(-20, 60, dtype=np.int64)
    if kernel is collatz_steps:
        xs = np.arange(1, 300, dtype=np.int64)
    f = vectorize(["int64(int64)"])(kernel)
    assert_identical(f(xs), np.array([kernel(int(x)) for x in xs], dtype=np.int64))


def test_control_flow_for_range(rng):
    a = rng.integers(-30, 30, 300)
    b = rng.integers(-30, 30, 300)
    f = vectorize(["int64(int64, int64)"])(range_sum)
    want = np.array([range_sum(int(x), int(y)) for x, y in zip(a, b, strict=True)])
    assert_identical(f(a, b), want)


# --- typing: unification and NEP 50 ------------------------------------------------------


def int_then_float(n):
    acc = 0
    for _ in range(n):
        acc += 0.5
    return acc


def branch_unify(x):
    if x > 0:
        y = 1
    else:
        y = 2.5
    return y


def test_local_unification():
    f = vectorize(["(int64,)"])(int_then_float)
    g = vectorize(["(int64,)"])(branch_unify)
    assert f.types == [f"{I8}->d"]
    assert g.types == [f"{I8}->d"]
    n = np.arange(0, 7)
    assert_identical(f(n), n * 0.5)
    assert_identical(g(np.array([-1, 0, 3])), np.array([2.5, 2.5, 1.0]))


def times_two_float(x):
    return x * 2.0


def plus_one(x):
    return x + 1


def mod_eight(x):
    return x % 8


def plus_one_float(x):
    return x + 1.0


def mixed_strong(x, y):
    return x + y


@pytest.mark.parametrize(
    "kernel, in_sig, types, in_dtype",
    [
        (times_two_float, "(float32,)", ["f->f"], np.float32),
        (times_two_float, "(float64,)", ["d->d"], np.float64),
        (times_two_float, "(int16,)", ["h->d"], np.int16),
        (plus_one, "(int8,)", ["b->b"], np.int8),
        (plus_one, "(uint8,)", ["B->B"], np.uint8),
        (plus_one, "(float32,)", ["f->f"], np.float32),
        (mod_eight, "(uint64,)", [f"{U8}->{U8}"], np.uint64),
        (plus_one_float, "(int8,)", ["b->d"], np.int8),
        (times_two_float, "(complex64,)", ["F->F"], np.complex64),
    ],
)
def test_weak_literals(rng, kernel, in_sig, types, in_dtype):
    f = vectorize([in_sig])(kernel)
    assert f.types == types
    x = values(rng, in_dtype)
    with np.errstate(all="ignore"):
        # NumPy 2 applies the same NEP 50 rules to the same expression on arrays.
        want = kernel(x)
        assert_identical(f(x), want)


def test_strong_mixed_promotion(rng):
    f = vectorize(["(float32, int64)", "(int8, uint8)", "(uint64, int64)"])(mixed_strong)
    assert f.types == [f"f{I8}->d", "bB->h", f"{U8}{I8}->d"]
    x, y = random_values(rng, F4, 50), random_values(rng, np.int64, 25)[:50]
    assert_identical(f(x, y), x + y)


# --- complex -----------------------------------------------------------------------------


def c_parts(z):
    return z.real * 2 - z.imag


def c_conj(z):
    return z.conjugate() * z


def c_build(a, b):
    return complex(a, b) * 1j


def c_cmath(z):
    return cmath.exp(z) + cmath.sqrt(z) - cmath.log(z)


@pytest.mark.parametrize("dtype", COMPLEX_DTYPES, ids=str)
def test_complex_parts_and_conjugate(rng, dtype):
    z = random_values(rng, dtype)
    part = np.float32 if dtype == np.complex64 else np.float64
    f = vectorize([sig(part, dtype)])(c_parts)
    assert_identical(f(z), z.real * 2 - z.imag)
    g = vectorize([sig(dtype, dtype)])(c_conj)
    assert_complex_close(g(z), np.conjugate(z) * z)


def test_complex_constructor(rng):
    a, b = rng.standard_normal(50), rng.standard_normal(50)
    f = vectorize(["complex128(float64, float64)"])(c_build)
    assert_complex_close(f(a, b), (a + 1j * b) * 1j)


@pytest.mark.parametrize("dtype", COMPLEX_DTYPES, ids=str)
def test_cmath_functions(rng, dtype):
    z = (rng.uniform(-5, 5, 300) + 1j * rng.uniform(-5, 5, 300)).astype(dtype)
    f = vectorize([sig(dtype, dtype)])(c_cmath)
    want = np.exp(z) + np.sqrt(z) - np.log(z)
    np.testing.assert_allclose(f(z), want, rtol=50 * COMPLEX_RTOL[dtype])
    assert f(z).dtype == dtype


def real_parts_of_reals(x):
    return x.real + x.imag + x.conjugate()


def test_real_imag_on_reals(rng):
    x = random_values(rng, F8)
    f = vectorize(["float64(float64)"])(real_parts_of_reals)
    assert_identical(f(x), x + 0.0 + x)


# --- math functions ----------------------------------------------------------------------


def m_exp(x):
    return math.exp(x)


def m_expm1(x):
    return math.expm1(x)


def m_log(x):
    return math.log(x)


def m_log1p(x):
    return math.log1p(x)


def m_log2(x):
    return math.log2(x)


def m_log10(x):
    return math.log10(x)


def m_sqrt(x):
    return math.sqrt(x)


def m_cbrt(x):
    return math.cbrt(x)


def m_sin(x):
    return math.sin(x)


def m_cos(x):
    return math.cos(x)


def m_tan(x):
    return math.tan(x)


def m_asin(x):
    return math.asin(x)


def m_acos(x):
    return math.acos(x)


def m_atan(x):
    return math.atan(x)


def m_sinh(x):
    return math.sinh(x)


def m_cosh(x):
    return math.cosh(x)


def m_tanh(x):
    return math.tanh(x)


def m_asinh(x):
    return math.asinh(x)


def m_acosh(x):
    return math.acosh(x)


def m_atanh(x):
    return math.atanh(x)


def m_fabs(x):
    return math.fabs(x)


def np_exp(x):
    return np.exp(x)


def np_arcsin(x):
    return np.arcsin(x)


def np_abs(x):
    return np.abs(x)


def np_sqrt(x):
    return np.sqrt(x)


def np_floor(x):
    return np.floor(x)


def np_ceil(x):
    return np.ceil(x)


def np_trunc(x):
    return np.trunc(x)


# kernel -> (NumPy reference, interval the random inputs come from)
MATH_UNARY = {
    m_exp: (np.exp, (-80, 80)),
    m_expm1: (np.expm1, (-10, 10)),
    m_log: (np.log, (1e-3, 1e6)),
    m_log1p: (np.log1p, (-0.9, 100)),
    m_log2: (np.log2, (1e-3, 1e6)),
    m_log10: (np.log10, (1e-3, 1e6)),
    m_sqrt: (np.sqrt, (0, 1e6)),
    m_cbrt: (np.cbrt, (-1e6, 1e6)),
    m_sin: (np.sin, (-100, 100)),
    m_cos: (np.cos, (-100, 100)),
    m_tan: (np.tan, (-1.5, 1.5)),
    m_asin: (np.arcsin, (-1, 1)),
    m_acos: (np.arccos, (-1, 1)),
    m_atan: (np.arctan, (-100, 100)),
    m_sinh: (np.sinh, (-20, 20)),
    m_cosh: (np.cosh, (-20, 20)),
    m_tanh: (np.tanh, (-10, 10)),
    m_asinh: (np.arcsinh, (-100, 100)),
    m_acosh: (np.arccosh, (1, 100)),
    m_atanh: (np.arctanh, (-0.99, 0.99)),
    m_fabs: (np.fabs, (-100, 100)),
    np_exp: (np.exp, (-80, 80)),
    np_arcsin: (np.arcsin, (-1, 1)),
    np_abs: (np.abs, (-100, 100)),
    np_sqrt: (np.sqrt, (0, 100)),
    np_floor: (np.floor, (-100, 100)),
    np_ceil: (np.ceil, (-100, 100)),
    np_trunc: (np.trunc, (-100, 100)),
}
MATH_CASES = [(k, d) for k in MATH_UNARY for d in FLOAT_DTYPES]


@pytest.mark.parametrize(
    "kernel, dtype", MATH_CASES, ids=[f"{k.__name__} {d}" for k, d in MATH_CASES]
)
def test_math_unary(rng, kernel, dtype):
    np_fn, (lo, hi) = MATH_UNARY[kernel]
    x = np.concatenate([rng.uniform(lo, hi, 500), [lo, hi]]).astype(dtype)
    with np.errstate(over="ignore"):
        want = np_fn(x)
    f = vectorize([sig(dtype, dtype)])(kernel)
    with np.errstate(over="ignore"):
        assert_ulp_close(f(x), want)


@pytest.mark.parametrize("kernel", list(MATH_UNARY), ids=lambda k: k.__name__)
def test_math_edge_values_match_numpy(kernel):
    # Outside the domain NumPy answers with NaN or ±inf (and flags), never an exception.
    np_fn, _ = MATH_UNARY[kernel]
    x = np.concatenate([edge_values(F8), [-1.0, -1e300, 1e300, 2.0, 710.0, -710.0]])
    f = vectorize(["float64(float64)"])(kernel)
    with np.errstate(all="ignore"):
        got, want = f(x), np_fn(x)
    finite = np.isfinite(want)
    assert_identical(np.isnan(got), np.isnan(want))
    assert_identical(got[np.isinf(want)], want[np.isinf(want)])
    assert_ulp_close(got[finite], want[finite])


def m_atan2(a, b):
    return math.atan2(a, b)


def m_hypot(a, b):
    return math.hypot(a, b)


def m_copysign(a, b):
    return math.copysign(a, b)


def m_pow(a, b):
    return math.pow(a, b)


def np_minimum_kernel(a, b):
    return np.minimum(a, b)


def np_maximum_kernel(a, b):
    return np.maximum(a, b)


def np_power(a, b):
    return np.power(a, b)


MATH_BINARY = {
    m_atan2: np.arctan2,
    m_hypot: np.hypot,
    m_copysign: np.copysign,
    m_pow: np.power,
    np_power: np.power,
    np_minimum_kernel: np.minimum,
    np_maximum_kernel: np.maximum,
}
MATH_BINARY_CASES = [(k, d) for k in MATH_BINARY for d in FLOAT_DTYPES]


@pytest.mark.parametrize(
    "kernel, dtype",
    MATH_BINARY_CASES,
    ids=[f"{k.__name__} {d}" for k, d in MATH_BINARY_CASES],
)
def test_math_binary(rng, kernel, dtype):
    a, b = pairs(rng, dtype)
    if kernel in (m_pow, np_power):
        a = np.abs(a)  # negative base with fractional exponent: NaN on both sides, covered below
    f = vectorize([sig(dtype, dtype, dtype)])(kernel)
    with np.errstate(all="ignore"):
        assert_ulp_close(f(a, b), MATH_BINARY[kernel](a, b))


def py_min(a, b):
    return min(a, b)


def py_max3(a, b, c):
    return max(a, b, c)


def test_builtin_min_max(rng):
    a, b = pairs(rng, F8)
    f = vectorize(["float64(float64, float64)"])(py_min)
    # Python's min keeps the first argument unless a later one is smaller: NaN-order matters.
    assert_identical(f(a, b), np.where(b < a, b, a))
    ia, ib = pairs(rng, np.dtype(np.int16))
    ic = ib[::-1].copy()
    g = vectorize(["int16(int16, int16, int16)"])(py_max3)
    assert_identical(g(ia, ib, ic), np.maximum(np.maximum(ia, ib), ic))


def m_erf(x):
    return math.erf(x)


def m_erfc(x):
    return math.erfc(x)


def m_gamma(x):
    return math.gamma(x)


def m_lgamma(x):
    return math.lgamma(x)


# No NumPy spelling: mpmath at 40 digits is the reference.
SPECIAL = {
    m_erf: (mpmath.erf, (-5, 5)),
    m_erfc: (mpmath.erfc, (-3, 20)),
    m_gamma: (mpmath.gamma, (0.1, 30)),
    m_lgamma: (mpmath.loggamma, (2.5, 200)),
}
SPECIAL_CASES = [(k, d) for k in SPECIAL for d in FLOAT_DTYPES]
SPECIAL_RTOL = {F8: 1e-13, F4: 5e-6}


@pytest.mark.parametrize(
    "kernel, dtype", SPECIAL_CASES, ids=[f"{k.__name__} {d}" for k, d in SPECIAL_CASES]
)
def test_special_functions_against_mpmath(rng, kernel, dtype):
    ref, (lo, hi) = SPECIAL[kernel]
    x = rng.uniform(lo, hi, 200).astype(dtype)
    with mpmath.workdps(40):
        want = np.array([float(ref(mpmath.mpf(float(v)))) for v in x]).astype(dtype)
    got = vectorize([sig(dtype, dtype)])(kernel)(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=SPECIAL_RTOL[dtype], atol=0)


def m_floor(x):
    return math.floor(x)


def m_ceil(x):
    return math.ceil(x)


def m_trunc(x):
    return math.trunc(x)


def py_round(x):
    return round(x)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_math_floor_gives_int64_np_floor_gives_float(rng, dtype):
    x = rng.uniform(-1e6, 1e6, 300).astype(dtype)
    x[:4] = [-0.5, 0.5, -2.5, 2.5]
    code = dtype.char
    for kernel, np_fn in ((m_floor, np.floor), (m_ceil, np.ceil), (m_trunc, np.trunc)):
        f = vectorize([f"({dtype.name},)"])(kernel)
        assert f.types == [f"{code}->{I8}"], kernel.__name__
        assert_identical(f(x), np_fn(x).astype(np.int64))
    for kernel, np_fn in ((np_floor, np.floor), (np_ceil, np.ceil), (np_trunc, np.trunc)):
        f = vectorize([f"({dtype.name},)"])(kernel)
        assert f.types == [f"{code}->{code}"], kernel.__name__
        assert_identical(f(x), np_fn(x))
    f = vectorize([f"({dtype.name},)"])(py_round)
    assert f.types == [f"{code}->{I8}"]
    # round() rounds half to even, like np.rint.
    assert_identical(f(x), np.rint(x).astype(np.int64))


def m_isnan(x):
    return math.isnan(x)


def m_isinf(x):
    return math.isinf(x)


def m_isfinite(x):
    return math.isfinite(x)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_classification(dtype):
    x = edge_values(dtype)
    with np.errstate(all="raise"):
        for kernel, np_fn in ((m_isnan, np.isnan), (m_isinf, np.isinf), (m_isfinite, np.isfinite)):
            assert_identical(vectorize([sig(BOOL, dtype)])(kernel)(x), np_fn(x))


# --- casts -------------------------------------------------------------------------------


def to_int(x):
    return int(x)


def to_float(x):
    return float(x)


def to_bool(x):
    return bool(x)


def to_f32(x):
    return np.float32(x)


def to_i8(x):
    return np.int8(x)


def to_u16(x):
    return np.uint16(x)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_float_to_int_casts(rng, dtype):
    x = rng.uniform(-1e9, 1e9, 300).astype(dtype)
    x[:6] = [-0.9, 0.9, -1.5, 1.5, -0.0, 3.0]
    f = vectorize([f"({dtype.name},)"])(to_int)
    assert f.types == [f"{dtype.char}->{I8}"]
    assert_identical(f(x), x.astype(np.int64))
    bad = np.array([np.nan, np.inf, -np.inf, 1e30], dtype=dtype)
    with np.errstate(invalid="ignore"):
        assert_identical(f(bad), bad.astype(np.int64))
    with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
        f(bad)


@pytest.mark.parametrize(
    "kernel, in_dtype, out_dtype",
    [
        (to_float, np.int64, np.float64),
        (to_float, np.float32, np.float64),
        (to_f32, np.float64, np.float32),
        (to_f32, np.int64, np.float32),
        (to_i8, np.int64, np.int8),
        (to_i8, np.uint32, np.int8),
        (to_u16, np.int32, np.uint16),
        (to_bool, np.int32, np.bool_),
        (to_bool, np.float64, np.bool_),
    ],
)
def test_casts_match_astype(rng, kernel, in_dtype, out_dtype):
    x = values(rng, in_dtype)
    if np.dtype(in_dtype).kind == "f" and np.dtype(out_dtype).kind != "b":
        x = x[np.isfinite(x)]
    f = vectorize([f"({np.dtype(in_dtype).name},)"])(kernel)
    assert f.types == [np.dtype(in_dtype).char + "->" + np.dtype(out_dtype).char]
    with np.errstate(over="ignore"):
        assert_identical(f(x), x.astype(out_dtype))


def to_complex(x):
    return complex(x)


def test_complex_cast(rng):
    x = random_values(rng, F8)
    f = vectorize(["(float64,)"])(to_complex)
    assert f.types == ["d->D"]
    assert_identical(f(x), x.astype(np.complex128))


# --- properties (hypothesis) -------------------------------------------------------------


def divmod_identity(a, b):
    return (a // b) * b + a % b


PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, database=None)


@functools.cache
def _divmod_ufunc():
    return vectorize([sig(d, d, d) for d in INT_DTYPES])(divmod_identity)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_property_floor_div_mod_identity(dtype, data):
    a = data.draw(hnp.arrays(dtype, st.integers(1, 50)))
    b = data.draw(hnp.arrays(dtype, a.shape, elements=hnp.from_dtype(dtype).filter(bool)))
    f = _divmod_ufunc()
    with np.errstate(over="ignore"):  # MIN // -1 overflows, as in NumPy
        assert_identical(f(a, b), a)
        q = compiled(op_floordiv, sig(dtype, dtype, dtype))(a, b)
        r = compiled(op_mod, sig(dtype, dtype, dtype))(a, b)
        assert_identical(q, np.floor_divide(a, b))
        assert_identical(r, np.remainder(a, b))
    # The remainder takes the divisor's sign (Python's rule), or is zero.
    assert ((r == 0) | ((r < 0) == (b < 0))).all()


@PROPERTY_SETTINGS
@given(
    x=hnp.arrays(np.float32, st.integers(1, 40), elements=st.floats(width=32, allow_nan=True)),
)
def test_property_float32_weak_literal_stays_float32(x):
    f = compiled(times_two_float, "(float32,)")
    with np.errstate(over="ignore"):
        assert_identical(f(x), x * np.float32(2.0))


@PROPERTY_SETTINGS
@given(
    a=hnp.arrays(np.float64, 20, elements=st.floats(allow_nan=True, allow_infinity=True)),
    b=hnp.arrays(np.float64, 20, elements=st.floats(allow_nan=True, allow_infinity=True)),
)
def test_property_float_floor_div_mod_match_numpy(a, b):
    with np.errstate(all="ignore"):
        q = compiled(op_floordiv, "float64(float64, float64)")(a, b)
        r = compiled(op_mod, "float64(float64, float64)")(a, b)
        assert_identical(q, np.floor_divide(a, b))
        assert_identical(r, np.remainder(a, b))

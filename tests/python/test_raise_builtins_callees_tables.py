"""`assert`/`raise`, builtins (divmod, round with digits, pow, cmath on complex, truthiness,
complex parts), for-else, calls to other kernel-language functions and module-level arrays read
as frozen tables, against Python and NumPy."""

from __future__ import annotations

import cmath
import inspect
import math

import numpy as np
import pytest

from ufuncgen import TypingError, UnsupportedError, vectorize

# ---------------------------------------------------------------------------------------------
# assert and raise


def checked_sqrt(x):
    assert x >= 0, "x must be non-negative"
    if x > 1e6:
        raise OverflowError("x too large")
    return math.sqrt(x)


def test_assert_and_raise_compile_and_pass_valid_inputs():
    f = vectorize(["f8(f8)", "f4(f4)"])(checked_sqrt)
    x = np.linspace(0.0, 100.0, 1001)
    np.testing.assert_array_equal(f(x), np.sqrt(x))
    np.testing.assert_array_equal(f(x.astype(np.float32)), np.sqrt(x.astype(np.float32)))


def test_assert_and_raise_reach_the_caller():
    f = vectorize(["f8(f8)"])(checked_sqrt)
    with pytest.raises(AssertionError, match="x must be non-negative"):
        f(np.array([1.0, -2.0]))
    with pytest.raises(OverflowError, match="x too large"):
        f(np.array([1e7]))


def raises_value_error(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x


def test_raise_value_error_names_kernel_and_line():
    f = vectorize(["i8(i8)"])(raises_value_error)
    line = inspect.getsourcelines(raises_value_error)[1] + 2
    with pytest.raises(ValueError, match=rf"three is not allowed.*raises_value_error.*line {line}"):
        f(np.arange(5))


def message_not_constant(x):
    text = 1
    if x < 0:
        raise ValueError(text)
    return x


def raises_key_error(x):
    if x < 0:
        raise KeyError("no")
    return x


@pytest.mark.parametrize("kernel", [message_not_constant, raises_key_error])
def test_unsupported_raise_forms(kernel):
    with pytest.raises(UnsupportedError):
        vectorize(["f8(f8)"])(kernel)


# ---------------------------------------------------------------------------------------------
# divmod, round, pow


def divmod_pair(a, b):
    q, r = divmod(a, b)
    return q * 1000 + r


def divmod_value(a, b):
    return divmod(a, b)


def test_divmod_matches_python_floor_semantics(rng):
    f = vectorize(["i8(i8, i8)", "f8(f8, f8)"])(divmod_pair)
    a = rng.integers(-50, 50, 500)
    b = rng.integers(-7, 8, 500)
    b[b == 0] = 3
    pairs = [divmod(int(x), int(y)) for x, y in zip(a, b, strict=True)]
    want = [q * 1000 + r for q, r in pairs]
    np.testing.assert_array_equal(f(a, b), np.array(want, dtype=np.int64))
    x, y = rng.normal(0, 10, 500), rng.normal(0, 3, 500)
    q, r = np.divmod(x, y)
    np.testing.assert_allclose(f(x, y), q * 1000 + r, rtol=1e-15, atol=1e-12)


def test_divmod_as_a_value_is_unsupported():
    with pytest.raises(UnsupportedError, match="divmod"):
        vectorize(["i8(i8, i8)"])(divmod_value)


def round_digits(x):
    return round(x, 2) + round(x, -1) * 1000 + round(x, 0) * 1000000


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_round_with_digits_is_numpys(dtype, rng):
    f = vectorize(["f8(f8)", "f4(f4)"])(round_digits)
    x = np.concatenate([rng.normal(0, 50, 300), [2.675, 1.005, 0.125, 25.0, -35.0, 0.5, 1.5]])
    x = x.astype(dtype)
    want = np.round(x, 2) + np.round(x, -1) * dtype(1000) + np.round(x, 0) * dtype(1000000)
    got = f(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)


def round_variable_digits(x, n):
    return round(x, n)


def pow_three(a, b):
    return pow(a, b, 7)


def pow_two(a, b):
    return pow(a, b)


def test_round_and_pow_limits():
    with pytest.raises(UnsupportedError, match="constant"):
        vectorize(["f8(f8, i8)"])(round_variable_digits)
    with pytest.raises(UnsupportedError, match="modulus"):
        vectorize(["i8(i8, i8)"])(pow_three)
    f = vectorize(["i8(i8, i8)", "f8(f8, f8)"])(pow_two)
    np.testing.assert_array_equal(f(np.arange(6), 3), np.arange(6) ** 3)
    np.testing.assert_allclose(f(np.linspace(0.5, 3, 7), 1.5), np.linspace(0.5, 3, 7) ** 1.5)


# ---------------------------------------------------------------------------------------------
# cmath and NumPy on complex

CMATH_UNARY = [
    ("exp", np.exp),
    ("log", np.log),
    ("log10", np.log10),
    ("sqrt", np.sqrt),
    ("sin", np.sin),
    ("cos", np.cos),
    ("tan", np.tan),
    ("asin", np.arcsin),
    ("acos", np.arccos),
    ("atan", np.arctan),
    ("sinh", np.sinh),
    ("cosh", np.cosh),
    ("tanh", np.tanh),
    ("asinh", np.arcsinh),
    ("acosh", np.arccosh),
    ("atanh", np.arctanh),
]

TOLERANCE = {np.complex128: 1e-13, np.complex64: 2e-5}


def cm_exp(z):
    return cmath.exp(z)


def cm_log(z):
    return cmath.log(z)


def cm_log10(z):
    return cmath.log10(z)


def cm_sqrt(z):
    return cmath.sqrt(z)


def cm_sin(z):
    return cmath.sin(z)


def cm_cos(z):
    return cmath.cos(z)


def cm_tan(z):
    return cmath.tan(z)


def cm_asin(z):
    return cmath.asin(z)


def cm_acos(z):
    return cmath.acos(z)


def cm_atan(z):
    return cmath.atan(z)


def cm_sinh(z):
    return cmath.sinh(z)


def cm_cosh(z):
    return cmath.cosh(z)


def cm_tanh(z):
    return cmath.tanh(z)


def cm_asinh(z):
    return cmath.asinh(z)


def cm_acosh(z):
    return cmath.acosh(z)


def cm_atanh(z):
    return cmath.atanh(z)


def _complex_sample(rng, dtype):
    z = rng.normal(0, 1.5, 400) + 1j * rng.normal(0, 1.5, 400)
    z = np.concatenate([z, [0.5 + 0j, -2 + 0j, 3j, -0.25 - 0.75j]])
    return z.astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize(("name", "reference"), CMATH_UNARY)
def test_cmath_functions_match_numpy(name, reference, dtype, rng):
    kernel = globals()[f"cm_{name}"]
    f = vectorize(["c16(c16)", "c8(c8)"])(kernel)
    z = _complex_sample(rng, dtype)
    got = f(z)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, reference(z), rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


def np_spellings(z):
    w = np.exp(z) + np.arcsin(z) * 2 + np.conj(z) * 3j
    return w + np.conjugate(z) + np.real(z) * np.imag(z)


def test_numpy_spellings_on_complex(rng):
    f = vectorize(["c16(c16)"])(np_spellings)
    z = _complex_sample(rng, np.complex128)
    want = np.exp(z) + np.arcsin(z) * 2 + np.conj(z) * 3j + np.conjugate(z) + z.real * z.imag
    np.testing.assert_allclose(f(z), want, rtol=1e-13, atol=1e-13)


def real_to_complex(x):
    return cmath.sqrt(x) + cmath.log(x)


def test_cmath_promotes_real_arguments_to_complex():
    f = vectorize(["c16(f8)"])(real_to_complex)
    x = np.array([-4.0, -1.0, 0.25, 9.0])
    want = np.array([cmath.sqrt(v) + cmath.log(v) for v in x])
    np.testing.assert_allclose(f(x), want, rtol=1e-15)


def phase_abs(z):
    return cmath.phase(z) + np.angle(z) * 10 + abs(z) * 100


def phase_of_real(x):
    return cmath.phase(x) + np.angle(x)


def test_phase_angle_abs(rng):
    f = vectorize(["f8(c16)"])(phase_abs)
    z = _complex_sample(rng, np.complex128)
    np.testing.assert_allclose(f(z), np.angle(z) * 11 + np.abs(z) * 100, rtol=1e-15)
    g = vectorize(["f8(f8)"])(phase_of_real)
    x = np.array([-2.0, -0.5, 3.0, math.inf])
    np.testing.assert_array_equal(g(x), np.angle(x) * 2)
    zeros = np.array([-0.0, 0.0])
    # The vector atan2 sometimes raises 'invalid' for atan2(0, ±0) (NumPy does not): a
    # vector-math matter, not phase's.
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(g(zeros), np.angle(zeros) * 2)


def predicates(z):
    return cmath.isnan(z) * 1 + cmath.isinf(z) * 10 + cmath.isfinite(z) * 100 + np.isnan(z) * 1000


def test_complex_predicates():
    f = vectorize(["i8(c16)"])(predicates)
    inf, nan = math.inf, math.nan
    z = np.array([1 + 1j, complex(inf, 0), complex(0, nan), complex(inf, nan), complex(1, -inf)])
    want = [
        cmath.isnan(v) * 1 + cmath.isinf(v) * 10 + cmath.isfinite(v) * 100 + cmath.isnan(v) * 1000
        for v in z
    ]
    np.testing.assert_array_equal(f(z), want)


def constants(z):
    return z * cmath.pi + cmath.e + cmath.tau * 1j + (cmath.infj if z.real > 100 else 0)


def infj_nanj(x):
    if x > 0:
        return cmath.infj
    return cmath.nanj + cmath.inf + cmath.nan


def test_cmath_constants():
    f = vectorize(["c16(c16)"])(constants)
    z = np.array([1 + 2j, 200 + 0j])
    want = z * cmath.pi + cmath.e + cmath.tau * 1j + np.array([0, cmath.infj])
    np.testing.assert_array_equal(f(z), want)
    g = vectorize(["c16(f8)"])(infj_nanj)
    out = g(np.array([1.0, -1.0]))
    assert out[0] == cmath.infj
    assert math.isnan(out[1].real) and math.isnan(out[1].imag)


# ---------------------------------------------------------------------------------------------
# calls to other module-level functions


def clamp(v, lo, hi):
    if v < lo:
        return lo
    if v > hi:
        return hi
    return v


def smooth(v):
    return clamp(v, 0.0, 1.0) * clamp(v, 0.0, 1.0) * (3 - 2 * clamp(v, 0.0, 1.0))


def smoothstep(x):
    return smooth(x) + clamp(x, 0, 10)


def clamp_int(n):
    return clamp(n, 0, 10) * 2


def test_calls_are_inlined_and_specialised(rng):
    f = vectorize(["f8(f8)", "f4(f4)"])(smoothstep)
    x = rng.normal(0.5, 2, 1000)
    c = np.clip(x, 0, 1)
    np.testing.assert_allclose(f(x), c * c * (3 - 2 * c) + np.clip(x, 0, 10), rtol=1e-15)
    assert f(x.astype(np.float32)).dtype == np.float32
    g = vectorize(["i8(i8)", "u1(u1)"])(clamp_int)
    ints = np.arange(-3, 14)
    np.testing.assert_array_equal(g(ints), np.clip(ints, 0, 10) * 2)
    small = np.array([0, 5, 200], dtype=np.uint8)
    assert g(small).dtype == np.uint8
    np.testing.assert_array_equal(g(small), [0, 10, 20])


def count_down(n):
    if n <= 0:
        return 0
    return count_down(n - 1) + 1


def uses_count_down(n):
    return count_down(n)


def ping(n):
    return pong(n - 1) if n > 0 else 0


def pong(n):
    return ping(n - 1) if n > 0 else 0


def uses_ping(n):
    return ping(n)


def with_default(a, b=2):
    return a + b


def uses_default(a):
    return with_default(a, 3)


def test_recursion_is_unsupported_and_named():
    with pytest.raises(UnsupportedError, match="count_down -> count_down"):
        vectorize(["i8(i8)"])(uses_count_down)
    with pytest.raises(UnsupportedError, match="ping -> pong -> ping"):
        vectorize(["i8(i8)"])(uses_ping)


def test_default_arguments_are_unsupported():
    with pytest.raises(UnsupportedError, match="default argument") as info:
        vectorize(["i8(i8)"])(uses_default)
    assert info.value.function == "with_default"
    assert info.value.lineno == inspect.getsourcelines(with_default)[1]


def bad_callee(a):
    return a + "x"


def uses_bad_callee(a):
    return bad_callee(a)


def test_errors_inside_a_callee_point_at_the_callee():
    with pytest.raises(UnsupportedError) as info:
        vectorize(["f8(f8)"])(uses_bad_callee)
    err = info.value
    assert err.function == "bad_callee"
    assert err.filename == __file__
    assert err.lineno == inspect.getsourcelines(bad_callee)[1] + 1


# ---------------------------------------------------------------------------------------------
# module-level arrays


TABLE = np.array([[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]])
WEIGHTS = np.array([10, 20, 30], dtype=np.int32)
FLAGS = np.array([True, False, True])
CTABLE = np.array([1 + 2j, 3 - 4j], dtype=np.complex64)
BIG_ENDIAN = np.array([1.0, 2.0, 4.0], dtype=">f8")


def read_tables(i):
    j = i % 3
    acc = 0
    for k in range(len(WEIGHTS)):
        acc += WEIGHTS[k]
    extra = 1 if FLAGS[j] else 0
    return TABLE[i % 2, j] + WEIGHTS[-1] * TABLE.shape[1] + acc + extra + BIG_ENDIAN[j]


def test_module_arrays_are_read_as_constants():
    f = vectorize(["f8(i8)"])(read_tables)
    i = np.arange(12)
    j = i % 3
    want = TABLE[i % 2, j] + WEIGHTS[-1] * 3 + WEIGHTS.sum() + FLAGS[j] + BIG_ENDIAN[j]
    np.testing.assert_array_equal(f(i), want)


def read_complex_table(i):
    return CTABLE[i] * 2


def test_complex_module_array():
    f = vectorize(["c8(i8)"])(read_complex_table)
    np.testing.assert_array_equal(f(np.array([0, 1, -1])), CTABLE[[0, 1, -1]] * 2)


MUTABLE = np.array([1.0, 2.0, 3.0])


def read_mutable(i):
    return MUTABLE[i]


def test_module_arrays_are_frozen_at_compile_time():
    f = vectorize(["f8(i8)"])(read_mutable)
    MUTABLE[0] = 100.0
    try:
        np.testing.assert_array_equal(f(np.array([0, 1])), [1.0, 2.0])
    finally:
        MUTABLE[0] = 1.0


def write_table(i):
    TABLE[i, 0] = 1.0
    return i


def test_writing_a_module_array_is_a_typing_error():
    with pytest.raises(TypingError, match="module-level array 'TABLE'"):
        vectorize(["i8(i8)"])(write_table)


def test_module_array_index_out_of_range_is_an_index_error():
    f = vectorize(["f8(i8)"])(read_mutable)
    with pytest.raises(IndexError):
        f(np.array([0, 3]))


# ---------------------------------------------------------------------------------------------
# truthiness, for-else, complex parts


def truthy(x):
    n = 0
    if x:
        n += 1
    k = x
    while k:
        k = 0
        n += 10
    return n


def for_else(n):
    for i in range(n):
        if i == 3:
            break
    else:
        return -1
    return i


def parts(z):
    return z.real + z.imag * 10 + z.conjugate().imag * 100


def test_truthiness_for_else_and_parts():
    f = vectorize(["i8(f8)", "i8(c16)"])(truthy)
    np.testing.assert_array_equal(f(np.array([0.0, -0.5, math.nan])), [0, 11, 11])
    np.testing.assert_array_equal(f(np.array([0j, 1j])), [0, 11])
    g = vectorize(["i8(i8)"])(for_else)
    np.testing.assert_array_equal(g(np.array([0, 2, 4, 10])), [-1, -1, 3, 3])
    h = vectorize(["f8(c16)"])(parts)
    z = np.array([1 + 2j, -3 - 4j])
    np.testing.assert_array_equal(h(z), z.real + z.imag * 10 - z.imag * 100)

//! NumPy ufuncs written in the kernel language itself (each follows NumPy's C loop for the
//! dtype, so values and floating-point flags match), referenced from `builtins::lookup`. The
//! compiler lowers and inlines them like user helpers, once per argument types.

use crate::diag::SourceMap;
use crate::spec::{FunctionSpec, GlobalValue, ModuleKind};

/// The helper `name` with source `text`, reading `np` as NumPy.
pub(super) fn spec(name: &str, text: &str) -> FunctionSpec {
    FunctionSpec {
        name: name.to_string(),
        source: SourceMap {
            source: text.to_string(),
            filename: format!("<ufuncgen: numpy.{name}>"),
            first_line: 1,
            col_offset: 0,
        },
        globals: vec![
            ("np".to_string(), GlobalValue::Module(ModuleKind::Numpy)),
            ("math".to_string(), GlobalValue::Module(ModuleKind::Math)),
        ],
        signatures: Vec::new(),
    }
}

/// `np.logaddexp` (npy_logaddexp).
pub(super) const LOGADDEXP: &str = "\
def logaddexp(x, y):
    if x == y:
        return x + 0.6931471805599453
    t = x - y
    if t > 0:
        return x + np.log1p(np.exp(-t))
    if t <= 0:
        return y + np.log1p(np.exp(t))
    return t
";

/// `np.logaddexp2` (npy_logaddexp2: log2(1 + x) as log1p(x) / ln 2).
pub(super) const LOGADDEXP2: &str = "\
def logaddexp2(x, y):
    if x == y:
        return x + 1.0
    t = x - y
    if t > 0:
        return x + 1.4426950408889634 * np.log1p(np.exp2(-t))
    if t <= 0:
        return y + 1.4426950408889634 * np.log1p(np.exp2(t))
    return t
";

/// `np.heaviside(x, h0)`.
pub(super) const HEAVISIDE: &str = "\
def heaviside(x, h0):
    if np.isnan(x):
        return np.nan
    if x == 0:
        return h0
    if x < 0:
        return 0.0
    return 1.0
";

/// `np.signbit`: the sign bit, NaN and -0.0 included.
pub(super) const SIGNBIT: &str = "\
def signbit(x):
    return np.copysign(1.0, x) < 0
";

/// `np.spacing` (npy_spacing: towards +inf from x >= 0, -0.0 included; NaN for infinities;
/// the smallest subnormal for zero, without the underflow flag nextafter raises there).
pub(super) const SPACING: &str = "\
def spacing(x):
    if np.isinf(x):
        return np.nan
    if x == 0:
        return 5e-324
    if x > 0:
        return np.nextafter(x, np.inf) - x
    return np.nextafter(x, -np.inf) - x
";

/// `np.spacing` for float32 (its smallest subnormal).
pub(super) const SPACING_F32: &str = "\
def spacing(x):
    if np.isinf(x):
        return np.nan
    if x == 0:
        return 1e-45
    if x > 0:
        return np.nextafter(x, np.inf) - x
    return np.nextafter(x, -np.inf) - x
";

/// `np.modf`: (fractional part with the sign of x, integral part).
pub(super) const MODF: &str = "\
def modf(x):
    i = np.trunc(x)
    y = 0.0 if np.isinf(x) else x
    return np.copysign(y - np.trunc(y), x), i
";

/// `np.frexp` in float64 (exact for float32 too): mantissa in [0.5, 1) with the sign of x and
/// an int32 exponent; zero, infinities and NaN come back with exponent 0. Powers of two scale
/// exactly (in two normal halves: a subnormal power would raise underflow), so only the
/// estimate of the exponent needs the correction steps.
pub(super) const FREXP: &str = "\
def frexp(x):
    if x == 0 or not np.isfinite(x):
        return x, np.int32(0)
    m = abs(x)
    sub = m < 2.2250738585072014e-308
    # Subnormals are scaled up by 2**54; a factor chosen by select (not a product in a branch,
    # which LLVM may compute for every element) keeps huge values from raising overflow.
    m = m * (18014398509481984.0 if sub else 1.0)
    e = -54 if sub else 0
    k = int(np.floor(np.log2(m))) + 1
    h = (-k) // 2
    m = m * 2.0 ** h * 2.0 ** (-k - h)
    e = e + k
    if m >= 1.0:
        m = m * 0.5
        e = e + 1
    if m < 0.5:
        m = m * 2.0
        e = e - 1
    return np.copysign(m, x), np.int32(e)
";

/// `np.ldexp` in float64: x * 2**n rounded once. Large |n| is applied in exact steps that keep
/// the intermediate normal, so only the last product can round (float32 results are exact in
/// float64 and round once when cast back).
pub(super) const LDEXP: &str = "\
def ldexp(x, n):
    y = x
    if n > 1023:
        y = y * 8.98846567431158e307
        n = n - 1023
        if n > 1023:
            y = y * 8.98846567431158e307
            n = n - 1023
            if n > 1023:
                n = 1023
    elif n < -1022:
        y = y * 2.004168360008973e-292
        n = n + 969
        if n < -1022:
            y = y * 2.004168360008973e-292
            n = n + 969
            if n < -1022:
                n = -1022
    return y * 2.0 ** n
";

/// `np.gcd`: NumPy takes |a| and |b| as unsigned numbers; Euclid with C's truncating
/// remainder on the signed values gives the same (|MIN| wraps to MIN, as there).
pub(super) const GCD: &str = "\
def gcd(a, b):
    while b != 0:
        r = a % b
        if r != 0 and (r < 0) != (a < 0):
            r = r - b
        a, b = b, r
    return abs(a)
";

/// `np.lcm`: |a| / gcd * |b| (wrapping), 0 when the gcd is 0.
pub(super) const LCM: &str = "\
def lcm(a, b):
    x = a
    y = b
    while y != 0:
        r = x % y
        if r != 0 and (r < 0) != (x < 0):
            r = r - y
        x, y = y, r
    g = abs(x)
    if g == 0:
        return g
    return abs(a) // g * abs(b)
";

/// `np.fmod` on integers: C's remainder (sign of the dividend); by zero 0 with NumPy's flag.
pub(super) const FMOD_INT: &str = "\
def fmod(a, b):
    r = a % b
    if r != 0 and (r < 0) != (a < 0):
        r = r - b
    return r
";

/// `np.bitwise_count`: set bits of |x|, as uint8.
pub(super) const BITWISE_COUNT: &str = "\
def bitwise_count(x):
    v = abs(x)
    c = 0
    while v != 0:
        v = v & (v - 1)
        c += 1
    return np.uint8(c)
";

/// `np.square`.
pub(super) const SQUARE: &str = "\
def square(x):
    return x * x
";

/// `np.reciprocal`: 1/x; on integers NumPy's truncated 1/x (by zero: the flag, and 0).
pub(super) const RECIPROCAL: &str = "\
def reciprocal(x):
    return 1.0 / x
";

/// `np.reciprocal` on integers.
pub(super) const RECIPROCAL_INT: &str = "\
def reciprocal(x):
    if x == 0:
        return x // x
    if x == 1:
        return x
    if x == -1:
        return x
    return x - x
";

/// `np.radians` / `np.deg2rad` / `math.radians`.
pub(super) const RADIANS: &str = "\
def radians(x):
    return x * 0.017453292519943295
";

/// `np.degrees` / `np.rad2deg` / `math.degrees` (float64).
pub(super) const DEGREES: &str = "\
def degrees(x):
    return x * 57.29577951308232
";

/// `np.degrees` for float32: NumPy's constant is 180f / (float)pi, computed in float32.
pub(super) const DEGREES_F32: &str = "\
def degrees(x):
    return x * np.float32(57.2957763671875)
";

/// `np.fmod` on floats: C's fmod.
pub(super) const FMOD_FLOAT: &str = "\
def fmod(a, b):
    return math.fmod(a, b)
";

/// `np.float_power`: `**` in float64 (complex128 for complex arguments).
pub(super) const FLOAT_POWER: &str = "\
def float_power(x, y):
    return x ** y
";

// Complex loops (NumPy's npy_math complex functions and its lexicographic ordering: a real
// part decides when it differs and neither imaginary part is NaN, else equal real parts and
// the imaginary parts decide).

/// `a < b` on complex numbers.
pub(super) const C_LESS: &str = "\
def less(a, b):
    if a.real < b.real and not np.isnan(a.imag) and not np.isnan(b.imag):
        return True
    return a.real == b.real and a.imag < b.imag
";

/// `a <= b` on complex numbers.
pub(super) const C_LESS_EQUAL: &str = "\
def less_equal(a, b):
    if a.real < b.real and not np.isnan(a.imag) and not np.isnan(b.imag):
        return True
    return a.real == b.real and a.imag <= b.imag
";

/// `a > b` on complex numbers.
pub(super) const C_GREATER: &str = "\
def greater(a, b):
    if a.real > b.real and not np.isnan(a.imag) and not np.isnan(b.imag):
        return True
    return a.real == b.real and a.imag > b.imag
";

/// `a >= b` on complex numbers.
pub(super) const C_GREATER_EQUAL: &str = "\
def greater_equal(a, b):
    if a.real > b.real and not np.isnan(a.imag) and not np.isnan(b.imag):
        return True
    return a.real == b.real and a.imag >= b.imag
";

/// `np.maximum` on complex numbers: a NaN in `a` propagates, else the larger.
pub(super) const C_MAXIMUM: &str = "\
def maximum(a, b):
    if np.isnan(a.real) or np.isnan(a.imag) or np.greater_equal(a, b):
        return a
    return b
";

/// `np.minimum` on complex numbers.
pub(super) const C_MINIMUM: &str = "\
def minimum(a, b):
    if np.isnan(a.real) or np.isnan(a.imag) or np.less_equal(a, b):
        return a
    return b
";

/// `np.fmax` on complex numbers: a NaN in `b` is ignored, else the larger.
pub(super) const C_FMAX: &str = "\
def fmax(a, b):
    if np.isnan(b.real) or np.isnan(b.imag) or np.greater_equal(a, b):
        return a
    return b
";

/// `np.fmin` on complex numbers.
pub(super) const C_FMIN: &str = "\
def fmin(a, b):
    if np.isnan(b.real) or np.isnan(b.imag) or np.less_equal(a, b):
        return a
    return b
";

/// `np.rint` on complex numbers: each part.
pub(super) const C_RINT: &str = "\
def rint(z):
    return complex(np.rint(z.real), np.rint(z.imag))
";

/// `np.log2` on complex numbers: log(z) scaled by log2(e).
pub(super) const C_LOG2: &str = "\
def log2(z):
    w = np.log(z)
    return complex(w.real * 1.4426950408889634, w.imag * 1.4426950408889634)
";

/// `np.exp2` on complex numbers: exp(z ln 2).
pub(super) const C_EXP2: &str = "\
def exp2(z):
    return np.exp(complex(z.real * 0.6931471805599453, z.imag * 0.6931471805599453))
";

/// `np.expm1` on complex numbers.
pub(super) const C_EXPM1: &str = "\
def expm1(z):
    a = np.sin(z.imag * 0.5)
    return complex(np.expm1(z.real) * np.cos(z.imag) - 2.0 * a * a, np.exp(z.real) * np.sin(z.imag))
";

/// `np.log1p` on complex numbers: log|1 + z| as NumPy computes it (log of hypot).
pub(super) const C_LOG1P: &str = "\
def log1p(z):
    re = z.real + 1.0
    return complex(np.log(np.hypot(re, z.imag)), np.arctan2(z.imag, re))
";

/// `np.sign` on complex numbers (NumPy 2): z / |z|, 0 for 0, a unit along an infinite part.
pub(super) const C_SIGN: &str = "\
def sign(z):
    x = z.real
    y = z.imag
    if np.isnan(x) or np.isnan(y):
        return complex(np.nan, np.nan)
    if np.isinf(x):
        if np.isinf(y):
            return complex(np.nan, np.nan)
        return complex(np.copysign(1.0, x), 0.0)
    if np.isinf(y):
        return complex(0.0, np.copysign(1.0, y))
    if x == 0 and y == 0:
        return complex(0.0, 0.0)
    a = np.hypot(x, y)
    return complex(x / a, y / a)
";

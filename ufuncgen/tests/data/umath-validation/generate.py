"""Writes the float64 validation sets of the vector-math functions, one CSV per function.

Format (NumPy's umath-validation style, one extra input column for binary functions):
    dtype,input(hex)[,input2(hex)],output(hex),ulperrortol
The output is the exact value (mpmath at 256 bits) rounded once to the nearest double, so a
row measures the error of an implementation, not of another library. Inputs are drawn from a
fixed seed over each function's interesting ranges; special values are tested elsewhere.

Run: python3 generate.py   (needs mpmath; rewrites the CSV files beside this script)
"""

import math
import os
import random
import struct
from fractions import Fraction

import mpmath as mp

mp.mp.prec = 256
ROWS = 240
HERE = os.path.dirname(os.path.abspath(__file__))


def to_hex(x: float) -> str:
    return "0x%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def nearest_double(v: mp.mpf) -> float:
    """Correctly rounded (Fraction -> float rounds once, subnormals included)."""
    if mp.isnan(v):
        return math.nan
    if mp.isinf(v):
        return math.inf if v > 0 else -math.inf
    sign, man, exp, _ = mp.mpf(v)._mpf_
    frac = Fraction(-int(man) if sign else int(man)) * (Fraction(2) ** int(exp))
    try:
        return float(frac)
    except OverflowError:
        return math.inf if frac > 0 else -math.inf


def lin(lo, hi):
    return lambda r: r.uniform(lo, hi)


def logmag(lo, hi, signed=False):
    """|x| log-uniform in [lo, hi]; random sign when signed."""

    def draw(r):
        x = math.exp(r.uniform(math.log(lo), math.log(hi)))
        return -x if signed and r.random() < 0.5 else x

    return draw


def near(c, width):
    """c plus a log-uniform offset in (1e-16, width) of random sign, times |c| or 1."""

    def draw(r):
        off = math.exp(r.uniform(math.log(1e-16), math.log(width)))
        return c + (off if r.random() < 0.5 else -off) * max(abs(c), 1.0)

    return draw


def cbrt(x):
    return mp.sign(x) * mp.cbrt(abs(x))


def atan2(y, x):
    return mp.atan2(y, x)


def power(x, y):
    return mp.power(x, y)


# name -> (mpmath function, arity, samplers for each argument, ulp tolerance)
HUGE = (1e-300, 1e300)
FUNCS = {
    "exp": (mp.exp, [[lin(-745, 709.7), lin(-5, 5), logmag(1e-300, 1, True)]], 4),
    "exp2": (lambda x: mp.power(2, x), [[lin(-1074, 1023.9), lin(-5, 5)]], 4),
    "expm1": (mp.expm1, [[lin(-40, 709.7), lin(-1, 1), logmag(1e-300, 1e-3, True)]], 4),
    "log": (mp.log, [[logmag(*HUGE), near(1.0, 0.5), logmag(5e-324, 1e-300)]], 4),
    "log2": (lambda x: mp.log(x, 2), [[logmag(*HUGE), near(1.0, 0.5)]], 4),
    "log10": (mp.log10, [[logmag(*HUGE), near(1.0, 0.5)]], 4),
    "log1p": (mp.log1p, [[logmag(1e-300, 1e300), near(-1.0, 0.5), logmag(1e-300, 1e-3, True)]], 4),
    "cbrt": (cbrt, [[logmag(5e-324, 1.7e308, True), lin(-10, 10)]], 4),
    "sin": (mp.sin, [[lin(-10, 10), lin(-1e5, 1e5), logmag(1e-300, 1e300, True)]], 4),
    "cos": (mp.cos, [[lin(-10, 10), lin(-1e5, 1e5), logmag(1e-300, 1e300, True)]], 4),
    "tan": (mp.tan, [[lin(-10, 10), lin(-1e5, 1e5), near(math.pi / 2, 1e-3), logmag(1e-300, 1e300, True)]], 4),
    "asin": (mp.asin, [[lin(-1, 1), near(1.0, 1e-3), logmag(1e-300, 1e-3, True)]], 4),
    "acos": (mp.acos, [[lin(-1, 1), near(1.0, 1e-3), near(-1.0, 1e-3)]], 4),
    "atan": (mp.atan, [[logmag(*HUGE, True), lin(-5, 5)]], 4),
    "sinh": (mp.sinh, [[lin(-710, 710), lin(-2, 2), logmag(1e-300, 1, True)]], 4),
    "cosh": (mp.cosh, [[lin(-710, 710), lin(-2, 2)]], 4),
    "tanh": (mp.tanh, [[lin(-20, 20), logmag(1e-300, 1, True)]], 4),
    "asinh": (mp.asinh, [[logmag(*HUGE, True), lin(-2, 2)]], 4),
    "acosh": (mp.acosh, [[logmag(1, 1e300), near(1.0, 1e-3)]], 4),
    "atanh": (mp.atanh, [[lin(-1, 1), near(1.0, 1e-3), near(-1.0, 1e-3), logmag(1e-300, 1e-3, True)]], 4),
    "erf": (mp.erf, [[lin(-6, 6), logmag(1e-300, 1, True)]], 4),
    "erfc": (mp.erfc, [[lin(-6, 27), lin(-1, 1)]], 4),
    "pow": (power, [[logmag(1e-10, 1e10), lin(0, 4)], [lin(-30, 30), lin(-3, 3)]], 4),
    "atan2": (atan2, [[logmag(*HUGE, True), lin(-5, 5)], [logmag(*HUGE, True), lin(-5, 5)]], 4),
    "hypot": (mp.hypot, [[logmag(*HUGE, True), lin(-5, 5)], [logmag(*HUGE, True), lin(-5, 5)]], 4),
}


def rows_for(name, func, samplers, tol):
    rnd = random.Random(name)
    out = []
    while len(out) < ROWS:
        args = [rnd.choice(s)(rnd) for s in samplers]
        exact = func(*[mp.mpf(a) for a in args])
        if isinstance(exact, mp.mpc):
            continue  # outside the real domain: NaN, tested with the special values
        want = nearest_double(exact)
        if math.isnan(want) or math.isinf(want):
            continue
        cols = ["np.float64"] + [to_hex(a) for a in args] + [to_hex(want), str(tol)]
        out.append(",".join(cols))
    return out


def main():
    for name, (func, samplers, tol) in FUNCS.items():
        ins = ",".join("input(hex)" if len(samplers) == 1 else "input%d(hex)" % (i + 1) for i in range(len(samplers)))
        header = "dtype,%s,output(hex),ulperrortol" % ins
        path = os.path.join(HERE, "umath-validate-%s.csv" % name)
        with open(path, "w") as f:
            f.write(header + "\n")
            f.write("\n".join(rows_for(name, func, samplers, tol)) + "\n")
        print(path)


if __name__ == "__main__":
    main()

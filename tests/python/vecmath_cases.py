"""The vector-math functions under test: their spellings, inputs, exact references, and the
ufuncgen kernels that compute them. test_vector_math.py judges the results; this module also
runs as a script, so a subprocess with other environment variables (another vector-math tier)
can compute the same results:

    python vecmath_cases.py INPUTS.npz RESULTS.npz
"""

from __future__ import annotations

import json
import linecache
import math
import sys
import zlib
from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np

DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
# Inputs whose results IEEE 754 / C99 fix exactly; they are compared with NumPy bit for bit.
SPECIALS = (0.0, -0.0, math.inf, -math.inf, math.nan)
# Finite inputs every function sees: subnormals, extremes, units, huge and tiny magnitudes.
EDGES = (
    5e-324,
    2.225073858507201e-308,  # largest float64 subnormal
    2.2250738585072014e-308,
    1.401298464324817e-45,  # float32 subnormals and smallest normal
    1.1754942106924411e-38,
    1.1754943508222875e-38,
    1.7976931348623157e308,
    3.4028234663852886e38,
    1e-300,
    1e-30,
    1e-8,
    0.5,
    1.0,
    1.5,
    2.0,
    3.0,
    10.0,
    100.0,
    1e10,
    1e30,
    1e300,
)
N_RANDOM = 160
REFERENCE_BITS = 192


@dataclass(frozen=True)
class VmFunc:
    """One vector-math function: its declaration in the compiler's table (spellings, arity,
    accuracy bound) and what this test adds (the exact version and where to draw inputs)."""

    name: str
    arity: int
    math_call: str  # the `math` spelling, used for the accuracy kernels
    np_calls: tuple[str, ...]  # the NumPy spellings (ufunc name first); none for erf, erfc
    max_ulp: tuple[int, int]  # the accuracy bound (float64, float32) the table declares
    exact: object  # mpmath function of the arguments
    ranges: tuple[tuple[float, float], ...]  # random first-argument ranges (linear)
    points: tuple[float, ...] = ()  # poles, branch points, overflow thresholds (both signs)

    @property
    def np_call(self) -> str | None:
        """NumPy's ufunc spelling, None where NumPy has none (erf, erfc)."""
        return self.np_calls[0] if self.np_calls else None

    def numpy(self, *args: np.ndarray) -> np.ndarray:
        """NumPy's answer; for erf/erfc, which NumPy lacks, C99's via Python's math module."""
        if self.np_call is not None:
            return getattr(np, self.np_call.split(".")[1])(*args)
        scalar = getattr(math, self.name)
        return np.array([scalar(float(a)) for a in args[0]]).astype(args[0].dtype)


def _cbrt(x):
    return mpmath.sign(x) * mpmath.cbrt(abs(x))


def _erfc(x):
    # mpmath overflows on huge arguments; far beyond 27.3 the result underflows to +0 anyway.
    return mpmath.erfc(x) if x < 1e4 else mpmath.ldexp(1, -(10**6))


_PI_2 = math.pi / 2
# Per vector function of the compiler's table: (exact mpmath version, random first-argument
# ranges, points probed with their neighbours). A function added to the table with vector
# entries needs a row here (FUNCS below refuses to build without one).
REFERENCES = {
    "exp": (
        mpmath.exp,
        ((-750, 720), (-5, 5)),
        (709.782712893384, 745.1332191019411, 708.3964185322641, 88.72283, 103.97208, 87.33655),
    ),
    "exp2": (
        lambda x: mpmath.power(2, x),
        ((-1080, 1030), (-5, 5)),
        (1024.0, 1074.0, 1075.0, 1022.0, 128.0, 149.0, 150.0, 126.0),
    ),
    "expm1": (mpmath.expm1, ((-40, 720), (-1, 1)), (709.782712893384, 88.72283, 1e-10)),
    "log": (mpmath.log, ((0, 10), (-2, 2)), (1.0,)),
    "log2": (lambda x: mpmath.log(x, 2), ((0, 10),), (1.0, 2.0)),
    "log10": (mpmath.log10, ((0, 10),), (1.0, 10.0)),
    "log1p": (mpmath.log1p, ((-1, 10),), (1.0, 1e-10)),
    "cbrt": (_cbrt, ((-10, 10),), (1.0, 8.0)),
    "sin": (mpmath.sin, ((-10, 10), (-1e5, 1e5)), (_PI_2, math.pi, 1e22)),
    "cos": (mpmath.cos, ((-10, 10), (-1e5, 1e5)), (_PI_2, math.pi, 1e22)),
    "tan": (mpmath.tan, ((-10, 10), (-1e5, 1e5)), (_PI_2, 1e22)),
    "asin": (mpmath.asin, ((-1, 1), (-1.5, 1.5)), (1.0,)),
    "acos": (mpmath.acos, ((-1, 1), (-1.5, 1.5)), (1.0,)),
    "atan": (mpmath.atan, ((-5, 5),), (1.0,)),
    "sinh": (mpmath.sinh, ((-720, 720), (-2, 2)), (710.4758600739439, 89.41599)),
    "cosh": (mpmath.cosh, ((-720, 720), (-2, 2)), (710.4758600739439, 89.41599)),
    "tanh": (mpmath.tanh, ((-20, 20),), (19.0, 9.0)),
    "asinh": (mpmath.asinh, ((-5, 5),), ()),
    "acosh": (mpmath.acosh, ((0.5, 10),), (1.0,)),
    "atanh": (mpmath.atanh, ((-1, 1), (-1.5, 1.5)), (1.0,)),
    "erf": (mpmath.erf, ((-6, 6),), (5.9, 3.9)),
    "erfc": (_erfc, ((-6, 28),), (26.5, 27.2, 10.0, 9.0)),
    "pow": (mpmath.power, ((0, 4),), ()),
    "atan2": (mpmath.atan2, ((-5, 5),), ()),
    "hypot": (mpmath.hypot, ((-5, 5),), ()),
}


def _table_functions() -> tuple[VmFunc, ...]:
    """The vector functions of the compiler's table (`ufuncgen._native.math_functions()`), in
    its order, each with its reference from REFERENCES."""
    from ufuncgen import _native

    declared = [f for f in _native.math_functions() if f.vector]
    missing = [f.name for f in declared if f.name not in REFERENCES]
    if missing:
        raise LookupError(f"vecmath_cases.REFERENCES has no row for {missing}")
    stale = sorted(set(REFERENCES) - {f.name for f in declared})
    if stale:
        raise LookupError(f"vecmath_cases.REFERENCES names functions not vectorized: {stale}")
    out = []
    for f in declared:
        assert f.max_ulp is not None, f.name
        out.append(
            VmFunc(
                f.name,
                f.arity,
                f"math.{f.math[0]}",
                tuple(f"np.{n}" for n in f.numpy),
                f.max_ulp,
                *REFERENCES[f.name],
            )
        )
    return tuple(out)


FUNCS = _table_functions()
BY_NAME = {f.name: f for f in FUNCS}


# --- kernels ---------------------------------------------------------------------------------


def make_kernel(name: str, call: str, arity: int, sigs, **options):
    """`def name(x[, y]): return call(x[, y])` decorated with ufuncgen.vectorize.

    ufuncgen compiles from source text, so the generated source is registered with linecache
    under a pseudo file name, which is where `inspect` looks for it."""
    import ufuncgen

    params = ", ".join("xy"[:arity])
    src = f"def {name}({params}):\n    return {call}({params})\n"
    filename = f"<vecmath-kernel {name} {call}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"math": math, "np": np}
    exec(compile(src, filename, "exec"), namespace)
    return ufuncgen.vectorize(sigs, **options)(namespace[name])


def signatures(arity: int) -> list[str]:
    """One signature per dtype of DTYPES, e.g. `float64(float64, float64)`."""
    return [f"{d.name}({', '.join([d.name] * arity)})" for d in DTYPES]


def compute(inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Runs every function's kernel (math spelling) on `inputs` (keys `name:dtype:k`)."""
    results = {}
    for f in FUNCS:
        kernel = make_kernel(f"k_{f.name}", f.math_call, f.arity, signatures(f.arity))
        for dt in DTYPES:
            args = [inputs[f"{f.name}:{dt.name}:{k}"] for k in range(f.arity)]
            with np.errstate(all="ignore"):
                results[f"{f.name}:{dt.name}"] = kernel(*args)
    return results


def svml_path() -> str | None:
    """Where SVML is for the SVML tier: UFUNCGEN_SVML_PATH, else sys.prefix/lib/libsvml.so."""
    import os

    path = os.environ.get("UFUNCGEN_SVML_PATH") or os.path.join(sys.prefix, "lib", "libsvml.so")
    return path if os.path.exists(path) else None


# Tier (as config() names it) -> the environment of a subprocess that runs it.
TIER_ENVS = {
    "scalar": {"UFUNCGEN_DISABLE_SVML": "1", "UFUNCGEN_DISABLE_LIBMVEC": "1"},
    "libmvec": {"UFUNCGEN_DISABLE_SVML": "1"},
    "svml": {"UFUNCGEN_SVML_PATH": svml_path() or ""},
}


def run_in_tier(tier: str, script: str, *args: str):
    """Runs `python script args...` at `tier` and returns the JSON its last stdout line holds
    (which must name the tier it ran at under "tier"); pytest-skips a tier that cannot run."""
    import os
    import subprocess

    import pytest

    import ufuncgen

    if tier == "svml" and svml_path() is None:
        pytest.skip("SVML not found (set UFUNCGEN_SVML_PATH or install intel-cmplr-lib-rt)")
    if tier == ufuncgen.config()["vector_library"]:
        pytest.skip(f"{tier} is the tier in force, checked in this process")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
    env.update(TIER_ENVS[tier])
    out = subprocess.run(
        [sys.executable, script, *args],
        env=env,
        cwd=os.path.dirname(os.path.abspath(script)),
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["tier"] == tier, got["tier"]
    return got


# --- inputs ----------------------------------------------------------------------------------

VALIDATION_DIR = "ufuncgen/tests/data/umath-validation"


def _validation_rows(root: str, name: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The float64 rows of `umath-validate-<name>.csv`: argument columns and exact results."""
    path = f"{root}/{VALIDATION_DIR}/umath-validate-{name}.csv"
    cols = np.loadtxt(path, dtype=str, delimiter=",", skiprows=1)
    bits = np.array([[int(v, 16) for v in row[1:-1]] for row in cols], dtype=np.uint64)
    values = bits.view(np.float64)
    return [values[:, k].copy() for k in range(values.shape[1] - 1)], values[:, -1].copy()


def _around(points, dt: np.dtype) -> list[float]:
    """Each point of both signs and its three neighbours on each side in `dt`."""
    out = []
    for p in points:
        for q in (p, -p):
            v = dt.type(q)
            lo = hi = v
            out.append(v)
            for _ in range(3):
                lo = np.nextafter(lo, dt.type(-np.inf))
                hi = np.nextafter(hi, dt.type(np.inf))
                out += [lo, hi]
    return [float(v) for v in out]


def _random(f: VmFunc, dt: np.dtype, rng: np.random.Generator) -> list[np.ndarray]:
    """N_RANDOM draws: three in four from the function's ranges, one in four log-uniform
    magnitudes over the whole range of `dt` (subnormals included) with random signs."""
    n = N_RANDOM
    info = np.finfo(dt)
    decades = (math.log10(info.smallest_subnormal), math.log10(info.max))
    which = np.arange(n) % 4
    cols = []
    for k in range(f.arity):
        lo, hi = np.array([f.ranges[i % len(f.ranges)] for i in range(n)]).T
        if f.name == "pow" and k == 1:
            lo, hi = np.full(n, -40.0), np.full(n, 40.0)
        linear = rng.uniform(lo, hi)
        huge_tiny = 10.0 ** rng.uniform(*decades, n) * rng.choice([-1.0, 1.0], n)
        cols.append(np.where(which == 3, huge_tiny, linear))
    if f.name == "pow":
        # Negative bases with integral exponents have real powers.
        cols[0][which == 0] *= -1
        cols[1][which == 0] = np.round(cols[1][which == 0])
    return cols


def inputs_for(f: VmFunc, root: str) -> dict[str, np.ndarray]:
    """Argument columns per dtype (keys `name:dtype:k`) plus the float64 rows' exact results
    (`name:float64:want`, NaN where not known in advance)."""
    val_args, val_want = _validation_rows(root, f.name)
    fixed_values = list(SPECIALS) + [s * v for v in EDGES for s in (1.0, -1.0)]
    out = {}
    for dt in DTYPES:
        rand = _random(f, dt, np.random.default_rng(zlib.crc32(f"{f.name} {dt}".encode())))
        if f.arity == 1:
            fixed = [fixed_values + _around(f.points, dt)]
        else:
            grid = fixed_values + [2.5, -2.5]
            fixed = [[a for a in grid for _ in grid], [b for _ in grid for b in grid]]
        cols = [np.concatenate([np.array(fixed[k]), val_args[k], rand[k]]) for k in range(f.arity)]
        with np.errstate(over="ignore"):
            for k, c in enumerate(cols):
                out[f"{f.name}:{dt.name}:{k}"] = c.astype(dt)
        if dt == np.float64:
            known = np.full(cols[0].shape, np.nan)
            known[len(fixed[0]) : len(fixed[0]) + len(val_want)] = val_want
            out[f"{f.name}:float64:want"] = known
    return out


# --- exact references ------------------------------------------------------------------------


def _fraction(v: mpmath.mpf) -> Fraction:
    sign, man, exp, _ = v._mpf_
    value = Fraction(int(man)) * Fraction(2) ** int(exp)
    return -value if sign else value


def round_exact(v, dt: np.dtype) -> tuple[float, bool]:
    """The exact value `v` rounded once to `dt`, and whether the result is exact by nature:
    NaN outside the real domain, an infinity at a pole, or an exact zero (as log(1)), which an
    implementation must hit exactly rather than within some ULPs."""
    if isinstance(v, mpmath.mpc) or mpmath.isnan(v):
        return math.nan, True
    if mpmath.isinf(v):
        return (math.inf if v > 0 else -math.inf), True
    if v == 0:
        return 0.0, True
    # Far outside the format, skip the exact rational (2**exponent can be astronomically large).
    if mpmath.mag(v) > 1100:
        return (math.inf if v > 0 else -math.inf), False
    if mpmath.mag(v) < -1200:
        return (0.0 if v > 0 else -0.0), False
    frac = _fraction(v)
    try:
        d = float(frac)  # correctly rounded to float64, subnormals included
    except OverflowError:
        return (math.inf if frac > 0 else -math.inf), False
    if dt == np.float64:
        return d, False
    with np.errstate(over="ignore"):
        f = np.float32(d)
        other = np.nextafter(f, np.float32(math.copysign(math.inf, d - float(f))))
    if math.isfinite(f) and math.isfinite(other) and Fraction(d) != frac:
        # float64 → float32 rounds a second time; that can only go wrong on an exact tie.
        lo, hi = sorted([f, other])
        if Fraction(float(lo)) + Fraction(float(hi)) == 2 * Fraction(d):
            f = hi if frac > Fraction(d) else lo
    return float(f), False


def is_special(x: float) -> bool:
    """±0, ±inf or NaN: an argument whose result IEEE 754 / C99 fix exactly."""
    return x == 0.0 or not math.isfinite(x)


def reference(f: VmFunc, dt: np.dtype, args: list[np.ndarray], known: np.ndarray | None):
    """Exact results rounded to `dt` and a mask of results exact by nature (see round_exact);
    NaN (unused) on rows with a special argument, which are compared with NumPy instead."""
    n = len(args[0])
    want = np.full(n, np.nan)
    exact = np.zeros(n, dtype=bool)
    with mpmath.workprec(REFERENCE_BITS):
        for i in range(n):
            row = [float(a[i]) for a in args]
            if any(is_special(x) for x in row):
                continue
            if known is not None and not math.isnan(known[i]):
                want[i] = known[i]
                continue
            want[i], exact[i] = round_exact(f.exact(*[mpmath.mpf(x) for x in row]), dt)
    return want.astype(dt), exact


def _main(in_path: str, out_path: str) -> None:
    import ufuncgen

    with np.load(in_path) as data:
        inputs = dict(data)
    results = compute(inputs)
    results["config"] = np.array(json.dumps(ufuncgen.config()))
    np.savez(out_path, **results)


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])

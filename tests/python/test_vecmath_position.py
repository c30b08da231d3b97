"""Vector math is position independent (issue 15): an input's result has the same bits wherever
it sits in the array and whatever the array's length, for every function, dtype and tier, with
target="cpu" and "parallel". The vector body, its epilogue and the scalar remainder run one
routine (svml-shim's widest vector entry); libraries' scalar and vector routines differ in the
last bit, which made a 1-element call and an 8-element call disagree.

The tier in force is checked in this process, the others in subprocesses running this file.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from vecmath_cases import DTYPES, FUNCS, TIER_ENVS, make_kernel, run_in_tier, signatures

import ufuncgen

HERE = Path(__file__).resolve().parent
LENGTHS = list(range(1, 34))
BIG = (10_007, 300_005)  # 1e4, and one large enough for the parallel target to split


def probes(f, dt: np.dtype) -> list[np.ndarray]:
    """About 30 argument tuples: specials, the function's edge points, values from its ranges,
    huge and tiny magnitudes."""
    rng = np.random.default_rng(15)
    n = 30
    lo, hi = np.array([f.ranges[i % len(f.ranges)] for i in range(n)]).T
    cols = []
    for k in range(f.arity):
        x = rng.uniform(lo, hi)
        x[:5] = (0.0, -0.0, math.inf, -math.inf, math.nan)
        pts = list(f.points)[:6]
        x[5 : 5 + len(pts)] = pts
        x[-6:] = 10.0 ** rng.uniform(-40, 30, 6) * rng.choice([-1.0, 1.0], 6)
        if f.name == "pow" and k == 1:
            x = np.roll(np.round(rng.uniform(-8, 8, n)) + np.where(np.arange(n) % 2, 0.5, 0), k)
        cols.append(x.astype(dt))
    return cols


def _check(case, cols, alone, length: int, shift: int, offset: int, bad: list[str]) -> None:
    """Calls `case = (name, dtype, kernel)` on `length` probes starting at probe `shift`, the
    array `offset` elements into its buffer, and notes results that differ from `alone`."""
    name, dt, kernel = case
    ui = alone.dtype
    idx = (np.arange(length) + shift) % len(alone)
    args = []
    for c in cols:
        buf = np.empty(length + offset, dtype=dt)
        buf[offset:] = c[idx]
        args.append(buf[offset:])
    got = kernel(*args).view(ui)
    for p in np.nonzero(got != alone[idx])[0][:3]:
        x = ", ".join(repr(float(c[idx[p]])) for c in cols)
        bad.append(
            f"{name} {dt} length {length} position {p} offset {offset}: "
            f"f({x}) bits {int(got[p]):#x}, alone {int(alone[idx[p]]):#x}"
        )


def mismatches(target: str) -> list[str]:
    """Every (function, dtype, length, position) whose result differs from the input's result
    computed alone, as readable lines."""
    bad: list[str] = []
    for f in FUNCS:
        kernel = make_kernel(
            f"p_{f.name}", f.math_call, f.arity, signatures(f.arity), target=target
        )
        for dt in DTYPES:
            cols = probes(f, dt)
            n = len(cols[0])
            case = (f.name, dt, kernel)
            with np.errstate(all="ignore"):
                alone = np.array(
                    [kernel(*[c[i : i + 1] for c in cols])[0] for i in range(n)], dtype=dt
                ).view(f"u{dt.itemsize}")
                for length in LENGTHS:
                    for shift in range(n):
                        _check(case, cols, alone, length, shift, 0, bad)
                    _check(case, cols, alone, length, 0, 1, bad)
                for length in BIG:
                    for shift in (0, 1, 7):
                        _check(case, cols, alone, length, shift, 0, bad)
    return bad


@pytest.mark.parametrize("target", ["cpu", "parallel"])
@pytest.mark.parametrize("tier", ["in_force", *TIER_ENVS])
def test_result_does_not_depend_on_position(tier, target):
    if tier == "in_force":
        bad = mismatches(target)
    else:
        bad = run_in_tier(tier, __file__, target)["bad"]
    assert not bad, f"{len(bad)} mismatches, e.g.\n" + "\n".join(bad[:20])


if __name__ == "__main__":
    result = mismatches(sys.argv[1])
    print(json.dumps({"tier": ufuncgen.config()["vector_library"], "bad": result}))

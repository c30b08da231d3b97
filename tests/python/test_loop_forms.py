"""The loop shapes codegen emits (issue 9, item 14): `for` over a short constant range
unrolled, or its first iteration unrolled and a loop for the rest when the body is big; `while`
and nested loops beside them. Each kernel is compared with the same function run by Python."""

from __future__ import annotations

import numpy as np
import pytest
from numpy_diff import assert_identical

from ufuncgen import vectorize

X = np.array([-7.0, -2.5, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.5, 9.0, 1e3])


def python(f, xs):
    return np.array([f(float(x)) for x in xs])


def constant_range_control_flow(x):
    acc = 0.0
    for k in range(1, 7, 2):
        if x > k * 1.5:
            continue
        acc = acc * 2.0 + k + x
        if acc > 20.0:
            break
    else:
        acc = -acc
    return acc + k


def descending_range(x):
    acc = x
    for k in range(5, -4, -3):
        acc = acc * 0.5 + k
    return acc * 10.0 + k


def big_body_constant_range(x):
    # Too big to unroll four times: the first iteration is emitted alone, a loop runs the rest.
    acc = x
    for k in range(4):
        if acc > 1e6:
            break
        acc = acc * 1.001 + k
        acc = acc * 1.002 - 0.5
        acc = acc * 1.003 + 0.25
        acc = acc * 1.004 - 0.125
        acc = acc * 1.005 + k * 0.5
        acc = acc * 1.006 - 0.0625
        acc = acc * 1.007 + 0.03125
        acc = acc * 1.008 - k * 0.25
        acc = acc * 1.009 + 0.5
        acc = acc * 1.010 - 0.75
        acc = acc * 1.011 + 0.875
        acc = acc * 1.012 - 0.9375
        acc = acc * 1.013 + k
        acc = acc * 1.014 - 1.5
        acc = acc * 1.015 + 1.25
        acc = acc * 1.016 - 1.125
        acc = acc * 1.101 + k
        acc = acc * 1.102 - 0.5
        acc = acc * 1.103 + 0.25
        acc = acc * 1.104 - 0.125
        acc = acc * 1.105 + k * 0.5
        acc = acc * 1.106 - 0.0625
        acc = acc * 1.107 + 0.03125
        acc = acc * 1.108 - k * 0.25
        acc = acc * 1.109 + 0.5
        acc = acc * 1.110 - 0.75
        acc = acc * 1.111 + 0.875
        acc = acc * 1.112 - 0.9375
        acc = acc * 1.113 + k
        acc = acc * 1.114 - 1.5
        acc = acc * 1.115 + 1.25
        acc = acc * 1.116 - 1.125
        if acc < -50.0:
            continue
        acc = acc + 1.0
    else:
        acc = acc * 3.0
    return acc + k


def nested_constant_ranges(x):
    acc = 0.0
    for i in range(3):
        for j in range(i, 4):
            if j == 2 and x < 0.0:
                break
            acc = acc + i * 10.0 + j + x
    return acc


def while_with_continue_and_else(x):
    n = 0
    acc = 0.0
    while n < 12 and acc < 40.0:
        n += 1
        if n % 3 == 0:
            continue
        acc = acc + x + n
        if acc < -30.0:
            break
    else:
        acc = acc + 1000.0
    return acc + n


@pytest.mark.parametrize(
    "f",
    [
        constant_range_control_flow,
        descending_range,
        big_body_constant_range,
        nested_constant_ranges,
        while_with_continue_and_else,
    ],
)
def test_loop_forms_match_python(f):
    u = vectorize(["float64(float64)"])(f)
    assert_identical(u(X), python(f, X))
    # Strided input too (another loop variant around the kernel).
    assert_identical(u(np.repeat(X, 2)[::2]), python(f, X))

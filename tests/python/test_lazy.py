"""Lazy (signature-less) vectorize and guvectorize: real ufuncs that compile a loop per new
combination of input dtypes, checked against NumPy's own results and ufunc machinery."""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from ufuncgen import (
    CompileError,
    TypingError,
    _decorators,
    _native,
    guvectorize,
    inspect_llvm,
    vectorize,
)

SCALE = 3


@vectorize
def axpy(a, b):
    """a * SCALE + b"""
    return a * SCALE + b


def fresh_add():
    """A new lazy `a + b` with identity 0 (every test gets its own, so `types` starts empty)."""
    return vectorize(identity=0)(lambda a, b: a + b)


def compilations(f) -> int:
    return _native._lazy_compilations(f)


# --- a real ufunc ---------------------------------------------------------------------------


def test_lazy_vectorize_is_a_ufunc_with_the_kernels_name():
    assert isinstance(axpy, np.ufunc)
    assert axpy.__name__ == "axpy"
    assert "a * SCALE + b" in axpy.__doc__
    assert (axpy.nin, axpy.nout, axpy.signature) == (2, 1, None)
    assert axpy.identity is None
    f = vectorize()(lambda a: a)
    assert f.types == [] and f.ntypes == 0 and f.nin == 1


def test_module_level_lazy_ufunc_pickles_by_reference():
    assert pickle.loads(pickle.dumps(axpy)) is axpy


# --- loops per dtype combination against NumPy ------------------------------------------------

COMBOS = [
    # (a, b, loop that must appear in f.types)
    ((np.arange(17) * 7 - 60).astype(np.int8), np.arange(17, dtype=np.int8), "bb->b"),
    ((np.arange(17) * 7 - 60).astype(np.int8), 1.5, "bd->d"),
    (np.arange(0, 255, 15, dtype=np.uint8), 200, "BB->B"),
    (np.arange(-8, 9, dtype=np.int32), np.arange(17, dtype=np.int64) * 10**9, "il->l"),
    (np.linspace(-2, 2, 17, dtype=np.float32), np.float32(0.25), "ff->f"),
    (np.linspace(-2, 2, 17, dtype=np.float32), 3, "ff->f"),
    (np.linspace(-2, 2, 17, dtype=np.float32), np.linspace(0, 1, 17), "fd->d"),
    (np.arange(17, dtype=np.uint32), np.arange(-8, 9, dtype=np.int32), "Ii->l"),
    (np.arange(17, dtype=np.int16), np.linspace(0, 1, 17, dtype=np.float32), "hf->f"),
    ((np.arange(17) + 1j).astype(np.complex64), np.arange(17) * (1 - 2j), "FD->D"),
]


@pytest.mark.parametrize("a, b, loop", COMBOS, ids=[c[2] + str(i) for i, c in enumerate(COMBOS)])
def test_loop_per_combination_matches_numpy(a, b, loop):
    f = vectorize(lambda a, b: a * b - a)
    with np.errstate(over="ignore"):
        got = f(a, b)
        want = a * b - a
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert f.types == [loop]
    assert list(inspect_llvm(f)) == [_canonical(loop)]


def _canonical(loop: str) -> str:
    names = {c: np.dtype(c).name for c in "bBhHiIlLfdFD?"}
    names["?"] = "bool"
    ins, out = loop.split("->")
    return f"{names[out]}({', '.join(names[c] for c in ins)})"


def test_every_combination_compiles_once():
    f = fresh_add()
    x = np.arange(6, dtype=np.int8)
    f(x, x)
    f(x, 1)  # the Python int takes int8: same loop
    f(x[::2], x[1::2])
    f(np.int8(3), x)
    assert f.types == ["bb->b"]
    f(x, 1.0)
    f(x.astype(np.float64), x.astype(np.float64))
    assert f.types == ["bb->b", "bd->d", "dd->d"]
    assert compilations(f) == 3


def test_nep50_python_scalars():
    f = vectorize(lambda a, b: a + b)
    assert f(np.int8(100), 100) == np.int8(-56)  # weak int: int8 arithmetic, as NumPy's add
    r = f(np.arange(3, dtype=np.float32), 2**40)
    assert r.dtype == np.float32
    assert f(1, 2) == 3 and f(1, 2.5) == 3.5
    with pytest.raises(OverflowError):
        f(np.arange(3, dtype=np.int8), 1000)  # NumPy refuses the out-of-range Python int
    assert set(f.types) == {"bb->b", "ff->f", "ll->l", "dd->d"}


def test_lazy_loops_are_reused_by_broadcasting_and_scalars():
    f = fresh_add()
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(f(a, np.arange(4.0)), a + np.arange(4.0))
    np.testing.assert_array_equal(f(a, 2.0), a + 2)
    assert f(np.float64(1), np.float64(2)) == 3.0
    assert f.types == ["dd->d"]


# --- keyword arguments of a call ------------------------------------------------------------


def test_out_and_where():
    f = fresh_add()
    a, b = np.arange(6.0), np.ones(6)
    out = np.full(6, -1.0)
    mask = a % 2 == 0
    r = f(a, b, out=out, where=mask)
    assert r is out
    np.testing.assert_array_equal(out, np.where(mask, a + b, -1.0))
    out32 = np.zeros(6, np.float32)
    f(a, b, out=out32)  # the float64 loop, cast into the output as NumPy does
    np.testing.assert_array_equal(out32, (a + b).astype(np.float32))
    assert f.types == ["dd->d"]
    with pytest.raises(TypeError):
        f(a, b, out=np.zeros(6, np.int64))  # same_kind casting refuses float -> int


def test_dtype_computes_in_that_dtype():
    f = fresh_add()
    x = np.array([100, 27], dtype=np.int8)
    r = f(x, x, dtype=np.float64)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, [200.0, 54.0])  # no int8 wrap-around
    assert f.types == ["dd->d"]
    np.testing.assert_array_equal(f(x, x), np.array([-56, 54], np.int8))


def test_signature_fixes_operands():
    f = fresh_add()
    x = np.arange(4, dtype=np.int8)
    r = f(x, x, signature=("f4", "f8", None))
    assert r.dtype == np.float64
    r = f(x, x, signature=(None, None, "f4"))
    assert r.dtype == np.float32
    assert f.types == ["fd->d", "ff->f"]


def test_a_signature_call_does_not_decide_later_calls_output():
    # NumPy dispatches on the inputs when no signature fixes the output: the `bb->d` loop the
    # first call registers must not serve a plain int8 call, whose kernel type is int8.
    f = fresh_add()
    x = np.arange(3, dtype=np.int8)
    assert f(x, x, signature=("i1", None, "f8")).dtype == np.float64
    r = f(x, x)
    assert r.dtype == np.int8
    np.testing.assert_array_equal(r, x + x)
    assert f(x, x, signature=("i1", "i1", "f4")).dtype == np.float32
    assert f(x, x, signature=("i1", None, "f8")).dtype == np.float64
    assert f(x, x).dtype == np.int8
    assert f.reduce(x).dtype == np.int8
    assert f.accumulate(x).dtype == np.int8  # was "resolved dtypes are not compatible"
    assert f.reduceat(x, [0, 2]).dtype == np.int8
    assert f.outer(x, x).dtype == np.int8
    a = x.copy()
    f.at(a, [0, 1], x[:2])
    np.testing.assert_array_equal(a, [0, 2, 2])
    assert f.resolve_dtypes((x.dtype, x.dtype, None))[2] == np.int8
    assert f.types == ["bb->d", "bb->b", "bb->f"]


# --- ufunc methods ----------------------------------------------------------------------------


def test_reduce():
    f = fresh_add()
    a = np.arange(24, dtype=np.int64).reshape(2, 3, 4)
    assert f.reduce(a, axis=None) == a.sum()
    np.testing.assert_array_equal(f.reduce(a, axis=1), a.sum(axis=1))
    np.testing.assert_array_equal(f.reduce(a, axis=(0, 2)), a.sum(axis=(0, 2)))
    np.testing.assert_array_equal(f.reduce(a, axis=0, keepdims=True), a.sum(0, keepdims=True))
    assert f.reduce(a.ravel(), initial=100) == a.sum() + 100
    assert f.reduce(np.array([], dtype=np.int64)) == 0
    assert f.reduce(np.zeros((0, 3)), axis=0).tolist() == [0.0, 0.0, 0.0]
    m = a.ravel() % 3 == 0
    assert f.reduce(a.ravel(), where=m) == a.ravel()[m].sum()
    r = f.reduce(np.arange(10, dtype=np.int8), dtype=np.float32)
    assert r.dtype == np.float32 and r == 45
    assert set(f.types) == {"ll->l", "dd->d", "ff->f"}


def test_identity_values_start_reductions():
    f = vectorize(identity=1)(lambda a, b: a * b)
    assert f.identity == 1
    r = f.reduce(np.array([], np.float32))
    assert r == 1.0 and r.dtype == np.float32
    assert f.reduce(np.arange(1, 5)) == 24
    g = vectorize(identity=2.5)(lambda a, b: a + b)
    assert g.reduce(np.array([])) == 2.5
    assert g.reduce(np.array([1.0, 2.0])) == 5.5  # NumPy starts from the identity
    out = np.zeros(3)
    g.reduce(np.arange(6).reshape(2, 3), axis=0, out=out)
    np.testing.assert_array_equal(out, [5.5, 7.5, 9.5])


def test_reduce_without_identity():
    f = vectorize(lambda a, b: max(a, b))
    assert f.reduce(np.array([3.0, 9.0, 1.0])) == 9.0
    with pytest.raises(ValueError, match="identity"):
        f.reduce(np.array([], dtype=np.float64))
    # Not known to be reorderable: NumPy allows one axis only.
    with pytest.raises(ValueError):
        f.reduce(np.ones((2, 2)), axis=(0, 1))
    g = vectorize(identity="reorderable")(lambda a, b: max(a, b))
    assert g.reduce(np.arange(6.0).reshape(2, 3), axis=(0, 1)) == 5.0


def test_accumulate_reduceat_outer_at():
    f = fresh_add()
    a = np.arange(1, 9, dtype=np.int32)
    np.testing.assert_array_equal(f.accumulate(a), np.cumsum(a, dtype=np.int32))
    r = f.accumulate(a, dtype=np.float64)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, np.cumsum(a))
    np.testing.assert_array_equal(f.reduceat(a, [0, 3, 5]), np.add.reduceat(a, [0, 3, 5]))
    np.testing.assert_array_equal(f.outer(a[:3], a[:4]), np.add.outer(a[:3], a[:4]))
    b = np.zeros(5)
    f.at(b, [0, 1, 1, 4], 2.0)
    np.testing.assert_array_equal(b, [2.0, 4.0, 0.0, 0.0, 2.0])
    c = np.zeros(3, dtype=np.int16)
    f.at(c, [2, 2], np.array([5, 7], dtype=np.int16))
    np.testing.assert_array_equal(c, [0, 0, 12])


def test_unary_lazy_ufunc_at():
    f = vectorize(lambda a: -a)
    x = np.arange(5.0)
    f.at(x, [1, 3])
    np.testing.assert_array_equal(x, [0.0, -1.0, 2.0, -3.0, 4.0])


class Duck:
    """Takes over every ufunc call it appears in."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ("duck", ufunc, method)


def test_array_ufunc_overrides_reach_duck_arrays():
    f = fresh_add()
    assert f(Duck(), 1) == ("duck", f, "__call__")
    assert f.reduce(Duck()) == ("duck", f, "reduce")
    assert f.outer(np.ones(2), Duck()) == ("duck", f, "outer")
    assert f.types == []


# --- errors -----------------------------------------------------------------------------------


def and_kernel(a, b):
    return a & b


AND_LINE = and_kernel.__code__.co_firstlineno + 1


def test_failing_combination_raises_its_compile_error_and_others_work():
    f = vectorize(and_kernel)
    x = np.arange(6, dtype=np.int16)
    np.testing.assert_array_equal(f(x, 3), x & 3)
    for _ in range(2):
        with pytest.raises(TypingError) as info:
            f(np.ones(3), np.ones(3))
        err = info.value
        assert err.lineno == AND_LINE and err.function == "and_kernel"
        assert Path(err.filename).name == Path(__file__).name
        assert f"line {AND_LINE}" in str(err)
    assert compilations(f) == 2, "a failed combination is not compiled again"
    assert f.types == ["hh->h"]
    np.testing.assert_array_equal(f(x.astype(np.uint8), x.astype(np.uint8)), x & x)


@pytest.mark.parametrize("value", [np.float16(1), np.array(["a"]), np.array([object()])])
def test_dtypes_kernels_cannot_take_are_type_errors(value):
    f = fresh_add()
    with pytest.raises(TypeError, match="ufunc '<lambda>': .*take bool, integer"):
        f(value, value)
    np.testing.assert_array_equal(f(np.ones(2), 1.0), [2.0, 2.0])


def test_missing_source_is_raised_at_the_first_call():
    namespace: dict = {}
    exec("def k(a):\n    return a\n", namespace)
    f = vectorize(namespace["k"])
    assert isinstance(f, np.ufunc)
    with pytest.raises(CompileError, match="source"):
        f(1.0)


def test_lazy_signature_errors_at_decoration():
    with pytest.raises(CompileError, match="layout"):
        guvectorize("(n),(n)->()")(lambda a, out: None)
    with pytest.raises(CompileError, match="argument"):
        vectorize(lambda: 1)


# --- constants --------------------------------------------------------------------------------


def test_module_constants_are_frozen_at_the_first_compilation():
    global SCALE
    g = vectorize(lambda a, b: a * SCALE + b)
    old = SCALE
    try:
        SCALE = 10  # before the first call: the first compilation sees it
        assert g(1.0, 2.0) == 12.0
        SCALE = 100  # after it: later loops use the same snapshot
        assert g(np.int32(1), np.int32(2)) == 12
        assert g(1.0, 2.0) == 12.0
    finally:
        SCALE = old


# --- threads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("nthreads", [2, 8])
def test_threads_meeting_a_new_dtype_compile_once(nthreads):
    f = vectorize(lambda a, b: a * 2 + b)
    barrier = threading.Barrier(nthreads)
    results: list = [None] * nthreads
    errors: list = []

    def work(k):
        try:
            x = np.arange(1000, dtype=np.int32) + k
            barrier.wait()
            results[k] = (x, f(x, x))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert errors == []
    for x, r in results:
        np.testing.assert_array_equal(r, x * 3)
    assert f.types == ["ii->i"]
    assert compilations(f) == 1


def test_threads_on_different_dtypes_and_a_failing_one():
    f = vectorize(and_kernel)
    dtypes = [np.int8, np.int16, np.uint32, np.float64, np.int8, np.float64]
    barrier = threading.Barrier(len(dtypes))
    outcome: dict = {}

    def work(k, dt):
        x = np.arange(50).astype(dt)
        barrier.wait()
        try:
            outcome[k] = f(x, x)
        except TypingError as e:
            outcome[k] = e

    threads = [threading.Thread(target=work, args=kd) for kd in enumerate(dtypes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    for k, dt in enumerate(dtypes):
        if dt is np.float64:
            assert isinstance(outcome[k], TypingError)
        else:
            np.testing.assert_array_equal(outcome[k], np.arange(50).astype(dt))
    assert sorted(f.types) == sorted(["bb->b", "hh->h", "II->I"])
    assert compilations(f) == 4


def test_calling_the_ufunc_while_its_names_are_frozen_is_an_error_not_a_deadlock(monkeypatch):
    f = fresh_add()
    real = _decorators._kernel_parts
    seen = []

    def reentrant(func):
        for args in ((1.0, 2.0), (np.int8(1), np.int8(2))):
            try:
                f(*args)
            except RuntimeError as e:
                seen.append(str(e))
        return real(func)

    monkeypatch.setattr(_decorators, "_kernel_parts", reentrant)
    assert f(1.0, 2.0) == 3.0
    assert any("while compiling its own loop" in m for m in seen), seen
    assert f(np.int8(1), np.int8(2)) == 3


# --- targets and lifetimes --------------------------------------------------------------------


def test_parallel_target_matches_cpu():
    f = vectorize(target="parallel")(lambda a, b: a * b + 1.0)
    a = np.linspace(0, 1, 100_001)
    np.testing.assert_array_equal(f(a, a), a * a + 1.0)
    assert f.types == ["dd->d"]


def test_dropped_lazy_ufuncs_free_their_loops():
    gc.collect()
    before = _native._live_ufuncs()

    def make(k):
        return vectorize(lambda a, b: a + b * k)

    for k in range(20):
        f = make(k)
        f(np.ones(3), 1.0)
        f(np.ones(3, np.int32), 1)
        del f
    gc.collect()
    assert _native._live_ufuncs() == before


# --- lazy guvectorize -------------------------------------------------------------------------


@guvectorize("(n)->()")
def total(a, out):
    out[0] = a[0]
    for i in range(1, a.shape[0]):
        out[0] += a[i]


def test_lazy_gufunc_outputs_follow_the_kernels_stores():
    assert isinstance(total, np.ufunc) and total.signature == "(n)->()"
    x = np.arange(12, dtype=np.int16).reshape(3, 4)
    r = total(x)
    assert r.dtype == np.int16
    np.testing.assert_array_equal(r, x.sum(axis=1))
    r = total(x.astype(np.float32))
    assert r.dtype == np.float32
    assert {"h->h", "f->f"} <= set(total.types)
    assert "void(int16[:], int16[:])" in inspect_llvm(total)


def test_lazy_gufunc_with_out_and_scalars_and_2d_cores():
    @guvectorize("(m,n),()->(m)")
    def row_scale(a, s, out):
        for i in range(a.shape[0]):
            acc = 0.0
            for j in range(a.shape[1]):
                acc += a[i, j]
            out[i] = acc * s

    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(row_scale(a, 2), a.sum(axis=1) * 2)
    out = np.zeros(3, np.float32)
    row_scale(a, 0.5, out=out)  # the float64 loop, cast into out
    np.testing.assert_array_equal(out, (a.sum(axis=1) * 0.5).astype(np.float32))
    # The Python int takes the inputs' result type (NEP 50), a NumPy int keeps its own.
    assert row_scale.types == ["dd->d"]
    np.testing.assert_array_equal(row_scale(a, np.int16(3)), a.sum(axis=1) * 3)
    assert row_scale.types == ["dd->d", "dh->d"]


def test_lazy_gufunc_boolean_output_and_numba_style_scalar_core():
    @guvectorize("(n),()->()")
    def any_above(a, t, out):
        out[0] = False
        for i in range(a.shape[0]):
            if a[i] > t[0]:
                out[0] = True

    r = any_above(np.array([[1, 5], [2, 3]]), 4)
    assert r.dtype == np.bool_
    assert r.tolist() == [True, False]


def half_sum(x, out):
    """Each test wraps it in a fresh lazy gufunc, so `types` starts empty."""
    out[0] = 0
    for i in range(x.shape[0]):
        out[0] += x[i] / 2


def test_lazy_gufunc_output_dtype_with_out_and_signature():
    # The kernel types its output float64 (it stores `... / 2`), whatever `out=` is: NumPy's
    # dispatch never sees `out` (see docs/lazy.md), so the result is cast into it under the
    # call's casting rule, and float64 -> int64 is refused under the default `same_kind`.
    g = guvectorize("(n)->()")(half_sum)
    x = np.ones((2, 3), dtype=np.int64)
    for dtype in (np.float64, np.float32, np.complex128, np.float64):  # several outs in a row
        out = np.zeros(2, dtype)
        assert g(x, out=out) is out
        np.testing.assert_array_equal(out, [1.5, 1.5])
    with pytest.raises(TypeError, match="Cannot cast ufunc .* output from dtype\\('float64'\\)"):
        g(x, out=np.zeros(2, np.int64))
    out = np.zeros(2, np.int64)
    g(x, out=out, casting="unsafe")  # computed in float64, then cast: 1.5 -> 1
    np.testing.assert_array_equal(out, [1, 1])
    # Numba's spelling (the output array's type inside the kernel) is a signature: every store
    # truncates, 0 + 0.5 -> 0 three times.
    out = np.zeros(2, np.int64)
    g(x, out=out, signature=(None, "int64"))
    np.testing.assert_array_equal(out, [0, 0])
    # ... and it does not decide the output of later calls without one.
    r = g(x)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, [1.5, 1.5])
    assert g(x, signature=(None, "int64")).dtype == np.int64
    assert g(x).dtype == np.float64
    assert g.types == ["l->d", "l->l"]


def test_lazy_gufunc_signature_first_then_plain_calls():
    g = guvectorize("(n)->()")(half_sum)
    x = np.ones((2, 3), dtype=np.int16)
    assert g(x, signature=(None, "int16")).dtype == np.int16
    r = g(x)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, [1.5, 1.5])
    assert g.types == ["h->h", "h->d"]


def test_lazy_gufunc_threads_mixing_signatures_and_plain_calls():
    g = guvectorize("(n)->()")(half_sum)
    barrier = threading.Barrier(6)
    results: dict = {}

    def work(k):
        x = np.ones((2, 3), dtype=np.int32)
        barrier.wait()
        if k % 2:
            results[k] = g(x, signature=(None, "int32"))
        else:
            results[k] = g(x)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 6
    for k, r in results.items():
        if k % 2:
            assert r.dtype == np.int32
            np.testing.assert_array_equal(r, [0, 0])
        else:
            assert r.dtype == np.float64
            np.testing.assert_array_equal(r, [1.5, 1.5])
    assert sorted(g.types) == ["i->d", "i->i"]
    assert compilations(g) == 2


def test_lazy_gufunc_output_only_dimension_needs_out():
    @guvectorize("(n)->(m)")
    def head(a, out):
        for i in range(out.shape[0]):
            out[i] = a[i % a.shape[0]]

    x = np.arange(5.0)
    with pytest.raises(ValueError, match="dimension 'm' .* pass out="):
        head(x)
    out = np.zeros(7)
    head(x, out=out)
    np.testing.assert_array_equal(out, [0, 1, 2, 3, 4, 0, 1])


def test_lazy_gufunc_errors_name_the_kernel_line():
    @guvectorize("(n)->()")
    def bad(a, out):
        out[0] = a.nosuch

    with pytest.raises(CompileError) as info:
        bad(np.ones(3))
    assert info.value.lineno == bad_line(test_lazy_gufunc_errors_name_the_kernel_line)


def bad_line(test) -> int:
    src = Path(__file__).read_text().splitlines()
    start = test.__code__.co_firstlineno
    return next(i + 1 for i in range(start, len(src)) if "a.nosuch" in src[i])


def test_lazy_gufunc_threads_compile_once():
    @guvectorize("(n)->()")
    def g(a, out):
        out[0] = a[0]
        for i in range(1, a.shape[0]):
            out[0] += a[i]

    barrier = threading.Barrier(4)
    results: list = []

    def work():
        x = np.arange(20, dtype=np.int64).reshape(4, 5)
        barrier.wait()
        results.append(g(x))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    for r in results:
        np.testing.assert_array_equal(r, np.arange(20).reshape(4, 5).sum(1))
    assert g.types == ["l->l"] and compilations(g) == 1


def test_lazy_gufunc_parallel_target():
    @guvectorize("(n),(n)->()", target="parallel")
    def dot(a, b, out):
        acc = 0.0
        for i in range(a.shape[0]):
            acc += a[i] * b[i]
        out[0] = acc

    a = np.arange(4000.0).reshape(1000, 4)
    np.testing.assert_allclose(dot(a, a), (a * a).sum(1))


# --- risky inputs in a child interpreter ------------------------------------------------------

RISKY = """
import numpy as np
from ufuncgen import vectorize

fdiv = vectorize(lambda a, b: a // b)
fmod = vectorize(lambda a, b: a % b)
shl = vectorize(lambda a, b: a << b)
shr = vectorize(lambda a, b: a >> b)
to_int = vectorize(lambda x: int(x))

for dt in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64):
    info = np.iinfo(dt)
    a = np.array([7, -7, info.min, info.max, 0, 5], dtype=dt) if info.min < 0 else \\
        np.array([7, 3, info.max, 0, 5, 1], dtype=dt)
    b = np.array([0, 2, -1, 0, 0, 3], dtype=dt) if info.min < 0 else \\
        np.array([0, 2, 1, 0, 0, 3], dtype=dt)
    with np.errstate(all="ignore"):
        for lazy, ref in ((fdiv, np.floor_divide), (fmod, np.remainder)):
            got, want = lazy(a, b), ref(a, b)
            assert got.dtype == want.dtype and (got == want).all(), (lazy, dt, got, want)
    with np.errstate(divide="raise"):
        try:
            fdiv(a, b)
        except FloatingPointError:
            pass
        else:
            raise AssertionError("integer division by zero raised no divide flag")
    counts = np.array([0, 1, 3, info.bits - 1, info.bits, info.bits + 5], dtype=dt)
    for lazy, ref in ((shl, np.left_shift), (shr, np.right_shift)):
        got, want = lazy(a, counts), ref(a, counts)
        assert (got == want).all(), (lazy, dt, got, want)
    if info.min < 0:
        with np.errstate(all="ignore"):
            got = fdiv(np.array([info.min], dt), np.array([-1], dt))
        assert got[0] == info.min, got

x = np.array([np.nan, np.inf, -np.inf, 1e300, -2.5, 3.9])
with np.errstate(invalid="ignore"):
    got = to_int(x)
with np.errstate(invalid="ignore"):
    ref = np.array([np.float64(v).astype(np.int64) for v in x])
assert (got == ref).all(), (got, ref)
with np.errstate(invalid="raise"):
    try:
        to_int(np.array([np.nan]))
    except FloatingPointError:
        pass
    else:
        raise AssertionError("int(nan) raised no invalid flag")
print("risky ok", len(fdiv.types), len(shl.types))
"""


def test_risky_inputs_through_lazy_ufuncs_in_a_child_interpreter(tmp_path):
    script = tmp_path / "risky.py"
    script.write_text(textwrap.dedent(RISKY))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "risky ok 6 6" in proc.stdout

"""End to end through the compiler: kernels become real ufuncs with the documented surface."""

import gc
import inspect
import math
import pickle
import threading
from math import exp as e_alias

import numpy as np
import pytest

import ufuncgen
from ufuncgen import SignatureError, TypingError, UnsupportedError, vectorize

OFFSET = 1.5


def rc_kernel(v, t):
    """RC filter gain."""
    return v * (1 - e_alias(1 / t)) + OFFSET


@pytest.fixture(scope="module")
def rc():
    """The kernel compiled and bound as this module's `rc`, so it pickles by name."""
    py_func = rc_kernel
    f = vectorize(["float64(float64, float64)", "float32(float32, float32)"])(py_func)
    globals()["rc_kernel"] = f
    yield f
    globals()["rc_kernel"] = py_func


def test_real_ufunc_with_loops_in_signature_order(rc):
    assert isinstance(rc, np.ufunc)
    assert rc.types == ["dd->d", "ff->f"]
    assert rc.__name__ == "rc_kernel"
    assert "RC filter gain." in rc.__doc__


def test_results_match_numpy(rc):
    v, t = np.linspace(0.1, 2, 257), np.linspace(1, 3, 257)
    # exp comes from a vector library (a few ULP from NumPy's), and `1 - exp` amplifies that.
    np.testing.assert_allclose(rc(v, t), v * (1 - np.exp(1 / t)) + OFFSET, rtol=1e-13)
    r32 = rc(v.astype(np.float32), t.astype(np.float32))
    assert r32.dtype == np.float32


def test_lambda_kernels():
    f = vectorize("float64(float64, float64)")(lambda a, b: a * b + 1)
    assert f.__name__ == "<lambda>"
    np.testing.assert_array_equal(f(np.arange(4.0), 2.0), np.arange(4.0) * 2 + 1)


def test_globals_and_closures_are_frozen_at_decoration():
    scale = 3.0

    @vectorize(["f8(f8)"])
    def g(a):
        return a * scale + OFFSET

    scale = 100.0  # noqa: F841 (rebinding must not change the compiled kernel)
    np.testing.assert_array_equal(g(np.array([1.0, 2.0])), [4.5, 7.5])


@pytest.mark.parametrize(("identity", "empty"), [(0, 0.0), (1, 1.0), (2.5, 2.5)])
def test_identity_is_the_empty_reduction(identity, empty):
    @vectorize(["f8(f8, f8)"], identity=identity)
    def mul(a, b):
        return a * b

    assert mul.identity == identity
    assert mul.reduce(np.array([])) == empty
    # NumPy starts a reduction from the identity, as it does for its own ufuncs.
    assert mul.reduce(np.arange(1.0, 5.0)) == 24.0 * empty


def test_reorderable_reduces_over_several_axes():
    @vectorize(["f8(f8, f8)"], identity="reorderable")
    def add(a, b):
        return a + b

    a = np.arange(12.0).reshape(3, 4)
    assert add.reduce(a, axis=(0, 1)) == a.sum()
    with pytest.raises(ValueError):
        add.reduce(np.array([]))


def test_inspection_keys_are_the_signatures_as_written():
    sigs = ["f8(f8, f8)", "float32(float32,float32)"]
    f = vectorize(sigs)(lambda a, b: a - b)
    llvm = ufuncgen.inspect_llvm(f)
    assert list(llvm) == sigs
    assert all("define" in text for text in llvm.values())
    asm = ufuncgen.inspect_asm(f)
    assert list(asm) == sigs and all(isinstance(t, str) and t for t in asm.values())


def test_typing_error_points_into_this_file():
    def bad(a):
        return a * (1 + 2j)

    line = inspect.getsourcelines(bad)[1] + 1
    with pytest.raises(TypingError) as info:
        vectorize(["float64(float64)"])(bad)
    err = info.value
    assert (err.function, err.filename, err.lineno) == ("bad", __file__, line)
    assert err.col is not None and err.col > 0
    assert "return a * (1 + 2j)" in str(err)


def test_unsupported_construct_is_reported():
    def bad(a):
        return len("text") + a

    with pytest.raises(UnsupportedError) as info:
        vectorize(["float64(float64)"])(bad)
    assert info.value.function == "bad"


def test_arity_mismatch_is_a_signature_error():
    with pytest.raises(SignatureError) as info:
        vectorize(["float64(float64)"])(lambda a, b: a + b)
    assert isinstance(info.value, ValueError)


def test_pickles_by_module_and_name(rc):
    assert pickle.loads(pickle.dumps(rc)) is rc
    assert rc.__module__ == __name__


def test_concurrent_calls_from_threads(rc):
    x = np.linspace(0.5, 1.5, 10_001)
    want = rc(x, x)
    errors = []

    def work():
        for _ in range(20):
            if not np.array_equal(rc(x, x), want):
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_compiled_code_is_freed_with_the_ufunc():
    from ufuncgen import _native

    gc.collect()
    before = _native._live_ufuncs()
    f = vectorize(["f8(f8)"])(lambda a: math.sqrt(a))
    assert _native._live_ufuncs() == before + 1
    del f
    gc.collect()
    assert _native._live_ufuncs() == before


@pytest.mark.parametrize("fastmath", [False, True])
def test_fastmath_reaches_code_generation(fastmath):
    def k(a, b, c):
        return a * b + c

    ir = ufuncgen.inspect_llvm(vectorize(["f8(f8, f8, f8)"], fastmath=fastmath)(k))
    assert ("fast" in ir["f8(f8, f8, f8)"]) is fastmath


def test_nopython_false_compiles_the_same_way():
    def k(a):
        return a + 1.0

    f = vectorize(["f8(f8)"], nopython=False)(k)
    assert isinstance(f, np.ufunc) and f(1.0) == 2.0

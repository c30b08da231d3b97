"""Registration through NumPy's C API, exercised with the extension's hand-written add loops."""

import gc

import numpy as np
import pytest

import ufuncgen
from ufuncgen import _native

ZERO, ONE, NONE, REORDERABLE, VALUE = 0, 1, -1, -2, -3


def make(name="addf", doc="Adds two arrays.", identity=NONE, value=None):
    return _native._test_ufunc(name, doc, identity, value)


def test_is_a_real_ufunc_with_loops_in_order():
    f = make()
    assert isinstance(f, np.ufunc)
    assert f.types == ["dd->d", "ff->f"]
    assert (f.nin, f.nout, f.ntypes) == (2, 1, 2)
    assert f.__name__ == "addf"
    assert "Adds two arrays." in f.__doc__


def test_no_docstring_is_allowed():
    f = make(doc=None)
    assert f.__doc__.startswith("addf(")


def test_loops_compute_with_strides_casts_and_out():
    rng = np.random.default_rng(0)
    a, b = rng.random(101), rng.random(101)
    f = make()
    np.testing.assert_array_equal(f(a[::3], b[::3]), a[::3] + b[::3])
    a32 = a.astype(np.float32)
    r = f(a32, a32)
    assert r.dtype == np.float32
    np.testing.assert_array_equal(r, a32 + a32)
    out = np.empty_like(a)
    f(a, 2, out=out)
    np.testing.assert_array_equal(out, a + 2)
    np.testing.assert_array_equal(f.accumulate(a), np.add.accumulate(a))
    np.testing.assert_array_equal(f.outer(a[:5], b[:7]), np.add.outer(a[:5], b[:7]))


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [(ZERO, None, 0), (ONE, None, 1), (VALUE, 2.5, 2.5)],
)
def test_identity_is_what_an_empty_reduce_gives(code, value, expected):
    f = make(identity=code, value=value)
    assert f.identity == expected
    assert f.reduce(np.array([])) == expected


def test_without_identity_an_empty_reduce_fails():
    f = make(identity=NONE)
    assert f.identity is None
    with pytest.raises(ValueError):
        f.reduce(np.array([]))


def test_reorderable_reduces_over_several_axes():
    f = make(identity=REORDERABLE)
    a = np.arange(12.0).reshape(3, 4)
    assert f.reduce(a, axis=(0, 1)) == a.sum()


def test_bad_identity_code_is_rejected():
    with pytest.raises(ValueError):
        make(identity=7)
    with pytest.raises(ValueError):
        make(identity=VALUE, value=None)


def test_name_with_nul_is_a_value_error():
    with pytest.raises(ValueError):
        make(name="a\0b")


def test_owner_dies_with_the_ufunc():
    gc.collect()
    before = _native._live_ufuncs()
    f = make()
    assert _native._live_ufuncs() == before + 1
    del f
    gc.collect()
    assert _native._live_ufuncs() == before


def test_inspection_of_foreign_objects_is_a_type_error():
    for obj in (np.add, np.frompyfunc(lambda a: a, 1, 1), 3, "x"):
        with pytest.raises(TypeError):
            ufuncgen.inspect_llvm(obj)
        with pytest.raises(TypeError):
            ufuncgen.inspect_asm(obj)


def test_inspection_of_our_ufunc_without_compiled_code_is_empty():
    assert ufuncgen.inspect_llvm(make()) == {}

"""The records Python hands `_native` are typed (`ufuncgen._records`) and read field by field by
named Rust structs: a record of another shape (a plain tuple) is refused with the field's name
(pyo3 raises the attribute or key error it met)."""

import numpy as np
import pytest
from ufuncgen._decorators import _lazy_parts
from ufuncgen._records import (
    ArrayPayload,
    CompileOptions,
    FrozenGlobal,
    FunctionPayload,
    KernelParts,
    KernelSource,
)

from ufuncgen import _native, _source

TABLE = np.arange(3.0)


def _helper(x):
    return x * 2.0


def _kernel(x):
    return _helper(x) + TABLE[0]


OPTIONS = CompileOptions(fastmath=False, identity=-1, identity_value=None, parallel=False)
SOURCE = KernelSource("def k(x):\n    return x + 1.0\n", "<records>", 1, 0)


def test_globals_are_typed_records():
    found = {g.name: g for g in _source.collect_globals(_kernel)}
    assert all(isinstance(g, FrozenGlobal) for g in found.values())
    helper = found["_helper"]
    assert helper.kind == "function"
    assert isinstance(helper.payload, FunctionPayload)
    assert isinstance(helper.payload.source, KernelSource)
    assert helper.payload.signatures == []
    table = found["TABLE"]
    assert table.kind == "array"
    assert table.payload == ArrayPayload("float64", [3], TABLE.tobytes())
    parts = _lazy_parts(_kernel)
    assert isinstance(parts, KernelParts) and isinstance(parts.source, KernelSource)


def test_typed_records_compile():
    ufunc = _native.compile_vectorize("k", None, SOURCE, ["float64(float64)"], [], OPTIONS)
    assert ufunc(np.float64(1.5)) == 2.5


def test_a_plain_tuple_source_is_refused_by_field_name():
    with pytest.raises(AttributeError, match="no attribute 'text'"):
        _native.compile_vectorize("k", None, tuple(SOURCE), ["float64(float64)"], [], OPTIONS)


def test_a_plain_tuple_global_is_refused_by_field_name():
    glob = ("K", "const", 2.0, None)
    with pytest.raises(AttributeError, match="no attribute 'name'"):
        _native.compile_vectorize("k", None, SOURCE, ["float64(float64)"], [glob], OPTIONS)


def test_options_missing_a_key_are_refused_by_its_name():
    options = {k: v for k, v in OPTIONS.items() if k != "fastmath"}
    with pytest.raises(KeyError, match="fastmath"):
        _native.compile_vectorize("k", None, SOURCE, ["float64(float64)"], [], options)


def test_lazy_parts_of_another_shape_are_refused_by_field_name():
    ufunc = _native.create_lazy_ufunc("k", None, lambda: (SOURCE, []), OPTIONS, 1)
    with pytest.raises(AttributeError, match="no attribute 'source'"):
        ufunc(np.float64(1.0))
    good = _native.create_lazy_ufunc("k", None, lambda: KernelParts(SOURCE, []), OPTIONS, 1)
    assert good(np.float64(1.0)) == 2.0

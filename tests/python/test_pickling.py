"""Pickling: ufuncs defined in an importable module travel by module and name, ufuncs defined
anywhere else (a function body, a lambda, `__main__`) by value, and every other ufunc exactly
as NumPy pickles it."""

from __future__ import annotations

import copyreg
import pickle
import subprocess
import sys
import textwrap

import cloudpickle
import numpy as np
import pytest

import ufuncgen
from ufuncgen import CompileError, guvectorize, vectorize


@vectorize(["float64(float64, float64)", "float32(float32, float32)"], identity=0)
def module_level(a, b):
    return a * 0.5 + b


SCALE = 3.0


def _in_function():
    offset = 0.25

    @vectorize(["float64(float64)"], target="parallel")
    def shifted(x):
        return x * SCALE + offset

    return shifted


def _gufunc_in_function():
    @guvectorize(["void(float64[:], float64[:])"], "(n)->()")
    def total(x, out):
        acc = 0.0
        for i in range(x.shape[0]):
            acc += x[i]
        out[0] = acc

    return total


def _lambda():
    return vectorize(["int64(int64, int64)"])(lambda a, b: a * 3 - b)


def _lazy():
    @vectorize(identity=0)
    def lazy_mix(a, b):
        return a * SCALE - b

    return lazy_mix


def _lazy_gufunc():
    @guvectorize("(n)->()", target="parallel")
    def lazy_peak(x, out):
        m = x[0]
        for i in range(x.shape[0]):
            if x[i] > m:
                m = x[i]
        out[0] = m

    return lazy_peak


PICKLERS = {
    "pickle": (pickle.dumps, pickle.loads),
    "cloudpickle": (cloudpickle.dumps, pickle.loads),
}


@pytest.mark.parametrize("dumps,loads", PICKLERS.values(), ids=PICKLERS)
def test_module_level_ufunc_pickles_by_reference(dumps, loads):
    data = dumps(module_level)
    assert loads(data) is module_level
    assert len(data) < 100


@pytest.mark.parametrize("dumps,loads", PICKLERS.values(), ids=PICKLERS)
@pytest.mark.parametrize(
    "make,args",
    [
        (_in_function, (np.linspace(-5, 5, 1001),)),
        (_gufunc_in_function, (np.arange(60.0).reshape(6, 10),)),
        (_lambda, (np.arange(-50, 50), np.int64(7))),
        (_lazy, (np.arange(-5, 5, dtype=np.int16), np.float32(0.5))),
        (_lazy_gufunc, (np.arange(60.0).reshape(6, 10) % 7,)),
    ],
    ids=["function-body", "gufunc", "lambda", "lazy", "lazy-gufunc"],
)
def test_ufunc_defined_elsewhere_pickles_by_value(dumps, loads, make, args):
    f = make()
    data = dumps(f)
    assert len(data) < 4096, len(data)
    assert b"ELF" not in data  # no machine code travels
    g = loads(data)
    assert isinstance(g, np.ufunc) and g is not f
    np.testing.assert_array_equal(g(*args), f(*args), strict=True)  # lazy: compiles both
    assert (g.__name__, g.types, g.signature, g.identity) == (
        f.__name__,
        f.types,
        f.signature,
        f.identity,
    )
    np.testing.assert_array_equal(g(*args), f(*args), strict=True)
    # A second round trip of the rebuilt ufunc gives the same kernel again.
    np.testing.assert_array_equal(loads(dumps(g))(*args), f(*args), strict=True)


def test_unpickling_twice_compiles_once():
    data = pickle.dumps(_in_function())
    assert pickle.loads(data) is pickle.loads(data)


def _reduce_without_ufuncgen(obj):
    """What NumPy's own reducer (the one ufuncgen found installed) does with `obj`."""
    ours = copyreg.dispatch_table[np.ufunc]
    numpys = ours.__closure__[0].cell_contents
    return numpys(obj)


@pytest.mark.parametrize(
    "ufunc", [np.add, np.sin, np.matmul, np.frompyfunc(lambda x: x, 1, 1)], ids=str
)
def test_other_ufuncs_pickle_as_numpy_does(ufunc):
    assert getattr(copyreg.dispatch_table[np.ufunc], "_ufuncgen", False)
    assert copyreg.dispatch_table[np.ufunc](ufunc) == _reduce_without_ufuncgen(ufunc)
    try:
        expected = pickle.dumps(ufunc)
    except Exception as exc:  # frompyfunc ufuncs cannot be pickled by NumPy either
        with pytest.raises(type(exc)):
            pickle.dumps(ufunc)
        return
    assert pickle.loads(expected) is ufunc


def test_install_is_idempotent():
    before = copyreg.dispatch_table[np.ufunc]
    ufuncgen._pickle.install()
    assert copyreg.dispatch_table[np.ufunc] is before


def test_a_recipe_that_no_longer_compiles_raises_compile_error_with_its_origin():
    f = _in_function()
    recipe = f._ufuncgen_recipe
    source = recipe.args[2]  # a _records.KernelSource
    first_line = source.first_line
    broken = source.text.replace("return x * SCALE + offset", "return x * SCALE + 'offset'")
    bad = recipe._replace(args=(*recipe.args[:2], source._replace(text=broken), *recipe.args[3:]))
    f._ufuncgen_recipe = bad
    try:
        data = pickle.dumps(f)
    finally:
        f._ufuncgen_recipe = recipe
    with pytest.raises(CompileError) as info:
        pickle.loads(data)
    assert info.value.filename == __file__
    assert info.value.lineno == first_line + broken.splitlines().index(
        next(line for line in broken.splitlines() if "'offset'" in line)
    )


MAIN_SCRIPT = """
import pickle, sys
import numpy as np
from ufuncgen import vectorize, guvectorize

K = 2

@vectorize(["float64(float64)", "int32(int32)"])
def smooth(x):
    return x * K - 1

@guvectorize(["void(float64[:], float64[:])"], "(n)->(n)", target="parallel")
def cumulative(x, out):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
        out[i] = acc

sys.stdout.buffer.write(pickle.dumps((smooth, cumulative)))
"""

LOAD_SCRIPT = """
import pickle, sys
import numpy as np
smooth, cumulative = pickle.loads(sys.stdin.buffer.read())
x = np.linspace(-3, 3, 101)
np.testing.assert_array_equal(smooth(x), x * 2 - 1, strict=True)
assert smooth(np.arange(5, dtype=np.int32)).dtype == np.int32
np.testing.assert_array_equal(cumulative(np.ones((4, 5))), np.cumsum(np.ones((4, 5)), axis=1))
print("ok", smooth.__module__)
"""


def test_kernels_of_main_travel_to_another_process(tmp_path):
    script = tmp_path / "main_kernels.py"
    script.write_text(textwrap.dedent(MAIN_SCRIPT))
    made = subprocess.run(
        [sys.executable, str(script)], capture_output=True, timeout=120, check=False
    )
    assert made.returncode == 0, made.stderr.decode()[-2000:]
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT],
        input=made.stdout,
        capture_output=True,
        timeout=120,
        check=False,
        cwd=tmp_path.parent,
    )
    assert loaded.returncode == 0, loaded.stderr.decode()[-2000:]
    assert loaded.stdout.decode().split() == ["ok", "__main__"]

"""Kernel source and globals as handed to the compiler (no compiler needed)."""

import cmath
import math
import textwrap
from math import exp as e_alias

import numpy as np
import pytest

from ufuncgen import CompileError, _source

kernel_source = _source.kernel_source
collect_globals = _source.collect_globals
_classify = _source._classify

SCALE = 2.5
HALF = np.float32(0.5)
ARR = np.zeros(3)


def test_def_source_is_dedented_with_its_position():
    class Holder:
        def kernel(self, a):
            return a + 1

    src = kernel_source(Holder.kernel)
    assert src.text.startswith("def kernel(self, a):\n")
    assert src.filename == __file__
    with open(__file__) as f:
        lines = f.read().splitlines()
    assert lines[src.first_line - 1].strip() == "def kernel(self, a):"
    assert lines[src.first_line - 1][: src.col_offset].strip() == ""
    assert lines[src.first_line - 1][src.col_offset :] == "def kernel(self, a):"


def test_decorators_are_part_of_the_source():
    def deco(f):
        return f

    @deco
    def kernel(a):
        return a

    src = kernel_source(kernel)
    assert src.text.startswith("@deco\ndef kernel(a):")


def _file_text_at(src, line, col):
    with open(src.filename) as f:
        return f.read().splitlines()[line - 1][col:]


def test_lambda_source_is_only_the_lambda():
    pair = (lambda a, b: a * b, lambda x: x - 1)  # two lambdas on one line
    for fn, text in zip(pair, ("lambda a, b: a * b", "lambda x: x - 1"), strict=True):
        src = kernel_source(fn)
        assert src.text == text
        assert _file_text_at(src, src.first_line, src.col_offset).startswith(text)


def test_same_signature_lambdas_on_one_line_are_told_apart():
    fs = [lambda a: a + 1, lambda a: a * 7]
    assert kernel_source(fs[0]).text == "lambda a: a + 1"
    assert kernel_source(fs[1]).text == "lambda a: a * 7"


def test_multiline_lambda_inside_brackets_is_parenthesised():
    # fmt: off
    f = max(
        [lambda a,
         b: a + b],
        key=id,
    )
    # fmt: on
    src = kernel_source(f)
    compile(src.text, "<t>", "eval")
    assert "a + b" in src.text


def test_no_source_is_a_compile_error():
    ns = {}
    exec("def k(a):\n    return a\n", ns)
    with pytest.raises(CompileError, match="source") as info:
        kernel_source(ns["k"])
    assert info.value.function == "k"
    assert info.value.filename == "<string>"


def _globals_of(fn):
    return {name: rest for name, *rest in collect_globals(fn)}


def test_globals_are_classified():
    def kernel(a):
        return np.sin(a) * SCALE + HALF + math.pi + e_alias(a) + abs(a) + cmath.sqrt(a) + ARR

    g = _globals_of(kernel)
    assert g["np"] == ["module", "numpy", None]
    assert g["math"] == ["module", "math", None]
    assert g["cmath"] == ["module", "cmath", None]
    assert g["SCALE"] == ["const", 2.5, None]
    assert g["HALF"] == ["const", 0.5, "float32"]
    assert type(g["HALF"][1]) is float
    assert g["e_alias"] == ["callable", "math.exp", None]
    assert g["abs"] == ["callable", "builtins.abs", None]
    # Module-level arrays are frozen: dtype, shape and C-order bytes.
    assert g["ARR"] == ["array", ("float64", [3], ARR.tobytes()), None]


def test_numpy_aliases_and_scalar_types_are_callables():
    from numpy import abs as npabs
    from numpy import float32 as f4

    def kernel(a):
        return f4(npabs(a))

    g = _globals_of(kernel)
    assert g["f4"] == ["callable", "numpy.float32", None]
    assert g["npabs"] == ["callable", "numpy.absolute", None]


def test_closure_values_win_and_are_frozen():
    SCALE = 3  # noqa: N806 (shadows the module constant on purpose)
    flag = True
    z = 1 + 2j

    def kernel(a):
        return a * SCALE if flag else z

    g = _globals_of(kernel)
    assert g["SCALE"] == ["const", 3, None]
    assert g["flag"] == ["const", True, None]
    assert g["z"] == ["const", 1 + 2j, None]


def test_unknown_and_unresolvable_names():
    def kernel(a):
        return textwrap.dedent(a) + undefined_name  # noqa: F821

    g = _globals_of(kernel)
    assert g["textwrap"] == ["other", "module 'textwrap'", None]
    assert "undefined_name" not in g


@pytest.mark.parametrize(
    "value", [np.bool_(True), np.int8(-3), np.uint64(2**63), np.float64(0.1), np.complex64(1 + 2j)]
)
def test_numpy_scalars_keep_their_dtype(value):
    assert _classify(value) == ("const", value.item(), value.dtype.name)


def test_unsupported_numpy_scalars_and_containers_are_other():
    assert _classify(np.datetime64("2020-01-01"))[0] == "other"
    assert _classify([1, 2]) == ("other", "list", None)


def test_def_ends_finds_every_def_in_every_kind_of_block():
    # `_def_ends` walks statement blocks only; every `def` below sits in a different one.
    text = textwrap.dedent(
        """
        import functools

        @functools.cache
        def top(x):
            def inner(y):
                return y
            return inner(x)

        class C:
            def method(self):
                pass

        if True:
            def in_if():
                pass
        else:
            def in_else():
                pass

        try:
            def in_try():
                pass
        except ValueError:
            def in_except():
                pass
        finally:
            def in_finally():
                pass

        for _ in ():
            def in_for():
                pass
        while False:
            def in_while():
                pass
        with open(__file__):
            def in_with():
                pass

        match 1:
            case 1:
                def in_case():
                    pass

        async def coroutine():
            def in_async():
                pass

        f = lambda: None  # a lambda is no `def`
        """
    )
    ends = _source._def_ends(text)
    names = sorted(name for name, _ in ends)
    assert names == sorted(
        "top inner method in_if in_else in_try in_except in_finally in_for in_while in_with "
        "in_case coroutine in_async".split()
    )
    lines = text.splitlines()
    first, last = next((k, v) for k, v in ends.items() if k[0] == "top")
    assert lines[first[1] - 1].startswith("@functools.cache")
    assert lines[last - 1].strip() == "return inner(x)"


def test_exec_code_never_takes_another_programs_text_from_linecache():
    # CPython 3.13 keeps `python -c`'s text in linecache under "<string>", the file name of
    # code made by exec: a kernel exec'd from a string must not compile that text instead.
    import linecache

    other = "def k(a):\n    return a + 100\n"
    saved = linecache.cache.get("<string>")
    linecache.cache["<string>"] = (len(other), None, other.splitlines(True), "<string>")
    try:
        ns: dict = {}
        exec("def k(a):\n    return a\n", ns)
        with pytest.raises(CompileError, match="source code is not available"):
            kernel_source(ns["k"])
        # The same text the function was made from is still accepted.
        exec(other, ns)
        assert "a + 100" in kernel_source(ns["k"]).text
    finally:
        if saved is None:
            linecache.cache.pop("<string>", None)
        else:
            linecache.cache["<string>"] = saved

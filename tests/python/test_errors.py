"""Bad kernels and bad arguments: each raises the documented exception class, with a message
that names the function, the file and the line at fault; none crashes the interpreter."""

from __future__ import annotations

import inspect
import math
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from ufuncgen import CompileError, SignatureError, TypingError, UnsupportedError, vectorize

LOOKUP_TABLE = [1.0, 2.0]  # not a number: a kernel may not read it
MARK = "# <- error"


@dataclass(frozen=True)
class Case:
    """One bad input: the kernel, its signatures, and the exception it must raise."""

    id: str
    kernel: object
    signatures: object
    exc: type
    options: dict = field(default_factory=dict)

    def compile(self):
        return vectorize(self.signatures, **self.options)(self.kernel)


def expected_line(kernel) -> int:
    """The line marked ``# <- error`` in the kernel's source, else its ``def`` line."""
    lines, first = inspect.getsourcelines(kernel)
    for i, text in enumerate(lines):
        if MARK in text:
            return first + i
    return first


# --- kernels that are fine, used with bad signatures -------------------------------------


def one_arg(x):
    return x + 1.0


def two_args(a, b):
    return a + b


# --- outside the kernel language ---------------------------------------------------------


def k_string(x):
    return "text"  # <- error


def k_list(x):
    y = [x, x]  # noqa: F841  # <- error
    return x


def k_dict(x):
    y = {1: x}  # noqa: F841  # <- error
    return x


def k_set(x):
    y = {x}  # noqa: F841  # <- error
    return x


def k_tuple_return(x):
    return x, x  # <- error


def k_try(x):
    try:  # <- error
        y = x
    except ZeroDivisionError:
        y = 0.0
    return y


def k_with(x):
    with open("f"):  # <- error
        pass
    return x


def k_import(x):
    import math  # <- error

    return math.exp(x)


def k_lambda(x):
    g = lambda y: y  # noqa: F841  # <- error
    return x


def k_listcomp(x):
    y = sum([i for i in range(3)])  # <- error
    return x + y


def k_genexp(x):
    y = sum(i for i in range(3))  # <- error
    return x + y


def k_print(x):
    print(x)  # <- error
    return x


def k_global(x):
    global LOOKUP_TABLE  # <- error
    return x


def k_yield(x):
    yield x  # <- error


def k_fstring(x):
    y = f"{x}"  # noqa: F841  # <- error
    return x


def k_star_args(*args):  # <- error
    return 1.0


def k_kwargs(x, **kw):  # <- error
    return x


def k_kwonly(x, *, y):  # <- error
    return x


def k_default(x, y=1.0):  # <- error
    return x + y


def k_keyword_call(x):
    return math.copysign(x, y=1.0)  # <- error


def k_is(x, y):
    return x is y  # <- error


def k_in(x, y):
    return x in y  # <- error


def k_del(x):
    y = x
    del y  # <- error
    return x


def k_walrus(x):
    return (y := x) + 1.0  # noqa: F841  # <- error


def k_nested_def(x):
    def inner(y):  # <- error
        return y

    return x


def k_class(x):
    class Inner:  # <- error
        pass

    return x


async def k_async(x):  # <- error
    return x


def k_unknown_builtin(x):
    return sorted(x)  # <- error


def k_other_module(x):
    return os.getpid() + x  # <- error


def k_non_numeric_global(x):
    return x + LOOKUP_TABLE  # <- error


# --- types that do not fit ---------------------------------------------------------------


def k_complex_order(a, b):
    return a < b  # <- error


def k_return_complex(x):
    return x * 1j  # <- error


def k_return_float_from_int(x):
    return x / 2  # <- error


def k_float_and(a, b):
    return a & b  # <- error


def k_float_shift(x):
    return x << 1  # <- error


def k_float_invert(x):
    return ~x  # <- error


def k_unknown_name(x):
    return x + no_such_name  # noqa: F821  # <- error


def k_number_attribute(x):
    return x.foo  # <- error


def k_math_arity(x):
    return math.atan2(x)  # <- error


def k_math_on_complex(z):
    return math.floor(z)  # <- error


def k_complex_mod(a, b):
    return a % b  # <- error


def k_unassigned(x):
    if x > 0:
        y = 1.0
    return y  # <- error


def k_index_scalar(x):
    return x[0] + 1.0  # <- error


def k_index_local(x):
    y = x * 2.0
    return y[1]  # <- error


def k_float_range(x):
    total = 0.0
    for i in range(x):  # <- error
        total += i
    return total


# --- no source to compile ----------------------------------------------------------------

_NS: dict = {}
exec("def from_exec(x):\n    return x + 1.0\n", _NS)
from_exec = _NS["from_exec"]

F8 = ["float64(float64)"]
F8F8 = ["float64(float64, float64)"]

CASES = [
    # malformed signatures
    Case("sig-empty", one_arg, [""], SignatureError),
    Case("sig-unknown-type", one_arg, ["float65(float64)"], SignatureError),
    Case("sig-unknown-arg-type", one_arg, ["float64(quadruple)"], SignatureError),
    Case("sig-unbalanced-open", one_arg, ["float64(float64"], SignatureError),
    Case("sig-unbalanced-close", one_arg, ["float64(float64))"], SignatureError),
    Case("sig-missing-comma", two_args, ["float64(float64 float64)"], SignatureError),
    Case("sig-garbage", one_arg, ["hello world"], SignatureError),
    Case("sig-array-type", one_arg, ["float64(float64[:])"], SignatureError),
    Case("sig-void-return", one_arg, ["void(float64)"], SignatureError),
    Case("sig-no-args", one_arg, ["float64()"], SignatureError),
    Case("sig-arity-too-many", one_arg, F8F8, SignatureError),
    Case("sig-arity-too-few", two_args, F8, SignatureError),
    Case("sig-second-bad", one_arg, ["float64(float64)", "int64(int64"], SignatureError),
    # outside the kernel language
    Case("string", k_string, F8, UnsupportedError),
    Case("list", k_list, F8, UnsupportedError),
    Case("dict", k_dict, F8, UnsupportedError),
    Case("set", k_set, F8, UnsupportedError),
    Case("tuple-return", k_tuple_return, F8, UnsupportedError),
    Case("try", k_try, F8, UnsupportedError),
    Case("with", k_with, F8, UnsupportedError),
    Case("import", k_import, F8, UnsupportedError),
    Case("inner-lambda", k_lambda, F8, UnsupportedError),
    Case("list-comprehension", k_listcomp, F8, UnsupportedError),
    Case("generator-expression", k_genexp, F8, UnsupportedError),
    Case("print", k_print, F8, UnsupportedError),
    Case("global", k_global, F8, UnsupportedError),
    Case("yield", k_yield, F8, UnsupportedError),
    Case("f-string", k_fstring, F8, UnsupportedError),
    Case("star-args", k_star_args, F8, UnsupportedError),
    Case("star-kwargs", k_kwargs, F8, UnsupportedError),
    Case("keyword-only", k_kwonly, F8F8, UnsupportedError),
    Case("default-arg", k_default, F8F8, UnsupportedError),
    Case("keyword-call", k_keyword_call, F8, TypingError),  # Python rejects it too
    Case("is", k_is, ["bool(float64, float64)"], UnsupportedError),
    Case("in", k_in, ["bool(float64, float64)"], UnsupportedError),
    Case("del", k_del, F8, UnsupportedError),
    Case("walrus", k_walrus, F8, UnsupportedError),
    Case("nested-def", k_nested_def, F8, UnsupportedError),
    Case("class", k_class, F8, UnsupportedError),
    Case("async", k_async, F8, UnsupportedError),
    Case("unknown-builtin", k_unknown_builtin, F8, UnsupportedError),
    Case("other-module", k_other_module, F8, UnsupportedError),
    Case("non-numeric-global", k_non_numeric_global, F8, UnsupportedError),
    # types that do not fit
    Case("complex-order", k_complex_order, ["bool(complex128, complex128)"], TypingError),
    Case("return-complex", k_return_complex, F8, TypingError),
    Case("return-float-from-int", k_return_float_from_int, ["int64(int64)"], TypingError),
    Case("float-bitand", k_float_and, F8F8, TypingError),
    Case("float-shift", k_float_shift, F8, TypingError),
    Case("float-invert", k_float_invert, F8, TypingError),
    Case("unknown-name", k_unknown_name, F8, TypingError),
    Case("number-attribute", k_number_attribute, F8, TypingError),
    Case("math-arity", k_math_arity, F8, TypingError),
    Case("math-on-complex", k_math_on_complex, ["int64(complex128)"], TypingError),
    Case("complex-mod", k_complex_mod, ["complex128(complex128, complex128)"], TypingError),
    Case("maybe-unassigned", k_unassigned, F8, TypingError),
    Case("float-range", k_float_range, F8, TypingError),
    Case("index-scalar-param", k_index_scalar, F8, TypingError),
    Case("index-scalar-local", k_index_local, ["int64(int64)"], TypingError),
    # no source
    Case("exec-defined", from_exec, F8, CompileError),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_compile_error(case):
    with pytest.raises(CompileError) as info:
        case.compile()
    err = info.value
    assert type(err) is case.exc, f"{type(err).__name__}: {err}"
    msg = str(err)
    name = case.kernel.__name__
    assert err.function == name
    assert f"'{name}'" in msg
    if case.kernel is from_exec:
        return  # no file, no line: the message says the source is missing
    line = expected_line(case.kernel)
    assert err.lineno == line, msg
    assert f"line {line}" in msg
    assert Path(err.filename).name == Path(__file__).name
    assert Path(__file__).name in msg


def test_signature_error_is_a_value_error():
    with pytest.raises(ValueError):
        vectorize(["float64(float64"])(one_arg)


@pytest.mark.parametrize("bad", [[1], 3.5, [None], ["float64(float64)", 2]], ids=repr)
def test_non_string_signature(bad):
    with pytest.raises(SignatureError):
        vectorize(bad)(one_arg)


def _stable_id(value: object) -> str:
    # The same in every process (pytest-xdist compares the collected ids): no address.
    return "object()" if type(value) is object else repr(value)


@pytest.mark.parametrize("identity", ["zero", [0], object(), "Reorderable", {}], ids=_stable_id)
def test_bad_identity(identity):
    with pytest.raises(ValueError):
        vectorize(F8F8, identity=identity)(two_args)


@pytest.mark.parametrize("target", ["gpu", "cuda", "", "CPU ", None], ids=repr)
def test_bad_target(target):
    with pytest.raises(ValueError):
        vectorize(F8, target=target)(one_arg)


@pytest.mark.parametrize("kwargs", [{"foo": 1}, {"boundscheck": False}, {"signature": F8}])
def test_unknown_keyword(kwargs):
    with pytest.raises(TypeError):
        vectorize(F8, **kwargs)(one_arg)


def test_errors_leave_working_state():
    """A failed compile leaves nothing behind: the next good kernel compiles and runs."""
    for case in CASES[:20]:
        with pytest.raises(CompileError):
            case.compile()
    f = vectorize(F8)(one_arg)
    np.testing.assert_array_equal(f(np.arange(3.0)), [1.0, 2.0, 3.0])


SURVIVAL_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
import test_errors as t
raised = 0
for case in t.CASES:
    try:
        case.compile()
    except case.exc:
        raised += 1
print("raised", raised, "of", len(t.CASES))
"""


def test_interpreter_survives_every_case():
    here = str(Path(__file__).parent)
    proc = subprocess.run(
        [sys.executable, "-c", SURVIVAL_SCRIPT.format(here=here)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"raised {len(CASES)} of {len(CASES)}" in proc.stdout, proc.stdout + proc.stderr


# --- diagnostics are data, rendered once --------------------------------------------------


def test_message_is_rendered_from_the_fields():
    """The exception carries the bare message, the position and the snippet; its text is
    rendered from them by one helper, in the compiler's own format."""
    from ufuncgen.errors import located_message

    with pytest.raises(TypingError) as info:
        vectorize(F8)(k_return_complex)
    err = info.value
    assert "(in function" not in err.message
    assert err.snippet and "^" in err.snippet
    assert str(err) == located_message(
        err.message, err.function, err.filename, err.lineno, err.col, err.snippet
    )
    assert str(err).splitlines()[-1].strip().startswith("^")


def _arity_mismatch():
    @vectorize(["float64(float64, float64)"])  # <- error
    def lonely(x):
        return x

    return lonely


def _bad_layout():
    from ufuncgen import guvectorize

    @guvectorize(["void(float64[:], float64[:])"], "(n)->(n")  # <- error
    def g(x, out):
        out[0] = x[0]

    return g


@pytest.mark.parametrize(
    ("make", "literal"),
    [(_arity_mismatch, '"float64(float64, float64)"'), (_bad_layout, '"(n)->(n"')],
    ids=["arity", "layout"],
)
def test_signature_errors_point_at_the_decorator_string(make, literal):
    with pytest.raises(SignatureError) as info:
        make()
    err = info.value
    lines, first = inspect.getsourcelines(make)
    line_no = next(first + i for i, t in enumerate(lines) if MARK in t)
    text = lines[line_no - first]
    assert err.lineno == line_no, str(err)
    assert err.col == text.index(literal) + 1, str(err)
    caret_line = err.snippet.splitlines()[1]
    assert caret_line.strip() == "^" * len(literal), err.snippet

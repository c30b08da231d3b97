"""The decorator's argument handling and the mapping of compiler errors to Python."""

import inspect
import pickle

import numpy as np
import pytest

import ufuncgen
from ufuncgen import CompileError, SignatureError, vectorize


def kernel(a, b):
    return a + b


@pytest.mark.parametrize("target", ["gpu", "CPU", None, 1])
def test_unknown_target_is_a_value_error(target):
    with pytest.raises(ValueError, match="target"):
        vectorize(["f8(f8, f8)"], target=target)


def test_parallel_target_gives_a_ufunc():
    f = vectorize(["f8(f8, f8)"], target="parallel")(lambda a, b: a - b)
    assert isinstance(f, np.ufunc) and f.types == ["dd->d"]


@pytest.mark.parametrize("sigs", [None, []])
def test_no_signatures_give_a_lazy_ufunc(sigs):
    for f in (vectorize(sigs)(kernel), vectorize()(kernel)):
        assert isinstance(f, np.ufunc)
        assert f.types == []
        assert f.nin == 2 and f.nout == 1


def test_bare_decorator_is_lazy():
    f = vectorize(kernel)
    assert isinstance(f, np.ufunc) and f.__name__ == "kernel"
    np.testing.assert_array_equal(f(np.arange(3), 1), [1, 2, 3])
    assert f.types == ["ll->l"]


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError):
        vectorize(["f8(f8, f8)"], nopythn=True)


@pytest.mark.parametrize("identity", ["reorder", [0], object(), b"0", np.datetime64(1, "s")])
def test_bad_identity_is_a_value_error(identity):
    with pytest.raises(ValueError, match="identity"):
        vectorize(["f8(f8, f8)"], identity=identity)


@pytest.mark.parametrize("sigs", [[1.0], ["f8(f8, f8)", None], 3])
def test_non_string_signature_is_a_signature_error(sigs):
    with pytest.raises(SignatureError) as info:
        vectorize(sigs)(kernel)
    assert isinstance(info.value, ValueError)
    assert info.value.function == "kernel"
    assert info.value.filename == __file__


def test_non_function_is_a_type_error():
    with pytest.raises(TypeError):
        vectorize(["f8(f8, f8)"])(np.sin)


def test_compile_errors_carry_their_position():
    def broken(a, b):
        return a + b

    line = inspect.getsourcelines(broken)[1]
    with pytest.raises(SignatureError) as info:
        vectorize(["float64(float64,"])(broken)
    err = info.value
    assert (err.function, err.filename) == ("broken", __file__)
    assert err.lineno == line
    text = str(err)
    assert "broken" in text and __file__ in text and f"line {line}" in text


def test_error_classes_form_the_documented_hierarchy():
    assert issubclass(ufuncgen.TypingError, CompileError)
    assert issubclass(ufuncgen.UnsupportedError, CompileError)
    assert issubclass(SignatureError, CompileError) and issubclass(SignatureError, ValueError)
    err = pickle.loads(pickle.dumps(ufuncgen.TypingError("m", function="f", lineno=3)))
    assert (err.function, err.lineno, err.col) == ("f", 3, None)
    assert (err.message, str(err)) == ("m", "m (in function 'f', line 3)")


def test_public_names():
    for name in ("vectorize", "inspect_llvm", "inspect_asm", "config", "__version__"):
        assert hasattr(ufuncgen, name)


@pytest.mark.parametrize(
    "code", ["def k(a):\n    return a\n", "k = lambda a: a\n"], ids=["def", "lambda"]
)
def test_kernel_without_source_is_a_compile_error(code):
    ns = {}
    exec(code, ns)
    with pytest.raises(CompileError, match="source code is not available") as info:
        vectorize(["f8(f8)"])(ns["k"])
    assert info.value.filename == "<string>"
    assert not isinstance(info.value, SignatureError)

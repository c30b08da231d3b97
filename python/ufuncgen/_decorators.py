"""The `vectorize` decorator (Numba-compatible, nopython subset): kernel → real `numpy.ufunc`."""

from __future__ import annotations

import functools
import numbers
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _cache, _njit, _pickle, _source
from ._records import CompileOptions, FrozenGlobal, KernelParts, KernelSource
from ._runtime import vector_math
from .errors import SignatureError

__all__ = ["vectorize"]

# NumPy's identity codes (ufuncobject.h).
_PYUFUNC_ZERO = 0
_PYUFUNC_ONE = 1
_PYUFUNC_NONE = -1
_PYUFUNC_REORDERABLE_NONE = -2
_PYUFUNC_IDENTITY_VALUE = -3

_TARGETS = ("cpu", "parallel")


def _identity(identity: object) -> tuple[int, object]:
    """NumPy's identity code and value for the decorator's `identity` argument."""
    if identity is None:
        return (_PYUFUNC_NONE, None)
    if isinstance(identity, str):
        if identity == "reorderable":
            return (_PYUFUNC_REORDERABLE_NONE, None)
    elif type(identity) is int and identity in (0, 1):
        return (_PYUFUNC_ONE if identity else _PYUFUNC_ZERO, None)
    elif isinstance(identity, numbers.Number | np.generic) and not isinstance(
        identity, np.flexible | np.datetime64 | np.timedelta64
    ):
        return (_PYUFUNC_IDENTITY_VALUE, identity)
    raise ValueError(
        f"identity must be None, 0, 1, 'reorderable' or a numeric scalar, not {identity!r}"
    )


def _check_target(target: object) -> None:
    if target not in _TARGETS:
        raise ValueError(f"target must be one of {', '.join(map(repr, _TARGETS))}, not {target!r}")


def _signature_list(signatures: object, func: types.FunctionType) -> list[str]:
    """The signature strings in the user's order; anything but strings is a SignatureError."""
    items: Sequence[object]
    if isinstance(signatures, str):
        items = [signatures]
    elif isinstance(signatures, list | tuple):
        items = signatures
    else:
        items = [signatures]
    bad = [s for s in items if not isinstance(s, str)]
    if bad:
        raise SignatureError.in_function(
            f"signatures must be strings such as 'float64(float64, float64)', not {bad[0]!r}",
            func,
        )
    return [s for s in items if isinstance(s, str)]


def vectorize(
    signatures: Any = None,
    *,
    identity: object = None,
    target: str = "cpu",
    cache: bool = False,
    nopython: bool = True,
    fastmath: bool = False,
) -> Any:
    """Compile a scalar Python kernel into a `numpy.ufunc`, one loop per signature.

    Usable as ``@vectorize(["float64(float64, float64)", ...])``, as bare ``@vectorize``
    and as ``vectorize(sigs)(lambda a, b: ...)``. See shared/API.md for the contract.
    """
    if isinstance(signatures, types.FunctionType):
        # Bare `@vectorize`: the function arrives in place of the signatures.
        return vectorize(
            None,
            identity=identity,
            target=target,
            cache=cache,
            nopython=nopython,
            fastmath=fastmath,
        )(signatures)
    _check_target(target)
    identity_code, identity_value = _identity(identity)
    del nopython  # there is no object mode: nopython=False compiles the same way
    options = CompileOptions(
        fastmath=bool(fastmath),
        identity=identity_code,
        identity_value=identity_value,
        parallel=target == "parallel",
    )
    lazy = signatures is None or (isinstance(signatures, list | tuple) and not signatures)

    def decorate(func: Callable[..., Any]) -> np.ufunc:
        if not isinstance(func, types.FunctionType):
            raise TypeError(f"vectorize needs a Python function, not {type(func).__name__}")
        opts = _with_cache(options, func) if cache else options
        if lazy:
            if _pickle.RECORDING is not None:  # `ufuncgen build` exports eager kernels only
                return _pickle.RECORDING.skip_lazy(func)
            return _lazy_ufunc(func, opts)
        sigs = _signature_list(signatures, func)
        name, doc, source, globals_ = _kernel_parts(func)
        from . import _native

        args = (name, doc, source, sigs, globals_, opts)
        if _pickle.RECORDING is not None:  # `ufuncgen build`: compiled per CPU level later
            recipe = _pickle.Recipe("compile_vectorize", args, func.__module__)
            return _pickle.RECORDING.defer(recipe)
        ufunc = _native.compile_vectorize(*args)
        _set_module(ufunc, func)
        _pickle.attach(ufunc, _pickle.Recipe("compile_vectorize", args, func.__module__))
        _njit.remember_ufunc(ufunc, func)
        return ufunc

    return decorate


def _lazy_ufunc(
    func: types.FunctionType,
    options: CompileOptions,
    layout: str | None = None,
    writable: Sequence[int] = (),
    boundscheck: bool = True,
) -> np.ufunc:
    """A real `numpy.ufunc` that compiles a loop for each new combination of input dtypes."""
    from . import _native

    code = func.__code__
    args = (
        func.__name__,
        func.__doc__,
        functools.partial(_lazy_parts, func),
        options,
        code.co_argcount,
        layout,
        list(writable),
        boundscheck,
    )
    ufunc = _native.create_lazy_ufunc(*args)
    _set_module(ufunc, func)
    if layout is None:
        _njit.remember_ufunc(ufunc, func, lazy=True)
    _pickle.attach(ufunc, _pickle.Recipe("create_lazy_ufunc", args, func.__module__))
    return ufunc


def _lazy_parts(func: types.FunctionType) -> KernelParts:
    """Source and frozen globals of a lazy kernel, taken at its first compilation."""
    _, _, source, globals_ = _kernel_parts(func)
    return KernelParts(source, globals_)


def _kernel_parts(
    func: types.FunctionType,
) -> tuple[str, str | None, KernelSource, list[FrozenGlobal]]:
    """What the compiler needs of a kernel: name, docstring, located source, frozen globals."""
    source = _source.kernel_source(func)
    globals_ = _source.collect_globals(func)
    vector_math()  # generated code links against the library bound here
    return func.__name__, func.__doc__, source, globals_


def _with_cache(options: CompileOptions, func: types.FunctionType) -> CompileOptions:
    """`options` plus the cache's (none when `func` cannot be cached)."""
    opts = options.copy()
    opts.update(_cache.cache_options(func))
    return opts


def _set_module(ufunc: np.ufunc, func: types.FunctionType) -> None:
    # NumPy pickles a ufunc by module and name; NumPy >= 2.2 lets us say which module.
    try:
        ufunc.__module__ = func.__module__
    except (AttributeError, TypeError):
        pass

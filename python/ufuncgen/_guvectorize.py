"""The `guvectorize` decorator (Numba-compatible): array kernel + layout → real gufunc."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _pickle
from ._decorators import (
    _check_target,
    _identity,
    _kernel_parts,
    _lazy_ufunc,
    _set_module,
    _signature_list,
    _with_cache,
)
from ._records import CompileOptions
from .errors import SignatureError

__all__ = ["guvectorize"]


def _signature_error(func: types.FunctionType, message: str) -> SignatureError:
    return SignatureError.in_function(message, func)


def _writable_indices(writable_args: object, func: types.FunctionType) -> list[int]:
    """Parameter indices for `writable_args` given as indices or parameter names."""
    if isinstance(writable_args, int | str):
        items: list[object] = [writable_args]
    elif isinstance(writable_args, list | tuple | set | frozenset):
        items = list(writable_args)
    else:
        raise _signature_error(
            func, f"writable_args must be a sequence of indices or names, not {writable_args!r}"
        )
    code = func.__code__
    params = list(code.co_varnames[: code.co_argcount])
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise _signature_error(
                func, f"writable_args items must be parameter indices or names, not {item!r}"
            )
        if isinstance(item, str):
            if item not in params:
                raise _signature_error(
                    func, f"writable_args names {item!r}, which is not a parameter of the function"
                )
            indices.append(params.index(item))
        elif item < 0:
            raise _signature_error(func, f"writable_args index {item} is out of range")
        else:
            # The compiler checks the upper bound against the layout's argument count.
            indices.append(item)
    return sorted(set(indices))


def guvectorize(
    signatures: Any,
    layout: Any = None,
    *,
    identity: object = None,
    target: str = "cpu",
    cache: bool = False,
    nopython: bool = True,
    fastmath: bool = False,
    boundscheck: bool = True,
    writable_args: Any = (),
) -> Callable[[Callable[..., Any]], np.ufunc]:
    """Compile an array kernel into a generalized `numpy.ufunc`, one loop per signature.

    ``@guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),(n)->()")``: the kernel
    writes its results into its trailing (output) arguments. See shared/API.md.
    """
    if layout is None:
        if not (isinstance(signatures, str) and "->" in signatures):
            raise TypeError("guvectorize() needs a layout such as '(n),(n)->()'")
        # `@guvectorize("(n)->()")`: the layout alone makes a lazy gufunc.
        signatures, layout = None, signatures
    lazy = signatures is None or (isinstance(signatures, list | tuple) and not signatures)
    _check_target(target)
    identity_code, identity_value = _identity(identity)
    del nopython  # there is no object mode: nopython=False compiles the same way
    options = CompileOptions(
        fastmath=bool(fastmath),
        parallel=target == "parallel",
        identity=identity_code,
        identity_value=identity_value,
    )

    def decorate(func: Callable[..., Any]) -> np.ufunc:
        if not isinstance(func, types.FunctionType):
            raise TypeError(f"guvectorize needs a Python function, not {type(func).__name__}")
        if not isinstance(layout, str):
            raise _signature_error(
                func, f"the layout must be a string such as '(n),(n)->()', not {layout!r}"
            )
        writable = _writable_indices(writable_args, func)
        opts = _with_cache(options, func) if cache else options
        if lazy:
            if _pickle.RECORDING is not None:  # `ufuncgen build` exports eager kernels only
                return _pickle.RECORDING.skip_lazy(func)
            return _lazy_ufunc(func, opts, layout, writable, bool(boundscheck))
        sigs = _signature_list(signatures, func)
        name, doc, source, globals_ = _kernel_parts(func)
        from . import _native

        args = (name, doc, source, sigs, globals_, opts, layout, writable, bool(boundscheck))
        if _pickle.RECORDING is not None:  # `ufuncgen build`: compiled per CPU level later
            recipe = _pickle.Recipe("compile_guvectorize", args, func.__module__)
            return _pickle.RECORDING.defer(recipe)
        ufunc = _native.compile_guvectorize(*args)
        _set_module(ufunc, func)
        _pickle.attach(ufunc, _pickle.Recipe("compile_guvectorize", args, func.__module__))
        return ufunc

    return decorate

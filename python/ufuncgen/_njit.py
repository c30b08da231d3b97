"""`njit`, `jit` and `prange`: Numba's spellings for helpers written in the kernel language.

A decorated helper stays the Python function it was (callable from Python as before), marked
with the options and signatures it was given; kernels that call it compile and inline it. So
`from numba import njit, prange` can become `from ufuncgen import njit, prange`."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["jit", "njit", "prange"]

# Numba's dispatcher options: accepted (they change nothing here or need nothing), so a helper
# written for Numba compiles unchanged. Anything else is a TypeError, as Numba raises.
_OPTIONS = frozenset(
    "cache nogil fastmath parallel boundscheck error_model inline nopython forceobj locals "
    "looplift debug no_cpython_wrapper no_cfunc_wrapper no_rewrites target".split()
)

#: Inside kernels, `prange` is `range` (the kernel's own loop over elements is what runs in
#: parallel); in Python it is `range` too.
prange = range

# The marker attribute: `{"signatures": [...], "options": {...}}`.
MARK = "__ufuncgen_njit__"

# The attribute a vectorize ufunc built here carries: its Python kernel, so kernels that call
# the ufunc on scalars can compile it. (NumPy 2 ufuncs have a __dict__; the attribute lives
# and dies with the ufunc.)
_KERNEL_ATTR = "__ufuncgen_kernel__"


# Set on lazy ufuncs: a kernel calling one types it by its own arguments (a new loop), not by
# the loops compiled so far.
_LAZY_ATTR = "__ufuncgen_lazy__"


def remember_ufunc(ufunc: Any, func: types.FunctionType, lazy: bool = False) -> None:
    """Records that `ufunc` was compiled from `func` (kernels may call it on scalars)."""
    try:
        setattr(ufunc, _KERNEL_ATTR, func)
        if lazy:
            setattr(ufunc, _LAZY_ATTR, True)
    except (AttributeError, TypeError):
        pass  # a NumPy without ufunc attributes: the ufunc cannot be called from kernels


def is_lazy(ufunc: Any) -> bool:
    """True for a lazy (signature-less) ufunc built here."""
    return getattr(ufunc, _LAZY_ATTR, False) is True


def ufunc_kernel(value: Any) -> types.FunctionType | None:
    """The Python kernel behind a ufunc this package built, if `value` is one."""
    if not isinstance(value, np.ufunc):
        return None
    func = getattr(value, _KERNEL_ATTR, None)
    return func if isinstance(func, types.FunctionType) else None


def _signature_strings(signature: Any) -> list[str]:
    if signature is None:
        return []
    if isinstance(signature, list | tuple):
        return [s for s in signature if isinstance(s, str)]
    # Numba signature objects (numba.types) have no meaning here; the helper is typed by
    # its call sites.
    return [signature] if isinstance(signature, str) else []


def _decorator(who: str, signature: Any, options: dict[str, Any]) -> Callable[[Any], Any]:
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise TypeError(f"{who}() got an unexpected keyword argument '{unknown[0]}'")
    if options.get("forceobj"):
        raise TypeError(f"{who}(forceobj=True): ufuncgen has no object mode")
    signatures = _signature_strings(signature)

    def mark(func: Any) -> Any:
        if not isinstance(func, types.FunctionType):
            raise TypeError(f"{who} needs a Python function, not {type(func).__name__}")
        setattr(func, MARK, {"signatures": signatures, "options": dict(options)})
        return func

    return mark


def njit(signature_or_function: Any = None, /, **options: Any) -> Any:
    """Marks a helper written in the kernel language, as Numba's `njit` does.

    Usable bare (``@njit``), with options (``@njit(cache=True, fastmath=True)``) and with a
    signature (``@njit("float64(float64)")``, or a list of them): then a kernel's call converts
    its arguments to the first signature they reach by safe casting. Returns the function
    itself, still callable from Python."""
    if isinstance(signature_or_function, types.FunctionType):
        return _decorator("njit", None, options)(signature_or_function)
    return _decorator("njit", signature_or_function, options)


def jit(signature_or_function: Any = None, /, **options: Any) -> Any:
    """Numba's `jit`: the same as `njit` (there is no object mode; `nopython` is accepted)."""
    if isinstance(signature_or_function, types.FunctionType):
        return _decorator("jit", None, options)(signature_or_function)
    return _decorator("jit", signature_or_function, options)

"""The records Python hands the compiler (`_native`): each has one typed shape here and a named
Rust struct in the binding crate that reads it field by field (`#[derive(FromPyObject)]`: a
NamedTuple's fields by attribute, a TypedDict's by key), so a record of the wrong shape fails
with the field's name instead of a tuple position."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple, NotRequired, TypedDict

__all__ = [
    "ArrayPayload",
    "CacheOptions",
    "CompileOptions",
    "FrozenGlobal",
    "FunctionPayload",
    "GlobalKind",
    "KernelParts",
    "KernelSource",
]


class KernelSource(NamedTuple):
    """Source text plus where it sits in its file, so errors point at the real position."""

    text: str
    filename: str
    first_line: int  # 1-based line of `text`'s first line in `filename`
    col_offset: int  # characters removed from the start of every line


# What a frozen global is, which decides its payload:
#   "module": "math" | "numpy" | "cmath"; "const": a Python bool/int/float/complex (`dtype`
#   names the NumPy scalar type it came from, if any); "callable": a qualified name such as
#   "numpy.exp"; "function": a FunctionPayload; "array": an ArrayPayload; "other": a description
#   of a value the kernel language cannot use (reported where the kernel reads it).
GlobalKind = Literal["module", "const", "callable", "function", "array", "other"]


class FrozenGlobal(NamedTuple):
    """One name the kernel reads from outside, with its value classified at decoration time."""

    name: str
    kind: GlobalKind
    payload: Any
    dtype: str | None = None


class FunctionPayload(NamedTuple):
    """A kernel-language function the kernel calls: its source, its own frozen globals, and its
    signatures (an `njit` helper's or a ufunc's loops; empty: typed by its call sites)."""

    name: str
    source: KernelSource
    globals: list[FrozenGlobal]
    signatures: list[str]


class ArrayPayload(NamedTuple):
    """A module-level array, frozen: dtype name, shape, C-order native-endian bytes."""

    dtype: str
    shape: list[int]
    data: bytes


class KernelParts(NamedTuple):
    """What a lazy ufunc's callable returns at its first compilation."""

    source: KernelSource
    globals: list[FrozenGlobal]


class CacheOptions(TypedDict, total=False):
    """The options that turn the on-disk cache on (`_cache.cache_options`)."""

    cache_dir: str | None
    cache_max_bytes: int | None


class CompileOptions(TypedDict):
    """The decorator options every `_native` constructor takes."""

    fastmath: bool
    identity: int  # NumPy's identity code (PyUFunc_Zero, ...), validated by the decorator
    identity_value: object  # the value for PyUFunc_IdentityValue, else None
    parallel: bool  # target="parallel"
    cache_dir: NotRequired[str | None]
    cache_max_bytes: NotRequired[int | None]

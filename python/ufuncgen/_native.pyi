"""Type stubs for the native extension `ufuncgen._native` (private: use `ufuncgen`)."""

from collections.abc import Callable
from typing import final

import numpy as np

from ufuncgen._records import CompileOptions, FrozenGlobal, KernelParts, KernelSource

__all__ = [
    "__version__",
    "compile_vectorize",
    "inspect_llvm",
    "inspect_asm",
    "host_info",
    "init_vector_math",
    "compile_guvectorize",
    "layout_signature",
    "_test_ufunc",
    "_test_raising_ufunc",
    "_live_ufuncs",
    "set_num_threads",
    "get_num_threads",
    "requested_num_threads",
    "_parallel_stats",
    "_force_chunking",
    "_UfuncOwner",
    "cache_list",
    "cache_clear",
    "_loops_compiled",
    "aot_vectorize",
    "aot_guvectorize",
    "aot_object_from_ir",
    "aot_runtime_archive",
    "aot_core_axes",
    "aot_contiguity_checks",
    "create_lazy_ufunc",
    "_lazy_compilations",
    "_LazyUfuncOwner",
    "math_functions",
    "MathFunction",
    "AotLoop",
]
__version__: str

def compile_vectorize(
    name: str,
    doc: str | None,
    source: KernelSource,
    signatures: list[str],
    globals: list[FrozenGlobal],
    options: CompileOptions,
) -> np.ufunc: ...
def compile_guvectorize(
    name: str,
    doc: str | None,
    source: KernelSource,
    signatures: list[str],
    globals: list[FrozenGlobal],
    options: CompileOptions,
    layout: str,
    writable_args: list[int],
    boundscheck: bool,
) -> np.ufunc: ...
def create_lazy_ufunc(
    name: str,
    doc: str | None,
    parts: Callable[[], KernelParts],
    options: CompileOptions,
    nin: int,
    layout: str | None = None,
    writable_args: list[int] = ...,
    boundscheck: bool = True,
) -> np.ufunc: ...
def layout_signature(layout: str) -> str: ...
def inspect_llvm(ufunc: object) -> dict[str, str]: ...
def inspect_asm(ufunc: object) -> dict[str, str]: ...
def host_info() -> tuple[str, str, list[str]]: ...
def _test_ufunc(
    name: str, doc: str | None, identity: int, identity_value: object = None
) -> np.ufunc: ...
def _test_raising_ufunc() -> np.ufunc: ...
def _live_ufuncs() -> int: ...
def _lazy_compilations(ufunc: object) -> int | None: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def requested_num_threads() -> int: ...
def _parallel_stats(ufunc: object) -> list[tuple[float, int, float, float]]: ...
def _force_chunking(on: bool) -> None: ...
def init_vector_math(candidates: list[str]) -> tuple[str, str | None]: ...
def cache_list(dir: str) -> list[tuple[str, str, str, str, int, float]]: ...
def cache_clear(dir: str, older_than_days: float | None = None) -> int: ...
def _loops_compiled() -> int: ...
def aot_vectorize(
    name: str,
    _doc: str | None,
    source: KernelSource,
    signatures: list[str],
    globals: list[FrozenGlobal],
    options: CompileOptions,
    level_index: int,
) -> list[AotLoop]: ...
def aot_guvectorize(
    name: str,
    _doc: str | None,
    source: KernelSource,
    signatures: list[str],
    globals: list[FrozenGlobal],
    options: CompileOptions,
    layout: str,
    writable_args: list[int],
    boundscheck: bool,
    level_index: int,
) -> list[AotLoop]: ...
def aot_object_from_ir(llvm_ir: str) -> bytes: ...
def aot_runtime_archive() -> bytes: ...
def aot_core_axes(layout: str) -> list[list[int]]: ...
def aot_contiguity_checks(
    function: str, signature: str, layout: str
) -> list[tuple[list[int], list[int], int, bool, str]]: ...
def math_functions() -> list[MathFunction]: ...

@final
class AotLoop:
    """One loop of an AOT module for one CPU level."""

    @property
    def signature(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def inputs(self) -> str: ...
    @property
    def outputs(self) -> str: ...
    @property
    def object(self) -> bytes: ...
    @property
    def read_write(self) -> list[int]: ...
    @property
    def split_anywhere(self) -> bool: ...

@final
class MathFunction:
    """One declared math function (the compiler's `math_functions` table)."""

    @property
    def name(self) -> str: ...
    @property
    def arity(self) -> int: ...
    @property
    def math(self) -> list[str]: ...
    @property
    def numpy(self) -> list[str]: ...
    @property
    def cmath(self) -> list[str]: ...
    @property
    def complex(self) -> bool: ...
    @property
    def vector(self) -> bool: ...
    @property
    def max_ulp(self) -> tuple[int, int] | None: ...

@final
class _UfuncOwner:
    """Owns a ufunc's loops, tables and machine code (NumPy's `ufunc->obj`)."""

@final
class _LazyUfuncOwner:
    """A lazy ufunc's state (NumPy's `ufunc->obj`): its kernel, compiled loops and tables."""

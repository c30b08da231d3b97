"""Type stubs for the native extension `ufuncgen._native` (private: use `ufuncgen`)."""

from typing import Any

import numpy as np

def compile_vectorize(
    name: str,
    doc: str | None,
    source: tuple[str, str, int, int],
    signatures: list[str],
    globals: list[tuple[str, str, Any, str | None]],
    options: dict[str, Any],
) -> np.ufunc: ...
def compile_guvectorize(
    name: str,
    doc: str | None,
    source: tuple[str, str, int, int],
    signatures: list[str],
    globals: list[tuple[str, str, Any, str | None]],
    options: dict[str, Any],
    layout: str,
    writable_args: list[int],
    boundscheck: bool,
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
def init_vector_math(candidates: list[str]) -> tuple[str, str | None]: ...

class _UfuncOwner: ...

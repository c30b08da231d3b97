"""Read back the optimized LLVM IR and assembly of a ufunc made by ufuncgen."""

from __future__ import annotations

__all__ = ["inspect_llvm", "inspect_asm"]


def inspect_llvm(ufunc: object) -> dict[str, str]:
    """Signature string (as written in the decorator) → optimized LLVM IR of that loop."""
    from . import _native

    return _native.inspect_llvm(ufunc)


def inspect_asm(ufunc: object) -> dict[str, str]:
    """Signature string (as written in the decorator) → assembly of that loop for this CPU."""
    from . import _native

    return _native.inspect_asm(ufunc)

"""ufuncgen: compile typed Python kernels into real NumPy ufuncs with LLVM.

The native extension (with LLVM inside) is loaded on first use, not at import.
"""

from __future__ import annotations

from . import _pickle
from ._config import config
from ._decorators import vectorize
from ._guvectorize import guvectorize
from ._inspect import inspect_asm, inspect_llvm
from ._njit import jit, njit, prange
from ._threads import get_num_threads, set_num_threads
from .errors import CompileError, SignatureError, TypingError, UnsupportedError


def build(path, output_dir=".", name=None):  # type: ignore[no-untyped-def]
    """Compiles a file's kernels into one extension module that needs only NumPy; returns its
    path (`ufuncgen build`, see docs/aot.md)."""
    from ._build import build as _build

    return _build(path, output_dir, name)


# Ufuncs defined outside an importable module pickle by value (Dask workers, notebooks).
_pickle.install()

__all__ = [
    "CompileError",
    "SignatureError",
    "TypingError",
    "UnsupportedError",
    "__version__",
    "build",
    "config",
    "get_num_threads",
    "guvectorize",
    "inspect_asm",
    "inspect_llvm",
    "jit",
    "njit",
    "prange",
    "set_num_threads",
    "vectorize",
]


def __getattr__(name: str) -> str:
    # The version lives in Cargo.toml alone; the extension carries it, so reading it loads the
    # extension, which `import ufuncgen` itself must not.
    if name == "__version__":
        from ._native import __version__

        return __version__
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

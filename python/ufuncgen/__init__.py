"""ufuncgen: compile typed Python kernels into real NumPy ufuncs with LLVM.

The native extension (with LLVM inside) is loaded on first use, not at import.
"""

from __future__ import annotations

from . import _pickle
from ._config import config
from ._decorators import vectorize
from ._guvectorize import guvectorize
from ._inspect import inspect_asm, inspect_llvm
from ._threads import get_num_threads, set_num_threads
from .errors import CompileError, SignatureError, TypingError, UnsupportedError

__version__ = "0.1.0"


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
    "set_num_threads",
    "vectorize",
]

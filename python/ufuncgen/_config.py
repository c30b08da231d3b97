"""`ufuncgen.config()`: what this process compiles for and with."""

from __future__ import annotations

import os
import warnings
from typing import Any

from ._cache import cache_dir
from ._runtime import vector_math
from ._threads import requested_num_threads

__all__ = ["config"]


def _num_threads() -> int:
    requested = requested_num_threads()
    if requested:
        return requested
    default = os.cpu_count() or 1
    raw = os.environ.get("UFUNCGEN_NUM_THREADS")
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        warnings.warn(
            f"ignoring UFUNCGEN_NUM_THREADS={raw!r}: expected a positive integer; using {default}",
            RuntimeWarning,
            stacklevel=3,
        )
        return default
    return value


def config() -> dict[str, Any]:
    """LLVM version, host CPU, vector-math library, thread count and cache directory."""
    from . import _native

    llvm_version, cpu_name, cpu_features = _native.host_info()
    vector_library, svml_path = vector_math()
    return {
        "llvm_version": llvm_version,
        "cpu_name": cpu_name,
        "cpu_features": list(cpu_features),
        "vector_library": vector_library,
        "svml_path": svml_path,
        "num_threads": _num_threads(),
        "cache_dir": cache_dir(),
    }

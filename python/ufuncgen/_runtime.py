"""Process-wide native state, set up on first use rather than at import."""

from __future__ import annotations

import functools
import os
import sys

__all__ = ["vector_math"]


def _svml_candidates() -> list[str]:
    # Intel's `intel-cmplr-lib-rt` wheel puts libsvml.so under <prefix>/lib.
    prefixes = [sys.prefix, sys.base_prefix, os.environ.get("CONDA_PREFIX", "")]
    return [os.path.join(p, "lib") for p in dict.fromkeys(prefixes) if p]


@functools.cache
def vector_math() -> tuple[str, str | None]:
    """Binds the vector-math library once: ("svml" | "libmvec" | "scalar", svml path or None)."""
    from . import _native

    return _native.init_vector_math(_svml_candidates())

"""Threads of `target="parallel"` ufuncs: `set_num_threads` and `get_num_threads`."""

from __future__ import annotations

import numbers

__all__ = ["get_num_threads", "requested_num_threads", "set_num_threads"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (the calling thread included) in parallel ufuncs from now on."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"the number of threads must be an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"the number of threads must be at least 1, not {n}")
    from . import _native

    _native.set_num_threads(int(n))


def get_num_threads() -> int:
    """The number of threads parallel ufuncs use: ``set_num_threads``'s, else the default
    (``UFUNCGEN_NUM_THREADS`` as read at the first parallel call, else the CPU count)."""
    from . import _native

    return _native.get_num_threads()


def requested_num_threads() -> int:
    """What ``set_num_threads`` asked for, or 0 while the default applies."""
    from . import _native

    return _native.requested_num_threads()

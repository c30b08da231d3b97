"""Where `cache=True` keeps compiled loops, and the `python -m ufuncgen cache` commands.

The compiler side (`ufuncgen/src/cache.rs`) owns keys, file format, atomic writes and eviction;
this module picks the directory (``UFUNCGEN_CACHE_DIR``, else the user cache directory, else a
temporary directory with a warning when that is not writable) and the size cap
(``UFUNCGEN_CACHE_MAX_MB``), and decides per kernel whether it can be cached at all.
"""

from __future__ import annotations

import functools
import os
import time
import types
import warnings

from ._records import CacheOptions
from .errors import CacheWarning

__all__ = ["cache_dir", "cache_options", "clear", "entries"]

DEFAULT_MAX_MB = 512


def cache_dir() -> str:
    """The configured cache directory (it may not exist yet, or be unwritable)."""
    raw = os.environ.get("UFUNCGEN_CACHE_DIR")
    if raw:
        return os.path.abspath(os.path.expanduser(raw))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ufuncgen")


def _writable(path: str) -> bool:
    # A real write (permission bits and `os.access` miss read-only mounts seen by root, ACLs),
    # made with `os.open`: `tempfile` costs about 6 ms to import (random, shutil, compression
    # modules), a third of a cached module's start-up.
    try:
        os.makedirs(path, exist_ok=True)
        for attempt in range(100):
            probe = os.path.join(path, f".probe-{os.getpid()}-{time.monotonic_ns()}-{attempt}")
            try:
                fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                continue
            os.close(fd)
            os.unlink(probe)
            return True
    except OSError:
        return False
    return False


@functools.cache
def _usable_dir(configured: str) -> str:
    """`configured` when it can be written, else a per-user temporary directory (warned once
    per process: read-only homes, containers and store-style installs must still work)."""
    if _writable(configured):
        return configured
    import tempfile

    fallback = os.path.join(tempfile.gettempdir(), f"ufuncgen-cache-{os.getuid()}")
    warnings.warn(
        f"the ufuncgen cache directory {configured} is not writable; using {fallback} "
        "(set UFUNCGEN_CACHE_DIR to choose another)",
        CacheWarning,
        stacklevel=4,
    )
    return fallback


def _max_bytes() -> int:
    raw = os.environ.get("UFUNCGEN_CACHE_MAX_MB", "").strip()
    if not raw:
        return DEFAULT_MAX_MB << 20
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        warnings.warn(
            f"ignoring UFUNCGEN_CACHE_MAX_MB={raw!r}: expected a positive number of megabytes; "
            f"using {DEFAULT_MAX_MB}",
            CacheWarning,
            stacklevel=4,
        )
        return DEFAULT_MAX_MB << 20
    return int(value * (1 << 20))


def cache_options(func: types.FunctionType | None) -> CacheOptions:
    """The compiler options that turn the cache on for `func` (empty when it cannot be cached:
    a kernel with no source file behind it runs uncached, with a warning). With no `func`
    (a kernel rebuilt from a pickle, whose file may live on another machine), just the cache."""
    if func is None:
        return CacheOptions(cache_dir=_usable_dir(cache_dir()), cache_max_bytes=_max_bytes())
    source_file = func.__code__.co_filename
    if not os.path.isfile(source_file):
        name = func.__name__
        warnings.warn(
            f"cache=True: '{name}' has no source file behind it ({source_file!r}), so it is "
            "compiled without the cache",
            CacheWarning,
            stacklevel=3,
        )
        return CacheOptions()
    return CacheOptions(cache_dir=_usable_dir(cache_dir()), cache_max_bytes=_max_bytes())


def entries(directory: str | None = None) -> list[dict]:
    """The cache's entries, most recently used first."""
    from . import _native

    rows = _native.cache_list(directory or _usable_dir(cache_dir()))
    keys = ("path", "kernel", "filename", "signature", "bytes", "last_used")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def clear(directory: str | None = None, older_than_days: float | None = None) -> int:
    """Removes entries unused for `older_than_days` (all when None); returns how many."""
    from . import _native

    return _native.cache_clear(directory or _usable_dir(cache_dir()), older_than_days)


def describe(rows: list[dict]) -> str:
    """`cache list` output: one line per entry."""
    import time

    if not rows:
        return "the cache is empty"
    now = time.time()
    lines = [f"{'kernel':<20} {'signature':<36} {'size':>9} {'last use':>10}  file"]
    for r in rows:
        age_h = max(0.0, now - r["last_used"]) / 3600
        age = f"{age_h:.1f} h" if age_h < 48 else f"{age_h / 24:.1f} d"
        lines.append(
            f"{r['kernel'][:20]:<20} {r['signature'][:36]:<36} {r['bytes'] / 1024:>7.1f}kB "
            f"{age:>10}  {r['filename']}"
        )
    total = sum(r["bytes"] for r in rows)
    lines.append(f"{len(rows)} entries, {total / (1 << 20):.2f} MB")
    return "\n".join(lines)

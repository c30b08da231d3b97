"""Fixtures and hooks for the pytest suite; the comparison helpers live in numpy_diff.py."""

from __future__ import annotations

import linecache
from collections import Counter

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, fresh per test, so failures reproduce."""
    return np.random.default_rng(20241125)


def pytest_configure(config):
    """In a pytest-xdist process: no source text under ``<string>``.

    CPython 3.13 keeps a ``python -c`` command's text in linecache under ``<string>``, the file
    name exec() gives its code too, and xdist starts its processes with ``-c``: there the kernels
    the tests exec from a string would be read from that command, not refused for want of
    source. The tests run as in a process started from a file. (That source capture takes the
    ``-c`` text for an exec'd kernel is a bug of its own, reported with the wheel test's note.)
    """
    if hasattr(config, "workerinput"):
        linecache.cache.pop("<string>", None)


def pytest_collection_modifyitems(config, items):
    """A hang must fail, also when pytest runs without the Makefile's ``--timeout``."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(120))
    if config.getoption("dist", "no") == "loadfile":
        _largest_files_first(items)


def _largest_files_first(items) -> None:
    """pytest-xdist's ``--dist loadfile`` hands out whole files in collection order: the files
    with the most tests (the costliest ones) go first, so that the last file to start is a small
    one rather than one that keeps a process busy minutes after the others are done. Each
    process sorts alike, as xdist requires; a file's own tests keep their order."""
    sizes = Counter(item.nodeid.split("::")[0] for item in items)
    items.sort(key=lambda item: -sizes[item.nodeid.split("::")[0]])

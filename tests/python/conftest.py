"""Fixtures and hooks for the pytest suite; the comparison helpers live in numpy_diff.py."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator, fresh per test, so failures reproduce."""
    return np.random.default_rng(20241125)


def pytest_collection_modifyitems(items):
    """A hang must fail, also when pytest runs without the Makefile's ``--timeout``."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(120))

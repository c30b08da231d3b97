"""Shared fixtures for the binding tests."""

import functools

import pytest

from ufuncgen import CompileError, vectorize


@functools.cache
def _compiler_missing() -> str | None:
    """Why the compiler cannot build a trivial kernel, or None when it can."""

    def probe(a, b):
        return a + b

    try:
        vectorize(["float64(float64, float64)"])(probe)
    except CompileError as exc:
        if "not built yet" in str(exc):
            return str(exc).splitlines()[0]
        raise
    return None


@pytest.fixture(scope="session")
def compiler():
    """Skips tests that need generated code while the compiler's stages are still stubs."""
    missing = _compiler_missing()
    if missing is not None:
        pytest.skip(f"compiler stage missing: {missing}")

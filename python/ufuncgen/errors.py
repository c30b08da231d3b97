"""Exceptions raised when a kernel cannot be compiled (see shared/API.md)."""

from __future__ import annotations

__all__ = ["CompileError", "TypingError", "UnsupportedError", "SignatureError"]


class CompileError(Exception):
    """A kernel could not be compiled.

    The message names the function, the file and the line (and column where known) of the
    construct at fault; the same facts are available as attributes (None when unknown).
    """

    def __init__(
        self,
        message: str,
        *,
        function: str | None = None,
        filename: str | None = None,
        lineno: int | None = None,
        col: int | None = None,
    ) -> None:
        super().__init__(message)
        self.function = function
        self.filename = filename
        self.lineno = lineno
        self.col = col


class TypingError(CompileError):
    """Types that do not fit, e.g. returning a complex from a ``float64(...)`` signature."""


class UnsupportedError(CompileError):
    """Valid Python outside the kernel language (strings, lists, ``try``, unknown calls...)."""


class SignatureError(CompileError, ValueError):
    """A malformed signature or layout, or one that does not fit the function."""

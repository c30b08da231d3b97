"""Exceptions raised when a kernel cannot be compiled (see shared/API.md)."""

from __future__ import annotations

import types
from typing import Self

__all__ = ["CacheWarning", "CompileError", "TypingError", "UnsupportedError", "SignatureError"]


def located_message(
    message: str,
    function: str | None,
    filename: str | None,
    lineno: int | None,
    col: int | None,
    snippet: str | None,
) -> str:
    """`message` followed by where it happened and the source line with a caret: the one
    rendering of every compile error (the compiler's `CompileError` Display matches it)."""
    if function is None:
        return message
    where = f"{message} (in function '{function}'"
    if filename is not None:
        where += f', file "{filename}"'
    if lineno is not None:
        where += f", line {lineno}"
    if col:
        where += f", column {col}"
    where += ")"
    if snippet:
        where += "\n" + snippet
    return where


class CompileError(Exception):
    """A kernel could not be compiled.

    The message names the function, the file and the line (and column where known) of the
    construct at fault; the same facts are available as attributes (None when unknown), and
    `message` is the bare description.
    """

    def __init__(
        self,
        message: str,
        *,
        function: str | None = None,
        filename: str | None = None,
        lineno: int | None = None,
        col: int | None = None,
        snippet: str | None = None,
    ) -> None:
        super().__init__(located_message(message, function, filename, lineno, col, snippet))
        self.message = message
        self.function = function
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.snippet = snippet or None

    @classmethod
    def in_function(cls, message: str, func: types.FunctionType) -> Self:
        """An error about `func` as a whole, located at its first line (its decorator)."""
        code = func.__code__
        return cls(
            message,
            function=func.__name__,
            filename=code.co_filename,
            lineno=code.co_firstlineno,
        )


class TypingError(CompileError):
    """Types that do not fit, e.g. returning a complex from a ``float64(...)`` signature."""


class UnsupportedError(CompileError):
    """Valid Python outside the kernel language (strings, lists, ``try``, unknown calls...)."""


class SignatureError(CompileError, ValueError):
    """A malformed signature or layout, or one that does not fit the function."""


class CacheWarning(UserWarning):
    """The on-disk cache could not be used as asked (unwritable directory, damaged file, a
    kernel without a source file); compiling goes on without it."""

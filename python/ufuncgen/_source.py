"""What the compiler needs to know about a kernel function: its source text and the values of
the names it reads from outside (globals, closure cells, builtins), frozen at decoration time."""

from __future__ import annotations

import ast
import builtins
import cmath
import functools
import inspect
import linecache
import math
import sys
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _njit
from ._records import ArrayPayload, FrozenGlobal, FunctionPayload, GlobalKind, KernelSource
from .errors import CompileError

__all__ = ["KernelSource", "kernel_source", "collect_globals"]

# A global classified: its kind, payload and NumPy scalar type (FrozenGlobal less the name).
_Classified = tuple[GlobalKind, Any, str | None]


def _no_source(func: types.FunctionType, why: str) -> CompileError:
    return CompileError.in_function(
        f"cannot compile '{func.__name__}': its source code is not available ({why}); "
        "ufuncgen compiles kernels from their source, so define them in a file",
        func,
    )


def kernel_source(func: types.FunctionType) -> KernelSource:
    """The dedented `def` (decorators included) or the text of the lambda expression."""
    if func.__name__ == "<lambda>":
        return _lambda_source(func)
    found = _def_lines(func)
    if found is None:
        try:
            found = inspect.getsourcelines(func)
        except (OSError, TypeError) as exc:
            raise _no_source(func, str(exc)) from None
    lines, first_line = found
    indent = _indent_of(lines[0])
    if func.__code__.co_filename.startswith("<") and not _same_function(func, lines, indent):
        # Code made by exec/eval names a pseudo-file such as "<string>" whose text in
        # linecache may be another program's (CPython 3.13 keeps `python -c`'s there).
        raise _no_source(func, f"the text {func.__code__.co_filename} holds is another function's")
    return KernelSource(
        "".join(_strip_prefix(line, indent) for line in lines),
        func.__code__.co_filename,
        max(first_line, 1),
        len(indent),
    )


def _same_function(func: types.FunctionType, lines: list[str], indent: str) -> bool:
    """Whether `lines` compile to `func`'s code: same parameters, constants and names (a
    closure's free variables count as names, since the text is compiled at top level)."""
    text = "".join(_strip_prefix(line, indent) for line in lines)
    try:
        module = compile(text, func.__code__.co_filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    found = [
        c
        for c in module.co_consts
        if isinstance(c, types.CodeType) and c.co_name == func.__code__.co_name
    ]
    if len(found) != 1:
        return False
    ours, theirs = func.__code__, found[0]

    def shape(c: types.CodeType) -> tuple:
        n = c.co_argcount + c.co_kwonlyargcount
        consts = tuple(repr(k) for k in c.co_consts if not isinstance(k, types.CodeType))
        return (c.co_varnames[:n], consts, frozenset(c.co_names) | frozenset(c.co_freevars))

    return shape(ours) == shape(theirs)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _strip_prefix(line: str, prefix: str) -> str:
    # Lines that do not carry the prefix (inside a multi-line string, blank) are kept whole:
    # dedenting them would change nothing the compiler looks at.
    return line[len(prefix) :] if line.startswith(prefix) else line


@functools.lru_cache(maxsize=16)
def _parse_file(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


# The fields of statements that hold statements: a `def` is a statement, so walking these alone
# finds every one without visiting the expressions that make up most of a file's tree.
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


@functools.lru_cache(maxsize=16)
def _def_ends(text: str) -> dict[tuple[str, int], int]:
    """(name, first line with decorators) -> last line, for every `def` of a file: parsed once
    per file, where `inspect.getsourcelines` tokenizes the file again for every kernel."""
    tree = _parse_file(text)
    if tree is None:
        return {}
    ends = {}
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            ends[(node.name, first)] = node.end_lineno
        for field in _BLOCK_FIELDS:
            block = getattr(node, field, None)
            if isinstance(block, list):
                todo.extend(block)
    return ends


# filename -> (the line list linecache returned, its `_def_ends`): linecache hands out the same
# list while the file is unchanged, so the kernels of one file neither join nor hash its text
# again (that grew with the file times its kernel count).
_FILE_DEF_ENDS: dict[str, tuple[list[str], dict[tuple[str, int], int]]] = {}


def _file_def_ends(filename: str, file_lines: list[str]) -> dict[tuple[str, int], int]:
    known = _FILE_DEF_ENDS.get(filename)
    if known is not None and known[0] is file_lines:
        return known[1]
    ends = _def_ends("".join(file_lines))
    _FILE_DEF_ENDS[filename] = (file_lines, ends)
    return ends


def _def_lines(func: types.FunctionType) -> tuple[list[str], int] | None:
    """The lines of `func`'s `def` (decorators included) and its first line, found through the
    file's syntax tree; None when that cannot tell (then `inspect` decides)."""
    code = func.__code__
    file_lines = linecache.getlines(code.co_filename, func.__globals__)
    if not file_lines:
        return None
    first = code.co_firstlineno
    last = _file_def_ends(code.co_filename, file_lines).get((func.__name__, first))
    if last is None:
        return None
    return file_lines[first - 1 : last], first


def _lambda_source(func: types.FunctionType) -> KernelSource:
    code = func.__code__
    try:
        file_lines, _ = inspect.findsource(func)
    except (OSError, TypeError) as exc:
        raise _no_source(func, str(exc)) from None
    tree = _parse_file("".join(file_lines))
    node = _find_lambda(tree, code) if tree is not None else None
    if node is None or node.end_lineno is None or node.end_col_offset is None:
        raise _no_source(func, "the lambda could not be located in its file")
    first, last = node.lineno - 1, node.end_lineno - 1
    col = _char_col(file_lines[first], node.col_offset)
    end_col = _char_col(file_lines[last], node.end_col_offset)
    if first == last:
        text = file_lines[first][col:end_col]
    else:
        # Continuation lines are dedented by the lambda's column when they all allow it, so
        # one column offset maps every line back to the file.
        rest = file_lines[first + 1 : last] + [file_lines[last][:end_col]]
        prefix = " " * col
        if all(line.startswith(prefix) or not line.strip() for line in rest):
            rest = [line[col:] if line.startswith(prefix) else line for line in rest]
        text = file_lines[first][col:] + "".join(rest)
    if "\n" in text and not _parses_as_expression(text):
        # A lambda that continues a line inside its caller's brackets needs brackets of its own.
        return KernelSource(f"({text})", code.co_filename, node.lineno, max(col - 1, 0))
    return KernelSource(text, code.co_filename, node.lineno, col)


def _char_col(line: str, utf8_col: int) -> int:
    """`ast` columns count UTF-8 bytes; slicing needs characters."""
    return len(line.encode("utf-8")[:utf8_col].decode("utf-8", errors="ignore"))


def _parses_as_expression(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return False
    return True


def _arg_names(args: ast.arguments) -> list[str]:
    return [a.arg for a in (*args.posonlyargs, *args.args)]


def _find_lambda(tree: ast.Module, code: types.CodeType) -> ast.Lambda | None:
    """The lambda node that `code` was compiled from: same line and parameters, and, when
    several match, the one whose body holds the code's first source position."""
    params = list(code.co_varnames[: code.co_argcount])
    candidates = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Lambda)
        and n.lineno == code.co_firstlineno
        and _arg_names(n.args) == params
    ]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for line, _, col, _ in code.co_positions():
        if line is None or col is None:
            continue
        for n in candidates:
            body = n.body
            if (body.lineno, body.col_offset) <= (line, col) and (line, col) < (
                body.end_lineno or body.lineno,
                body.end_col_offset or body.col_offset,
            ):
                return n
    return None


# ---------------------------------------------------------------------------------------------
# Globals


_BUILTIN_CALLABLES = (
    "abs min max int float bool complex round pow range len divmod enumerate zip".split()
)
# Exception classes a kernel may raise (`raise ValueError("...")`), resolved like callables.
_BUILTIN_EXCEPTIONS = (
    "ValueError IndexError AssertionError ZeroDivisionError OverflowError ArithmeticError".split()
)

_MODULES = {math: "math", cmath: "cmath", np: "numpy"}


@functools.cache
def _builtin_callables() -> dict[int, tuple[object, str]]:
    """The builtins of `_known_callables` alone (`range`, `len`, `ValueError`, ...): most kernels
    read no other callable, and this table is cheap where the full one walks NumPy's namespace.
    Each spelling equals its object's `__name__`, so the full table names them alike."""
    return {
        id(obj): (obj, f"builtins.{attr}")
        for attr in (*_BUILTIN_CALLABLES, *_BUILTIN_EXCEPTIONS)
        for obj in (getattr(builtins, attr),)
    }


@functools.cache
def _known_callables() -> dict[int, tuple[object, str]]:
    """id(object) → (object, qualified name) for every callable the kernel language may know.

    Found by identity, so `from math import exp as e` resolves to `math.exp`. Only attributes
    already in a module's namespace are read (no lazy NumPy submodule is imported)."""
    table: dict[int, tuple[object, str]] = {}

    def add(obj: object, name: str) -> None:
        # Aliases (np.abs is np.absolute) get the spelling matching the object's own __name__,
        # else the first in alphabetical order.
        if id(obj) not in table or getattr(obj, "__name__", None) == name.rsplit(".", 1)[1]:
            table[id(obj)] = (obj, name)

    for module, prefix in _MODULES.items():
        for attr, obj in sorted(vars(module).items()):
            if attr.startswith("_") or isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            if module is np and isinstance(obj, type) and not issubclass(obj, np.generic):
                continue  # classes such as np.ndarray are not kernel callables
            add(obj, f"{prefix}.{attr}")
    for attr in (*_BUILTIN_CALLABLES, *_BUILTIN_EXCEPTIONS):
        add(getattr(builtins, attr), f"builtins.{attr}")
    linalg = sys.modules.get("numpy.linalg")
    if linalg is not None:
        add(linalg.norm, "numpy.linalg.norm")
    return table


def _array(value: np.ndarray) -> _Classified:
    """A module-level array, frozen: its dtype, shape and C-order native-endian bytes."""
    if value.dtype.kind not in "biufc" or value.ndim == 0:
        return ("other", f"numpy array of {value.dtype} with {value.ndim} dimensions", None)
    frozen = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("="))
    return ("array", ArrayPayload(frozen.dtype.name, list(frozen.shape), frozen.tobytes()), None)


def _function(
    value: types.FunctionType,
    stack: tuple[types.CodeType, ...],
    signatures: list[str] | None = None,
) -> _Classified:
    """A plain Python function the kernel calls: its source and its own globals, collected
    transitively. A function already being collected (recursion) gets no globals: the
    compiler reports the cycle before it would need them. `signatures` (an `njit` helper's,
    or a ufunc's loops) make a call convert its arguments as NumPy picks a loop."""
    try:
        src = kernel_source(value)
    except CompileError:
        return ("other", f"function '{value.__name__}' (its source is not available)", None)
    globals_ = [] if value.__code__ in stack else collect_globals(value, stack)
    if signatures is None:
        signatures = getattr(value, _njit.MARK, {}).get("signatures") or None
    payload = FunctionPayload(value.__name__, src, globals_, list(signatures or ()))
    return ("function", payload, None)


def _ufunc_signatures(ufunc: np.ufunc) -> list[str]:
    """A vectorize ufunc's loops as signature strings (`'dd->d'` -> `'float64(float64)'`)."""
    sigs = []
    for t in ufunc.types:
        ins, out = t.split("->")
        names = [np.dtype(c).name for c in ins]
        sigs.append(f"{np.dtype(out).name}({', '.join(names)})")
    return sigs


def _foreign_callable(value: Any, stack: tuple[types.CodeType, ...]) -> _Classified | None:
    """Numba's `njit` dispatchers and `prange` (when Numba is loaded) and the ufuncs this
    package built, as the kernel language sees them (`None`: none of these)."""
    kernel = _njit.ufunc_kernel(value)
    if kernel is not None:
        if value.nout != 1 or value.signature is not None:
            return (
                "other",
                f"the ufunc '{value.__name__}' (only scalar ufuncgen ufuncs with "
                "one output can be called in kernels)",
                None,
            )
        signatures = [] if _njit.is_lazy(value) else _ufunc_signatures(value)
        return _function(kernel, stack, signatures)
    numba = sys.modules.get("numba")
    if numba is None:
        return None
    if value is getattr(numba, "prange", None):
        return ("callable", "builtins.range", None)
    if value is getattr(numba, "stencil", None) or type(value).__name__ == "StencilFunc":
        return (
            "other",
            "a numba.stencil function (stencils are not supported by ufuncgen: write the "
            "neighbourhood loop in a guvectorize kernel over the core dimensions)",
            None,
        )
    if not type(value).__module__.startswith("numba"):
        return None
    py_func = getattr(value, "py_func", None)
    if isinstance(py_func, types.FunctionType):
        return _function(py_func, stack)
    return None


def _classify(value: Any, stack: tuple[types.CodeType, ...] = ()) -> _Classified:
    """(kind, payload, dtype) of one global, as `_records.FrozenGlobal` describes them."""
    for module, name in _MODULES.items():
        if value is module:
            return ("module", name, None)
    if value is sys.modules.get("numba"):
        return ("module", "numba", None)  # for `numba.prange`
    if isinstance(value, np.generic):
        # Checked before Python numbers: np.float64 is a subclass of float.
        if value.dtype.kind in "biufc":
            return ("const", value.item(), value.dtype.name)
        return ("other", f"numpy.{type(value).__name__}", None)
    if isinstance(value, bool | int | float | complex):
        return ("const", value, None)
    known = _builtin_callables().get(id(value)) or _known_callables().get(id(value))
    if known is not None and known[0] is value:
        return ("callable", known[1], None)
    if isinstance(value, types.ModuleType):
        return ("other", f"module '{value.__name__}'", None)
    if isinstance(value, np.ndarray):
        return _array(value)
    foreign = _foreign_callable(value, stack)
    if foreign is not None:
        return foreign
    if isinstance(value, types.FunctionType) and not value.__module__.startswith("numpy"):
        return _function(value, stack)
    return ("other", type(value).__qualname__, None)


def _names_read(code: types.CodeType) -> Iterator[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names_read(const)


def collect_globals(
    func: types.FunctionType, stack: tuple[types.CodeType, ...] = ()
) -> list[FrozenGlobal]:
    """Every outside name the kernel may read, with its value classified (`FrozenGlobal`).
    Closure cells win over globals, globals over builtins, as in Python.
    `stack` holds the functions whose globals are being collected (callers of `func`)."""
    code = func.__code__
    values: dict[str, Any] = {}
    own_builtins = getattr(func, "__builtins__", None)  # the namespace the function runs with
    builtin_ns = own_builtins if isinstance(own_builtins, dict) else vars(builtins)
    for name in dict.fromkeys(_names_read(code)):
        if name in func.__globals__:
            values[name] = func.__globals__[name]
        elif name in builtin_ns:
            values[name] = builtin_ns[name]
    for name, cell in zip(code.co_freevars, func.__closure__ or (), strict=True):
        try:
            values[name] = cell.cell_contents
        except ValueError:  # a cell not yet assigned: the compiler reports the name
            continue
    inner = (*stack, code)
    return [FrozenGlobal(name, *_classify(value, inner)) for name, value in values.items()]

"""Pickling ufuncgen ufuncs: by module and name where that works, by value everywhere else.

NumPy pickles a ufunc by reference (`module.name`), which fails for a kernel defined in
`__main__`, a notebook, a function body or a lambda: the receiving process (a Dask worker) has
no such attribute. A ufunc made by ufuncgen remembers what the compiler was given (a
`Recipe`: source, frozen globals, signatures, options; no machine code) and, when NumPy's
reference would not resolve to the same object, pickles as that recipe; the receiver compiles
it again for its own CPU. Every other ufunc goes through NumPy's own reducer, unchanged.
"""

from __future__ import annotations

import _thread
import copyreg
import sys
from collections import OrderedDict
from typing import Any, NamedTuple

import numpy as np

from ._records import FrozenGlobal, KernelParts, KernelSource

__all__ = ["Recipe", "attach", "install"]

# Attribute under which a ufunc keeps its recipe (ufuncs have an instance dict since NumPy 2.2).
_ATTR = "_ufuncgen_recipe"
# Rebuilt ufuncs, by recipe: Dask sends a task's function with every task, and compiling it
# again for each would cost a compile per chunk.
_REBUILT: OrderedDict[bytes, np.ufunc] = OrderedDict()
_REBUILT_MAX = 256
_LOCK = _thread.allocate_lock()


class Recipe(NamedTuple):
    """What rebuilds a ufunc: the `_native` constructor, its arguments, and the Python module
    name to report."""

    constructor: str  # one of _CONSTRUCTORS
    args: tuple[Any, ...]
    module: str


# The `_native` functions a recipe may name (options are their 6th argument, 4th if lazy).
_CONSTRUCTORS = ("compile_vectorize", "compile_guvectorize", "create_lazy_ufunc")
# Where a lazy recipe keeps its `() -> (source, globals)` callable.
_LAZY_PARTS = 2


class FrozenParts:
    """A lazy kernel's source and frozen globals, taken when it was pickled: what the receiving
    process compiles its loops from (the sender's callable refers to a function it may not
    be able to import)."""

    def __init__(self, source: KernelSource, globals_: list[FrozenGlobal]) -> None:
        self.source = source
        self.globals = globals_

    def __call__(self) -> KernelParts:
        return KernelParts(self.source, self.globals)

    def __reduce__(self) -> tuple[Any, ...]:
        return FrozenParts, (self.source, self.globals)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrozenParts) and (self.source, self.globals) == (
            other.source,
            other.globals,
        )

    __hash__ = None  # type: ignore[assignment]


def _portable(recipe: Recipe) -> Recipe:
    """The recipe with a lazy kernel's parts frozen into data."""
    if recipe.constructor != "create_lazy_ufunc":
        return recipe
    parts = recipe.args[_LAZY_PARTS]
    if isinstance(parts, FrozenParts):
        return recipe
    args = list(recipe.args)
    args[_LAZY_PARTS] = FrozenParts(*parts())
    return recipe._replace(args=tuple(args))


class Recording:
    """What `ufuncgen build` gathers while it runs a kernel file: every eager ufunc's recipe,
    in definition order, and the names of kernels without signatures (not compiled)."""

    def __init__(self) -> None:
        self.recipes: list[Recipe] = []
        self.lazy: list[str] = []

    def defer(self, recipe: Recipe) -> Deferred:
        """Records `recipe` and stands in for its ufunc: the build compiles it per CPU level,
        so the file is not also compiled for the host unless it uses its ufuncs itself."""
        self.recipes.append(recipe)
        return Deferred(recipe)

    def skip_lazy(self, func: Any) -> Any:
        """Stands in for a signature-less decorator: notes the kernel, leaves it a function."""
        self.lazy.append(getattr(func, "__name__", repr(func)))
        return func


class Deferred:
    """A recorded ufunc, compiled for the host on first use (a kernel file that calls its own
    ufuncs at import still works under `ufuncgen build`)."""

    def __init__(self, recipe: Recipe) -> None:
        self._recipe = recipe
        self._ufunc: np.ufunc | None = None

    def _compiled(self) -> np.ufunc:
        if self._ufunc is None:
            from . import _native

            self._ufunc = getattr(_native, self._recipe.constructor)(*self._recipe.args)
        return self._ufunc

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._compiled(), name)


# Set by `_build` while it executes a kernel file.
RECORDING: Recording | None = None


def attach(ufunc: np.ufunc, recipe: Recipe) -> None:
    """Remembers how `ufunc` was made, so it can be pickled by value."""
    try:
        setattr(ufunc, _ATTR, recipe)
    except (AttributeError, TypeError):
        pass  # NumPy < 2.2: no instance dict, ufuncs pickle by reference only


def _resolves_to_itself(ufunc: np.ufunc) -> bool:
    """Whether NumPy's pickling by `module.name` would find this very object elsewhere."""
    module_name = getattr(ufunc, "__module__", None)
    if not module_name or module_name == "__main__":
        return False
    module = sys.modules.get(module_name)
    return module is not None and getattr(module, ufunc.__name__, None) is ufunc


def _rebuild(recipe: Recipe) -> np.ufunc:
    """The unpickling side: compile the recipe (once per process) and return the ufunc."""
    import pickle

    recipe = Recipe(*recipe)
    key = pickle.dumps(recipe, protocol=4)
    with _LOCK:
        hit = _REBUILT.get(key)
        if hit is not None:
            _REBUILT.move_to_end(key)
            return hit
    from . import _cache, _decorators, _native

    _decorators.vector_math()  # the generated code links against the library bound here
    make = getattr(_native, recipe.constructor, None)
    if make is None or recipe.constructor not in _CONSTRUCTORS:
        raise pickle.UnpicklingError(f"not a ufuncgen recipe: {recipe.constructor!r}")
    args = list(recipe.args)
    options = 5 if recipe.constructor != "create_lazy_ufunc" else 3
    if isinstance(args[options], dict) and "cache_dir" in args[options]:
        # cache=True travels as "use the cache", not as the sender's directory.
        args[options] = {**args[options], **_cache.cache_options(None)}
    ufunc = make(*args)
    try:
        ufunc.__module__ = recipe.module
    except (AttributeError, TypeError):
        pass
    attach(ufunc, recipe)
    with _LOCK:
        _REBUILT[key] = ufunc
        while len(_REBUILT) > _REBUILT_MAX:
            _REBUILT.popitem(last=False)
    return ufunc


def _reducer(previous: Any) -> Any:
    def reduce(ufunc: np.ufunc) -> Any:
        recipe = getattr(ufunc, _ATTR, None)
        if isinstance(recipe, Recipe) and not _resolves_to_itself(ufunc):
            return _rebuild, (tuple(_portable(recipe)),)
        if previous is not None:
            return previous(ufunc)
        return ufunc.__name__  # pickle's "global by name", as NumPy's own reducer answers

    reduce._ufuncgen = True  # type: ignore[attr-defined]
    return reduce


def install() -> None:
    """Puts ufuncgen's reducer in front of NumPy's for `np.ufunc` (idempotent)."""
    current = copyreg.dispatch_table.get(np.ufunc)
    if getattr(current, "_ufuncgen", False):
        return
    copyreg.pickle(np.ufunc, _reducer(current))

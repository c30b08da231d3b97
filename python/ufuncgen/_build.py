"""`ufuncgen build`: a file's kernels as one extension module that needs only NumPy.

The file is executed once, as a module, with the decorators recording what they compile (the
`Recipe` of every eager ufunc); each recipe is compiled again for every CPU level into object
files; a descriptor (names, docstrings, identities, dtypes, loop symbols per level) and
`PyInit_<name>` are emitted as LLVM IR; the objects, the descriptor and the runtime archive
(`aot-runtime/` + svml-shim + the parallel pool of the `ufuncgen-runtime` crate, precompiled
inside `_native`) are linked by the system linker into `NAME.abi3.so`, written atomically.
See docs/aot.md.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from . import _pickle

if TYPE_CHECKING:
    from ._native import AotLoop

__all__ = ["BuildError", "build"]

# `ufuncgen::aot::LEVELS`, in descriptor order.
_LEVELS = ("v2", "v3", "v4")
# NumPy identity code for "use identity_value" (ufuncobject.h).
_IDENTITY_VALUE = -3
# `struct ufg_aot_module` version and `UFG_PAR_*` (aot-runtime/ufuncgen_aot.c).
_DESCRIPTOR_VERSION = 2
_PAR_NONE, _PAR_ELEMENTWISE, _PAR_GENERALIZED = 0, 1, 2


class BuildError(Exception):
    """A build that cannot go on: no linker, an unusable name or output directory."""


def build(
    path: str | os.PathLike[str], output_dir: str | os.PathLike[str] = ".", name: str | None = None
) -> pathlib.Path:
    """Compiles every kernel with explicit signatures in the file `path` into the extension
    module `output_dir/NAME.abi3.so` (NAME defaults to the file's stem) and returns its path."""
    source = pathlib.Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"ufuncgen build: no such file: {source}")
    name = name or source.stem
    if not name.isidentifier():
        raise BuildError(f"ufuncgen build: {name!r} is not a valid module name (use --name)")
    out_dir = pathlib.Path(output_dir)
    if not out_dir.is_dir():
        raise BuildError(f"ufuncgen build: output directory {out_dir} does not exist")
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise BuildError(f"ufuncgen build: output directory {out_dir} is not writable")
    recording = _collect(source, name)
    for lazy in recording.lazy:
        warnings.warn(
            f"{source}: kernel {lazy!r} has no signatures and is not built "
            "(give @vectorize/@guvectorize explicit signatures)",
            stacklevel=2,
        )
    # Kernels of modules the file imports were recorded too; only the file's own are exported.
    entries = _ufunc_entries(source, [r for r in recording.recipes if r.module == name])
    from . import _native

    # Every (kernel, level) compiles with the GIL released: one thread each, up to the CPUs.
    jobs = [(e, level) for e in entries for level in range(len(_LEVELS))]
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1))) as pool:
        results = list(pool.map(lambda job: _compile(_native, job[0]["recipe"], job[1]), jobs))
    objects: dict[str, bytes] = {}
    for (entry, level), loops in zip(jobs, results, strict=True):
        shape = [(loop.inputs, loop.outputs, tuple(loop.read_write)) for loop in loops]
        if level == 0:
            entry["loops"] = [(ins, outs) for ins, outs, _ in shape]
            entry["signatures"] = [loop.signature for loop in loops]
            entry["read_write"] = sorted({i for _, _, rw in shape for i in rw})
            entry["shape"] = shape
            entry["symbols"] = []
            entry["split_anywhere"] = []
        elif shape != entry["shape"]:
            raise BuildError(f"{entry['name']}: loops differ between CPU levels")
        entry["symbols"].append([loop.symbol for loop in loops])
        entry["split_anywhere"].append([loop.split_anywhere for loop in loops])
        for loop in loops:
            # Equal dtype lists compile to the same symbol: the first one wins, as in NumPy.
            objects.setdefault(loop.symbol, loop.object)
    descriptor = _native.aot_object_from_ir(_descriptor_ir(name, entries))
    return _link(name, out_dir, objects, descriptor, _native.aot_runtime_archive())


def _collect(source: pathlib.Path, name: str) -> _pickle.Recording:
    """Runs the file as module `name`, recording each ufunc's recipe; errors propagate."""
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise BuildError(f"ufuncgen build: cannot load {source} as Python source")
    module = importlib.util.module_from_spec(spec)
    recording = _pickle.Recording()
    saved = sys.modules.get(name)
    sys.modules[name] = module
    _pickle.RECORDING = recording
    try:
        spec.loader.exec_module(module)
    finally:
        _pickle.RECORDING = None
        if saved is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved
    return recording


def _ufunc_entries(source: pathlib.Path, recipes: list[_pickle.Recipe]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for recipe in recipes:
        kernel = recipe.args[0]
        if not kernel.isidentifier():
            warnings.warn(
                f"{source}: {kernel!r} is not a name (a lambda?); not built", stacklevel=3
            )
            continue
        if kernel in seen:
            raise BuildError(f"{source}: two kernels are named {kernel!r}")
        seen.add(kernel)
        entries.append({"name": kernel, "recipe": recipe})
    return entries


def _compile(native: Any, recipe: _pickle.Recipe, level: int) -> list[AotLoop]:
    args = list(recipe.args)
    # The AOT loops never use the on-disk cache; `parallel` wraps them at import (the pool in
    # the module), not here.
    args[5] = {k: v for k, v in args[5].items() if not k.startswith("cache_")}
    if recipe.constructor == "compile_vectorize":
        return native.aot_vectorize(*args, level)
    return native.aot_guvectorize(*args, level)


def _c_string(text: str) -> tuple[str, int]:
    """An LLVM IR `c"..."` literal of `text` (UTF-8, NUL-terminated) and its length."""
    data = text.encode() + b"\0"
    body = "".join(
        chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:02X}" for b in data
    )
    return f'c"{body}"', len(data)


def _descriptor_ir(module: str, entries: list[dict[str, Any]]) -> str:
    """LLVM IR for the module's descriptor (see `struct ufg_aot_module` in
    aot-runtime/ufuncgen_aot.c) and `PyInit_<module>`."""
    import numpy as np

    from . import _native

    lines = [
        "%ufunc = type { ptr, ptr, ptr, i32, i32, i32, i32, ptr, ptr, ptr, ptr, "
        "i32, i32, ptr, ptr, ptr, ptr, ptr, ptr }",
        "%check = type { i32, i32, i64, ptr, ptr, ptr }",
        "declare ptr @ufg_aot_init(ptr)",
    ]
    if any(e["recipe"].args[5].get("parallel") for e in entries):
        # The pool's table: referencing it is what links the pool into the module.
        lines.append("@UFG_PAR_API = external constant i8")
    strings: list[str] = []

    def string(text: str | None) -> str:
        if text is None:
            return "ptr null"
        literal, n = _c_string(text)
        label = f"@.s{len(strings)}"
        strings.append(f"{label} = private unnamed_addr constant [{n} x i8] {literal}")
        return f"ptr {label}"

    declared: set[str] = set()
    rows = []
    for k, e in enumerate(entries):
        name, doc, _source, _sigs, _globals, options = e["recipe"].args[:6]
        layout = e["recipe"].args[6] if e["recipe"].constructor == "compile_guvectorize" else None
        if layout is not None:
            layout = _native.layout_signature(layout)
        loops = e["loops"]
        nin, nout = len(loops[0][0]), len(loops[0][1])
        chars = "".join(i + o for i, o in loops)
        nums = ", ".join(f"i8 {np.dtype(c).num}" for c in chars)
        lines.append(f"@.t{k} = private constant [{len(chars)} x i8] [{nums}]")
        syms = []
        for j in range(len(loops)):
            for level in range(len(_LEVELS)):
                sym = e["symbols"][level][j]
                if sym not in declared:
                    declared.add(sym)
                    lines.append(f'declare void @"{sym}"(ptr, ptr, ptr, ptr)')
                syms.append(f'ptr @"{sym}"')
        lines.append(f"@.l{k} = private constant [{len(syms)} x ptr] [{', '.join(syms)}]")
        identity = options["identity"]
        value = None
        if identity == _IDENTITY_VALUE:
            value = _identity_literal(name, options["identity_value"])
        parallel, naxes, axes = _parallel_shape(e, nin + nout)
        rw = e["read_write"]
        lines.append(f"@.rw{k} = private constant [{len(rw)} x i32] [{_ints('i32', rw)}]")
        lines.append(f"@.na{k} = private constant [{len(naxes)} x i64] [{_ints('i64', naxes)}]")
        lines.append(f"@.ax{k} = private constant [{len(axes)} x i64] [{_ints('i64', axes)}]")
        splits = [
            int(e["split_anywhere"][level][j])
            for j in range(len(loops))
            for level in range(len(_LEVELS))
        ]
        lines.append(f"@.sp{k} = private constant [{len(splits)} x i8] [{_ints('i8', splits)}]")
        checks, starts = [], [0]
        for sig in e["signatures"] if layout is not None else ():
            for strides, sizes, itemsize, fortran, message in _native.aot_contiguity_checks(
                name, sig, e["recipe"].args[6]
            ):
                c = f"{k}_{len(checks)}"
                lines.append(
                    f"@.cs{c} = private constant [{len(strides)} x i64] [{_ints('i64', strides)}]"
                )
                lines.append(
                    f"@.cz{c} = private constant [{len(sizes)} x i64] [{_ints('i64', sizes)}]"
                )
                checks.append(
                    f"%check {{ i32 {len(strides)}, i32 {int(fortran)}, i64 {itemsize}, "
                    f"ptr @.cs{c}, ptr @.cz{c}, {string(message)} }}"
                )
            starts.append(len(checks))
        if layout is None:
            starts = [0] * (len(loops) + 1)
        lines.append(f"@.ck{k} = private constant [{len(checks)} x %check] [{', '.join(checks)}]")
        lines.append(f"@.cb{k} = private constant [{len(starts)} x i32] [{_ints('i32', starts)}]")
        rows.append(
            f"%ufunc {{ {string(name)}, {string(doc)}, {string(layout)}, i32 {nin}, "
            f"i32 {nout}, i32 {len(loops)}, i32 {identity}, {string(value)}, {string(chars)}, "
            f"ptr @.t{k}, ptr @.l{k}, i32 {parallel}, i32 {len(rw)}, ptr @.rw{k}, "
            f"ptr @.na{k}, ptr @.ax{k}, ptr @.sp{k}, ptr @.ck{k}, ptr @.cb{k} }}"
        )
    lines.append(f"@.ufuncs = private constant [{len(rows)} x %ufunc] [{', '.join(rows)}]")
    lines.append(
        f"@.module = private constant {{ i32, i32, ptr, ptr, ptr }} "
        f"{{ i32 {_DESCRIPTOR_VERSION}, i32 {len(rows)}, {string(module)}, ptr @.ufuncs, "
        f"ptr {'@UFG_PAR_API' if '@UFG_PAR_API = external constant i8' in lines else 'null'} }}"
    )
    lines.append(
        f"define ptr @PyInit_{module}() {{\n"
        "  %m = tail call ptr @ufg_aot_init(ptr @.module)\n  ret ptr %m\n}"
    )
    return "\n".join(strings + lines) + "\n"


def _ints(kind: str, values: list[int]) -> str:
    """The elements of an LLVM IR integer array constant."""
    return ", ".join(f"{kind} {v}" for v in values)


def _parallel_shape(entry: dict[str, Any], nargs: int) -> tuple[int, list[int], list[int]]:
    """How a ufunc's loops run (`UFG_PAR_*` in aot-runtime/ufuncgen_aot.c) and, for a
    parallel gufunc, its core axes per operand (counts, then the axes one operand after the
    other), as src/parallel_loop.rs hands them to the JIT's pool."""
    recipe = entry["recipe"]
    if not recipe.args[5].get("parallel"):
        return _PAR_NONE, [], []
    if recipe.constructor == "compile_vectorize":
        return _PAR_ELEMENTWISE, [], []
    from . import _native

    core_axes = _native.aot_core_axes(recipe.args[6])
    if len(core_axes) != nargs:
        raise BuildError(f"{entry['name']}: layout has {len(core_axes)} operands, not {nargs}")
    return _PAR_GENERALIZED, [len(a) for a in core_axes], [i for a in core_axes for i in a]


def _identity_literal(kernel: str, value: object) -> str:
    """The descriptor's form of an identity value: a kind letter, then the literal."""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return "b1" if value else "b0"
    if isinstance(value, int | np.integer):
        return f"i{int(value)}"
    if isinstance(value, float | np.floating):
        return f"f{float(value)!r}"
    if isinstance(value, complex | np.complexfloating):
        return f"c{complex(value)!r}"
    raise BuildError(f"kernel {kernel!r}: identity {value!r} is not supported by ufuncgen build")


def _linker() -> list[str]:
    """The linker command prefix: system `ld`, else `cc`, else ziglang's `ld.lld`."""
    for tool in ("ld", "cc"):
        found = shutil.which(tool)
        if found:
            return [found]
    if importlib.util.find_spec("ziglang") is not None:
        return [sys.executable, "-m", "ziglang", "ld.lld"]
    raise BuildError(
        "ufuncgen build needs a linker: install the system linker (binutils' ld) or the "
        "ziglang package (pip install ufuncgen[aot]) for its ld.lld"
    )


def _link(
    name: str, out_dir: pathlib.Path, objects: dict[str, bytes], descriptor: bytes, archive: bytes
) -> pathlib.Path:
    target = out_dir / f"{name}.abi3.so"
    linker = _linker()
    with tempfile.TemporaryDirectory(prefix="ufuncgen-build-") as tmp:
        work = pathlib.Path(tmp)
        inputs = []
        # Sorted by symbol and named by position: the link order, hence the bytes of the
        # module, never depend on dict order or temporary paths.
        for i, sym in enumerate(sorted(objects)):
            p = work / f"loop{i}.o"
            p.write_bytes(objects[sym])
            inputs.append(p.name)
        (work / "module.o").write_bytes(descriptor)
        (work / "libufuncgen_aot.a").write_bytes(archive)
        (work / "exports.map").write_text(f"{{ global: PyInit_{name}; local: *; }};\n")
        flags = [
            "-shared",
            "--gc-sections",
            "--version-script=exports.map",
            "-z",
            "noexecstack",
            "-o",
            "out.so",
            "module.o",
            *inputs,
            "libufuncgen_aot.a",
        ]
        if linker[0].endswith("cc"):
            flags = [
                "-shared",
                "-Wl,--gc-sections",
                "-Wl,--version-script=exports.map",
                "-Wl,-z,noexecstack",
                "-o",
                "out.so",
                "module.o",
                *inputs,
                "libufuncgen_aot.a",
                "-lm",
            ]
        elif linker[0].endswith("ld"):
            # libgcc_s: the unwinder the parallel pool's Rust standard library calls (on a
            # panic); `cc` adds it itself, and a module without a pool does not need it.
            flags += ["-lm", "-lc", "--as-needed", "-l:libgcc_s.so.1"]
        run = subprocess.run([*linker, *flags], cwd=work, capture_output=True, text=True)
        if run.returncode != 0:
            raise BuildError(
                f"ufuncgen build: linking failed ({' '.join(linker)}):\n{run.stderr.strip()}"
            )
        # Atomic: the module appears whole or not at all.
        fd, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write((work / "out.so").read_bytes())
            os.chmod(partial, 0o755)
            os.replace(partial, target)
        except BaseException:
            pathlib.Path(partial).unlink(missing_ok=True)
            raise
    return target

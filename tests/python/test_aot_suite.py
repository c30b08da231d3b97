"""The JIT test suite's kernels, built ahead of time: every `@vectorize`/`@guvectorize` kernel of
tests/python that has explicit signatures and stands alone (no names from its test but math,
numpy and builtins), whether written in a test or in a kernel-source string, is built into one
module and compared with its JIT twin bit for bit, per CPU level, on generated inputs of every
loop's dtypes (errors compared by type and message)."""

from __future__ import annotations

import ast
import builtins
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

import ufuncgen

SUITE = pathlib.Path(__file__).parent
DECORATORS = ("vectorize", "guvectorize")
# Names a harvested kernel may use besides its own: what the generated file imports.
MODULES = {"math", "cmath", "np", "numpy"}
HEADER = "import math\nimport cmath\nimport numpy as np\nimport numpy\n"
HEADER += "from ufuncgen import vectorize, guvectorize\n"
# Decorator options that describe the build environment, not the kernel.
DROPPED_OPTIONS = {"cache", "cache_dir", "cache_max_bytes"}

# Runs every loop of every ufunc of a module (the built one, or with "jit" the JIT twin of
# the harvested file) on generated inputs; prints JSON. Same seed, same inputs on both sides.
CHILD = textwrap.dedent(
    """
    import sys, json, re
    out_dir, name, mode = sys.argv[1:4]
    if mode == "jit":
        import types
        mod = types.ModuleType(name + "_twin")
        mod.__file__ = sys.argv[4]
        exec(compile(open(sys.argv[4]).read(), sys.argv[4], "exec"), mod.__dict__)
    else:
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "ufuncgen" or name.startswith("ufuncgen."):
                    raise ImportError("ufuncgen is blocked in this interpreter")
        sys.meta_path.insert(0, Block())
        sys.path.insert(0, out_dir)
        mod = __import__(name)
    import numpy as np

    def values(rng, dtype, shape):
        dt = np.dtype(dtype)
        if dt.kind == "b":
            return rng.random(shape) < 0.5
        if dt.kind == "u":
            return rng.integers(0, 11, shape).astype(dt)
        if dt.kind == "i":
            return rng.integers(-5, 6, shape).astype(dt)
        if dt.kind == "c":
            return (rng.standard_normal(shape) * 3 + 1j * rng.standard_normal(shape)).astype(dt)
        return (rng.standard_normal(shape) * 3).astype(dt)

    def cores(signature, nargs):
        if signature is None:
            return [()] * nargs
        sizes = {}
        shapes = []
        for group in re.findall(r"\\(([^)]*)\\)", signature):
            dims = [d.strip().rstrip("?") for d in group.split(",") if d.strip()]
            shapes.append(tuple(int(d) if d.isdigit() else sizes.setdefault(d, 3 + len(sizes))
                                for d in dims))
        return shapes

    results = {}
    for fname in sorted(n for n in dir(mod) if isinstance(getattr(mod, n), np.ufunc)):
        f = getattr(mod, fname)
        for t in f.types:
            ins, outs = t.split("->")
            rng = np.random.default_rng(len(results))
            shapes = cores(f.signature, len(ins) + len(outs))
            outer = (5,) if f.signature else (11,)
            args = [values(rng, c, outer + s) for c, s in zip(ins, shapes)]
            key = fname + ":" + t
            try:
                with np.errstate(all="ignore"):
                    if f.signature:
                        res = [np.zeros(outer + s, c) for c, s in zip(outs, shapes[len(ins):])]
                        f(*args, out=tuple(res))
                    else:
                        r = f(*args)
                        res = list(r) if isinstance(r, tuple) else [r]
                results[key] = ["ok"] + [np.asarray(a).tobytes().hex() for a in res + args]
            except Exception as e:
                results[key] = ["err", type(e).__name__, str(e)]
    print(json.dumps(results))
    """
)


def _decorator_name(dec: ast.expr) -> str | None:
    fn = dec.func if isinstance(dec, ast.Call) else dec
    if isinstance(fn, ast.Name):
        return fn.id
    return fn.attr if isinstance(fn, ast.Attribute) else None


def _standalone(fn: ast.FunctionDef) -> bool:
    """True when the kernel's body uses only its own names, builtins and MODULES."""
    own = {a.arg for a in fn.args.args + fn.args.kwonlyargs + fn.args.posonlyargs}
    loads = set()
    body = ast.Module(body=fn.body, type_ignores=[])  # not the decorator
    for node in ast.walk(body):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else own).add(node.id)
    return loads <= own | MODULES | set(dir(builtins)) | {fn.name}


def _kernel(fn: ast.FunctionDef, name: str) -> list[str]:
    """The kernel's source renamed to `name` (plus `p` for the parallel variant), with a plain
    decorator of literal signatures and options; none when it is not such a kernel. Tests
    parametrized over the target (`target=target`) give both targets."""
    decs = [d for d in fn.decorator_list if _decorator_name(d) in DECORATORS]
    if len(decs) != 1 or len(fn.decorator_list) != 1 or not isinstance(decs[0], ast.Call):
        return []
    dec = decs[0]
    targets: list[str | None] = [None]
    try:
        args = [ast.literal_eval(a) for a in dec.args]
        options = {}
        for k in dec.keywords:
            if k.arg == "target" and isinstance(k.value, ast.Name):
                targets = ["cpu", "parallel"]
            elif k.arg not in DROPPED_OPTIONS:
                options[k.arg] = ast.literal_eval(k.value)
    except ValueError:
        return []
    if not args or None in options or not _standalone(fn):
        return []
    if options.get("boundscheck") is False:
        return []  # the generated indices go out of range: reads that are undefined
    old = fn.name
    found = []
    for target in targets:
        new = name + ("p" if target == "parallel" else "")
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and node.id in (old, name):
                node.id = new
        fn.name = new
        fn.decorator_list = []
        opts = options | ({"target": target} if target else {})
        call = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in opts.items()])
        found.append(f"@{_decorator_name(dec)}({call})\n{ast.unparse(fn)}\n")
    return found


def _sources(path: pathlib.Path) -> list[str]:
    """The file's text and every kernel-source string in it."""
    text = path.read_text()
    found = [text]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "vectorize" in node.value and "def " in node.value:
                found.append(textwrap.dedent(node.value))
    return found


def harvest() -> dict[str, str]:
    """Kernel name -> source, for every standalone kernel of the JIT test suite."""
    kernels: dict[str, str] = {}
    for path in sorted(SUITE.glob("test_*.py")):
        if path.name.startswith("test_aot"):
            continue  # the AOT tests' own kernels are built by those tests
        for text in _sources(path):
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and node.decorator_list:
                    name = f"k{len(kernels)}_{node.name}"
                    for source in _kernel(node, name):
                        kernels[source.split("def ")[1].split("(")[0]] = source
    return kernels


def _compiles(name: str, source: str, tmp: pathlib.Path) -> bool:
    """Whether the JIT compiles the kernel eagerly (the suite also holds kernels that must
    fail, and signature-less ones)."""
    path = tmp / f"{name}.py"
    path.write_text(HEADER + source)
    namespace = {"__name__": name}
    try:
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    except Exception:  # noqa: BLE001 - any failure drops the kernel
        return False
    # A layout without signatures makes a lazy ufunc, which `ufuncgen build` skips.
    return getattr(namespace[name], "ntypes", 0) > 0


# Library math, powers and complex products may differ between CPU levels by design (vector
# math entries per width, FMA in complex products from x86-64-v3 on, as NumPy's own loops).
LEVEL_DEPENDENT = re.compile(r"\b(math|cmath|np|numpy)\.|\*\*|complex|j\b|[0-9]j")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("suite")
    kernels = {n: s for n, s in harvest().items() if _compiles(n, s, tmp)}
    source = tmp / "suitekernels.py"
    source.write_text(HEADER + "\n\n".join(kernels.values()))
    out = tmp_path_factory.mktemp("out")
    ufuncgen.build(source, out)
    return {"kernels": kernels, "source": source, "out": out}


def _run(suite: dict, *args: str, env: dict[str, str]) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(suite["out"]), "suitekernels", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "UFUNCGEN_DISABLE_SVML": "1", **env},
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_harvest_is_most_of_the_suite(suite: dict) -> None:
    """Guards the harvest itself: a change to the suite's style must not silently empty it."""
    assert len(suite["kernels"]) >= 50, sorted(suite["kernels"])
    assert any("guvectorize" in s for s in suite["kernels"].values())
    assert any("parallel" in s for s in suite["kernels"].values())


@pytest.mark.parametrize("level", ["v2", "v3", "v4"])
def test_suite_kernels_match_their_jit_twins(suite: dict, level: str) -> None:
    from test_aot import _cpu_levels

    levels = _cpu_levels()
    if level not in levels:
        pytest.skip(f"this CPU cannot run x86-64-{level}")
    jit = _run(suite, "jit", str(suite["source"]), env={})
    aot = _run(suite, "aot", env={"UFUNCGEN_AOT_LEVEL": level})
    assert sorted(aot) == sorted(jit)
    compared = 0
    for key, want in jit.items():
        name = key.split(":")[0]
        if level != levels[-1] and LEVEL_DEPENDENT.search(suite["kernels"][name]):
            continue
        assert aot[key] == want, (key, suite["kernels"][name])
        compared += 1
    assert compared >= (len(jit) if level == levels[-1] else 1)

"""`ufuncgen build`: the module works with only NumPy, matches its JIT twin bit for bit at every
CPU level, and a failed build leaves nothing behind."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ufuncgen

KERNELS = textwrap.dedent(
    '''
    import math
    from ufuncgen import vectorize, guvectorize

    SCALE = 3

    @vectorize(["float64(float64, float64)", "float32(float32, float32)",
                "int64(int64, int64)", "int32(int32, int32)"], identity=0)
    def axpy(a, b):
        """a + SCALE * b"""
        return a + SCALE * b

    @vectorize(["float64(float64, float64)", "int64(int64, int64)", "uint8(uint8, uint8)"])
    def mixed(a, b):
        if a > b:
            return a // (b + 1)
        return a * b - 7

    @vectorize(["int64(int64, int64)"])
    def ipow(a, b):
        return a ** b

    @vectorize(["float64(float64)", "float32(float32)"])
    def poly(x):
        return ((x * 0.5 + 1.25) * x - 3.0) * x + math.sqrt(abs(x))

    @vectorize(["float64(float64, float64)"], identity=-math.inf)
    def biggest(a, b):
        return a if a > b else b

    @vectorize(["int64(int64)"])
    def checked(x):
        assert x >= 0, "negative"
        return x

    @vectorize
    def unsigned_kernel(x):
        return x

    @guvectorize(["void(float64[:], float64[:], float64[:])",
                  "void(float32[:], float32[:], float32[:])"], "(n),(n)->()")
    def dot(a, b, out):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i] * b[i]
        out[0] = s

    @guvectorize(["void(float64[:], int64, float64[:])"], "(n),()->()")
    def pick(a, i, out):
        out[0] = a[i]

    @guvectorize(["void(float64[:, ::1], float64[:])", "void(float32[:, ::1], float32[:])",
                  "void(int64[::1, :], int64[:])"], "(m,n)->(m)")
    def crowsum(a, out):
        for i in range(a.shape[0]):
            s = a[i, 0] * 0
            for j in range(a.shape[1]):
                s += a[i, j]
            out[i] = s

    @vectorize(["complex128(complex128, complex128)", "complex64(complex64, complex64)"],
               identity=1 + 0j)
    def cmul(a, b):
        return a * b

    @guvectorize(["void(float64[:], float64[:])"], "(n)->()")
    def negate_first(a, out):
        a[0] = -a[0]
        out[0] = a[0]
    '''
)

# Child interpreter: ufuncgen cannot be imported there; prints JSON results.
CHILD = textwrap.dedent(
    """
    import sys, json, pickle
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "ufuncgen" or name.startswith("ufuncgen."):
                raise ImportError("ufuncgen is blocked in this interpreter")
    sys.meta_path.insert(0, Block())
    for k in [k for k in sys.modules if k.startswith("ufuncgen")]:
        del sys.modules[k]
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    mod = __import__(sys.argv[2])
    inputs = pickle.load(open(sys.argv[3], "rb"))
    out = {"level": mod.__ufuncgen_cpu_level__, "results": {}}
    for key, (name, method, args, kwargs) in inputs.items():
        f = getattr(mod, name)
        try:
            if kwargs.get("every_other_column"):  # a view pickle would have copied
                args, kwargs = (args[0][:, ::2], *args[1:]), {}
            if method == "at_input":
                f(*args, **kwargs)
                r = args[0]
            else:
                r = getattr(f, method)(*args, **kwargs) if method else f(*args, **kwargs)
                r = args[0] if method == "at" else r
            out["results"][key] = ["ok", np.asarray(r).dtype.str, np.asarray(r).tobytes().hex()]
        except Exception as e:
            out["results"][key] = ["err", type(e).__name__, str(e)]
    out["meta"] = {n: [getattr(mod, n).types, repr(getattr(mod, n).identity),
                       getattr(mod, n).signature, getattr(mod, n).__doc__]
                   for n in sorted(dir(mod)) if isinstance(getattr(mod, n), np.ufunc)}
    out["pickles"] = pickle.loads(pickle.dumps(mod.axpy)) is mod.axpy
    out["ufuncgen_loaded"] = any(k.startswith("ufuncgen") for k in sys.modules)
    print(json.dumps(out))
    """
)


def _cases() -> dict[str, tuple[str, str | None, tuple, dict]]:
    rng = np.random.default_rng(7)
    f64 = rng.standard_normal(1037) * 50
    f32 = f64.astype(np.float32)
    i64 = rng.integers(-1000, 1000, 1037)
    i32 = i64.astype(np.int32)
    u8 = rng.integers(0, 255, 1037).astype(np.uint8)
    m = rng.standard_normal((37, 19))
    cases = {
        "axpy_f64": ("axpy", None, (f64, f64[::-1]), {}),
        "axpy_f32": ("axpy", None, (f32, f32[::2][:519]), {}),
        "axpy_i64": ("axpy", None, (i64, i64), {}),
        "axpy_i32_strided": ("axpy", None, (i32[::3], i32[1::3]), {}),
        "axpy_reduce": ("axpy", "reduce", (m,), {"axis": 1}),
        "axpy_reduce_all": ("axpy", "reduce", (m,), {"axis": None}),
        "axpy_accumulate": ("axpy", "accumulate", (i64[:50],), {}),
        "axpy_reduceat": ("axpy", "reduceat", (f64[:40], [0, 5, 17, 30]), {}),
        "axpy_outer": ("axpy", "outer", (f64[:13], f64[:7]), {}),
        "axpy_at": ("axpy", "at", (f64[:20].copy(), [0, 3, 3, 7], f64[:4]), {}),
        "axpy_empty_reduce": ("axpy", "reduce", (np.zeros(0),), {}),
        "mixed_f64": ("mixed", None, (f64, f64[::-1]), {}),
        "mixed_i64": ("mixed", None, (i64, i64[::-1]), {}),
        "mixed_u8": ("mixed", None, (u8, u8[::-1]), {}),
        "ipow_ok": ("ipow", None, (i64 % 7, np.arange(1037) % 5), {}),
        "ipow_negative": ("ipow", None, (i64, np.full(1037, -1)), {}),
        "poly_f64": ("poly", None, (f64,), {}),
        "poly_f32": ("poly", None, (f32,), {}),
        "biggest_reduce": ("biggest", "reduce", (f64,), {}),
        "checked_assert": ("checked", None, (i64,), {}),
        "dot": ("dot", None, (m, m), {}),
        "dot_f32": ("dot", None, (m.astype(np.float32), m.astype(np.float32)), {}),
        "pick": ("pick", None, (m, np.arange(37) % 19), {}),
        "pick_oob": ("pick", None, (m, 1000), {}),
        # [::1] promises: kept by contiguous operands, refused (ValueError) otherwise.
        "crowsum_c": ("crowsum", None, (m.astype(np.float32),), {}),
        "crowsum_c_broken": (
            "crowsum",
            None,
            (m.astype(np.float32),),
            {"every_other_column": True},
        ),
        "crowsum_f": ("crowsum", None, (np.asfortranarray(i64[:999].reshape(37, 27)),), {}),
        "crowsum_f_broken": ("crowsum", None, (i64[:999].reshape(37, 27),), {}),
        "crowsum_stacked": ("crowsum", None, (m.reshape(1, 37, 19),), {}),
        "cmul": ("cmul", None, (f64[:9] + 1j * f64[9:18], f64[18:27] - 2j), {}),
        "cmul_reduce": ("cmul", "reduce", ((f64[:20] / 50 + 1j * f64[20:40] / 50),), {}),
        "cmul_reduce_c64": ("cmul", "reduce", ((f64[:8] + 1j).astype(np.complex64),), {}),
        "cmul_empty_reduce": ("cmul", "reduce", (np.zeros(0, np.complex128),), {}),
        # Stores into its input: passed read-write, so the cast copy is written back.
        "negate_first_cast": ("negate_first", "at_input", (m.astype(np.float32),), {}),
    }
    return cases


def _jit_results(module: object, cases: dict) -> dict:
    out = {}
    for key, (name, method, args, kwargs) in cases.items():
        f = getattr(module, name)
        try:
            if kwargs.get("every_other_column"):  # a view pickle would have copied
                args, kwargs = (args[0][:, ::2], *args[1:]), {}
            if method == "at_input":
                f(*args, **kwargs)
                r = args[0]
            else:
                r = getattr(f, method)(*args, **kwargs) if method else f(*args, **kwargs)
                r = args[0] if method == "at" else r
            out[key] = ["ok", np.asarray(r).dtype.str, np.asarray(r).tobytes().hex()]
        except Exception as e:  # noqa: BLE001 - compared by type and message
            out[key] = ["err", type(e).__name__, str(e)]
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    src_dir = tmp_path_factory.mktemp("src")
    out_dir = tmp_path_factory.mktemp("out")
    source = src_dir / "aotkernels.py"
    source.write_text(KERNELS)
    with pytest.warns(UserWarning, match="unsigned_kernel"):
        path = ufuncgen.build(source, out_dir)
    return {"path": path, "source": source, "out": out_dir}


def _run_child(built: dict, cases: dict, tmp_path: pathlib.Path, level: str | None) -> dict:
    import pickle

    inputs = tmp_path / "inputs.pkl"
    inputs.write_bytes(pickle.dumps(cases))
    env = dict(os.environ)
    env.pop("UFUNCGEN_AOT_LEVEL", None)
    if level:
        env["UFUNCGEN_AOT_LEVEL"] = level
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(built["out"]), "aotkernels", str(inputs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _jit_twin(source: pathlib.Path) -> object:
    """The kernels compiled by the JIT (the signature-less one dropped)."""
    import types

    # Same line count: the compiler reads kernel source back from the file by line.
    text = source.read_text().replace(
        "@vectorize\ndef unsigned_kernel", "@(lambda f: f)\ndef unsigned_kernel"
    )
    module = types.ModuleType("aotkernels_twin")
    module.__file__ = str(source)
    code = compile(text, str(source), "exec")
    exec(code, module.__dict__)  # noqa: S102 - the test's own kernel file
    return module


def _cpu_levels() -> list[str]:
    flags = set(ufuncgen.config()["cpu_features"]) if "cpu_features" in ufuncgen.config() else set()
    levels = ["v2"]
    if {"avx2", "fma"} <= flags or not flags:
        levels.append("v3")
    if "avx512f" in flags:
        levels.append("v4")
    return levels


@pytest.mark.parametrize("level", ["v2", "v3", "v4"])
def test_aot_matches_jit_bit_for_bit(built: dict, tmp_path: pathlib.Path, level: str) -> None:
    cases = _cases()
    child = _run_child(built, cases, tmp_path, level)
    assert not child["ufuncgen_loaded"]
    if level not in _cpu_levels():
        pytest.skip(f"this CPU cannot run x86-64-{level}")
    assert child["level"] == f"x86-64-{level}"
    twin = _jit_twin(built["source"])
    expected = _jit_results(twin, cases)
    for key in cases:
        if key.startswith("cmul") and level == "v2" and len(_cpu_levels()) > 1:
            # The complex product is fused (FMA) from x86-64-v3 on, as NumPy's own loops are
            # (codegen::arith cmul): the v2 loop differs from the host's JIT in the last bit.
            continue
        assert child["results"][key] == expected[key], key
    assert child["results"]["ipow_negative"][1] == "ValueError"
    assert "line" in child["results"]["ipow_negative"][2]
    assert child["results"]["pick_oob"][1] == "IndexError"
    assert child["results"]["checked_assert"][1] == "AssertionError"
    for broken in ("crowsum_c_broken", "crowsum_f_broken"):
        assert child["results"][broken][1] == "ValueError", broken
        assert "contiguous" in child["results"][broken][2]
    assert child["results"]["crowsum_c"][0] == "ok"
    cast = np.frombuffer(bytes.fromhex(child["results"]["negate_first_cast"][2]), np.float32)
    fresh = _cases()["negate_first_cast"][2][0]
    assert (cast.reshape(37, 19)[:, 0] == -fresh[:, 0]).all()
    for name, (types_, identity, signature, doc) in child["meta"].items():
        f = getattr(twin, name)
        assert types_ == f.types, name
        assert identity == repr(f.identity), name
        assert signature == f.signature, name
        assert doc == f.__doc__, name
    assert child["pickles"]


def test_default_level_is_the_best_the_cpu_has(built: dict, tmp_path: pathlib.Path) -> None:
    child = _run_child(built, {}, tmp_path, None)
    assert child["level"] == f"x86-64-{_cpu_levels()[-1]}"


def test_fp_flags_reach_numpy(built: dict) -> None:
    code = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import aotkernels as m\n"
        "with np.errstate(over='raise'):\n"
        "    try: m.axpy(np.array([1e308]), np.array([1e308]))\n"
        "    except FloatingPointError as e: print('FPE', e)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(built["out"])], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "FPE overflow encountered in axpy" in run.stdout


def test_two_modules_with_the_same_function_name(tmp_path: pathlib.Path) -> None:
    for name, op in (("moda", "+"), ("modb", "-")):
        src = tmp_path / f"{name}.py"
        src.write_text(
            "from ufuncgen import vectorize\n"
            f"@vectorize(['float64(float64, float64)'])\ndef f(a, b):\n    return a {op} b\n"
        )
        ufuncgen.build(src, tmp_path)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import moda, modb\n"
        "print(moda.f(5.0, 3.0), modb.f(5.0, 3.0))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["8.0", "2.0"]


def test_rebuild_is_byte_identical(built: dict, tmp_path: pathlib.Path) -> None:
    with pytest.warns(UserWarning, match="unsigned_kernel"):
        again = ufuncgen.build(built["source"], tmp_path)
    assert again.read_bytes() == built["path"].read_bytes()
    assert again.name == "aotkernels.abi3.so"


def _cli(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ufuncgen", "build", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("def f(:\n    pass\n", "SyntaxError|invalid syntax"),
        (
            "from ufuncgen import vectorize\n"
            "@vectorize(['float64(float64)'])\ndef f(x):\n    return {x: 1}\n",
            "f",
        ),
    ],
    ids=["syntax_error", "unsupported_construct"],
)
def test_failing_file_exits_non_zero_and_leaves_nothing(
    tmp_path: pathlib.Path, text: str, message: str
) -> None:
    import re

    (tmp_path / "bad.py").write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    run = _cli("bad.py", "-o", str(out), cwd=tmp_path)
    assert run.returncode != 0
    assert re.search(message, run.stderr), run.stderr
    assert "Traceback" not in run.stderr
    assert list(out.iterdir()) == []


def test_unsupported_construct_names_the_line(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.py").write_text(
        "from ufuncgen import vectorize\n"
        "@vectorize(['float64(float64)'])\ndef f(x):\n    return {x: 1}\n"
    )
    run = _cli("bad.py", cwd=tmp_path)
    assert run.returncode == 1
    assert "bad.py" in run.stderr and "line 4" in run.stderr, run.stderr


def test_missing_file(tmp_path: pathlib.Path) -> None:
    run = _cli("nope.py", cwd=tmp_path)
    assert run.returncode == 1
    assert "no such file" in run.stderr
    with pytest.raises(FileNotFoundError):
        ufuncgen.build(tmp_path / "nope.py")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_dir(tmp_path: pathlib.Path) -> None:
    (tmp_path / "k.py").write_text("x = 1\n")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    run = _cli("k.py", "-o", str(locked), cwd=tmp_path)
    assert run.returncode == 1
    assert "not writable" in run.stderr
    assert list(locked.iterdir()) == []


def test_missing_output_dir(tmp_path: pathlib.Path) -> None:
    (tmp_path / "k.py").write_text("x = 1\n")
    run = _cli("k.py", "-o", str(tmp_path / "absent"), cwd=tmp_path)
    assert run.returncode == 1
    assert "does not exist" in run.stderr


def test_console_script_and_name_option(tmp_path: pathlib.Path) -> None:
    script = shutil.which("ufuncgen", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the console script is not installed in this environment")
    (tmp_path / "k.py").write_text(
        "from ufuncgen import vectorize\n"
        "@vectorize(['int64(int64)'])\ndef inc(x):\n    return x + 1\n"
    )
    run = subprocess.run(
        [script, "build", "k.py", "--name", "renamed"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "renamed.abi3.so").is_file()
    code = "import sys; sys.path.insert(0, '.'); import renamed; print(renamed.inc(41))"
    check = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert check.stdout.strip() == "42", check.stderr


MATH_KERNELS = textwrap.dedent(
    """
    import math
    from ufuncgen import vectorize

    @vectorize(["float64(float64)", "float32(float32)"])
    def vexp(x):
        return math.exp(x)

    @vectorize(["float64(float64, float64)"])
    def vatan2(y, x):
        return math.atan2(y, x)
    """
)


@pytest.mark.parametrize("level", ["v2", "v3", "v4"])
def test_vector_math_inside_the_module(tmp_path: pathlib.Path, level: str) -> None:
    """Library math runs inside the module (svml-shim bound at import): within a few ULP of
    the JIT twin at every level, and NaN/inf handled as NumPy does."""
    if level not in _cpu_levels():
        pytest.skip(f"this CPU cannot run x86-64-{level}")
    src = tmp_path / "aotmath.py"
    src.write_text(MATH_KERNELS)
    ufuncgen.build(src, tmp_path)
    x = np.concatenate([np.linspace(-700, 700, 4001), [np.nan, np.inf, -np.inf, 0.0]])
    np.save(tmp_path / "x.npy", x)
    code = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import aotmath as m\n"
        "x = np.load(sys.argv[1] + '/x.npy')\n"
        "np.save(sys.argv[1] + '/e.npy', m.vexp(x)); "
        "np.save(sys.argv[1] + '/f.npy', m.vexp(x.astype(np.float32)))\n"
        "np.save(sys.argv[1] + '/a.npy', m.vatan2(x, x[::-1]))\n"
    )
    env = dict(os.environ, UFUNCGEN_AOT_LEVEL=level)
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    twin = {}
    exec(compile(src.read_text(), str(src), "exec"), twin)  # noqa: S102 - the test's kernels
    with np.errstate(all="ignore"):
        pairs = [
            (np.load(tmp_path / "e.npy"), twin["vexp"](x)),
            (np.load(tmp_path / "f.npy"), twin["vexp"](x.astype(np.float32))),
            (np.load(tmp_path / "a.npy"), twin["vatan2"](x, x[::-1])),
        ]
    for got, want in pairs:
        assert got.dtype == want.dtype
        np.testing.assert_array_max_ulp(got, want, maxulp=4)


def test_file_using_its_ufuncs_and_parallel_kernels(tmp_path: pathlib.Path) -> None:
    """A kernel file may call its ufuncs at import (they compile for the host on first use);
    target='parallel' kernels build without a warning (test_aot_parallel.py runs them)."""
    src = tmp_path / "usesitself.py"
    src.write_text(
        "import numpy as np\nfrom ufuncgen import vectorize\n"
        "@vectorize(['float64(float64)'], target='parallel')\ndef twice(x):\n    return 2 * x\n"
        "TABLE = twice(np.arange(4.0))\n"
        "assert TABLE.tolist() == [0.0, 2.0, 4.0, 6.0]\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = ufuncgen.build(src, tmp_path)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import usesitself as m; print(m.twice(21.0))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert run.stdout.strip() == "42.0", run.stderr
    assert path.name == "usesitself.abi3.so"


def test_failed_link_leaves_no_partial_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ufuncgen import _build

    (tmp_path / "k.py").write_text(
        "from ufuncgen import vectorize\n"
        "@vectorize(['int64(int64)'])\ndef inc(x):\n    return x + 1\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(_build, "_linker", lambda: [shutil.which("false") or "/bin/false"])
    with pytest.raises(_build.BuildError, match="linking failed"):
        ufuncgen.build(tmp_path / "k.py", out)
    assert list(out.iterdir()) == []


def test_no_linker_names_both_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from ufuncgen import _build

    monkeypatch.setattr(_build.shutil, "which", lambda _tool: None)
    monkeypatch.setattr(_build.importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(_build.BuildError, match=r"ld\b.*ziglang"):
        _build._linker()


def test_only_the_files_own_kernels_are_exported(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "helperkernels.py").write_text(
        "from ufuncgen import vectorize\n"
        "@vectorize(['int64(int64)'])\ndef imported(x):\n    return x - 1\n"
    )
    (tmp_path / "ownk.py").write_text(
        "from ufuncgen import vectorize\nfrom helperkernels import imported\n"
        "@vectorize(['int64(int64)'])\ndef own(x):\n    return x + 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out"
    out.mkdir()
    ufuncgen.build(tmp_path / "ownk.py", out)
    sys.modules.pop("helperkernels", None)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import ownk; print(sorted(vars(ownk)))"
    run = subprocess.run(
        [sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "own" in run.stdout and "imported" not in run.stdout

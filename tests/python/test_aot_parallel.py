"""`target="parallel"` in modules built by `ufuncgen build`: the loops run on the module's own
copy of the JIT's pool (no ufuncgen needed), give the JIT parallel target's bits, and survive
threads, fork, errors in workers and several modules in one process. Also the inputs a kernel
stores into, which modules make NumPy pass read-write as the JIT does."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import ufuncgen

KERNELS = textwrap.dedent(
    '''
    import math
    from ufuncgen import vectorize, guvectorize

    @vectorize(["float64(float64, float64)", "float32(float32, float32)"], target="parallel")
    def wave(a, b):
        """sin and exp: vector-math calls split across threads"""
        return math.sin(a) * math.exp(-abs(b)) + a * b

    @vectorize(["int64(int64, int64)"], target="parallel", identity=0)
    def iadd(a, b):
        return a + b

    @guvectorize(["void(float64[:], float64[:])"], "(n)->()", target="parallel")
    def rowsum(a, out):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i] * a[i]
        out[0] = s

    @guvectorize(["void(float64[:], int64, float64[:])"], "(n),()->()", target="parallel")
    def pick(a, i, out):
        out[0] = a[i]

    @guvectorize(["void(float64[:], float64[:])"], "(n)->()", target="parallel")
    def scale_in_place(a, out):
        for i in range(a.shape[0]):
            a[i] = a[i] * 2.0
        out[0] = a[0]

    @guvectorize(["void(float64[:], float64[:])"], "(n)->()")
    def negate_in_place(a, out):
        for i in range(a.shape[0]):
            a[i] = -a[i]
        out[0] = a[0]
    '''
)

# Child interpreter: runs the cases on 2 threads with chunking forced (so even the short calls
# are split) and prints JSON; with "jit" the JIT twin of the kernels does, else the module,
# where importing ufuncgen fails.
CHILD = textwrap.dedent(
    """
    import sys, json, pickle
    out_dir, name, cases_path, mode = sys.argv[1:5]
    if mode == "jit":
        import types, ufuncgen, ufuncgen._native as native
        mod = types.ModuleType(name + "_twin")
        mod.__file__ = sys.argv[5]
        exec(compile(open(sys.argv[5]).read(), sys.argv[5], "exec"), mod.__dict__)
        ufuncgen.set_num_threads(2)
        native._force_chunking(True)
        stats, threads = native._parallel_stats, ufuncgen.get_num_threads
    else:
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "ufuncgen" or name.startswith("ufuncgen."):
                    raise ImportError("ufuncgen is blocked in this interpreter")
        sys.meta_path.insert(0, Block())
        sys.path.insert(0, out_dir)
        mod = __import__(name)
        mod._set_num_threads(2)
        mod._force_chunking(True)
        stats, threads = mod._parallel_stats, mod._get_num_threads
    import numpy as np
    cases = pickle.load(open(cases_path, "rb"))
    out = {"threads": threads(), "results": {}, "stats": {}}
    for key, (fname, method, args) in cases.items():
        f = getattr(mod, fname)
        try:
            r = getattr(f, method)(*args) if method else f(*args)
            out["results"][key] = ["ok", np.asarray(r).dtype.str, np.asarray(r).tobytes().hex()]
        except Exception as e:
            out["results"][key] = ["err", type(e).__name__, str(e)]
    for fname in ("wave", "rowsum", "pick", "negate_in_place"):
        out["stats"][fname] = stats(getattr(mod, fname))
    out["ufuncgen_loaded"] = any(k.startswith("ufuncgen") for k in sys.modules)
    print(json.dumps(out))
    """
)


def _cases() -> dict[str, tuple[str, str | None, tuple]]:
    rng = np.random.default_rng(11)
    x = rng.standard_normal(300_007) * 4
    y = rng.standard_normal(300_007)
    m = rng.standard_normal((5_003, 17))
    idx = np.arange(5_003) % 17
    bad = idx.copy()
    bad[4_000] = 99  # only a late chunk (a worker's, most likely) is out of range
    return {
        "wave_f64": ("wave", None, (x, y)),
        "wave_f64_strided": ("wave", None, (x[::3], y[1::3])),
        "wave_f32": ("wave", None, (x.astype(np.float32), y.astype(np.float32))),
        "iadd_accumulate": ("iadd", "accumulate", (np.arange(100_000),)),
        "iadd_reduce": ("iadd", "reduce", (np.arange(100_000),)),
        "rowsum": ("rowsum", None, (m,)),
        "rowsum_transposed": ("rowsum", None, (m.T.copy().T,)),
        "pick": ("pick", None, (m, idx)),
        "pick_oob": ("pick", None, (m, bad)),
        "scale_in_place": ("scale_in_place", None, (m.copy(),)),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    src = tmp_path_factory.mktemp("src") / "parkernels.py"
    src.write_text(KERNELS)
    out = tmp_path_factory.mktemp("out")
    return {"path": ufuncgen.build(src, out), "source": src, "out": out}


def _child(built: dict, code: str, *args: str, env: dict | None = None) -> str:
    run = subprocess.run(
        [sys.executable, "-c", code, str(built["out"]), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def _jit_twin(source: pathlib.Path) -> object:
    module = types.ModuleType("parkernels_twin")
    module.__file__ = str(source)
    exec(compile(source.read_text(), str(source), "exec"), module.__dict__)  # noqa: S102
    return module


def test_parallel_module_matches_the_jit_parallel_target(
    built: dict, tmp_path: pathlib.Path
) -> None:
    cases = _cases()
    inputs = tmp_path / "cases.pkl"
    inputs.write_bytes(pickle.dumps(cases))
    # SVML off on both sides: the JIT finds an SVML installed next to the interpreter, which a
    # module does not look for, and a different vector-math tier is not what is compared here.
    env = {"UFUNCGEN_DISABLE_SVML": "1"}
    args = ("parkernels", str(inputs))
    child = json.loads(_child(built, CHILD, *args, "aot", env=env))
    assert not child["ufuncgen_loaded"]
    assert child["threads"] == 2
    jit = json.loads(_child(built, CHILD, *args, "jit", str(built["source"]), env=env))
    for key in cases:
        assert child["results"][key] == jit["results"][key], key
    assert child["results"]["pick_oob"][:2] == ["err", "IndexError"]
    assert "'pick'" in child["results"]["pick_oob"][2]
    # The calls really were split across threads, by the module's own pool.
    for name in ("wave", "rowsum", "pick"):
        assert child["stats"][name][0][1] >= 1, name
    assert child["stats"]["negate_in_place"] == []


def test_unforced_large_calls_split_and_num_threads_env_is_honoured(built: dict) -> None:
    code = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import parkernels as m\n"
        "x = np.linspace(-3, 3, 4_000_000)\n"
        "for _ in range(6): r = m.wave(x, x)\n"
        "assert np.allclose(r, np.sin(x) * np.exp(-np.abs(x)) + x * x, rtol=1e-12, atol=1e-12)\n"
        "print(m._get_num_threads(), int(m._parallel_stats(m.wave)[0][1]))\n"
    )
    threads, chunked = _child(built, code, env={"UFUNCGEN_NUM_THREADS": "3"}).split()
    assert threads == "3"
    # 4M sin/exp per call is milliseconds: the cost model splits it (unless every worker was
    # descheduled for the whole run, which six calls make unlikely).
    assert int(chunked) >= 1
    one = _child(built, code, env={"UFUNCGEN_NUM_THREADS": "1"}).split()
    assert one == ["1", "0"]


def test_calls_from_many_threads_and_after_fork(built: dict) -> None:
    code = textwrap.dedent(
        """
        import os, sys, threading, numpy as np
        sys.path.insert(0, sys.argv[1])
        import parkernels as m
        m._set_num_threads(2)
        m._force_chunking(True)
        x = np.random.default_rng(3).standard_normal(200_001)
        want = m.wave(x, x[::-1])
        bad = []
        def run(k):
            for _ in range(20):
                if not np.array_equal(m.wave(x, x[::-1]), want):
                    bad.append(k)
        ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
        for t in ts: t.start()
        for t in ts: t.join()
        pid = os.fork()
        if pid == 0:
            # The parent's pool threads do not exist here: the child must build its own.
            ok = np.array_equal(m.wave(x, x[::-1]), want)
            ok = ok and m._parallel_stats(m.wave)[0][1] > 0
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        print(len(bad), os.waitstatus_to_exitcode(status))
        """
    )
    assert _child(built, code).split() == ["0", "0"]


def test_two_parallel_modules_in_one_process(built: dict, tmp_path: pathlib.Path) -> None:
    src = tmp_path / "otherpar.py"
    src.write_text(
        "from ufuncgen import vectorize\n"
        "@vectorize(['float64(float64, float64)'], target='parallel')\n"
        "def wave(a, b):\n    return a - b\n"
    )
    ufuncgen.build(src, built["out"])
    code = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1])\n"
        "import parkernels as a, otherpar as b\n"
        "a._set_num_threads(2); b._set_num_threads(3)\n"
        "a._force_chunking(True); b._force_chunking(True)\n"
        "x = np.arange(300_000.0)\n"
        "ok = np.array_equal(b.wave(x, x), np.zeros_like(x))\n"
        "ok = ok and np.array_equal(a.iadd(x.astype(np.int64), 1), np.arange(1, 300_001))\n"
        "print(ok, a._get_num_threads(), b._get_num_threads())\n"
        "try: a._parallel_stats(b.wave)\n"
        "except ValueError as e: print('refused')\n"
    )
    assert _child(built, code).split() == ["True", "2", "3", "refused"]


def test_inputs_the_kernel_stores_into_are_passed_read_write(built: dict) -> None:
    """As the JIT: a cast copy is written back, a read-only array refused (serial and
    parallel loops)."""
    code = textwrap.dedent(
        """
        import sys, numpy as np
        sys.path.insert(0, sys.argv[1])
        import parkernels as m
        out = []
        for f in (m.negate_in_place, m.scale_in_place):
            a = np.arange(12, dtype=np.float32).reshape(3, 4)
            f(a)  # float32 into a float64 loop: NumPy copies, the loop writes, NumPy copies back
            out.append(a.ravel().tolist())
            r = np.arange(4.0)
            r.flags.writeable = False
            try:
                f(r)
                out.append("no error")
            except ValueError as e:
                out.append(type(e).__name__)
        print(repr(out))
        """
    )
    got = eval(_child(built, code))  # noqa: S307 - our own child's repr of lists of floats
    twin = _jit_twin(built["source"])
    want = []
    for f in (twin.negate_in_place, twin.scale_in_place):
        a = np.arange(12, dtype=np.float32).reshape(3, 4)
        f(a)
        want.append(a.ravel().tolist())
        r = np.arange(4.0)
        r.flags.writeable = False
        try:
            f(r)
            want.append("no error")
        except ValueError as e:
            want.append(type(e).__name__)
    assert got == want
    assert got[0] == [-float(v) for v in range(12)]
    assert got[1] == "ValueError"


def test_modules_without_parallel_kernels_link_no_pool(tmp_path: pathlib.Path) -> None:
    src = tmp_path / "serialonly.py"
    src.write_text(
        "from ufuncgen import vectorize\n"
        "@vectorize(['float64(float64)'])\ndef f(x):\n    return x + 1\n"
    )
    path = ufuncgen.build(src, tmp_path)
    data = path.read_bytes()
    assert b"ufuncgen-" not in data  # the pool's thread names
    assert len(data) < 400_000
    par = tmp_path / "withpool.py"
    par.write_text(src.read_text().replace("])", "], target='parallel')"))
    assert b"ufuncgen-" in ufuncgen.build(par, tmp_path).read_bytes()


def test_parallel_module_rebuild_is_byte_identical(built: dict, tmp_path: pathlib.Path) -> None:
    assert ufuncgen.build(built["source"], tmp_path).read_bytes() == built["path"].read_bytes()


def test_fp_flags_raised_in_workers_reach_numpy(built: dict) -> None:
    code = textwrap.dedent(
        """
        import sys, numpy as np
        sys.path.insert(0, sys.argv[1])
        import parkernels as m
        m._set_num_threads(2)
        m._force_chunking(True)
        x = np.ones(400_000)
        x[-3] = 1e300  # a * b overflows in the last chunk only
        with np.errstate(over="raise"):
            try:
                m.wave(x, x)
                print("no error")
            except FloatingPointError as e:
                print("FPE", e)
        print(int(m._parallel_stats(m.wave)[0][1]))
        """
    )
    out = _child(built, code).splitlines()
    assert out[0] == "FPE overflow encountered in wave"
    assert int(out[1]) >= 1

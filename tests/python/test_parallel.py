"""`target="parallel"`: same answers as `target="cpu"`, serial where chunking would race, thread
count, thread and fork safety, the GIL released, FP flags of workers reaching NumPy.

Most tests force chunking (`_native._force_chunking`) so that calls the cost model would keep
serial on a small or busy machine still run on several threads; `_parallel_stats` shows that a
call really was chunked.
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy_diff import COMPLEX_DTYPES, FLOAT_DTYPES, INT_DTYPES, assert_identical, sig

import ufuncgen
from ufuncgen import _native, vectorize

N = 1_000_003  # not a multiple of any chunk or vector width


@pytest.fixture(autouse=True)
def two_threads_chunking_forced():
    """Two threads or more and every race-free call chunked; the defaults come back after."""
    _native.set_num_threads(max(2, os.cpu_count() or 1))
    _native._force_chunking(True)
    yield
    _native._force_chunking(False)
    _native.set_num_threads(0)


def chunked_calls(f) -> int:
    return sum(stats[1] for stats in _native._parallel_stats(f))


def _mix(a, b):
    return (a + b) * a - b


def _axpy(x, y):
    return 2.5 * x + y


def _rc(v, t):
    return v * (1 - math.exp(1 / t))


def _sub_twice(a, b):
    return a - 2 * b


def _floordiv(a, b):
    return a // b


def _ne(a, b):
    return a != b


def _spin(x):
    acc = x
    for _ in range(200):
        acc = acc * 0.999 + 0.001
    return acc


def both(sigs, kernel, **options):
    """The same kernel compiled for the cpu and the parallel target."""
    return (
        vectorize(sigs, **options)(kernel),
        vectorize(sigs, target="parallel", **options)(kernel),
    )


def values(rng, dtype, n):
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    if dtype.kind == "c":
        real = np.dtype(dtype.char.lower())
        return (values(rng, real, n) + 1j * values(rng, real, n)).astype(dtype)
    return (rng.standard_normal(n) * 10.0 ** rng.integers(-5, 5, n)).astype(dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES, ids=str)
def test_bit_identical_to_cpu_for_every_dtype(rng, dtype):
    cpu, par = both([sig(dtype, dtype, dtype)], _mix)
    a, b = values(rng, dtype, N), values(rng, dtype, N)
    with np.errstate(all="ignore"):
        want = cpu(a, b)
        got = par(a, b)
        # strided and misaligned views take the same chunked path
        got_strided = par(a[:-1:3], b[1::3])
        want_strided = cpu(a[:-1:3], b[1::3])
        got_offset = par(a[1:], b[:-1])
        want_offset = cpu(a[1:], b[:-1])
    assert chunked_calls(par) >= 3
    assert_identical(got, want)
    assert_identical(got_strided, want_strided)
    assert_identical(got_offset, want_offset)


def test_bit_identical_for_bool(rng):
    cpu, par = both(["b1(b1, b1)"], _ne)
    a, b = rng.integers(0, 2, N).astype(bool), rng.integers(0, 2, N).astype(bool)
    assert_identical(par(a, b), cpu(a, b))
    assert chunked_calls(par) >= 1


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_vector_math_kernel_identical(rng, dtype):
    cpu, par = both([sig(dtype, dtype, dtype)], _rc)
    v = rng.uniform(-10, 10, N).astype(dtype)
    t = rng.uniform(0.5, 5.0, N).astype(dtype)
    assert_identical(par(v, t), cpu(v, t))
    assert chunked_calls(par) >= 1


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
@pytest.mark.parametrize("shift", [0, 3])
def test_outputs_split_on_huge_pages_stay_identical(rng, dtype, shift):
    # With two threads, outputs of 4 huge pages (2 MiB) and more are chunked on their page grid
    # (with a finely split tail); `shift` moves the output off the page boundary, so the first
    # chunk is a partial one.
    _native.set_num_threads(2)
    cpu, par = both([sig(dtype, dtype, dtype)], _rc)
    n = (5 * (2 << 20)) // np.dtype(dtype).itemsize + 1001
    v = rng.uniform(-10, 10, n).astype(dtype)
    t = rng.uniform(0.5, 5.0, n).astype(dtype)
    out = np.empty(n + shift, dtype=dtype)[shift:]
    before = chunked_calls(par)
    par(v, t, out=out)
    assert chunked_calls(par) == before + 1
    assert_identical(out, cpu(v, t))


@pytest.mark.parametrize("threads", [3, 8])
def test_more_threads_than_cores_stay_identical(rng, threads):
    # Oversubscribed pools (and, with 8 threads, outputs of 16+ huge pages on their page grid)
    # give the cpu target's bits; also without forced chunking, through the cost model.
    _native.set_num_threads(threads)
    cpu, par = both(["f8(f8, f8)"], _rc)
    n = threads * 2 * (2 << 20) // 8 + 777
    v, t = rng.uniform(-10, 10, n), rng.uniform(0.5, 5.0, n)
    want = cpu(v, t)
    assert_identical(par(v, t), want)
    _native._force_chunking(False)
    for _ in range(3):
        assert_identical(par(v, t), want)
    assert chunked_calls(par) >= 1


def test_broadcasting_and_2d_inputs(rng):
    cpu, par = both(["f8(f8, f8)"], _axpy)
    x = rng.standard_normal((300, 1001))
    y = rng.standard_normal(1001)
    assert_identical(par(x, y), cpu(x, y))
    assert_identical(par(x.T, 1.5), cpu(x.T, 1.5))


def test_cost_model_alone_gives_the_same_answers(rng):
    _native._force_chunking(False)
    cpu, par = both(["f8(f8, f8)"], _rc)
    for n in (10, 1000, 100_000, 2_000_000):
        v, t = rng.uniform(-10, 10, n), rng.uniform(0.5, 5.0, n)
        assert_identical(par(v, t), cpu(v, t))
    ((cost, _, overhead, _),) = _native._parallel_stats(par)
    assert cost > 0 and overhead > 0, "the first large call measured the loop and the pool"
    before = chunked_calls(par)
    v, t = rng.uniform(-10, 10, 1000), rng.uniform(0.5, 5.0, 1000)
    for _ in range(50):
        par(v, t)
    # Calls under 5 us of serial work are never split; with the per-lane vector-math tier (no
    # libmvec) a 1000-element call of this kernel can be worth splitting, and then may be.
    if cost * 1000 < 5_000:
        assert chunked_calls(par) == before, "a 1000-element call never pays for a hand-off"


# --- calls whose chunks would race run serially ---------------------------------------------


@pytest.fixture(scope="module")
def sub_pair():
    return both(["int64(int64, int64)", "float64(float64, float64)"], _sub_twice)


def _py_reduce(x):
    return list(itertools.accumulate(x.tolist(), lambda a, b: a - 2 * b))


def test_reduce_is_serial_and_ordered(sub_pair, rng):
    _, par = sub_pair
    x = rng.integers(-100, 100, 200_001).astype(np.int64)
    assert par.reduce(x) == _py_reduce(x)[-1]
    xf = rng.standard_normal(200_001)
    assert par.reduce(xf) == _py_reduce(xf)[-1]
    m = rng.integers(-100, 100, (3, 100_000)).astype(np.int64)
    assert_identical(par.reduce(m, axis=1), np.array([_py_reduce(r)[-1] for r in m]))
    assert_identical(par.reduce(m, axis=0), m[0] - 2 * m[1] - 2 * m[2])


def test_accumulate_is_serial_and_ordered(sub_pair, rng):
    _, par = sub_pair
    x = rng.integers(-100, 100, 300_001).astype(np.int64)
    want = np.array(_py_reduce(x), dtype=np.int64)
    assert_identical(par.accumulate(x), want)
    y = x.copy()
    par.accumulate(y, out=y)
    assert_identical(y, want)


def test_reduceat_is_serial_and_ordered(sub_pair, rng):
    cpu, par = sub_pair
    x = rng.integers(-100, 100, 400_000).astype(np.int64)
    idx = [0, 150_000, 150_000, 399_000, 10, 399_999]
    assert_identical(par.reduceat(x, idx), cpu.reduceat(x, idx))
    want = [_py_reduce(x[0:150_000])[-1], x[150_000], _py_reduce(x[150_000:399_000])[-1]]
    assert list(par.reduceat(x, idx)[:3]) == want


def test_at_is_serial_and_ordered(sub_pair, rng):
    cpu, par = sub_pair
    x = rng.integers(-100, 100, 1000).astype(np.int64)
    idx = rng.integers(0, 1000, 300_000)
    vals = rng.integers(-5, 5, 300_000).astype(np.int64)
    got, want = x.copy(), x.copy()
    par.at(got, idx, vals)
    cpu.at(want, idx, vals)
    assert_identical(got, want)
    ref = x.copy()
    np.subtract.at(ref, idx, 2 * vals)
    assert_identical(got, ref)


def test_overlapping_out_arguments(sub_pair, rng):
    _, par = sub_pair
    x = rng.integers(-1000, 1000, 500_001).astype(np.int64)
    # shifted by one element both ways: NumPy copies or the loop must not chunk
    for shift in (1, -1):
        y = x.copy()
        if shift == 1:
            want = y[:-1] - 2 * y[1:]
            par(y[:-1], y[1:], out=y[1:])
            assert_identical(y[1:], want)
        else:
            want = y[1:] - 2 * y[:-1]
            par(y[1:], y[:-1], out=y[:-1])
            assert_identical(y[:-1], want)
    # exactly in place chunks safely
    z = x.copy()
    before = chunked_calls(par)
    par(z, z, out=z)
    assert_identical(z, x - 2 * x)
    assert chunked_calls(par) > before
    # reversed view of the output as an input
    r = x.copy()
    want = x[::-1] - 2 * x
    par(r[::-1], r, out=r)
    assert_identical(r, want)


def test_outer(sub_pair, rng):
    cpu, par = sub_pair
    a, b = rng.standard_normal(3000), rng.standard_normal(700)
    assert_identical(par.outer(a, b), cpu.outer(a, b))


# --- threads ----------------------------------------------------------------------------------


def test_set_and_get_num_threads():
    ufuncgen.set_num_threads(3)
    assert ufuncgen.get_num_threads() == 3
    assert ufuncgen.config()["num_threads"] == 3
    ufuncgen.set_num_threads(1)
    cpu, par = both(["f8(f8, f8)"], _axpy)
    x = np.arange(200_000.0)
    assert_identical(par(x, x), cpu(x, x))
    assert chunked_calls(par) == 0, "one thread: nothing to chunk"
    for bad in (0, -1):
        with pytest.raises(ValueError):
            ufuncgen.set_num_threads(bad)
    for bad in (1.5, "2", None, True):
        with pytest.raises(TypeError):
            ufuncgen.set_num_threads(bad)
    assert ufuncgen.get_num_threads() == 1


def _run_python(code: str, env_updates: dict | None = None, timeout: float = 120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("UFUNCGEN_")}
    env.update(env_updates or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=os.path.dirname(__file__),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def test_num_threads_from_environment():
    code = """
        import warnings, ufuncgen
        warnings.simplefilter("error")
        print(ufuncgen.get_num_threads(), ufuncgen.config()["num_threads"])
    """
    proc = _run_python(code, {"UFUNCGEN_NUM_THREADS": "3"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3", "3"]


def test_invalid_environment_value_warns_and_uses_the_default():
    code = """
        import warnings, ufuncgen
        warnings.simplefilter("always")
        print(ufuncgen.get_num_threads(), ufuncgen.config()["num_threads"])
    """
    proc = _run_python(code, {"UFUNCGEN_NUM_THREADS": "lots"})
    assert proc.returncode == 0, proc.stderr
    assert "UFUNCGEN_NUM_THREADS" in proc.stderr
    native, reported = proc.stdout.split()
    assert native == reported and int(native) >= 1


def test_many_python_threads_at_once(rng):
    cpu, par = both(["f8(f8, f8)", "i8(i8, i8)"], _mix)
    inputs = [
        (rng.standard_normal(150_000 + k), rng.standard_normal(150_000 + k)) for k in range(8)
    ]
    inputs += [
        (rng.integers(-99, 99, 100_000 + k), rng.integers(-99, 99, 100_000 + k)) for k in range(8)
    ]
    wants = [cpu(a, b) for a, b in inputs]

    def job(i):
        a, b = inputs[i % len(inputs)]
        return i % len(inputs), par(a, b)

    with ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(job, range(160)))
    for i, got in results:
        assert_identical(got, wants[i])
    assert chunked_calls(par) >= 100


FORK_SETUP = """
    import os
    import numpy as np
    import ufuncgen
    from ufuncgen import _native

    _native.set_num_threads(2)
    _native._force_chunking(True)
    f = ufuncgen.vectorize(["f8(f8, f8)"], target="parallel")(lambda a, b: a * 2.0 + b)
    x = np.arange(1_000_000, dtype=np.float64)
    want = x * 2.0 + x
    assert np.array_equal(f(x, x), want)  # the pool is running now
    assert _native._parallel_stats(f)[0][1] >= 1
"""

FORK_BODY = """
    pid = os.fork()
    if pid == 0:
        ok = np.array_equal(f(x, x), want) and np.array_equal(f(x, x), want)
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    assert np.array_equal(f(x, x), want)  # the parent's pool still works
"""

MULTIPROCESSING_BODY = """
    import multiprocessing as mp

    def work(k):
        return bool(np.array_equal(f(x + k, x), (x + k) * 2.0 + x))

    with mp.get_context("fork").Pool(2) as pool:
        assert all(pool.map(work, range(4)))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.parametrize("body", [FORK_BODY, MULTIPROCESSING_BODY], ids=["fork", "mp-fork"])
def test_fork_after_the_pool_started(body, tmp_path):
    script = tmp_path / "fork_child.py"  # kernels compile from source files
    script.write_text(textwrap.dedent(FORK_SETUP) + textwrap.dedent(body) + 'print("ok")\n')
    code = f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')"
    proc = _run_python(code, timeout=90)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


# --- the GIL and FP flags ---------------------------------------------------------------------


def test_gil_is_released_during_a_long_call():
    _, par = both(["f8(f8)"], _spin)
    x = np.linspace(0.0, 1.0, 2_000_000)
    par(x[:300_000])  # compile paths warm, cost measured
    ticks = 0
    stop = threading.Event()
    started = threading.Event()

    def count():
        nonlocal ticks
        started.set()
        while not stop.is_set():
            ticks += 1

    t = threading.Thread(target=count)
    t.start()
    started.wait()
    before = ticks
    par(x)
    during = ticks - before
    stop.set()
    t.join()
    # With the GIL held for the whole call the counter could not move at all.
    assert during > 1000, f"the other thread ran {during} times during the call"


def test_worker_fp_flags_reach_numpy():
    cpu, par = both(["int64(int64, int64)"], _floordiv)
    n = 2_000_000
    a = np.arange(n, dtype=np.int64)
    for where in (n - 1, n // 2, 5):
        b = np.ones(n, dtype=np.int64)
        b[where] = 0
        with np.errstate(divide="raise"):
            with pytest.raises(FloatingPointError):
                par(a, b)
        with np.errstate(divide="ignore"):
            got, want = par(a, b), cpu(a, b)
        assert_identical(got, want)
        assert got[where] == 0
    b = np.ones(n, dtype=np.int64)
    with np.errstate(divide="raise"):
        assert_identical(par(a, b), a)  # no flag from any chunk: no error
    assert chunked_calls(par) >= 7

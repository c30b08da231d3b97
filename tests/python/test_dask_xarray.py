"""ufuncgen ufuncs on Dask arrays (threaded and on a LocalCluster of worker processes) and in
xarray: NumPy's results on chunked data, kernels defined in a module or in `__main__`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import pytest
import xarray as xr

from ufuncgen import guvectorize, vectorize


@vectorize(["float64(float64, float64)", "float32(float32, float32)"], identity=0)
def blend(a, b):
    return 0.75 * a + 0.25 * b


@vectorize(["float64(float64)"], target="parallel")
def squash(x):
    return x / (1.0 + abs(x))


@vectorize(["int64(int64, int64)"], identity=0)
def add(a, b):
    return a + b


@guvectorize(["void(float64[:], float64[:], float64[:])"], "(n),()->(n)")
def ewma(x, alpha, out):
    acc = x[0]
    for i in range(x.shape[0]):
        if not np.isnan(x[i]):
            acc = alpha[0] * x[i] + (1 - alpha[0]) * acc
        out[i] = acc


def _data(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    x.flat[:: max(1, x.size // 7)] = np.nan
    return x


CHUNKS = [(5, 7), ((3, 1, 6), (4, 4, 3)), (10, 11)]  # regular, ragged, one block


@pytest.fixture(autouse=True)
def _threaded():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("chunks", CHUNKS, ids=str)
def test_array_ufunc_on_dask_arrays(chunks):
    x, y = _data((10, 11)), _data((10, 11), 1)
    dx, dy = da.from_array(x, chunks=chunks), da.from_array(y, chunks=chunks)
    lazy = blend(dx, dy)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), blend(x, y), strict=True)
    np.testing.assert_array_equal(squash(dx).compute(), squash(x), strict=True)
    np.testing.assert_array_equal(
        da.map_blocks(blend, dx, dy, dtype=np.float64).compute(), blend(x, y), strict=True
    )


@pytest.mark.parametrize("chunks", [(4, 11), ((3, 3, 4), 11)], ids=str)
def test_apply_gufunc(chunks):
    x = _data((10, 11))
    dx = da.from_array(x, chunks=chunks)
    got = da.apply_gufunc(ewma, "(n),()->(n)", dx, 0.3, output_dtypes=np.float64).compute()
    np.testing.assert_array_equal(got, ewma(x, 0.3), strict=True)
    # Through __array_ufunc__ as well (Dask routes gufuncs to apply_gufunc itself).
    np.testing.assert_array_equal(ewma(dx, 0.3).compute(), ewma(x, 0.3), strict=True)


@pytest.mark.parametrize("chunks", [7, ((1, 20, 39),)], ids=str)
def test_reduce_through_dask_reduction(chunks):
    x = np.arange(60, dtype=np.int64) * 7 - 100
    dx = da.from_array(x, chunks=chunks)
    got = da.reduction(
        dx,
        chunk=lambda b, axis, keepdims: add.reduce(b, axis=axis, keepdims=keepdims),
        aggregate=lambda b, axis, keepdims: add.reduce(b, axis=axis, keepdims=keepdims),
        dtype=np.int64,
    ).compute()
    assert got == add.reduce(x) == x.sum()


def test_xarray_apply_ufunc_keeps_coordinates():
    x = _data((6, 40))
    arr = xr.DataArray(
        x, dims=("station", "time"), coords={"station": list("abcdef"), "time": np.arange(40)}
    ).chunk({"station": 2})
    out = xr.apply_ufunc(
        ewma,
        arr,
        0.3,
        input_core_dims=[["time"], []],
        output_core_dims=[["time"]],
        dask="parallelized",
        output_dtypes=[np.float64],
    )
    assert out.dims == ("station", "time")
    assert list(out.station.values) == list("abcdef")
    np.testing.assert_array_equal(out.compute().values, ewma(x, 0.3), strict=True)
    plain = blend(arr, 1.0)
    assert isinstance(plain, xr.DataArray) and plain.dims == arr.dims
    np.testing.assert_array_equal(plain.time.values, np.arange(40))
    np.testing.assert_array_equal(plain.compute().values, blend(x, 1.0), strict=True)


# --- a real cluster: worker processes on loopback -------------------------------------------


CLUSTER_SCRIPT = """
import sys
import numpy as np
import dask.array as da
from distributed import Client, LocalCluster
from ufuncgen import vectorize, guvectorize

sys.path.insert(0, {tests!r})
import test_dask_xarray as module_kernels  # module-level kernels: pickled by reference

GAIN = 3.0

@vectorize(["float64(float64, float64)"])
def main_rc(v, t):
    return v * (1 - np.exp(-1 / t)) * GAIN

@guvectorize(["void(float64[:], float64[:])"], "(n)->()", target="parallel")
def main_peak(x, out):
    m = x[0]
    for i in range(x.shape[0]):
        if x[i] > m:
            m = x[i]
    out[0] = m

if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster) as c:
        rng = np.random.default_rng(3)
        v, t = rng.random((40, 50)), rng.random((40, 50)) + 0.5
        dv, dt = da.from_array(v, chunks=(15, 20)), da.from_array(t, chunks=(15, 20))
        rows = da.from_array(v, chunks=(15, 50))  # core dimension in one chunk
        # Chunked on the workers, in this process's threads and whole: bit-identical (exp runs
        # one routine wherever an element sits: issue 15).
        local = main_rc(dv, dt).compute(scheduler="threads")
        np.testing.assert_array_equal(main_rc(dv, dt).compute(), local, strict=True)
        np.testing.assert_array_equal(local, main_rc(v, t), strict=True)
        np.testing.assert_array_equal(
            da.apply_gufunc(main_peak, "(n)->()", rows, output_dtypes=float).compute(),
            main_peak(v), strict=True)
        np.testing.assert_array_equal(
            module_kernels.blend(dv, dt).compute(), module_kernels.blend(v, t), strict=True)
        np.testing.assert_array_equal(
            da.apply_gufunc(module_kernels.ewma, "(n),()->(n)", rows, 0.5,
                            output_dtypes=float).compute(),
            module_kernels.ewma(v, 0.5), strict=True)
        pids = set(c.run(lambda: __import__("os").getpid()).values())
        assert len(pids) == 2 and __import__("os").getpid() not in pids
        print("cluster ok")
"""


def test_local_cluster_of_worker_processes(tmp_path):
    script = tmp_path / "cluster_run.py"
    script.write_text(textwrap.dedent(CLUSTER_SCRIPT.format(tests=str(Path(__file__).parent))))
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "cluster ok" in proc.stdout


def test_dask_demo_runs():
    """examples/dask_demo.py, short: kernels of its `__main__` on a LocalCluster, checked."""
    demo = Path(__file__).parents[2] / "examples" / "dask_demo.py"
    if not demo.exists():
        pytest.skip("the examples are not installed (tests run from a wheel)")
    proc = subprocess.run(
        [sys.executable, str(demo), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "sample check OK" in proc.stdout

"""Creating and dropping many ufuncs must not grow memory without bound."""

import gc
import os

import pytest

from ufuncgen import _native


def rss_bytes() -> int:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_two_thousand_test_ufuncs_are_freed():
    def cycle(n):
        for i in range(n):
            f = _native._test_ufunc(f"k{i}", "doc " * 50, -1)
            f([1.0], [2.0])
            del f
        gc.collect()

    cycle(200)  # warm up allocator and caches
    base_live = _native._live_ufuncs()
    base_rss = rss_bytes()
    cycle(2000)
    assert _native._live_ufuncs() == base_live
    # Each leaked ufunc would cost at least its ~1 KiB of object and tables.
    assert rss_bytes() - base_rss < 1 << 20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_two_thousand_compiled_ufuncs_are_freed(compiler):
    from ufuncgen import vectorize

    def cycle(n):
        for _ in range(n):
            f = vectorize(["float64(float64, float64)"])(lambda a, b: a * b + 1.0)
            f([1.0], [2.0])
            del f
        gc.collect()

    cycle(100)
    base_live = _native._live_ufuncs()
    base_rss = rss_bytes()
    cycle(2000)
    assert _native._live_ufuncs() == base_live
    # A live compiled ufunc holds ~44 KiB (code and IR text): 2,000 leaked ones would be ~88 MiB.
    grown = rss_bytes() - base_rss
    assert grown < 8 << 20, f"RSS grew by {grown / 2**20:.1f} MiB"


def test_jit_ufunc_computes_and_is_inspectable(jit):
    import numpy as np

    import ufuncgen

    f = _native._test_jit_ufunc("fmaish")
    a = np.linspace(-3, 3, 1001)
    np.testing.assert_array_equal(f(a, a[::-1]), a * a[::-1] + 1.0)
    np.testing.assert_array_equal(f(a[::7], 2.0), a[::7] * 2.0 + 1.0)
    ir = ufuncgen.inspect_llvm(f)
    assert list(ir) == ["float64(float64, float64)"]
    assert "define" in ir["float64(float64, float64)"]
    asm = ufuncgen.inspect_asm(f)["float64(float64, float64)"]
    assert "ret" in asm


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_jit_ufuncs_are_freed(jit):
    # 500 cycles: about 30 ms of compilation each; a leak costs ~44 KiB per ufunc.
    def cycle(n):
        for i in range(n):
            f = _native._test_jit_ufunc(f"k{i}")
            f([1.0], [2.0])
            del f
        gc.collect()

    cycle(100)
    base_live = _native._live_ufuncs()
    base_rss = rss_bytes()
    cycle(500)
    assert _native._live_ufuncs() == base_live
    grown = rss_bytes() - base_rss
    assert grown < 8 << 20, f"RSS grew by {grown / 2**20:.1f} MiB"

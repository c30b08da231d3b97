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


# 2,000 real compilations take about a minute on an idle 2-core machine; allow for load.
@pytest.mark.timeout(600)
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_two_thousand_compiled_ufuncs_are_freed():
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

"""`cache=True`: compiled loops kept on disk and loaded by later processes without LLVM, keyed
so that any change to what the code depends on is a miss, and never fatal: damaged files,
unwritable directories and concurrent writers give warnings or nothing, not errors."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from ufuncgen.errors import CacheWarning

import ufuncgen
from ufuncgen import vectorize

MODULE = """
import math
import numpy as np
from ufuncgen import guvectorize, vectorize

SCALE = {scale}

def helper(x):
    return x * {helper_factor}

@vectorize({signatures}, cache=True)
def rc(v, t):
    return helper(v) * (1 - math.exp(1 / t)) * SCALE

@vectorize(["int64(int64, int64)"], cache=True, target="parallel", identity=0)
def add(a, b):
    return a + b

@guvectorize(["void(float64[:], float64[:])"], "(n)->()", cache=True)
def total(x, out):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i]
    out[0] = acc
"""

RUN = """
import json, warnings, sys
import numpy as np
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import kernels
from ufuncgen import _native
v = np.linspace(-1, 1, 37)
t = np.linspace(0.5, 3, 37)
print(json.dumps({
    "compiled": _native._loops_compiled(),
    "warnings": [str(w.message) for w in caught if w.category.__name__ == "CacheWarning"],
    "rc": kernels.rc(v, t).tolist(),
    "rc32": kernels.rc(v.astype(np.float32), t.astype(np.float32)).tolist()
        if "f4" in repr(kernels.rc.types) or "ff->f" in kernels.rc.types else None,
    "add": int(kernels.add.reduce(np.arange(1000))),
    "total": kernels.total(np.arange(12.0).reshape(3, 4)).tolist(),
    "types": kernels.rc.types,
}))
"""


def write(directory: Path, scale="2.0", helper_factor="3.0", signatures=None):
    sigs = signatures or ["float64(float64, float64)", "float32(float32, float32)"]
    text = MODULE.format(scale=scale, helper_factor=helper_factor, signatures=sigs)
    (directory / "kernels.py").write_text(textwrap.dedent(text))


def run(directory: Path, cache: Path, _wrap: list[str] | None = None, **env) -> dict:
    full_env = {
        **os.environ,
        "UFUNCGEN_CACHE_DIR": str(cache),
        "PYTHONDONTWRITEBYTECODE": "1",
        **env,
    }
    proc = subprocess.run(
        [*(_wrap or []), sys.executable, "-c", RUN],
        cwd=directory,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.ufgc"))


@pytest.fixture
def project(tmp_path):
    write(tmp_path)
    return tmp_path, tmp_path / "cache"


def test_second_process_loads_without_compiling(project):
    directory, cache = project
    first = run(directory, cache)
    assert first["compiled"] == 4 and first["warnings"] == []
    assert len(entries(cache)) == 4
    second = run(directory, cache)
    assert second["compiled"] == 0 and second["warnings"] == []
    for key in ("rc", "rc32", "add", "total", "types"):
        assert second[key] == first[key], key
    assert first["add"] == 499500


@pytest.mark.parametrize(
    "change,recompiled",
    [
        ({"scale": "2.5"}, 2),  # a module constant rc reads: both of its loops
        ({"helper_factor": "4.0"}, 2),  # a helper function rc calls
        # The decorator is part of the kernel source (errors point into it): both loops.
        ({"signatures": ["float64(float64, float64)", "float64(float32, float32)"]}, 2),
    ],
    ids=["constant", "helper", "signatures"],
)
def test_changes_are_misses(project, change, recompiled):
    directory, cache = project
    run(directory, cache)
    write(directory, **change)
    after = run(directory, cache)
    assert after["compiled"] == recompiled
    if "signatures" in change:
        assert after["types"] == ["dd->d", "ff->d"]
    assert run(directory, cache)["compiled"] == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "foreign", "empty"])
def test_damaged_files_are_misses_with_a_warning_and_get_rewritten(project, damage):
    directory, cache = project
    good = run(directory, cache)
    victim = entries(cache)[0]
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) // 3])
    elif damage == "flip":
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0x01
        victim.write_bytes(bytes(flipped))
    elif damage == "foreign":
        victim.write_bytes(entries(cache)[1].read_bytes())
    else:
        victim.write_bytes(b"")
    damaged = run(directory, cache)
    assert damaged["compiled"] == 1
    assert len(damaged["warnings"]) == 1 and victim.name in damaged["warnings"][0]
    assert damaged["rc"] == good["rc"] and damaged["total"] == good["total"]
    healed = run(directory, cache)
    assert healed["compiled"] == 0 and healed["warnings"] == []


def test_two_processes_fill_one_cache_at_once(project):
    directory, cache = project
    env = {**os.environ, "UFUNCGEN_CACHE_DIR": str(cache), "PYTHONDONTWRITEBYTECODE": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RUN],
            cwd=directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.splitlines()[-1]))
    assert all(r["warnings"] == [] for r in results)
    assert all(r["rc"] == results[0]["rc"] for r in results)
    assert not list(cache.glob("*.tmp")) and not list(cache.glob(".*.tmp"))
    assert run(directory, cache)["compiled"] == 0


def test_read_only_cache_dir_falls_back_with_a_warning(project):
    """A cache directory on a read-only file system (a bind mount remounted read-only in a
    private mount namespace when running as root, who ignores permissions; else chmod)."""
    directory, cache = project
    run(directory, cache)  # fill it, so a loaded loop and a refused write are both exercised
    before = entries(cache)
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("needs unshare(1) to make a read-only mount as root")
        wrap = [
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && shift && exec "$@"',
            str(cache),
            "--",
        ]
        result = run(directory, cache, _wrap=wrap)
    else:
        cache.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            result = run(directory, cache)
        finally:
            cache.chmod(stat.S_IRWXU)
    assert any("not writable" in w for w in result["warnings"]), result["warnings"]
    assert result["add"] == 499500
    assert entries(cache) == before


def test_unwritable_cache_dir_falls_back_with_a_warning(project, tmp_path):
    # A path under a regular file can never be created, even by root.
    directory, _ = project
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = run(directory, blocker / "cache")
    assert any("not writable" in w for w in result["warnings"]), result["warnings"]
    assert result["add"] == 499500


def test_cache_false_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("UFUNCGEN_CACHE_DIR", str(tmp_path / "cache"))

    @vectorize(["float64(float64)"])
    def plain(x):
        return x + 1.0

    assert plain(1.0) == 2.0
    assert not (tmp_path / "cache").exists()


def test_kernel_without_source_file_runs_uncached_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("UFUNCGEN_CACHE_DIR", str(tmp_path / "cache"))
    namespace: dict = {}
    source = "def made(x):\n    return x * 2.0\n"
    exec(compile(source, str(tmp_path / "gone.py"), "exec"), namespace)
    (tmp_path / "gone.py").write_text(source)  # the source is readable, the file is gone later
    (tmp_path / "gone.py").unlink()
    import linecache

    linecache.cache[str(tmp_path / "gone.py")] = (len(source), None, source.splitlines(True), "")
    with pytest.warns(CacheWarning, match="no source file"):
        made = vectorize(["float64(float64)"], cache=True)(namespace["made"])
    assert made(2.0) == 4.0
    assert not list((tmp_path / "cache").glob("*.ufgc"))


def test_cache_commands_list_and_clear(project):
    directory, cache = project
    run(directory, cache)
    env = {**os.environ, "UFUNCGEN_CACHE_DIR": str(cache)}
    listed = subprocess.run(
        [sys.executable, "-m", "ufuncgen", "cache", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "rc" in listed and "total" in listed and "4 entries" in listed
    assert "kernels.py" in listed
    kept = subprocess.run(
        [sys.executable, "-m", "ufuncgen", "cache", "clear", "--older-than", "1"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "removed 0" in kept and len(entries(cache)) == 4
    cleared = subprocess.run(
        [sys.executable, "-m", "ufuncgen", "cache", "clear"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "removed 4" in cleared and entries(cache) == []


def test_size_cap_keeps_the_cache_small(project):
    directory, cache = project
    run(directory, cache, UFUNCGEN_CACHE_MAX_MB="0.05")
    total = sum(p.stat().st_size for p in entries(cache))
    assert total <= 0.05 * (1 << 20)
    assert 0 < len(entries(cache)) < 4


def test_config_reports_the_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("UFUNCGEN_CACHE_DIR", str(tmp_path / "here"))
    assert ufuncgen.config()["cache_dir"] == str(tmp_path / "here")


def test_inspect_llvm_works_on_cache_loaded_ufuncs(project):
    directory, cache = project
    run(directory, cache)
    code = (
        "import kernels, ufuncgen; from ufuncgen import _native; "
        "ir = ufuncgen.inspect_llvm(kernels.rc); "
        "print(_native._loops_compiled(), sorted(ir), all('define' in v for v in ir.values()))"
    )
    env = {**os.environ, "UFUNCGEN_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=directory, env=env, capture_output=True, text=True
    ).stdout.split(None, 1)
    assert out[0] == "0"
    assert "float64(float64, float64)" in out[1] and out[1].strip().endswith("True")


def test_results_match_numpy(project):
    directory, cache = project
    run(directory, cache)
    loaded = run(directory, cache)
    v = np.linspace(-1, 1, 37)
    t = np.linspace(0.5, 3, 37)
    np.testing.assert_allclose(loaded["rc"], v * 3.0 * (1 - np.exp(1 / t)) * 2.0, rtol=1e-14)


LAZY_MODULE = """
import numpy as np
from ufuncgen import guvectorize, vectorize

@vectorize(cache=True)
def lazy_add(a, b):
    return a * 2 + b

@guvectorize("(n)->()", cache=True)
def lazy_sum(x, out):
    acc = x[0] * 0
    for i in range(x.shape[0]):
        acc += x[i]
    out[0] = acc
"""

LAZY_RUN = """
import json
import numpy as np
import lazy_kernels as k
from ufuncgen import _native
a = k.lazy_add(np.arange(5, dtype=np.int32), np.int32(3)).tolist()
b = k.lazy_add(np.arange(5.0), 0.5).tolist()
c = k.lazy_sum(np.arange(12, dtype=np.int16).reshape(3, 4)).tolist()
print(json.dumps({"compiled": _native._loops_compiled(), "a": a, "b": b, "c": c,
                  "types": k.lazy_add.types}))
"""


def test_lazy_loops_are_cached_per_dtype_combination(tmp_path):
    (tmp_path / "lazy_kernels.py").write_text(LAZY_MODULE)
    env = {**os.environ, "UFUNCGEN_CACHE_DIR": str(tmp_path / "cache")}
    results = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", LAZY_RUN],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
                check=True,
            ).stdout
        )
        for _ in range(2)
    ]
    assert results[0]["compiled"] == 3 and results[1]["compiled"] == 0
    assert results[0] == {**results[1], "compiled": 3}
    assert results[1]["a"] == [3, 5, 7, 9, 11] and results[1]["c"] == [6, 22, 38]

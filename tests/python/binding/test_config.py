"""`ufuncgen.config()` and the environment variables it reads."""

import os

import pytest

import ufuncgen


def test_keys_and_types():
    c = ufuncgen.config()
    assert isinstance(c["llvm_version"], str) and c["llvm_version"].split(".")[0].isdigit()
    assert isinstance(c["cpu_name"], str) and c["cpu_name"]
    assert isinstance(c["cpu_features"], list)
    assert all(isinstance(f, str) and not f.startswith(("+", "-")) for f in c["cpu_features"])
    assert c["vector_library"] in ("svml", "libmvec", "scalar")
    assert c["svml_path"] is None or isinstance(c["svml_path"], str)
    assert isinstance(c["num_threads"], int) and c["num_threads"] >= 1
    assert isinstance(c["cache_dir"], str)


def test_llvm_is_22():
    assert ufuncgen.config()["llvm_version"].startswith("22.")


def test_num_threads_from_environment(monkeypatch):
    monkeypatch.setenv("UFUNCGEN_NUM_THREADS", "3")
    assert ufuncgen.config()["num_threads"] == 3


@pytest.mark.parametrize("raw", ["zero", "0", "-2", "1.5"])
def test_invalid_num_threads_warns_and_uses_default(monkeypatch, raw):
    monkeypatch.setenv("UFUNCGEN_NUM_THREADS", raw)
    with pytest.warns(RuntimeWarning, match="UFUNCGEN_NUM_THREADS"):
        n = ufuncgen.config()["num_threads"]
    assert n == (os.cpu_count() or 1)


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("UFUNCGEN_CACHE_DIR", str(tmp_path / "c"))
    assert ufuncgen.config()["cache_dir"] == str(tmp_path / "c")
    monkeypatch.delenv("UFUNCGEN_CACHE_DIR")
    assert ufuncgen.config()["cache_dir"].endswith(os.path.join(".cache", "ufuncgen"))


def test_disabling_svml_reports_no_svml_path():
    import subprocess
    import sys

    code = "import ufuncgen; c = ufuncgen.config(); print(c['vector_library'], c['svml_path'])"
    env = dict(os.environ, UFUNCGEN_DISABLE_SVML="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    assert out[0] in ("libmvec", "scalar") and out[1] == "None"

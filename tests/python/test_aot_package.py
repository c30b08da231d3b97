"""examples/aot_package: its wheel (built by a `ufuncgen.build` hook) installs into a fresh
virtual environment that has only NumPy, and its ufuncs run where ufuncgen cannot be imported."""

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import venv

import numpy as np
import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "aot_package"

CHILD = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "ufuncgen" or name.startswith("ufuncgen."):
            raise ImportError("ufuncgen is blocked")
sys.meta_path.insert(0, Block())
import numpy as np
import fastkernels as fk
x = np.array([-1.0, 0.25, 3.0])
print(fk.scaled_add(x, x).tolist(), fk.clip01(x).tolist(), fk.norm2(np.array([3.0, 4.0])))
import pickle
same = pickle.loads(pickle.dumps(fk.scaled_add)) is fk.scaled_add
print(fk.scaled_add.reduce(np.arange(5.0)), fk.scaled_add.__module__, same)
print(any(m.startswith("ufuncgen") for m in sys.modules))
"""


def test_wheel_installs_and_runs_with_numpy_only(tmp_path: pathlib.Path) -> None:
    if shutil.which("ld") is None and shutil.which("cc") is None:
        pytest.skip("no system linker")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps",
         "--no-index", "-w", str(wheels), str(EXAMPLE)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("fastkernels-0.1.0-cp3*-abi3-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = pathlib.Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    # NumPy only: copied from this environment (no package index here).
    numpy_dir = pathlib.Path(np.__file__).parent
    for entry in numpy_dir.parent.iterdir():
        if entry.name == "numpy" or entry.name.startswith(("numpy.libs", "numpy-")):
            shutil.copytree(entry, site / entry.name)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index",
         "--no-deps", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    assert not (site / "ufuncgen").exists()
    run = subprocess.run(
        [str(python), "-c", CHILD], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "[-3.0, 0.75, 9.0] [0.0, 0.25, 1.0] 5.0"
    assert lines[1] == "20.0 fastkernels._kernels True"
    assert lines[2] == "False"

"""PEP 517 backend of the example: `ufuncgen.build` writes the extension module, the rest packs
`src/fastkernels` and it into an abi3 wheel (wheels only; no sdist)."""

from __future__ import annotations

import base64
import hashlib
import pathlib
import sys
import sysconfig
import tempfile
import zipfile

NAME, VERSION = "fastkernels", "0.1.0"
HERE = pathlib.Path(__file__).parent


def _tag() -> str:
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"cp{sys.version_info.major}{sys.version_info.minor}-abi3-{platform}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):  # noqa: ARG001
    import ufuncgen

    with tempfile.TemporaryDirectory() as tmp:
        module = ufuncgen.build(HERE / "kernels.py", tmp, name="_kernels")
        files = {
            f"{NAME}/{p.name}": p.read_bytes() for p in sorted((HERE / "src" / NAME).glob("*.py"))
        }
        files[f"{NAME}/{module.name}"] = module.read_bytes()
    info = f"{NAME}-{VERSION}.dist-info"
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
        "Requires-Python: >=3.11\nRequires-Dist: numpy>=2.0\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: build_hook\nRoot-Is-Purelib: false\nTag: {_tag()}\n"
    ).encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = f"{NAME}-{VERSION}-{_tag()}.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return wheel


def get_requires_for_build_wheel(config_settings=None):  # noqa: ARG001
    return []

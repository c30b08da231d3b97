"""scripts/check_module_cycles.py: the workspace's Rust files form no import cycle, and the check
finds the cycles it is meant to (between siblings, through `use` trees, inline paths and test
modules) without counting a parent's own children."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The wheel test runs the suite from a copy of tests/ outside the source tree: no Rust sources.
pytestmark = pytest.mark.skipif(
    not (ROOT / "scripts" / "check_module_cycles.py").exists(),
    reason="needs the source tree (the check reads the Rust sources)",
)


def checker():
    spec = importlib.util.spec_from_file_location(
        "check_module_cycles", ROOT / "scripts" / "check_module_cycles.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def crate(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_workspace_has_no_module_cycle(capsys):
    assert checker().main([]) == 0, capsys.readouterr().out


def test_a_use_tree_cycle_between_siblings_is_found(tmp_path, capsys):
    src = crate(
        tmp_path,
        {
            "lib.rs": "mod a;\nmod b;\n",
            "a.rs": "use crate::{b::{self, B}, Other};\npub struct A;\n",
            "b.rs": "pub struct B;\nfn f() -> crate::a::A { crate::a::A }\n",
        },
    )
    assert checker().main([str(src)]) == 1
    assert "module cycle among a, b" in capsys.readouterr().out


def test_a_cycle_through_a_test_module_is_found(tmp_path, capsys):
    src = crate(
        tmp_path,
        {
            "lib.rs": "mod m;\n",
            "m/mod.rs": "mod x;\nmod y;\n",
            "m/x.rs": (
                "pub fn helper() {}\n#[cfg(test)]\nmod tests {\n    use super::super::y::f;\n}\n"
            ),
            "m/y.rs": "pub fn f() { super::x::helper() }\n",
        },
    )
    assert checker().main([str(src)]) == 1
    assert "m::x, m::y" in capsys.readouterr().out


def test_parent_and_child_naming_each_other_is_no_cycle(tmp_path):
    src = crate(
        tmp_path,
        {
            "lib.rs": "mod m;\npub use m::Api;\n",
            "m/mod.rs": "mod x;\npub use x::Api;\npub struct Error;\nfn g() { x::run() }\n",
            "m/x.rs": (
                "use super::Error;\npub struct Api;\npub fn run() {}\n"
                "#[cfg(test)]\nmod tests {\n    use super::*;\n    use self::inner::T;\n"
                "    mod inner { pub struct T; }\n}\n"
            ),
        },
    )
    assert checker().main([str(src)]) == 0

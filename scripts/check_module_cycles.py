"""Fails when Rust source files of one crate depend on each other in a cycle.

A file depends on another when it names an item of that file's module through a `crate::`,
`super::` or `self::` path, in a `use` or inline; test modules count too (a test helper borrowed
across files is a dependency). Two kinds of path are structure rather than dependency and do
not count: a parent naming its own descendants (every `mod.rs`/`lib.rs` declares, re-exports
and calls into its children) and a path to the crate root (`crate::Scalar` is a re-export).
A child naming its parent's items (the shared error type in `mod.rs`) does count, so a cycle
found here always runs through files that are not each other's ancestors.

Usage: python scripts/check_module_cycles.py [crate_src_dir ...]  (default: the workspace's)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CRATES = [ROOT / "src", ROOT / "ufuncgen" / "src", ROOT / "runtime" / "src"]

COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')
USE = re.compile(r"\buse\s+([^;]+);")
INLINE_MOD = re.compile(r"\bmod\s+[A-Za-z_][A-Za-z0-9_]*\s*\{")
PATH = re.compile(r"\b((?:crate|super|self)(?:\s*::\s*(?:[A-Za-z_][A-Za-z0-9_]*|\{))+)")


def module_files(src: Path) -> dict[tuple[str, ...], Path]:
    """Maps each module path (`()` is the crate root) to its file."""
    mods: dict[tuple[str, ...], Path] = {}
    for f in src.rglob("*.rs"):
        rel = f.relative_to(src).with_suffix("").parts
        if rel in (("lib",), ("main",)):
            mods[()] = f
        elif rel[-1] == "mod":
            mods[rel[:-1]] = f
        else:
            mods[rel] = f
    return mods


def expand(tree: str) -> list[list[str]]:
    """The paths of one `use` tree: `a::{b, c::{d}}` gives [a, b], [a, c, d]."""
    tree = re.sub(r"\s+", "", tree)
    out: list[list[str]] = []

    def walk(prefix: list[str], s: str) -> None:
        if "{" not in s:
            head = s.split(" as ")[0]
            out.append(prefix + [p for p in head.split("::") if p])
            return
        i = s.index("{")
        base = prefix + [p for p in s[:i].split("::") if p]
        depth, start = 0, i + 1
        for j in range(i, len(s)):
            c = s[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    if s[start:j].strip():
                        walk(base, s[start:j])
                    return
            elif c == "," and depth == 1:
                if s[start:j].strip():
                    walk(base, s[start:j])
                start = j + 1

    walk([], tree)
    return out


def resolve(path: list[str], here: tuple[str, ...], mods: dict) -> tuple[str, ...] | None:
    """The module (a file) that `path`, written in module `here`, names an item of."""
    if not path:
        return None
    if path[0] == "crate":
        cur: tuple[str, ...] = ()
        rest = path[1:]
    elif path[0] in ("super", "self"):
        cur = here
        rest = path
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                cur = cur[:-1]
            rest = rest[1:]
    else:
        return None
    # Longest prefix that is a module with its own file.
    best = cur if cur in mods else None
    for p in rest:
        cur = cur + (p,)
        if cur in mods:
            best = cur
        else:
            break
    return best


def inline_mod_spans(text: str) -> list[tuple[int, int]]:
    """The byte ranges of `mod name { ... }` blocks (test modules, mostly)."""
    spans = []
    for m in INLINE_MOD.finditer(text):
        depth = 0
        for j in range(m.end() - 1, len(text)):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    spans.append((m.start(), j))
                    break
    return spans


def in_file_module(path: list[str], depth: int) -> list[str]:
    """`path`, written `depth` inline modules deep, relative to the file's own module; empty
    when it names an item of an inline module of the same file."""
    if depth == 0 or (path and path[0] == "crate"):
        return path
    supers = 0
    while supers < len(path) and path[supers] == "super":
        supers += 1
    if supers < depth:
        return []
    rest = path[depth:]
    return rest if rest and rest[0] == "super" else ["self", *rest]


def edges(src: Path) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    mods = module_files(src)
    graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {m: set() for m in mods}
    for m, f in mods.items():
        text = STRING.sub('""', COMMENT.sub("", f.read_text()))
        inline = inline_mod_spans(text)
        paths: list[list[str]] = []
        for u in USE.finditer(text):
            depth = sum(a <= u.start() < b for a, b in inline)
            for p in expand(u.group(1).strip()):
                paths.append(in_file_module(p, depth))
        uses = [(u.start(), u.end()) for u in USE.finditer(text)]
        for p in PATH.finditer(text):
            if any(a <= p.start() < b for a, b in uses):
                continue
            depth = sum(a <= p.start() < b for a, b in inline)
            for q in expand(p.group(1).rstrip(":{")):
                paths.append(in_file_module(q, depth))
        for p in paths:
            target = resolve(p, m, mods)
            # Naming the crate root or an ancestor's re-export is not a file edge worth
            # reporting when it only reaches the root (`crate::Scalar` re-exports); a parent
            # declaring its children is structure, not a dependency.
            if target is None or target == m or target == ():
                continue
            if target[: len(m)] == m:  # a parent reaching into its own children
                continue
            graph[m].add(target)
    return graph


def cycles(graph: dict) -> list[list[tuple[str, ...]]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on: set = set()
    out: list = []
    counter = [0]

    def visit(v: tuple[str, ...]) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv: list[str]) -> int:
    crates = [Path(a) for a in argv] or DEFAULT_CRATES
    failed = False
    for src in crates:
        graph = edges(src)
        for comp in cycles(graph):
            failed = True
            names = {m: "::".join(m) for m in comp}
            print(f"{src}: module cycle among {', '.join(names.values())}")
            for m in comp:
                for t in sorted(graph[m] & set(comp)):
                    print(f"    {names[m]} -> {names[t]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The sandbox's modules import one way: no cycle among grading/'s modules, counting imports made
inside functions, so none is held together by a deferred import."""

from __future__ import annotations

import ast
from pathlib import Path

import orbench.grading

GRADING = Path(orbench.grading.__file__).parent


def sibling_imports(path: Path) -> set[str]:
    """The grading modules `path` imports anywhere in its body (`from .x import`, `from . import x`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_grading_modules_import_without_a_cycle():
    graph = {p.stem: sibling_imports(p) & {q.stem for q in GRADING.glob("*.py")} for p in GRADING.glob("*.py")}
    graph = {name: deps - {"__init__"} for name, deps in graph.items()}  # the package's own types module

    def visit(name: str, trail: list[str]) -> None:
        assert name not in trail, " -> ".join([*trail, name])
        for dep in graph.get(name, ()):
            visit(dep, [*trail, name])

    for name in graph:
        visit(name, [])

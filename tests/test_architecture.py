"""The package map holds: imports run downhill, no module imports itself back through others, and the
top level stays small. Every import is read with `ast`, inside functions and under TYPE_CHECKING too,
so a lazy import cannot hide a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "orbench"

# Top to bottom: a package may import the packages of lower layers and the shared modules, never a
# package of its own layer or above. docs/architecture.md draws the same picture.
LAYERS: list[set[str]] = [
    {"cli"},
    {"nightly"},
    {"quant"},
    {"view"},
    {"run"},
    {"suites"},
    {"grading", "backends", "store"},
]
SHARED = {"errors", "paths", "units", "files", "stats", "llama", "hub"}  # the top level everyone may use
ENTRY = {"__main__"}  # `python -m orbench` starts the CLI
MAX_TOP_LEVEL = 10


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exists(dotted: str) -> bool:
    base = SRC.parent / dotted.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path) -> set[str]:
    """The orbench modules `path` imports, wherever the import statement stands."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "orbench"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "orbench":
                continue
            for alias in node.names:  # `from . import x` imports the module x when there is one
                found.add(f"{base}.{alias.name}" if _exists(f"{base}.{alias.name}") else base)
    return found


def graph() -> dict[str, set[str]]:
    return {_module_name(p): imports_of(p) - {_module_name(p)} for p in sorted(SRC.rglob("*.py"))}


def unit(module: str) -> str:
    """The package a module belongs to, or its own name for a top-level module ('' for orbench itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer(name: str) -> int | None:
    return next((i for i, names in enumerate(LAYERS) if name in names), None)


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for source, targets in edges.items():
        a = unit(source)
        for target in targets:
            b = unit(target)
            if a == b or b in ("",) or b in SHARED:
                if a in SHARED and b not in SHARED and b != "":
                    bad.append(f"{source} -> {target}")
                continue
            if a in ENTRY and b == "cli":
                continue
            la, lb = layer(a), layer(b)
            if a in SHARED or la is None or lb is None or lb <= la:
                bad.append(f"{source} -> {target}")
    return sorted(bad)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_imports_run_downhill():
    assert upward_imports(graph()) == []


def test_no_module_imports_itself_back():
    assert circles(graph()) == []


def test_the_top_level_is_small_and_shared():
    top = sorted(p.stem for p in SRC.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(top) + 2 <= MAX_TOP_LEVEL, top
    assert set(top) == SHARED
    packages = {p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set().union(*LAYERS)


@pytest.mark.parametrize("package", sorted(set().union(*LAYERS)))
def test_each_package_says_what_it_owns_and_may_import(package):
    doc = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert "May import" in doc or "may import" in doc, package


def test_the_checks_catch_a_circle_and_an_upward_arrow():
    edges = {"orbench.run.loop": {"orbench.quant.compare"}, "orbench.quant.compare": {"orbench.run.loop"},
             "orbench.errors": set()}
    assert upward_imports(edges) == ["orbench.run.loop -> orbench.quant.compare"]
    assert circles(edges) == [["orbench.quant.compare", "orbench.run.loop"]]
    assert upward_imports({"orbench.errors": {"orbench.run.loop"}}) == ["orbench.errors -> orbench.run.loop"]


def test_imports_inside_functions_and_under_type_checking_are_read():
    edges = graph()
    assert "orbench.run.grader_mix" in edges["orbench.quant.compare"]  # inside compare_folders
    assert "orbench.store.catalog" in edges["orbench.suites.suite"]  # under TYPE_CHECKING

"""The wheel works outside the source checkout: built, installed into a fresh environment, run from
another folder, it finds its catalog and prompt sets inside the package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO_ROOT



def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    # without PYTHONPATH: `PYTHONPATH=src pytest` would put the checkout (and its orbench.egg-info, which
    # makes pip skip the install) in front of the wheel under test
    kwargs["env"] = {k: v for k, v in kwargs.get("env", os.environ).items() if k != "PYTHONPATH"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the orbench wheel; its dependencies come from the test environment."""
    root = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
          "-q", "-w", str(root / "dist"), str(REPO_ROOT)])
    wheel = next((root / "dist").glob("orbench-*.whl"))
    env_dir = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    no_checkout = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # else pip sees src/ "installed"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", "-q", str(wheel)], env=no_checkout)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # a plain path: no .pth inside runs
    return env_dir


def test_pyproject_lists_every_package():
    import tomllib

    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    src = REPO_ROOT / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in src.rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


@pytest.mark.slow
def test_the_wheel_carries_its_data_and_runs_outside_the_checkout(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORBENCH_DATA")}
    env["ORBENCH_HOME"] = str(tmp_path / "home")
    where = _run([str(installed / "bin" / "python"), "-c", "import orbench.paths as p; print(p.data_root())"],
                 cwd=tmp_path, env=env).stdout.strip()
    assert where.startswith(str(installed)) and not where.startswith(str(REPO_ROOT))
    scores = _run([str(installed / "bin" / "python"), "-c", "from orbench.suites.published import load_scores; "
                   "print(len(load_scores()))"], cwd=tmp_path, env=env).stdout.strip()
    assert int(scores) >= 10
    suites = json.loads(_run([str(installed / "bin" / "orbench"), "suites", "--json"], cwd=tmp_path, env=env).stdout)
    counts = {s["name"]: s["items"] for s in suites}
    assert counts["math"] == 84 and counts["code"] == 52 and counts["reasoning"] == 84
    models = json.loads(_run([str(installed / "bin" / "orbench"), "models", "--json"], cwd=tmp_path, env=env).stdout)
    assert models["embedded_model"].startswith("smollm2-135m")
    run = _run([str(installed / "bin" / "orbench"), "run", "--backend", "mock", "-s", "math,code", "--limit", "2",
                "-o", "out", "--json", "-q"], cwd=tmp_path, env=env)
    summary = json.loads(run.stdout)
    assert summary["status"] == "complete" and [s["items"] for s in summary["suites"]] == [2, 2]
    assert (tmp_path / "out" / "samples.jsonl").read_text().count("\n") == 4
    _run([str(installed / "bin" / "orbench"), "view", "out", "--no-open"], cwd=tmp_path, env=env)
    assert "DecompressionStream" in (tmp_path / "out" / "view.html").read_text()  # the viewer's script ships
    version = _run([str(installed / "bin" / "orbench"), "--version"], cwd=tmp_path, env=env).stdout
    assert version.strip() == "orbench 0.1.0"


def _imported_modules(folder: Path) -> set[str]:
    """Top-level names of every module imported anywhere under `folder` (also inside functions)."""
    import ast

    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in LOADERS:
                given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "package")]
                names.update(a.value.split(".")[0] for a in given
                             if isinstance(a, ast.Constant) and isinstance(a.value, str))
    return names


# calls that name a package to load by a string: its data (HumanEval's copy), or the module itself
LOADERS = {"files", "import_module", "PypiCopy"}


def _canonical(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_a_declared_dependency():
    """A fresh venv gets only what pyproject.toml declares: a module imported by orbench (or by the
    tests) from an undeclared distribution works on a developer's machine and fails in CI."""
    import importlib.metadata
    import tomllib

    from packaging.requirements import Requirement

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    declared = [Requirement(d) for d in [*project["dependencies"], *project["optional-dependencies"]["test"]]]
    owners = importlib.metadata.packages_distributions()
    needed: dict[str, set[str]] = {}
    for where in ("src", "tests"):
        for module in _imported_modules(REPO_ROOT / where):
            if module in sys.stdlib_module_names or module not in owners:
                continue  # the standard library, or orbench's own and the tests' helper modules
            for dist in owners[module]:
                needed.setdefault(_canonical(dist), set()).add(f"{module} ({where})")
    # what a declared distribution installs along (its extras only where asked for, e.g. llama-cpp-python[server])
    present: set[str] = set()
    queue = [(r.name, set(r.extras)) for r in declared]
    while queue:
        name, extras = queue.pop()
        if _canonical(name) in present:
            continue
        present.add(_canonical(name))
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
                queue.append((req.name, set(req.extras)))
    missing = {dist: sorted(mods) for dist, mods in needed.items() if dist not in present and dist != "orbench"}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"

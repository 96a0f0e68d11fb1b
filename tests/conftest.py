"""Shared fixtures: an isolated orbench cache per test, the embedded model, a mock-backend script."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import typer.testing

REPO_ROOT = Path(__file__).resolve().parents[1]
# The real cache, captured before any test redirects ORBENCH_HOME: the embedded model lives there.
REAL_ORBENCH_HOME = os.environ.get("ORBENCH_HOME")


_commands: dict[int, object] = {}
_build_command = typer.testing._get_command


def _command_of(app):
    """typer's CliRunner rebuilds the click command from the app on every invoke (about 80 ms for
    orbench's commands, most of `make test-fast`'s time): build it once per app and test process.
    The command is what `orbench` builds at its start; click makes a fresh context per invoke."""
    if id(app) not in _commands:
        _commands[id(app)] = (app, _build_command(app))
    return _commands[id(app)][1]


typer.testing._get_command = _command_of


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Each test gets empty orbench and HF caches, and never talks to the real Hub."""
    home = tmp_path_factory.mktemp("orbench-home")
    monkeypatch.setenv("ORBENCH_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # closed port: "unreachable" unless a test overrides
    monkeypatch.delenv("HF_TOKEN", raising=False)
    from orbench.suites import data as hubdata

    hubdata.forget()
    yield home


@pytest.fixture(scope="session")
def embedded_model() -> Path:
    """The embedded SmolLM2-135M Q4_1 file, pulled into the real cache by `make test` beforehand."""
    from orbench.store.catalog import load_catalog
    from orbench.store.local import find_local

    saved = os.environ.get("ORBENCH_HOME")
    if REAL_ORBENCH_HOME is None:
        os.environ.pop("ORBENCH_HOME", None)
    else:
        os.environ["ORBENCH_HOME"] = REAL_ORBENCH_HOME
    try:
        catalog = load_catalog()
        local = find_local(catalog.resolve(catalog.embedded_model))
    finally:
        if saved is not None:
            os.environ["ORBENCH_HOME"] = saved
    if local is None:
        pytest.fail("the embedded model is not on disk: run `make model` (or `orbench pull smollm2-135m`) first")
    return local.path


@pytest.fixture
def mock_script(tmp_path, monkeypatch):
    """Write a mock-backend script (item id -> replies) and point $ORBENCH_MOCK_SCRIPT at it."""

    def write(script: dict) -> Path:
        path = tmp_path / "mock-script.json"
        path.write_text(json.dumps(script), encoding="utf-8")
        monkeypatch.setenv("ORBENCH_MOCK_SCRIPT", str(path))
        return path

    return write


@pytest.fixture(scope="session")
def quant_ladder(tmp_path_factory, embedded_model):
    """The embedded model's ladder (Q4_1, and Q8_0 and Q4_0 made from it) in its own ORBENCH_HOME,
    quantized once per session (tests/support/embedded_ladder.py)."""
    from support.embedded_ladder import make_ladder

    return make_ladder(tmp_path_factory.mktemp("quant-ladder-home"), embedded_model)

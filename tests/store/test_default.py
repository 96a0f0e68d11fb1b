"""Without -m a run uses a model that is on disk, or the embedded one when the Hub cannot be reached,
and says which; the advice of a missing-model error works in the state it is given in (issue 25, item 3)."""

from __future__ import annotations

import pytest
from support.hub_standin import HubStandIn

from orbench.errors import OrbenchError
from orbench.store.catalog import load_catalog
from orbench.store.default import choose_default
from orbench.store.local import find_local, local_file, register_local
from orbench.store.pull import pull


@pytest.fixture
def catalog():
    return load_catalog()


def put_on_disk(catalog, label, path):
    ref = catalog.resolve(label)
    register_local(local_file(ref.name, ref.quant, path).model_copy(update={"source": "pypi"}))
    assert find_local(ref) is not None


def test_nothing_on_disk_and_no_hub_runs_the_embedded_model(catalog):
    choice = choose_default(catalog)  # the conftest's Hub is a closed port
    assert choice.ref.label == catalog.embedded_model
    assert "embedded model" in choice.reason and "cannot be reached" in choice.reason


def test_a_model_on_disk_is_used_and_the_line_says_how_to_get_the_default(catalog, embedded_model):
    put_on_disk(catalog, catalog.embedded_model, embedded_model)
    choice = choose_default(catalog)
    default = catalog.resolve(catalog.default_model)
    assert choice.ref.label == catalog.embedded_model
    assert "on disk" in choice.reason and f"orbench pull {default.name}" in choice.reason


def test_the_default_on_disk_wins(catalog, embedded_model):
    put_on_disk(catalog, catalog.embedded_model, embedded_model)
    put_on_disk(catalog, catalog.default_model, embedded_model)
    choice = choose_default(catalog)
    assert choice.ref.label == catalog.resolve(catalog.default_model).label and "the default model" in choice.reason


def test_with_a_hub_and_nothing_on_disk_the_default_is_downloaded(catalog, monkeypatch):
    with HubStandIn({}) as server:  # answers (404 for every repo): reachable
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        choice = choose_default(catalog)
    assert choice.ref.label == catalog.resolve(catalog.default_model).label
    assert "downloading" in choice.reason and "-m smollm2-135m" in choice.reason


def test_offline_advice_runs_the_embedded_model_when_it_is_on_disk(catalog, embedded_model):
    with pytest.raises(OrbenchError) as missing:
        pull(catalog.resolve(catalog.default_model))
    assert missing.value.hint == "the embedded model works offline: orbench pull smollm2-135m"
    put_on_disk(catalog, catalog.embedded_model, embedded_model)
    with pytest.raises(OrbenchError) as again:
        pull(catalog.resolve(catalog.default_model))
    assert again.value.hint == "the embedded model is on disk: run it with -m smollm2-135m"
    assert pull(catalog.resolve("smollm2-135m")).path == embedded_model  # the advice works, without a Hub


@pytest.mark.e2e
def test_run_without_a_model_says_which_it_ran(catalog, embedded_model, tmp_path):
    from typer.testing import CliRunner

    from orbench.cli import app

    put_on_disk(catalog, catalog.embedded_model, embedded_model)
    result = CliRunner().invoke(app, ["run", "-s", "reasoning", "--limit", "1", "--max-tokens", "8", "--threads", "2",
                                      "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert "model: smollm2-135m:Q4_1 (on disk; the default model" in result.stdout

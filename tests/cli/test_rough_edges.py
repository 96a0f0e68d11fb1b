"""The CLI's rough edges (issue 25, item 7): one-run report and compare, one spelling for the nights
folder, JUnit on an ungated night, shell completion, and removing models from the cache."""

from __future__ import annotations

import json

from test_nightly_cmds import answers, cli, data_dir, nights, run_mock  # noqa: F401  (data_dir: autouse fixture)
from test_nights import night_run, write_config

from orbench.store.local import LocalModel, find_local, register_local


def test_report_and_compare_on_one_run_say_so(tmp_path, mock_script):
    mock_script(answers())
    assert run_mock(tmp_path / "one").exit_code == 0
    for command in ("report", "compare"):
        result = cli(command, tmp_path / "one")
        assert result.exit_code == 2, result.output
        assert "holds one run (smollm2-135m:Q4_1): there is nothing to compare it with" in result.stderr
        assert "--filter" not in result.stderr and f"orbench view {tmp_path / 'one'}" in result.stderr


def test_an_ungated_night_still_writes_junit_with_a_skipped_case(tmp_path, mock_script):
    config = write_config(tmp_path)  # baseline "pinned", none pinned yet
    mock_script(answers())
    assert night_run(config).exit_code == 0
    [night] = nights(tmp_path / "out")
    junit = (night / "junit.xml").read_text()
    assert 'tests="1"' in junit and 'skipped="1"' in junit and "<skipped message=\"no gate: " in junit
    assert "no gate" in (night / "summary.md").read_text()
    rows = json.loads(cli("history", "--config", config, "--json").stdout)["rows"]
    assert rows[0]["outcome"] == "no gate"


def test_the_nights_folder_is_dir_everywhere(tmp_path, mock_script):
    config = write_config(tmp_path)
    mock_script(answers())
    assert night_run(config).exit_code == 0
    out = tmp_path / "out"
    by_dir = cli("history", "--dir", out, "--json")
    by_arg = cli("history", out, "--json")
    assert by_dir.exit_code == 0 and json.loads(by_dir.stdout)["rows"] == json.loads(by_arg.stdout)["rows"]
    assert cli("baseline", "set", "latest", "--dir", out).exit_code == 0
    assert cli("history", out, "--dir", tmp_path).exit_code == 2


def test_shell_completion_is_offered():
    result = cli("--show-completion", "bash")
    assert result.exit_code == 0 and "_ORBENCH_COMPLETE" in result.stdout
    assert "--install-completion" in cli("--help").stdout


def fake_model(tmp_path, name, quant, source, derived_from=None):
    path = tmp_path / f"{name}-{quant}.gguf"
    path.write_bytes(b"GGUF" + bytes(64))
    return register_local(LocalModel(name=name, quant=quant, path=path, sha256="0" * 64, size=path.stat().st_size,
                                     source=source, derived_from=derived_from))


def test_rm_deletes_only_what_orbench_made(tmp_path):
    from orbench.store.catalog import load_catalog

    catalog = load_catalog()
    pulled = fake_model(tmp_path, "smollm2-135m", "Q4_1", "pypi")
    derived = fake_model(tmp_path, "smollm2-135m", "Q8_0", "local", derived_from="smollm2-135m:Q4_1 (sha256 …)")
    own = fake_model(tmp_path, "smollm2-135m", "Q2_K", "local")
    assert cli("rm", "smollm2-135m:Q8_0").exit_code == 0
    assert not derived.path.exists() and pulled.path.exists()
    result = cli("rm", "smollm2-135m", "--json")
    assert result.exit_code == 0, result.output
    removed = {r["model"]: r["deleted"] for r in json.loads(result.stdout)["removed"]}
    assert removed == {"smollm2-135m:Q4_1": True, "smollm2-135m:Q2_K": False}
    assert not pulled.path.exists() and own.path.exists()  # a file of one's own is only forgotten
    assert find_local(catalog.resolve("smollm2-135m:Q2_K")) is None
    missing = cli("rm", "smollm2-135m")
    assert missing.exit_code == 2 and "nothing is on disk" in missing.stderr


def test_models_prune_forgets_vanished_files_and_half_downloads(tmp_path, isolated_cache):
    gone = fake_model(tmp_path, "smollm2-135m", "Q4_1", "pypi")
    gone.path.unlink()
    part = isolated_cache / "models" / "x" / "file.gguf.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"half")
    result = cli("models", "--prune", "--json")
    assert result.exit_code == 0, result.output
    pruned = json.loads(result.stdout)["pruned"]
    assert len(pruned) == 2 and not part.exists()
    assert cli("models", "--prune").stdout.strip() == "nothing to prune"


def test_near_misses_get_a_did_you_mean(tmp_path):
    import pytest

    from orbench.errors import OrbenchError
    from orbench.store.catalog import load_catalog
    from orbench.suites import get_suite

    with pytest.raises(OrbenchError) as suite:
        get_suite("maths")
    assert suite.value.hint.startswith("did you mean 'math'? known suites:")
    with pytest.raises(OrbenchError) as model:
        load_catalog().resolve("smolm2-135m")
    assert model.value.hint.startswith("did you mean 'smollm2-135m'? known models:")
    with pytest.raises(OrbenchError) as quant:
        load_catalog().resolve("smollm2-135m:Q8")
    assert quant.value.hint.startswith("did you mean 'Q8_0'? available:")
    with pytest.raises(OrbenchError) as far:
        get_suite("zzzz")
    assert far.value.hint.startswith("known suites:")

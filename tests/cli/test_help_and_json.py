"""Help pages show no value type on plain flags (they take none), and `orbench run --json` names the
results folder of each run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from support.mockruns import write_data_dir
from orbench.cli import app

COMMANDS = [[], ["run"], ["view"], ["compare"], ["report"], ["pull"], ["suites"], ["models"], ["history"]]


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def option_line(page: str, option: str) -> str:
    """The option's row in the options table (not an example that uses it)."""
    return next(line for line in page.splitlines() if line.startswith("│") and f" {option} " in line)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "orbench")
def test_plain_flags_show_no_value_type(command):
    page = help_of(*command)
    assert "<bool>" not in page
    assert "Show this message and exit." in option_line(page, "--help")


def test_options_that_take_a_value_still_show_its_type():
    page = help_of("run")
    assert "<int range>" in option_line(page, "--limit") and "<path>" in option_line(page, "--output")
    assert "machine-readable JSON" in option_line(page, "--json")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(write_data_dir(tmp_path / "data")))


def run_json(*args: object) -> dict:
    result = CliRunner().invoke(app, ["run", "--backend", "mock", "-s", "math", "--limit", "2", "--json", "-q",
                                      *map(str, args)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_json_names_the_results_folder(data_dir, tmp_path, mock_script):
    mock_script({"*": "\\boxed{4}"})
    out = tmp_path / "out"
    printed = run_json("-m", "smollm2-135m", "-o", out)
    assert printed["results"] == str(out)
    assert json.loads((out / "summary.json").read_text()) == {k: v for k, v in printed.items() if k != "results"}


def test_run_json_of_a_ladder_names_each_quants_folder(data_dir, tmp_path, mock_script):
    mock_script({"*": "\\boxed{4}"})
    base = tmp_path / "ladder"
    printed = run_json("-m", "smollm2-135m", "--quant", "Q8_0,Q4_0", "-o", base)
    assert {label: s["results"] for label, s in printed.items()} == {
        "smollm2-135m:Q8_0": str(base / "Q8_0"), "smollm2-135m:Q4_0": str(base / "Q4_0")}
    assert all((base / q / "summary.json").is_file() for q in ("Q8_0", "Q4_0"))

"""Each run setting is declared once (run/settings.py); the CLI, orbench.toml's [run], plan.json's
overrides and a night's settings derive from that one declaration."""

from __future__ import annotations

import inspect

import pytest
from typer.testing import CliRunner

from orbench.cli import app
from orbench.cli.run_cmd import SERVER_OPTIONS, run
from orbench.errors import OrbenchError
from orbench.nightly.config import RunSection, load_config
from orbench.run.settings import CONFIG_KEYS, PLAN_KEYS, RunOptions, flags, from_flags


def test_the_run_command_takes_every_setting_and_its_own_few():
    params = [p for p in inspect.signature(run).parameters if p != "context"]
    own = {"model", "quant", "config", "json_out", *SERVER_OPTIONS}
    assert [p for p in params if p not in own] == [f.name for f, _ in flags()]


def test_config_keys_are_the_settings_marked_config_with_their_bounds(tmp_path):
    assert tuple(RunSection.model_fields) == CONFIG_KEYS
    assert {"suites", "limit", "samples", "seed", "output", "keep"} <= set(CONFIG_KEYS)
    assert "step_tokens" not in CONFIG_KEYS and "sandbox" not in CONFIG_KEYS
    config = tmp_path / "orbench.toml"
    config.write_text('[run]\nlimit = 0\n\n[[models]]\nname = "smollm2-135m"\n', encoding="utf-8")
    with pytest.raises(OrbenchError, match=r"orbench.toml:2: run.limit: Input should be greater than or equal to 1"):
        load_config(config)


def test_plan_keys_are_what_a_resumed_plan_must_match():
    assert PLAN_KEYS == ("suites", "limit", "samples", "seed", "max_tokens", "temperature", "ctx", "grading")


def test_flags_become_options_with_parsed_values():
    values = {f.name: f.default for f, _ in flags()} | {"shard": "2/4", "since": "2024-08-01", "until": None}
    opts = from_flags(values)
    assert isinstance(opts, RunOptions) and opts.shard == (2, 4) and str(opts.since) == "2024-08-01"
    with pytest.raises(OrbenchError, match="--sandbox takes one of"):
        from_flags(values | {"sandbox": "chroot"})
    assert opts.grading == "reference"  # the default is the reference harnesses' grading
    with pytest.raises(OrbenchError, match="--grading takes one of reference, lenient"):
        from_flags(values | {"grading": "loose"})


def test_a_bound_declared_once_holds_on_the_command_line():
    result = CliRunner().invoke(app, ["run", "--limit", "0"])
    assert result.exit_code == 2 and "limit" in result.output

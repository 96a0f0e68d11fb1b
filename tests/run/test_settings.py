"""Each run setting is declared once (run/settings.py); the CLI, orbench.toml's [run], plan.json's
overrides and a night's settings derive from that one declaration."""

from __future__ import annotations

import inspect

import pytest
from typer.testing import CliRunner

from orbench.cli import app
from orbench.backends.server import ServerOptions, server_flags
from orbench.cli.run_cmd import run
from orbench.errors import OrbenchError
from orbench.nightly.config import RunSection, load_config
from orbench.run.settings import CONFIG_KEYS, PLAN_KEYS, RunOptions, flags, from_flags


def test_the_run_command_takes_every_setting_and_its_own_few():
    params = [p for p in inspect.signature(run).parameters if p != "context"]
    own = {"model", "quant", "config", "json_out", *(f"server_{f.name}" for f in server_flags())}
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


def test_no_class_declares_a_run_setting_a_second_time():
    import ast
    import dataclasses
    from pathlib import Path

    import orbench
    from orbench.run.plan import Plan, RunSpec

    # `suites` is the one name shared on purpose: the setting is the list of names; a RunSpec holds the
    # suites loaded from it, and plan.json each one's prompt-set hash
    settings = {f.name for f, _ in flags()} - {"suites"}
    assert not settings & {f.name for f in dataclasses.fields(RunSpec)}
    # plan.json's seed, samples and limit are fields made from the declaration, not written in a class
    declared = set()
    for path in Path(orbench.__file__).parent.rglob("*.py"):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name in ("Plan", "RunSpec", "RunSection", "_PlanHead"):
                declared |= {a.target.id for a in node.body if isinstance(a, ast.AnnAssign)
                             and isinstance(a.target, ast.Name)} & settings
    assert not declared
    recorded = {f.name: flag for f, flag in flags() if flag.record}
    assert list(recorded) and all(name in Plan.model_fields for name in recorded)
    for name, flag in recorded.items():
        assert Plan.model_fields[name].description == flag.record


def test_a_plan_gives_back_the_options_it_records():
    from orbench.run.plan import Plan
    from orbench.store.catalog import Generation

    plan = Plan.of(RunOptions(seed=7, samples=3, limit=5), model="m", quant=None, sha256=None,
                   sampler=Generation(), suites={}, shard=(1, 1), requests=0)
    assert list(plan.model_dump())[:7] == ["schema_version", "model", "quant", "sha256", "seed", "samples", "limit"]
    back = plan.options()
    assert (back.seed, back.samples, back.limit) == (7, 3, 5)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Plan.of(RunOptions(seed=-1), model="m", quant=None, sha256=None, sampler=Generation(), suites={},
                shard=(1, 1), requests=0)


def test_the_server_flags_are_server_options_fields(monkeypatch):
    import orbench.cli.run_cmd as run_cmd

    seen = {}
    monkeypatch.setattr(run_cmd, "_run", lambda model, quant, opts, json_out: seen.setdefault("opts", opts) and 0)
    result = CliRunner().invoke(app, ["run", "--base-url", "http://127.0.0.1:9/v1", "--concurrency", "3",
                                      "--server-model", "m1", "--request-timeout", "5", "--retry-budget", "0"])
    assert result.exit_code == 0, result.output
    server = seen["opts"].server
    assert server == ServerOptions(base_url="http://127.0.0.1:9/v1", concurrency=3, model="m1", timeout=5.0,
                                   retry_budget=0.0)
    assert seen["opts"].backend == "openai"
    help_text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    for f in server_flags():
        assert f.metadata["flag"] in help_text


def test_plan_takes_its_run_settings_from_the_one_declaration():
    from orbench.cli.plan_cmd import SETTINGS, plan

    params = inspect.signature(plan).parameters
    declared = {f.name: flag for f, flag in flags()}
    assert set(SETTINGS) <= set(params) and set(SETTINGS) <= set(declared)
    for name in SETTINGS:
        option = params[name].annotation.__metadata__[0]
        assert option.help == declared[name].help and option.min == declared[name].low
    result = CliRunner().invoke(app, ["plan", "--quant", "Q4_1,Q8_0", "--margin", "150"])
    assert result.exit_code == 2 and "margin" in result.output  # the bound declared once holds here too

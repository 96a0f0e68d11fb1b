"""Nights of a config on the mock backend: a new dated folder each night, resume within a night,
baselines, history, retention, command-line overrides, one label scheme, and the noise-aware speed rule."""

from __future__ import annotations

import json

import pytest

from test_nightly_cmds import answers, cli, data_dir, nights, run_mock  # noqa: F401  (data_dir: autouse fixture)

MATRIX = '''[run]
output = "out"
suites = ["math"]
limit = 8
{extra}
[[models]]
name = "smollm2-135m"
quants = ["Q4_1"]

[gate]
baseline = "{baseline}"
fail_on = ["accuracy<-2pp"]
nights = 1  # alpha per night, so that 8 items lost are a regression (the default window is 30 nights)
'''


def write_config(tmp_path, baseline="pinned", extra=""):
    config = tmp_path / "orbench.toml"
    config.write_text(MATRIX.format(baseline=baseline, extra=extra))
    return config


def night_run(config, *extra):
    return cli("run", "--config", config, "--backend", "mock", "-q", *extra)


def samples(night):
    return [json.loads(line) for line in (night / "smollm2-135m" / "Q4_1" / "samples.jsonl").open()]


def test_a_second_night_evaluates_again_into_a_new_folder(tmp_path, mock_script):
    config = write_config(tmp_path)
    mock_script(answers())
    assert night_run(config).exit_code == 0
    mock_script(answers(wrong={1, 2}))
    second = night_run(config, "--json")
    assert second.exit_code == 0, second.output
    first_night, second_night = nights(tmp_path / "out")
    assert json.loads(second.stdout)["night"] == str(second_night) and not json.loads(second.stdout)["resumed"]
    assert sum(s["correct"] for s in samples(first_night)) == 8 and sum(s["correct"] for s in samples(second_night)) == 6
    summary = json.loads((second_night / "smollm2-135m" / "Q4_1" / "summary.json").read_text())
    assert not any("resumed" in n for n in summary["notes"])
    history = cli("history", "--config", config, "--json")
    rows = json.loads(history.stdout)["rows"]
    assert history.exit_code == 0 and [r["night"] for r in rows] == [first_night.name, second_night.name]
    assert [r["accuracy"]["value"] for r in rows] == [1.0, 0.75]
    page = (tmp_path / "out" / "history.html").read_text()
    assert page.count("<svg") == 1 and first_night.name in page and second_night.name in page
    table = cli("history", tmp_path / "out")
    assert table.exit_code == 0 and "no gate" in table.stdout and "smollm2-135m:Q4_1" in table.stdout


def test_an_interrupted_night_resumes_in_its_own_folder(tmp_path, mock_script):
    config = write_config(tmp_path)
    mock_script(answers(interrupt_at=4))
    assert night_run(config).exit_code == 130
    [night] = nights(tmp_path / "out")
    assert json.loads((night / "index.json").read_text())["exit_code"] is None
    mock_script(answers())
    result = night_run(config)
    assert result.exit_code == 0 and "(resumed)" in result.stdout
    assert nights(tmp_path / "out") == [night] and len(samples(night)) == 8
    other = night_run(config, "--seed", "3")  # finished now: a new night, whatever its settings
    assert other.exit_code == 0 and len(nights(tmp_path / "out")) == 2


def test_latest_passing_baseline_and_retention_keep_the_baseline(tmp_path, mock_script):
    config = write_config(tmp_path, baseline="latest-passing", extra="keep = 2")
    out = tmp_path / "out"
    mock_script(answers())
    assert night_run(config).exit_code == 0  # no earlier night: nothing to gate against
    good = nights(out)[0]
    mock_script(answers(wrong=set(range(1, 9))))
    assert night_run(config).exit_code == 1  # against the good night
    assert night_run(config).exit_code == 1  # still against it: a regression does not become the new normal
    assert len(nights(out)) == 3 and good in nights(out)  # two kept, and the baseline in use
    assert cli("baseline", "set", "latest", "--config", config).exit_code == 0
    shown = json.loads(cli("baseline", "show", "--config", config, "--json").stdout)
    pinned = nights(out)[-1]
    assert shown["pinned"] == str(pinned) and shown["latest-passing"] == str(good)
    config.write_text(config.read_text().replace('"latest-passing"', '"pinned"'))
    result = night_run(config)
    assert result.exit_code == 0 and "removed old night" in result.stderr  # no drop against the pinned night
    assert nights(out) == [pinned, nights(out)[-1]] and good not in nights(out)
    assert cli("baseline", "set", "nonesuch", "--config", config).exit_code == 2


def test_command_line_settings_override_the_config_and_are_recorded(tmp_path, mock_script):
    config = write_config(tmp_path, baseline="")
    mock_script(answers())
    result = night_run(config, "--limit", "2", "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    [night] = nights(tmp_path / "out")
    run = night / "smollm2-135m" / "Q4_1"
    plan = json.loads((run / "plan.json").read_text())
    assert plan["overrides"] == {"limit": 2, "seed": 7} and plan["limit"] == 2 and plan["seed"] == 7
    summary = json.loads((run / "summary.json").read_text())
    assert summary["provenance"]["overrides"] == {"limit": 2, "seed": 7} and summary["suites"][0]["items"] == 2
    assert any("command-line settings over the config: limit=2, seed=7" in n for n in summary["notes"])
    refused = night_run(config, "--model", "smollm2-135m")
    assert refused.exit_code == 2 and "--model cannot be combined with --config" in refused.stderr
    assert cli("run", "--backend", "mock", "--keep", "3").exit_code == 2


def test_single_runs_and_matrix_runs_share_labels(tmp_path, mock_script):
    config = write_config(tmp_path, baseline="")
    mock_script(answers())
    assert night_run(config).exit_code == 0
    assert run_mock(tmp_path / "single").exit_code == 0
    [night] = nights(tmp_path / "out")
    result = cli("compare", tmp_path / "single", "--baseline", night, "--json")
    assert result.exit_code == 0, result.output
    assert [f["label"] for f in json.loads(result.stdout)["findings"]] == ["smollm2-135m:Q4_1"]
    both = json.loads(cli("compare", tmp_path / "single", night, "--json").stdout)
    assert {r["label"] for r in both["results"]} == {"smollm2-135m:Q4_1", "smollm2-135m:Q4_1@Q4_1"}


def speed_run(tmp_path, monkeypatch, name, rate, seed):
    monkeypatch.setenv("ORBENCH_MOCK_SPEED", f"{rate},0.15,{seed}")
    assert run_mock(tmp_path / name, "--samples", "4").exit_code == 0
    return tmp_path / name


def speed_gate(now, base):
    result = cli("compare", now, "--baseline", base, "--fail-on", "tokens_per_s<-10%", "--json")
    return result.exit_code, json.loads(result.stdout)["findings"][0]


def test_speed_rule_ignores_noise_and_catches_a_real_slowdown(tmp_path, mock_script, monkeypatch):
    mock_script(answers())
    base = speed_run(tmp_path, monkeypatch, "base", 8.0, 1)
    for seed in (2, 3, 4, 5):  # the same speed, independent ±15% noise per sample
        code, finding = speed_gate(speed_run(tmp_path, monkeypatch, f"same{seed}", 8.0, seed), base)
        assert code == 0 and not finding["regression"] and abs(finding["change"]) < 10, finding
        assert finding["n"] == 32 and finding["low"] < finding["change"] < finding["high"]
        assert not finding["underpowered"] and finding["detectable"] < 10  # 32 timings: a band narrower than 10%
    code, finding = speed_gate(speed_run(tmp_path, monkeypatch, "slow", 4.8, 6), base)
    assert code == 1 and finding["regression"] and finding["change"] == pytest.approx(-40, abs=6)
    assert finding["high"] < 0


def test_one_speed_average_per_run_is_not_judged(tmp_path, mock_script):
    mock_script(answers())
    for name, speed in (("base", 7.7), ("now", 6.67)):  # the busy-machine night: -13% from one figure
        assert run_mock(tmp_path / name).exit_code == 0
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        summary["performance"] = {"generation_tokens_per_s": speed}
        (tmp_path / name / "summary.json").write_text(json.dumps(summary))
    code, finding = speed_gate(tmp_path / "now", tmp_path / "base")
    assert code == 0 and finding["underpowered"] and not finding["regression"]
    assert finding["change"] == pytest.approx(-13.4, abs=0.1) and "not judged" in finding["note"]

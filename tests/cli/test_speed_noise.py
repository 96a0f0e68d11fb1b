"""Speed that knows it is noisy (issue 25, item 1): the `orbench init` gate leaves speed out, one
speed figure (median per-sample rate with its spread) in the gate, compare, report and history,
and the history's verdict per rule."""

from __future__ import annotations

import json
import re

from test_nightly_cmds import answers, cli, data_dir, nights, run_mock  # noqa: F401  (data_dir: autouse fixture)


def init_config(tmp_path):
    """`orbench init`'s config as written, with only [run] made small for the mock backend."""
    config = tmp_path / "orbench.toml"
    assert cli("init", config).exit_code == 0
    text = config.read_text()
    text = re.sub(r'suites = \[.*\]', 'suites = ["math"]', text)
    text = re.sub(r'limit = 20', 'limit = 8', text)
    text = re.sub(r'output = "results/nightly"', 'output = "out"', text)
    config.write_text(text)
    return config


def night(config, monkeypatch, rate, seed, *extra):
    monkeypatch.setenv("ORBENCH_MOCK_SPEED", f"{rate},0.15,{seed}")
    return cli("run", "--config", config, "--backend", "mock", "-q", "--samples", "4", *extra)


def history(config):
    result = cli("history", "--config", config, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def test_init_defaults_keep_two_unchanged_nights_green_on_a_loaded_machine(tmp_path, mock_script, monkeypatch):
    config = init_config(tmp_path)
    assert "tokens_per_s" not in re.search(r"^fail_on = .*$", config.read_text(), re.M).group(0)
    assert "# fail_on = [\"accuracy<-2pp\", \"tokens_per_s<-10%\"]" in config.read_text()
    assert "dedicated runner" in config.read_text()
    mock_script(answers())
    first = night(config, monkeypatch, 8.0, 1)
    assert first.exit_code == 0, first.output
    assert cli("baseline", "set", "latest", "--config", config).exit_code == 0
    busy = night(config, monkeypatch, 1.5, 2)  # the same model and answers; the machine 81% slower
    assert busy.exit_code == 0, busy.output
    rows = history(config)
    assert [r["outcome"] for r in rows] == ["no gate", "passed"]
    assert rows[1]["accuracy_verdict"] in ("ok", "underpowered") and rows[1]["speed_verdict"] is None
    assert rows[0]["accuracy_verdict"] is None
    table = cli("history", "--config", config).stdout
    assert "no gate" in table and "REGRESSION" not in table


def test_history_gives_each_rule_its_own_verdict(tmp_path, mock_script, monkeypatch):
    config = init_config(tmp_path)
    config.write_text(config.read_text().replace('fail_on = ["accuracy<-2pp"]',
                                                 'fail_on = ["accuracy<-2pp", "tokens_per_s<-10%"]', 1))
    mock_script(answers())
    assert night(config, monkeypatch, 8.0, 1).exit_code == 0
    assert cli("baseline", "set", "latest", "--config", config).exit_code == 0
    slow = night(config, monkeypatch, 4.0, 2)  # a real halving, far outside the per-sample noise
    assert slow.exit_code == 1, slow.output
    rows = history(config)
    assert rows[1]["outcome"] == "REGRESSION"
    assert rows[1]["accuracy_verdict"] in ("ok", "underpowered") and rows[1]["speed_verdict"] == "REGRESSION"
    assert "IQR" in rows[1]["speed"] and "n 32" in rows[1]["speed"]


def test_one_speed_figure_in_gate_compare_report_and_history(tmp_path, mock_script, monkeypatch):
    config = init_config(tmp_path)
    mock_script(answers())
    assert night(config, monkeypatch, 8.0, 1).exit_code == 0
    assert night(config, monkeypatch, 6.0, 2).exit_code == 0
    base, now = nights(tmp_path / "out")
    gate = json.loads(cli("compare", now, "--baseline", base, "--fail-on", "tokens_per_s<-50%", "--json").stdout)
    [finding] = gate["findings"]
    both = json.loads(cli("compare", base, now, "--json").stdout)
    rows = history(config)
    speeds = {r["night"]: r["tokens_per_s"] for r in rows}
    assert finding["baseline"] == speeds[base.name] and finding["current"] == speeds[now.name]
    assert sorted(s["median"] for s in both["speed"].values()) == sorted(speeds.values())
    assert all(s["n"] == 32 and s["low"] <= s["median"] <= s["high"] for s in both["speed"].values())
    assert f"{finding['current']:.1f} tok/s (IQR" in finding["note"]
    monkeypatch.setenv("ORBENCH_MOCK_SPEED", "8.0,0.15,3")
    ladder = tmp_path / "ladder"
    assert run_mock(ladder, "--quant", "Q4_1,Q8_0", "--samples", "4").exit_code == 0
    ladder_speeds = json.loads(cli("compare", ladder, "--json").stdout)["speed"]
    report = cli("report", ladder, "--json")
    assert report.exit_code == 0, report.output
    md = (ladder / "report.md").read_text()
    for s in ladder_speeds.values():
        assert f"| {s['median']:.1f} ±" in md

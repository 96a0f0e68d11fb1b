"""A night with `until_decided = true` on the mock backend: it takes items in rounds, stops when the
gate's anytime-valid test against the baseline is decided (not worse: exit 0; worse: exit 1), at
the budget (inconclusive: underpowered), records its rounds in rounds.json, and resumes exactly."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from conftest import REPO_ROOT
from orbench.cli import app
from orbench.files import read_model
from orbench.nightly.rounds import NightRecord, margin_of
from orbench.nightly.findings import parse_rule

ITEMS = 60
MATH = [{"id": f"m{i}", "suite": "math", "category": "arithmetic", "difficulty": "easy", "prompt": f"{i}+{i}?",
         "answer": str(2 * i)} for i in range(1, ITEMS + 1)]
CONFIG = '''[run]
output = "out"
suites = ["math"]
{extra}
[[models]]
name = "smollm2-135m"
quants = ["Q4_1"]

[gate]
baseline = "{baseline}"
fail_on = ["accuracy<-30pp"]
nights = 1
'''
KEY = "smollm2-135m:Q4_1|math"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "models", root / "models")
    (root / "prompts" / "math").mkdir(parents=True)
    (root / "prompts" / "math" / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in MATH))
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(root))


def answers(wrong=(), interrupt_at=None):
    return {f"m{i}": "!interrupt" if i == interrupt_at else f"\\boxed{{{2 * i + 1}}}" if wrong == "all" or i in wrong
            else f"\\boxed{{{2 * i}}}" for i in range(1, ITEMS + 1)}


def night(tmp_path, extra="", *flags, baseline="latest"):
    config = tmp_path / "orbench.toml"
    config.write_text(CONFIG.format(extra=extra, baseline=baseline))
    return CliRunner().invoke(app, ["run", "--config", str(config), "--backend", "mock", "-q", *map(str, flags)])


def nights(tmp_path):
    return sorted(p for p in (tmp_path / "out").iterdir() if p.is_dir())


def samples(folder):
    return [json.loads(line) for line in (folder / "smollm2-135m" / "Q4_1" / "samples.jsonl").open()]


@pytest.fixture
def baseline(tmp_path, mock_script):
    mock_script(answers())
    assert night(tmp_path).exit_code == 0
    return nights(tmp_path)[0]


def test_an_unchanged_night_stops_when_not_worse_is_shown(tmp_path, mock_script, baseline):
    result = night(tmp_path, "until_decided = true\nround_items = 8", "--json")
    assert result.exit_code == 0, result.output
    tonight = nights(tmp_path)[-1]
    record = read_model(tonight / "rounds.json", NightRecord)
    state = record.states()[KEY]
    assert record.status == "decided" and state.verdict == "not worse"
    taken = record.rounds[-1].items
    assert taken < ITEMS and [r.items for r in record.rounds] == [8 * (i + 1) for i in range(len(record.rounds))]
    assert len(samples(tonight)) == taken and {f"math/{s['item_id']}" for s in samples(tonight)} == set(record.order[:taken])
    assert record.settings.level == pytest.approx(0.05) and record.settings.margins == {KEY: pytest.approx(0.3)}
    assert "not worse after" in record.stopped[KEY]
    gate = json.loads((tonight / "gate.json").read_text())
    (finding,) = [f for f in gate["findings"] if f["suite"] == "math"]
    assert finding["n"] == taken and not finding["regression"] and not finding["underpowered"]
    low, high = state.interval
    assert finding["low"] == pytest.approx(100 * low) and finding["high"] == pytest.approx(100 * high)
    assert any("adaptive night (decided" in n for n in gate["notes"])


def test_a_collapsed_night_is_decided_worse_early_and_fails(tmp_path, mock_script, baseline):
    mock_script(answers(wrong="all"))
    result = night(tmp_path, "until_decided = true\nround_items = 4")
    assert result.exit_code == 1, result.output
    tonight = nights(tmp_path)[-1]
    record = read_model(tonight / "rounds.json", NightRecord)
    assert record.states()[KEY].verdict == "worse" and record.rounds[-1].items < 16
    gate = json.loads((tonight / "gate.json").read_text())
    assert [f["regression"] for f in gate["findings"]] == [True]


def test_the_budget_stops_an_undecided_night_as_underpowered(tmp_path, mock_script, baseline):
    mock_script(answers(wrong=set(range(1, ITEMS + 1, 5))))  # 20 points worse: neither verdict in 2 rounds
    result = night(tmp_path, "until_decided = true\nround_items = 4\nbudget_tokens = 1", "--json")
    tonight = nights(tmp_path)[-1]
    record = read_model(tonight / "rounds.json", NightRecord)
    assert record.status == "budget" and len(record.rounds) == 1
    assert "inconclusive after" in record.stopped[KEY] and "budget" in record.stopped[KEY]
    gate = json.loads((tonight / "gate.json").read_text())
    assert [f["underpowered"] for f in gate["findings"]] == [True] and result.exit_code == 0


def test_an_interrupted_night_resumes_its_rounds_exactly(tmp_path, mock_script, baseline):
    mock_script(answers(wrong=set(range(1, ITEMS + 1, 4))))
    reference = night(tmp_path, "until_decided = true\nround_items = 8", "--output", tmp_path / "out-ref",
                      baseline=baseline)
    ref_record = read_model(sorted((tmp_path / "out-ref").iterdir())[0] / "rounds.json", NightRecord)
    order = ref_record.order
    cut = int(order[12].split("/m")[1])  # in the second round
    mock_script(answers(wrong=set(range(1, ITEMS + 1, 4)), interrupt_at=cut))
    assert night(tmp_path, "until_decided = true\nround_items = 8").exit_code == 130
    tonight = nights(tmp_path)[-1]
    assert len(read_model(tonight / "rounds.json", NightRecord).rounds) == 1
    mock_script(answers(wrong=set(range(1, ITEMS + 1, 4))))
    assert night(tmp_path, "until_decided = true\nround_items = 8").exit_code == reference.exit_code
    assert nights(tmp_path)[-1] == tonight  # the same night, resumed
    record = read_model(tonight / "rounds.json", NightRecord)
    assert [(r.items, r.states) for r in record.rounds] == [(r.items, r.states) for r in ref_record.rounds]
    assert record.stopped == ref_record.stopped and len(record.rounds) > 2
    ids = [s["id"] for s in samples(tonight)]
    assert len(ids) == len(set(ids))


def test_a_changed_sample_is_refused_on_resume(tmp_path, mock_script, baseline):
    mock_script(answers(wrong=set(range(1, ITEMS + 1, 4))))
    first = night(tmp_path, "until_decided = true\nround_items = 8\nbudget_tokens = 1")
    assert first.exit_code in (0, 1)
    tonight = nights(tmp_path)[-1]
    index = json.loads((tonight / "index.json").read_text())
    index["exit_code"] = None  # as if it had been killed after its first round
    (tonight / "index.json").write_text(json.dumps(index))
    path = tonight / "smollm2-135m" / "Q4_1" / "samples.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row["correct"] = not row["correct"]
    path.write_text("\n".join([json.dumps(row)] + lines[1:]) + "\n")
    again = night(tmp_path, "until_decided = true\nround_items = 8\nbudget_tokens = 1")
    assert again.exit_code == 2 and "do not match the stored samples" in again.output


def test_margin_is_the_smallest_accuracy_rule():
    rules = [parse_rule("accuracy<-5pp"), parse_rule("accuracy<-10%"), parse_rule("tokens_per_s<-10%")]
    assert margin_of(rules, 0.4) == pytest.approx(0.04)
    assert margin_of(rules, None) == pytest.approx(0.05)
    assert margin_of([parse_rule("tokens_per_s<-10%")], 0.5) is None


def test_a_mistyped_budget_in_the_config_is_one_line(tmp_path):
    result = night(tmp_path, 'until_decided = true\nbudget = "2 hours"')
    assert result.exit_code == 2 and "run.budget" in result.output and "Traceback" not in result.output


def test_the_command_line_flags_turn_a_config_night_adaptive(tmp_path, mock_script, baseline):
    result = night(tmp_path, "", "--until-decided", "--round-items", "8")
    assert result.exit_code == 0, result.output
    tonight = nights(tmp_path)[-1]
    record = read_model(tonight / "rounds.json", NightRecord)
    assert record.settings.round_items == 8 and record.status == "decided"
    assert len(samples(tonight)) == record.rounds[-1].items < ITEMS


def test_view_of_an_adaptive_night_draws_its_running_interval(tmp_path, mock_script, baseline):
    assert night(tmp_path, "until_decided = true\nround_items = 8").exit_code == 0
    tonight = nights(tmp_path)[-1]
    record = read_model(tonight / "rounds.json", NightRecord)
    view = CliRunner().invoke(app, ["view", str(tonight), "--no-open"])
    assert view.exit_code == 0, view.output
    page = (tonight / "view.html").read_text()
    assert f'data-label="{KEY}"' in page and "-30.0% margin" in page
    stop = f"not worse after {record.rounds[-1].items} items"
    assert stop in page

"""A run's files checked against each other when read (issue 24): counts in the summary against the
samples, sample ids against the plan, duplicates, one grader version, finite numbers, the index
against its folders. Each inconsistency is refused by name (exit 2, one line: file, line, what
disagrees); `orbench check` says what is wrong and repairs only what is safe to repair."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support.mockruns import cli, mock_run, replies, write_data_dir


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    root = write_data_dir(tmp_path / "data")
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(root))
    return root


@pytest.fixture
def good(tmp_path, mock_script) -> Path:
    mock_script(replies(wrong={3: "\\boxed{5}"}))
    mock_run(tmp_path / "good", "math")
    return tmp_path / "good"


def copy(good: Path, name: str) -> Path:
    out = good.parent / name
    shutil.copytree(good, out)
    return out


def lines(folder: Path) -> list[str]:
    return (folder / "samples.jsonl").read_text().splitlines(keepends=True)


def set_lines(folder: Path, new: list[str]) -> None:
    (folder / "samples.jsonl").write_text("".join(new))


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def refused(folder: Path, *words: str) -> str:
    """compare FOLDER --baseline GOOD and regrade --dry-run: exit 2, one line naming each word."""
    for args in (("compare", folder), ("regrade", folder, "--dry-run", "-q")):
        result = cli(*args)
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(errors) == 1, (args, result.exit_code, result.output)
        for word in words:
            assert word in errors[0], (word, errors[0])
    return errors[0]


def test_a_good_run_passes_check(good):
    result = cli("check", good)
    assert result.exit_code == 0, result.output
    assert "consistent" in result.stdout


def test_nan_accuracy_in_the_summary_is_refused(good):
    bad = copy(good, "nan")
    text = (bad / "summary.json").read_text()
    data = json.loads(text)
    value = data["suites"][0]["accuracy"]["value"]
    (bad / "summary.json").write_text(text.replace(f'"value": {value}', '"value": NaN', 1))
    refused(bad, "summary.json", "suites.0.accuracy.value", "not a finite number")


def test_empty_samples_under_a_summary_that_counts_them(good):
    bad = copy(good, "empty")
    set_lines(bad, [])
    refused(bad, "samples.jsonl", "0 samples", "summary.json says 8")


def test_a_duplicated_line_is_refused_and_check_repair_drops_it(good):
    bad = copy(good, "dup")
    rows = lines(bad)
    set_lines(bad, rows[:3] + [rows[2]] + rows[3:])
    refused(bad, f"{bad / 'samples.jsonl'}:4", "math/m3#0", "also on line 3")
    check = cli("check", bad)
    assert check.exit_code == 2 and "samples.jsonl:4" in check.stdout and "--repair" in check.stdout
    assert cli("check", bad, "--repair").exit_code == 0
    assert lines(bad) == rows
    assert cli("check", bad).exit_code == 0


def test_a_duplicate_that_differs_is_not_repaired(good):
    bad = copy(good, "dup2")
    rows = lines(bad)
    other = json.loads(rows[2])
    other["output"] = "something else"
    set_lines(bad, rows + [json.dumps(other) + "\n"])
    before = lines(bad)
    repair = cli("check", bad, "--repair")
    assert repair.exit_code == 2 and "not repaired" in repair.stdout
    assert lines(bad) == before


def test_a_missing_sample_is_refused(good):
    bad = copy(good, "missing")
    rows = lines(bad)
    set_lines(bad, rows[:4] + rows[5:])
    refused(bad, "samples.jsonl", "7 samples", "says 8")


def test_a_sample_not_in_the_plan_is_refused(good):
    bad = copy(good, "foreign")
    rows = lines(bad)
    record = json.loads(rows[1])
    record.update(id="math/m99#0", item_id="m99")
    set_lines(bad, rows[:1] + [json.dumps(record) + "\n"] + rows[2:])
    refused(bad, f"{bad / 'samples.jsonl'}:2", "math/m99#0", "not in the plan")


def test_a_sample_index_beyond_the_plan_is_refused(good):
    bad = copy(good, "index")
    rows = lines(bad)
    record = json.loads(rows[0])
    record.update(id=f"math/{record['item_id']}#5", sample=5)
    set_lines(bad, [json.dumps(record) + "\n"] + rows[1:])
    refused(bad, f"{bad / 'samples.jsonl'}:1", "sample 5", "plan.json has 1 sample(s) per item")


def test_one_sample_of_another_grader_version_is_refused(good):
    bad = copy(good, "mixed")
    rows = lines(bad)
    record = json.loads(rows[5])
    record["grader_version"] = "math-0"
    set_lines(bad, rows[:5] + [json.dumps(record) + "\n"] + rows[6:])
    error = refused(bad, "grader version")
    assert "math-0" in error


def test_plan_with_negative_samples_is_refused(good):
    bad = copy(good, "plan")
    edit_json(bad / "plan.json", lambda d: d.update(samples=-1))
    refused(bad, "plan.json", "samples")


def test_index_naming_a_missing_folder_is_refused(good, tmp_path):
    ladder = tmp_path / "ladder"
    ladder.mkdir()
    shutil.copytree(good, ladder / "Q8_0")
    (ladder / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {"Q8_0": "Q8_0", "Q4_0": "Q4_0"},
                                                   "completed": ["Q8_0", "Q4_0"]}))
    result = cli("compare", ladder)
    assert result.exit_code == 2 and "index.json" in result.stderr and "Q4_0" in result.stderr, result.output
    for outside in ("../good", "/etc"):
        (ladder / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {"Q8_0": "Q8_0", "X": outside},
                                                       "completed": ["Q8_0"]}))
        result = cli("compare", ladder)
        assert result.exit_code == 2 and "outside" in result.stderr, result.output


def test_an_unfinished_ladder_run_is_not_an_error(good, tmp_path):
    ladder = tmp_path / "ladder"
    ladder.mkdir()
    shutil.copytree(good, ladder / "Q8_0")
    (ladder / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {"Q8_0": "Q8_0", "Q4_0": "Q4_0"},
                                                   "completed": ["Q8_0"]}))
    from orbench.run.loader import load_runs

    assert [run.folder.name for run in load_runs([ladder])] == ["Q8_0"]  # the unfinished Q4_0 is not an error


def test_check_lists_every_problem_and_exits_2(good):
    bad = copy(good, "many")
    rows = lines(bad)
    set_lines(bad, rows[:4] + [rows[0]] + rows[5:])
    result = cli("check", bad)
    assert result.exit_code == 2
    assert "samples.jsonl:5" in result.stdout and "items is 8, the samples give 7" in result.stdout


def test_compare_and_the_gate_refuse_runs_that_share_no_item(tmp_path, mock_script, data_dir):
    mock_script(replies())
    mock_run(tmp_path / "a", "math")
    items = data_dir / "prompts" / "math" / "items.jsonl"
    items.write_text(items.read_text().replace('"id": "m', '"id": "n'))
    mock_run(tmp_path / "b", "math")
    for args in (("compare", tmp_path / "a", tmp_path / "b"), ("compare", tmp_path / "a", "--baseline", tmp_path / "b")):
        result = cli(*args)
        errors = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(errors) == 1 and "share no scored item" in errors[0], result.output
        assert result.stdout == ""


def test_compare_and_the_gate_refuse_runs_that_share_too_few_items(tmp_path, mock_script):
    mock_script(replies())
    mock_run(tmp_path / "a", "math", "--limit", "5")
    mock_run(tmp_path / "b", "math", "--limit", "5")
    for args in (("compare", tmp_path / "a", tmp_path / "b"), ("compare", tmp_path / "a", "--baseline", tmp_path / "b")):
        result = cli(*args)
        assert result.exit_code == 2 and "share only 5 scored item(s); at least 6 are needed" in result.stderr, \
            result.output
    mock_run(tmp_path / "c", "math", "--limit", "6")
    mock_run(tmp_path / "d", "math", "--limit", "6")
    assert cli("compare", tmp_path / "c", "--baseline", tmp_path / "d").exit_code == 0

"""Regrading stored replies without the model, grader versions in results, and compare and the gate
refusing runs graded by different grader versions."""

from __future__ import annotations

import json

import pytest

from support.mockruns import cli, mock_run, replies, write_data_dir
from orbench.grading import graders

FIXED = graders.grade_math.grader_version  # the current (correct) math grader, "math-N"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    root = write_data_dir(tmp_path / "data")
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(root))
    return root


def summary(folder) -> dict:
    return json.loads((folder / "summary.json").read_text())


def records(folder) -> list[dict]:
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def figures(folder) -> list[dict]:
    """The per-suite figures, less the machine time (which differs between any two runs)."""
    return [{k: v for k, v in s.items() if k != "wall_seconds"} for s in summary(folder)["suites"]]


SCRIPT = replies(wrong={3: "\\boxed{5}", 7: "I think it is 0.5e1, so \\boxed{5}"})


def broken_math_equal(gold: str, predicted: str) -> bool:
    """A checker with a bug: it accepts what is wrong and refuses what is right."""
    return gold != predicted


@pytest.fixture
def broken_and_fresh(tmp_path, mock_script, monkeypatch):
    """The same plan and replies graded twice: once by a broken checker released as math-0, once
    by the correct one (the current version, FIXED)."""
    mock_script(SCRIPT)
    with monkeypatch.context() as patched:
        patched.setattr(graders, "math_equal", broken_math_equal)
        patched.setattr(graders.grade_math, "grader_version", "math-0")
        mock_run(tmp_path / "broken", "math")
    mock_run(tmp_path / "fresh", "math")
    return tmp_path / "broken", tmp_path / "fresh"


def test_regrade_with_the_fixed_checker_equals_a_fresh_run(broken_and_fresh):
    broken, fresh = broken_and_fresh
    assert summary(broken)["suites"][0]["accuracy"]["value"] == pytest.approx(2 / 8)
    assert summary(broken)["suites"][0]["grader_version"] == "math-0"
    assert summary(fresh)["suites"][0]["accuracy"]["value"] == pytest.approx(6 / 8)
    assert summary(fresh)["suites"][0]["grader_version"] == FIXED
    result = cli("regrade", broken, "--json", "-q")
    assert result.exit_code == 0, result.output
    change = json.loads(result.stdout)[0]["suites"][0]
    assert change["directions"] == {"correct -> wrong": 2, "wrong -> correct": 6} and change["changed"] == 8
    assert (change["grader_before"], change["grader_after"]) == ("math-0", FIXED)
    assert (change["accuracy_before"], change["accuracy_after"]) == (0.25, 0.75)
    assert figures(broken) == figures(fresh)
    kept = {r["item_id"]: r for r in records(broken)}
    assert [r["earlier_verdicts"] for r in records(fresh)] == [[]] * 8
    m3 = kept["m3"]
    assert m3["correct"] is False and m3["grader_version"] == FIXED
    assert [(p["correct"], p["grader_version"]) for p in m3["earlier_verdicts"]] == [(True, "math-0")]
    assert any(n.startswith("regraded ") and "math 8" in n for n in summary(broken)["notes"])


def test_the_gate_refuses_runs_graded_by_different_grader_versions(broken_and_fresh):
    broken, fresh = broken_and_fresh
    gate = cli("compare", broken, "--baseline", fresh, "--fail-on", "accuracy<-2pp")
    assert gate.exit_code == 2
    lines = gate.stderr.strip().splitlines()
    assert len(lines) == 1 and "math-0" in lines[0] and FIXED in lines[0]
    assert f"regrade with: orbench regrade {broken} " in lines[0] and "--allow-grader-mismatch" in lines[0]
    assert cli("compare", fresh, broken).exit_code == 2
    allowed = cli("compare", broken, "--baseline", fresh, "--allow-grader-mismatch", "--json")
    assert allowed.exit_code == 0  # 2/8 against 6/8 with p = 0.29: not a significant drop
    assert any("grader versions differ" in n for n in json.loads(allowed.stdout)["notes"])
    assert cli("regrade", broken, "-q").exit_code == 0
    after = cli("compare", broken, "--baseline", fresh, "--json")
    assert after.exit_code == 0 and json.loads(after.stdout)["findings"][0]["change"] == 0.0


def test_regrade_prints_the_changes_per_suite(broken_and_fresh):
    broken, _ = broken_and_fresh
    before = (broken / "samples.jsonl").read_bytes(), (broken / "summary.json").read_bytes()
    dry = cli("regrade", broken, "--dry-run", "-q")
    assert dry.exit_code == 0
    assert "wrong -> correct 6" in dry.stdout and "25.0% -> 75.0%" in dry.stdout and f"math-0 -> {FIXED}" in dry.stdout
    assert "nothing written" in dry.stdout
    assert ((broken / "samples.jsonl").read_bytes(), (broken / "summary.json").read_bytes()) == before
    real = cli("regrade", broken)
    assert real.exit_code == 0 and "8 verdict(s) changed in 1 run(s)" in real.stdout
    assert "[smollm2-135m:Q4_1 math 8/8] m8 correct" in real.stderr  # progress on stderr
    again = cli("regrade", broken, "--json", "-q")
    assert json.loads(again.stdout)[0]["suites"][0]["changed"] == 0


def test_code_is_run_again_in_the_sandbox_and_failed_generations_are_kept(tmp_path, mock_script):
    script = replies()
    script["m4"] = "!error"
    mock_script(script)
    out = tmp_path / "run"
    mock_run(out, "math,code", "--max-error-rate", "0.5")  # 1 of 10 failed: above the default 5%
    result = cli("regrade", out, "--json", "-q")
    assert result.exit_code == 0, result.output
    by_suite = {s["suite"]: s for s in json.loads(result.stdout)[0]["suites"]}
    assert by_suite["code"]["regraded"] == 2 and by_suite["code"]["changed"] == 0
    assert by_suite["code"]["grader_after"].startswith("code-2+sandbox-")
    assert by_suite["math"]["regraded"] == 7 and by_suite["math"]["samples"] == 8
    assert summary(out)["errors"] == 1
    code = [r for r in records(out) if r["suite"] == "code"]
    assert [r["correct"] for r in code] == [True, False] and all(r["isolation"] for r in code)


def _strip_versions(folder):
    data = summary(folder)
    for s in data["suites"]:
        s.pop("grader_version")
    (folder / "summary.json").write_text(json.dumps(data))
    lines = [json.dumps({k: v for k, v in r.items() if k not in ("grader_version", "earlier_verdicts")})
             for r in records(folder)]
    (folder / "samples.jsonl").write_text("\n".join(lines) + "\n")


def test_results_from_before_grader_versions_load_and_compare_with_each_other(tmp_path, mock_script):
    mock_script(SCRIPT)
    for name in ("old1", "old2", "new"):
        mock_run(tmp_path / name, "math")
    _strip_versions(tmp_path / "old1")
    _strip_versions(tmp_path / "old2")
    assert cli("compare", tmp_path / "old1", "--baseline", tmp_path / "old2").exit_code == 0
    mixed = cli("compare", tmp_path / "new", "--baseline", tmp_path / "old1")
    assert mixed.exit_code == 2
    assert "(before grader versions)" in mixed.stderr and f"orbench regrade {tmp_path / 'old1'} " in mixed.stderr
    assert f"regrade {tmp_path / 'new'}" not in mixed.stderr
    assert cli("regrade", tmp_path / "old1", "-q").exit_code == 0
    assert summary(tmp_path / "old1")["suites"][0]["grader_version"] == FIXED
    assert cli("compare", tmp_path / "new", "--baseline", tmp_path / "old1").exit_code == 0


def test_regrade_refuses_items_that_changed_and_unknown_suites(tmp_path, mock_script, data_dir):
    mock_script(replies())
    out = tmp_path / "run"
    mock_run(out, "math")
    items = data_dir / "prompts" / "math" / "items.jsonl"
    items.write_text(items.read_text().replace('"answer": "6"', '"answer": "7"'))
    changed = cli("regrade", out)
    assert changed.exit_code == 2 and "items of suite 'math' differ" in changed.stderr
    mine = tmp_path / "mine.jsonl"
    mine.write_text('{"id": "q1", "suite": "my-math", "category": "c", "difficulty": "easy", "prompt": "1+1?", '
                    '"answer": "2", "kind": "math"}\n')
    mock_run(tmp_path / "user", str(mine))
    unknown = cli("regrade", tmp_path / "user")
    assert unknown.exit_code == 2 and "--suite PATH" in unknown.stderr
    assert cli("regrade", tmp_path / "user", "--suite", mine, "-q").exit_code == 0

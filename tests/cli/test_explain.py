"""A run's numbers with their context (issue 25, item 2): the plan and settings before work starts;
after it, how to read an accuracy, the chance level of multiple choice, the published figure or its
absence, a reading for a tiny model, a footnote for every "-", and the next command."""

from __future__ import annotations

import json

from test_nightly_cmds import cli, data_dir  # noqa: F401  (data_dir: autouse fixture)

CHOICES = [{"id": f"q{i}", "suite": "quiz", "category": "facts", "difficulty": "easy", "prompt": f"Pick {i}",
            "choices": ["one", "two", "three", "four"], "answer": "B"} for i in range(6)]


def test_a_run_says_what_it_will_do_and_what_its_numbers_mean(tmp_path, mock_script):
    quiz = tmp_path / "quiz.jsonl"
    quiz.write_text("".join(json.dumps(item) + "\n" for item in CHOICES))
    mock_script({"m1": "\\boxed{2}", "q0": "B"})
    out = tmp_path / "run"
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", f"math,{quiz}", "--limit", "4", "-o", out)
    assert result.exit_code == 0, result.output
    plan = result.stderr.splitlines()[0]
    assert plan.startswith("plan: 8 samples to run: items per suite math 4, quiz 4") and f"output {out}" in plan
    assert "max tokens" in plan and "temperature" in plan and "seed 0" in plan
    text = result.stdout
    assert "how to read it: accuracy is the share of items answered correctly" in text
    assert "quiz: chance level 25% (guessing among the choices)" in text
    assert "math: chance" not in text
    assert "no published figure for smollm2-135m on math, quiz" in text
    assert "reading: smollm2-135m has 135M parameters" in text
    assert '"-" in pass@k / majority: one sample per item' in text
    assert '"-" in gen tok/s: the backend reported no generation timings' in text
    assert text.rstrip().splitlines()[-1].startswith(f"next: orbench view {out}")
    summary = json.loads((out / "summary.json").read_text())
    assert [s["chance"] for s in summary["suites"]] == [None, 0.25]


def test_every_dash_has_a_footnote():
    from orbench.cli.explain import DASH, footnotes
    from orbench.cli.tables import LEVELS, SUMMARY_HEADER

    assert set(SUMMARY_HEADER[4:]) | set(LEVELS) <= set(DASH)  # every column that can show "-"
    rows = [["a", "-", "-"], ["b", "1", "-"]]
    assert footnotes(["suite", "easy", "hard"], rows) == ['"-" in easy, hard: no item of that difficulty in the run']

"""A user's own JSONL items as a suite: `orbench run -s path/to/items.jsonl` (or a folder)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbench.cli import app
from orbench.errors import OrbenchError
from orbench.suites import get_suite, parse_suites

MATH = [{"id": "q1", "suite": "my-math", "category": "c", "difficulty": "easy", "prompt": "1+1?", "answer": "2",
         "kind": "math"},
        {"id": "q2", "suite": "my-math", "category": "c", "difficulty": "hard", "prompt": "2*3?", "answer": "6",
         "kind": "math"}]
CODE = [{"id": "f1", "suite": "my-code", "category": "c", "difficulty": "easy", "prompt": "def double(x): ...",
         "entry_point": "double", "tests": "assert double(2) == 4\nassert double(0) == 0\n"}]


def write(path, items):
    path.write_text("".join(json.dumps(i) + "\n" for i in items))
    return path


def test_a_file_becomes_a_suite_graded_by_its_kind(tmp_path):
    suite = get_suite(str(write(tmp_path / "mine.jsonl", MATH)))
    assert suite.name == "my-math" and suite.kind == "math" and len(suite.load(0)) == 2
    item = suite.load(0)[1]
    assert suite.grade(item, "so \\boxed{6}", None).correct and not suite.grade(item, "\\boxed{7}", None).correct
    assert "\\boxed{}" in suite.render(item, __import__("orbench.store.catalog").store.catalog.Generation())[-1]["content"]
    folder = tmp_path / "codes"
    folder.mkdir()
    write(folder / "a.jsonl", CODE)
    code = parse_suites(f"{folder},{tmp_path / 'mine.jsonl'}")
    assert [s.name for s in code] == ["my-code", "my-math"] and code[0].kind == "code"


@pytest.mark.parametrize("items, message", [
    ([{**MATH[0], "kind": None}], "has neither tests nor choices and no kind"),
    ([MATH[0], MATH[0]], "duplicate item id 'q1'"),
    ([{**MATH[0], "suite": "math"}], "the name of a built-in suite"),
    ([{**MATH[0], "kind": "poetry"}], "kind: Input should be 'math', 'code' or 'reasoning'"),
])
def test_bad_user_suites_are_refused_with_file_and_line(tmp_path, items, message):
    with pytest.raises(OrbenchError, match=message):
        get_suite(str(write(tmp_path / "bad.jsonl", items)))


def test_user_suite_runs_through_the_cli(tmp_path, mock_script):
    path = write(tmp_path / "mine.jsonl", MATH)
    mock_script({"q1": "\\boxed{2}", "q2": "\\boxed{5}"})
    result = CliRunner().invoke(app, ["run", "--backend", "mock", "-m", "smollm2-135m", "-s", str(path),
                                      "-o", str(tmp_path / "out"), "--json", "-q"])
    assert result.exit_code == 0, result.output
    suite = json.loads(result.stdout)["suites"][0]
    assert suite["suite"] == "my-math" and suite["accuracy"]["value"] == 0.5
    missing = CliRunner().invoke(app, ["run", "--backend", "mock", "-s", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "suite file or folder not found" in missing.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(MATH[0]) + "\n{not json\n")
    result = CliRunner().invoke(app, ["run", "--backend", "mock", "-s", str(broken)])
    assert result.exit_code == 2 and "broken.jsonl:2: malformed JSON" in result.stderr


def test_one_file_may_mix_kinds_and_each_item_is_graded_by_its_own(tmp_path):
    choice = {"id": "c1", "suite": "my-math", "category": "c", "difficulty": "easy", "prompt": "Pick",
              "choices": ["a", "b"], "answer": "B"}
    suite = get_suite(str(write(tmp_path / "mixed.jsonl", [MATH[0], CODE[0] | {"suite": "my-math"}, choice])))
    assert suite.name == "my-math" and suite.executes_code and "1 math, 1 code, 1 reasoning" in suite.description
    math, code, pick = suite.load(0)
    assert suite.grade(math, "\\boxed{2}", None).correct and not suite.grade(math, "\\boxed{3}", None).correct
    assert suite.grade(pick, "Answer: B", None).correct and not suite.grade(pick, "Answer: A", None).correct
    from orbench.store.catalog import Generation
    assert "def double" in suite.render(code, Generation())[-1]["content"]


def test_a_folder_gives_one_suite_per_suite_name(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    write(folder / "a.jsonl", MATH)
    write(folder / "b.jsonl", [{**CODE[0], "suite": "my-math"}])
    assert [(s.name, len(s.load(0))) for s in parse_suites(str(folder))] == [("my-math", 3)]
    write(folder / "c.jsonl", CODE)
    assert [(s.name, len(s.load(0))) for s in parse_suites(str(folder))] == [("my-math", 3), ("my-code", 1)]
    with pytest.raises(OrbenchError, match="holds 2 suites"):
        get_suite(str(folder))


def test_the_documented_example_runs_as_written(tmp_path, mock_script, monkeypatch):
    import re
    import shlex

    from conftest import REPO_ROOT

    page = (REPO_ROOT / "docs" / "benchmarks.md").read_text()
    section = page[page.index("## Your own items"):page.index("## Public benchmarks")]
    lines = re.search(r"```jsonl\n(.*?)```", section, re.S).group(1)
    command = re.search(r"```sh\n(orbench run .*?)\n```", section, re.S).group(1)
    name = re.search(r"Save these three lines as `([^`]+)`", section).group(1)
    (tmp_path / name).write_text(lines)
    monkeypatch.chdir(tmp_path)
    mock_script({"q1": "\\boxed{4}", "q2": "Answer: B",
                 "f1": "```python\ndef double(x):\n    return 2 * x\n```"})
    args = shlex.split(command)[1:] + ["--backend", "mock", "-o", str(tmp_path / "out"), "--json", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    [suite] = json.loads(result.stdout)["suites"]
    assert suite["suite"] == "mine" and suite["items"] == 3 and suite["accuracy"]["value"] == 1.0
def test_two_files_of_one_suite_name_are_refused(tmp_path):
    from orbench.run.plan import RunSpec, make_plan
    from orbench.store.catalog import Generation
    from orbench.suites.user import user_suite

    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": "q1", "suite": "my-math", "category": "c",
                                                            "difficulty": "easy", "prompt": "1+1?", "answer": "2",
                                                            "kind": "math"}) + "\n")
    result = CliRunner().invoke(app, ["run", "--backend", "mock", "-s", f"{tmp_path / 'a.jsonl'},{tmp_path / 'b.jsonl'}",
                                      "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 2 and "two suites are named 'my-math'" in result.stderr, result.output
    assert "a.jsonl" in result.stderr and "b.jsonl" in result.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(OrbenchError, match="two suites are named 'my-math'"):  # the library refuses it too
        make_plan(RunSpec(suites=[user_suite(tmp_path / "a.jsonl"), user_suite(tmp_path / "b.jsonl")],
                          generation=Generation()), "m", None, None)

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
    ([MATH[0], CODE[0] | {"suite": "my-math"}], "items of several kinds"),
    ([MATH[0], {**MATH[1], "suite": "other"}], "says suite 'other', expected 'my-math'"),
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

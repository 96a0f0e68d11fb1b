"""The shipped prompt sets are valid: answers parse and verify, code references pass, wrong code fails."""

from __future__ import annotations

import re

import pytest

from orbench.sandbox import Limits, run_python
from orbench.scoring import score_code, score_math, score_reasoning
from orbench.scoring.check import math_equal
from orbench.suites import SUITES

FILE_SUITES = ("math", "code", "reasoning")
ITEMS = {name: SUITES[name].load(0) for name in FILE_SUITES}
LIMITS = Limits(wall_seconds=10, cpu_seconds=5)


@pytest.mark.parametrize("suite", FILE_SUITES)
def test_suite_is_large_enough_and_unique(suite):
    items = ITEMS[suite]
    assert len(items) >= 10
    assert len({i.id for i in items}) == len(items)
    assert len({i.prompt for i in items}) == len(items)
    assert all(i.source for i in items)


@pytest.mark.parametrize("item", ITEMS["math"], ids=lambda i: i.id)
def test_math_answer_parses_and_verifies(item):
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    parsed = parse(f"${item.answer}$", extraction_config=[LatexExtractionConfig(), ExprExtractionConfig()])
    assert parsed, f"math-verify cannot parse {item.answer!r}"
    assert math_equal(item.answer, item.answer)
    assert math_equal(item.answer, str(parsed[0])), f"not equal to its sympy form {parsed[0]}"
    assert not math_equal(item.answer, str(parsed[0] + 1))
    assert score_math(item, f"... so the result is \\boxed{{{item.answer}}}.").correct


@pytest.mark.parametrize("item", ITEMS["code"], ids=lambda i: i.id)
def test_code_reference_passes_and_a_wrong_solution_fails(item):
    assert item.tests.count("assert") >= 5
    assert re.search(rf"def\s+{item.entry_point}\s*\(", item.reference)
    assert f"def {item.entry_point}" in item.prompt
    good = run_python(f"{item.reference}\n\n{item.tests}\n", LIMITS)
    assert good.passed, good.reason
    assert score_code(item, f"```python\n{item.reference}\n```", LIMITS).correct
    params = re.search(rf"def\s+{item.entry_point}\s*\(([^)]*)\)", item.reference).group(1)
    for constant in ("None", "0", "[]", "''"):
        wrong = f"def {item.entry_point}({params}):\n    return {constant}\n"
        assert not run_python(f"{wrong}\n{item.tests}\n", LIMITS).passed, f"tests accept `return {constant}`"


@pytest.mark.parametrize("item", ITEMS["reasoning"], ids=lambda i: i.id)
def test_reasoning_answer_is_well_formed_and_gradable(item):
    if item.choices:
        letters = [chr(ord("A") + i) for i in range(len(item.choices))]
        assert item.answer in letters
        assert len(set(item.choices)) == len(item.choices)
        assert score_reasoning(item, f"Thinking.\nAnswer: {item.answer}").correct
        other = next(x for x in letters if x != item.answer)
        assert not score_reasoning(item, f"Answer: {other}").correct
    else:
        assert item.answer and len(item.answer.split()) <= 3
        assert score_reasoning(item, f"Let me think.\nAnswer: {item.answer}").correct

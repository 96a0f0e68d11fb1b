"""The shipped prompt sets are valid: answers parse and verify, code references pass, wrong code fails."""

from __future__ import annotations

import re

import pytest

from support.codecheck import accepted_constants, first_few_fast
from orbench.grading.sandbox import Limits
from orbench.grading.graders import grade_code, grade_math as score_math, grade_reasoning as score_reasoning
from orbench.grading import GradeContext
from orbench.grading.verify import math_equal
from orbench.suites import get_suite

FILE_SUITES = ("math", "code", "reasoning")
ITEMS = {name: get_suite(name).load(0) for name in FILE_SUITES}
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


@pytest.mark.parametrize("item", first_few_fast(ITEMS["code"]))
def test_code_reference_passes_and_a_wrong_solution_fails(item):
    assert item.tests.count("assert") >= 5
    assert re.search(rf"def\s+{item.entry_point}\s*\(", item.reference)
    assert f"def {item.entry_point}" in item.prompt
    good = grade_code(item, f"```python\n{item.reference}\n```", GradeContext(sandbox=LIMITS))
    assert good.correct, good.detail
    assert accepted_constants(item.entry_point, item.tests, LIMITS) == []


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

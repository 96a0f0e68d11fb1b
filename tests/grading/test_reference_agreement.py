"""Agreement with the reference harnesses (issue 22): each text benchmark's grader and its reference
rule (tests/reference_rules.py says which, and from which file) grade the same replies, right and
wrong ones in chat formatting. Every disagreement must be one listed with its reason there, and every
listed one must still disagree, so the list stays the true account of where orbench differs.
`python benchmarks/grading_agreement.py` prints the agreement table."""

from __future__ import annotations

import pytest

from orbench.suites.benchmarks import aime, amc23, arc, bbh, gpqa, gsm8k, math500
from orbench.suites.items import Item
from reference_rules import (BBH, BBH_DIFFERENCES, CHOICE, CHOICE_DIFFERENCES, GSM8K_DIFFERENCES, MATH,
                             MATH_DIFFERENCES, disagreements, lm_eval_bbh, math_verify_alone, simple_evals_choice)

OPTIONS = ["first option", "second option", "third option", "fourth option"]


def grader_of(suite, **fields):
    def grade(gold: str, text: str) -> bool:
        item = Item(id="r", suite=suite.name, category="c", difficulty="hard", prompt="?", answer=gold, **fields)
        return suite.grade(item, text).correct
    return grade


@pytest.mark.parametrize("suite", [math500.SUITE, aime.AIME24_SUITE, aime.AIME25_SUITE, amc23.SUITE])
def test_math_suites_agree_with_math_verify_alone(suite):
    found = disagreements(MATH, grader_of(suite), math_verify_alone)
    assert set(found) == set(MATH_DIFFERENCES), found


def test_gsm8k_agrees_with_math_verify_alone_except_dropped_units():
    found = disagreements(MATH, grader_of(gsm8k.SUITE), math_verify_alone)
    assert set(found) == set(GSM8K_DIFFERENCES), found


def test_bbh_agrees_with_lm_eval_get_answer_except_formatting():
    found = disagreements(BBH, grader_of(bbh.SUITE, kind="reasoning"), lm_eval_bbh)
    assert set(found) == set(BBH_DIFFERENCES), found
    assert all(mine and not theirs for mine, theirs in found.values())  # orbench only ever more lenient


@pytest.mark.parametrize("suite", [gpqa.SUITE, arc.SUITE])
def test_choice_suites_agree_with_simple_evals_except_formatting(suite):
    found = disagreements(CHOICE, grader_of(suite, choices=OPTIONS), simple_evals_choice)
    assert set(found) == set(CHOICE_DIFFERENCES), found
    assert all(mine and not theirs for mine, theirs in found.values())


def test_reply_sets_hold_right_and_wrong_replies():
    """An agreement check on gold answers alone proves nothing: each set has both verdicts, by the reference."""
    for replies, rule in ((MATH, math_verify_alone), (BBH, lm_eval_bbh), (CHOICE, simple_evals_choice)):
        verdicts = [rule(r.gold, r.text) for r in replies]
        assert verdicts.count(True) >= 4 and verdicts.count(False) >= 4

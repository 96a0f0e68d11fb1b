"""Benchmark graders on replies formatted the way chat models write them (issue 22): units, bold,
backticks, boxed answers. Each case failed, or was wrongly accepted, before its fix."""

from __future__ import annotations

import pytest

from orbench.suites.benchmarks import gsm8k
from orbench.suites.items import Item


def gsm8k_item(answer: str) -> Item:
    return Item(id="g", suite="gsm8k", category="word-problem", difficulty="easy", prompt="?", answer=answer)


@pytest.mark.parametrize("reply, gold, ok", [
    (r"So she earns \boxed{70,000 dollars}.", "70000", True),
    (r"The total is \boxed{70{,}000 \text{ dollars}}.", "70000", True),
    (r"\boxed{12 apples}", "12", True),
    (r"\boxed{7,000 dollars}", "70000", False),
    (r"\boxed{2 million}", "2", False),  # a scale word is a different number, never dropped
    (r"\boxed{5 apples and 3 pears}", "5", False),
    (r"\boxed{70000}", "70000", True),
])
def test_gsm8k_drops_unit_words_around_one_number(reply, gold, ok):
    assert gsm8k.grade(gsm8k_item(gold), reply).correct is ok


def bbh_item(target: str) -> Item:
    return Item(id="b", suite="bbh", category="date_understanding", difficulty="hard", prompt="?", answer=target,
                kind="reasoning")


@pytest.mark.parametrize("reply, target, ok", [
    ("Step by step.\nSo the answer is **(A)**.", "(A)", True),
    ("Step by step.\nSo the answer is `(A)`.", "(A)", True),
    ("Step by step.\n\\boxed{(A)}", "(A)", True),
    ("Step by step.\nSo the answer is $\\boxed{(A)}$.", "(A)", True),
    ("**So the answer is (A).**", "(A)", True),
    ("So the answer is $\\text{(A)}$", "(A)", True),
    ("The answer: (A)", "(A)", True),
    ("So the answer is **True**.", "True", True),
    ("So the answer is `] ) }`.", "] ) }", True),
    ("So the answer is **(B)**.", "(A)", False),
    ("So the answer is \\boxed{(B)}.", "(A)", False),
    ("So the answer is **False**.", "True", False),
    ("So the answer is (A), since (B) is too early.", "(A)", False),  # trailing prose: not an exact answer
])
def test_bbh_unwraps_markup_around_the_answer(reply, target, ok):
    from orbench.suites.benchmarks import bbh

    assert bbh.grade(bbh_item(target), reply).correct is ok

"""Answer checks on plain strings."""

from __future__ import annotations

import pytest

from orbench.grading.verify import math_equal, short_answer_equal


@pytest.mark.parametrize("gold, predicted", [
    ("42", "42"), ("42", "42.0"), (r"\frac{3}{8}", "0.375"), (r"\frac{3}{8}", "3/8"),
    (r"2\sqrt{5}", r"\sqrt{20}"), (r"5-2\sqrt{2}", r"-2\sqrt{2}+5"), (r"\frac{1}{2}", r"\dfrac{1}{2}"),
    (r"\sqrt{3}+\sqrt{2}", "sqrt(2) + sqrt(3)"), (r"\frac{\pi}{4}", "pi/4"), ("8", "2^3"),
])
def test_math_equal_accepts_equivalent_forms(gold, predicted):
    assert math_equal(gold, predicted)


@pytest.mark.parametrize("gold, predicted", [
    ("42", "41"), (r"\frac{3}{8}", "0.38"), (r"2\sqrt{5}", r"\sqrt{10}"), ("7", "no idea"), ("7", ""),
    (r"\sqrt{2}", "sqrt(3)"), ("7", "__import__('os').system('true')"),
])
def test_math_equal_rejects_different_values(gold, predicted):
    assert not math_equal(gold, predicted)


@pytest.mark.parametrize("gold, predicted, ok", [
    (r"(-\infty, 0]", r"(-\infty, 0)", False), (r"(3,4]", r"[3,4)", False), (r"[1,2]", r"(1,2)", False),
    (r"(-\infty, 0]", r"(-\infty,0]", True), (r"(3,4]", r"(3, 4]", True), (r"[2, 5)", r"[2,5)", True),
])
def test_math_equal_keeps_interval_ends_apart(gold, predicted, ok):
    """Issue 22: a text comparison that turned brackets into spaces scored a wrong end as correct."""
    assert math_equal(gold, predicted) is ok


@pytest.mark.parametrize("gold, predicted, ok", [
    ("Tuesday", "Tuesday.", True), ("Tuesday", "**tuesday**", True), ("7", "7.0", True),
    ("Alice", "It is Alice", True), ("Alice", "Bob", False), ("yes", "no", False),
    ("Alice", "Alice is not the one, Bob is taller than everyone here", False),
])
def test_short_answer_equal(gold, predicted, ok):
    assert short_answer_equal(gold, predicted) is ok

"""Answer extraction on plain strings."""

from __future__ import annotations

import pytest

from orbench.grading.extract import (
    extract_choice, extract_code, extract_math_answer, extract_short_answer, last_boxed, normalize_text,
    split_thinking,
)


def test_split_thinking_with_both_tags():
    split = split_thinking("<think>\nlet me see\n</think>\n\nThe answer is 4.")
    assert split == split_thinking("<think>\nlet me see\n</think>\n\nThe answer is 4.", thinking_model=True)
    assert split.thinking == "let me see" and split.answer == "The answer is 4." and not split.unterminated


def test_split_thinking_when_template_opened_the_tag():
    split = split_thinking("hmm, 2+2 is 4\n</think>\n\\boxed{4}", thinking_model=True)
    assert split.thinking == "hmm, 2+2 is 4" and split.answer == "\\boxed{4}"


def test_unterminated_thinking_has_no_answer():
    split = split_thinking("<think>I keep thinking and thinking", thinking_model=False)
    assert split.unterminated and split.answer == "" and split.thinking.startswith("I keep")
    assert split_thinking("still going", thinking_model=True).unterminated


def test_non_thinking_reply_is_all_answer():
    split = split_thinking("Paris.", thinking_model=False)
    assert split.answer == "Paris." and split.thinking == "" and not split.unterminated


@pytest.mark.parametrize("text, expected", [
    (r"so \boxed{\frac{1}{2}} then \boxed{\dfrac{3}{4}}", r"\dfrac{3}{4}"),
    (r"\boxed{x^{2}+\sqrt{y_{1}}}", r"x^{2}+\sqrt{y_{1}}"),
    (r"\fbox{7}", "7"),
    (r"\boxed{unclosed", None),
    ("no box", None),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


@pytest.mark.parametrize("text, expected", [
    (r"First \boxed{3}. Actually \boxed{5}. The answer is 7", "5"),
    ("Work...\n#### 1,234\n", "1,234"),
    ("So the answer is $\\frac{2}{3}$.", "\\frac{2}{3}"),
    ("The final answer is 12.", "12"),
    ("The answer is **42**.", "42"), ("So the answer is `7`.", "7"),  # markup is not part of the answer
    ("We get 3 apples and then 1,200 pears", "1200"),
    ("no numbers here", None),
])
def test_extract_math_answer_priority(text, expected):
    assert extract_math_answer(text) == expected


def test_extract_code_prefers_block_defining_entry_point():
    text = "```python\nimport math\n```\nthen\n```python\ndef f(x):\n    return x\n```\n```\nprint(f(1))\n```"
    assert extract_code(text, "f") == "def f(x):\n    return x"


def test_extract_code_unclosed_and_bare():
    assert extract_code("```python\ndef g():\n    return 1\n", "g") == "def g():\n    return 1"
    assert extract_code("Sure:\ndef g():\n    return 2", "g") == "def g():\n    return 2"
    assert extract_code("I cannot do that.", "g") is None


CHOICES = ["Carl", "Anna", "Ben", "Dora"]


@pytest.mark.parametrize("text, n, expected", [
    ("Reasoning...\nAnswer: (C)", 4, "C"),
    ("B) is tempting but\nAnswer: A", 3, "A"),
    ("The answer is B.", 2, "B"),
    (r"\boxed{D}", 4, "D"),
    ("A) Carl\n\nbecause he is tallest", 3, "A"),
    ("A) 1\nB) 2\nC) 3", 3, None),  # restating all options picks none
    ("Answer: E", 3, None),  # not an offered letter
    ("I pick (B).", 3, "B"),
    ("So the answer is:\nA) Yes\nB) No", 2, None),  # "answer is:" does not reach into the next line
    ("Let me see.\nBen is the shortest of the three.", 3, "C"),  # the one choice named last
    ("Anna is taller than Ben.", 3, None),  # two choices named: no answer
])
def test_extract_choice(text, n, expected):
    assert extract_choice(text, CHOICES[:n]) == expected


def test_extract_short_answer():
    assert extract_short_answer("Let me count.\nFinal answer: Tuesday") == "Tuesday"
    assert extract_short_answer("so \\boxed{42}") == "42"
    assert extract_short_answer("thinking\n\nAlice\n") == "Alice"
    assert extract_short_answer("   ") is None


def test_normalize_text():
    assert normalize_text("**The Tuesday.**") == "tuesday"
    assert normalize_text("\\text{Yes}") == "yes"

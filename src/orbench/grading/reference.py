"""Graders that apply a reference harness's answer rule as it is, with no leniency of orbench's own:
the default ("reference") grading protocol of the public benchmarks (issue 22).

- `grade_math_verify`: math-verify alone, as open-r1's accuracy reward and lighteval use it: the gold
  parsed as LaTeX (`$gold$`), the whole reply parsed with math-verify's default extraction (LaTeX and
  plain expressions, any match), then `verify(gold, reply)`. No last-\\boxed{} choice, no last-number
  fallback, no text comparison: what math-verify finds is the answer.
- `grade_choice_simple_evals`: simple-evals (openai/simple-evals, gpqa_eval.py with common.py's
  ANSWER_PATTERN_MULTICHOICE): the *first* "Answer: X" (case-insensitive "Answer", optional `$`
  around the letter), the letter compared as written with the correct one. simple-evals' pattern
  allows A-D (four options); an item with more options allows its own letters.

orbench's lenient graders (`graders.grade_math`, `graders.grade_reasoning`, the benchmarks' own) read
more chat formatting; a run uses them only with `--grading lenient` (see docs/benchmarks-grading.md).
"""

from __future__ import annotations

import re
import threading

from . import GradeContext, Score
from .graders import Item
from .versions import versioned

LETTERS = "ABCDEFGHIJ"


def _timeout() -> int | None:
    """math-verify's own time limit (5 s), which uses SIGALRM: only on the main thread; elsewhere none."""
    return 5 if threading.current_thread() is threading.main_thread() else None


def math_verify_parse(text: str) -> list:
    """math-verify's parse with its default extraction (LaTeX, then plain expressions, any match)."""
    from math_verify import parse

    return parse(text, parsing_timeout=_timeout())


@versioned("math-verify-1")
def grade_math_verify(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """math-verify alone: the reply's answer as math-verify extracts it, verified against `$gold$`."""
    from math_verify import verify

    found = math_verify_parse(text)
    if not found:
        return Score(extracted=None, correct=False, detail="no answer found (math-verify extracted nothing)")
    gold = math_verify_parse(f"${item.answer or ''}$")
    if not gold:
        return Score(extracted=str(found[-1])[:200], correct=False, status="error",
                     detail=f"math-verify cannot parse the gold answer {item.answer!r}")
    extracted = str(found[1] if len(found) > 1 else found[0])[:200]
    return Score(extracted=extracted, correct=bool(verify(gold, found, timeout_seconds=_timeout())))


def simple_evals_letter(text: str, letters: str = "ABCD") -> str | None:
    """The letter after the first "Answer:" (simple-evals' ANSWER_PATTERN_MULTICHOICE for `letters`)."""
    match = re.search(rf"(?i)Answer[ \t]*:[ \t]*\$?([{letters}])\$?", text)
    return match.group(1) if match else None


@versioned("choice-simple-evals-1")
def grade_choice_simple_evals(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """simple-evals' multiple-choice rule: the first "Answer: X", X compared with the correct letter."""
    letters = LETTERS[:max(4, len(item.choices or ()))]
    letter = simple_evals_letter(text, letters)
    if letter is None:
        return Score(extracted=None, correct=False, detail="no 'Answer: X' line found")
    return Score(extracted=letter, correct=letter == item.answer)

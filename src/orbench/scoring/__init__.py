"""Grading: turn (item, reply) into a Score. Extraction and checks are pure; code runs in the sandbox."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ..sandbox import Limits, run_python
from ..suites.items import Item
from .check import math_equal, short_answer_equal
from .extract import extract_choice, extract_code, extract_math_answer, extract_short_answer


class Score(BaseModel):
    extracted: str | None
    correct: bool
    status: Literal["ok", "error"] = "ok"
    detail: str = ""
    isolation: str | None = None


def score(kind: str, item: Item, answer_text: str, limits: Limits = Limits()) -> Score:
    if kind == "math":
        return score_math(item, answer_text)
    if kind == "code":
        return score_code(item, answer_text, limits)
    return score_reasoning(item, answer_text)


def score_math(item: Item, text: str) -> Score:
    extracted = extract_math_answer(text)
    if extracted is None:
        return Score(extracted=None, correct=False, detail="no answer found")
    return Score(extracted=extracted, correct=math_equal(item.answer or "", extracted))


def score_reasoning(item: Item, text: str) -> Score:
    if item.choices:
        letter = extract_choice(text, item.choices)
        if letter is None:
            return Score(extracted=None, correct=False, detail="no choice letter found")
        return Score(extracted=letter, correct=letter == item.answer)
    extracted = extract_short_answer(text)
    if extracted is None:
        return Score(extracted=None, correct=False, detail="no answer found")
    return Score(extracted=extracted[:200], correct=short_answer_equal(item.answer or "", extracted))


def score_code(item: Item, text: str, limits: Limits = Limits()) -> Score:
    program = extract_code(text, item.entry_point)
    if program is None:
        return Score(extracted=None, correct=False, detail="no code found")
    result = run_python(f"{program}\n\n\n{item.tests}\n", limits)
    if result.infra_error:
        return Score(extracted=program, correct=False, status="error", detail=result.reason,
                     isolation=result.isolation)
    return Score(extracted=program, correct=result.passed, detail=result.reason, isolation=result.isolation)

"""The graders suites are built from: answer verification, tests in the sandbox, exact answers.

A grader is `(item, answer_text, context) -> Score`; a suite names the one it uses.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

from . import GradeContext, Score
from .verify import math_equal, short_answer_equal
from .extract import extract_choice, extract_code, extract_math_answer, extract_short_answer
from .sandbox import run_calls, run_python
from .sandboxtypes import SandboxResult
from .versions import versioned


class Item(Protocol):
    """What a grader reads of an item (a suite's `Item` has these fields): grading knows the shape of
    an item, not the suites that make them, so imports run from suites to grading only."""

    @property
    def answer(self) -> str | None: ...
    @property
    def choices(self) -> list[str] | None: ...
    @property
    def entry_point(self) -> str | None: ...
    @property
    def tests(self) -> str | None: ...


Grader = Callable[[Item, str, GradeContext], Score]


@versioned("math-2")
def grade_math(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """The final answer (boxed, ####, "answer is", last number) checked with math-verify."""
    extracted = extract_math_answer(text)
    if extracted is None:
        return Score(extracted=None, correct=False, detail="no answer found")
    return Score(extracted=extracted, correct=math_equal(item.answer or "", extracted))


@versioned("reasoning-1")
def grade_reasoning(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """A choice letter for multiple-choice items, else a short exact answer after normalisation."""
    if item.choices:
        letter = extract_choice(text, item.choices)
        if letter is None:
            return Score(extracted=None, correct=False, detail="no choice letter found")
        return Score(extracted=letter, correct=letter == item.answer)
    extracted = extract_short_answer(text)
    if extracted is None:
        return Score(extracted=None, correct=False, detail="no answer found")
    return Score(extracted=extracted[:200], correct=short_answer_equal(item.answer or "", extracted))


@versioned("code-2", sandbox=True)
def grade_code(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """The function from the reply's code block, called by the item's tests through the call channel
    (the tests and the program in separate sandboxes; see `sandbox.run_calls`)."""
    program = extract_code(text, item.entry_point)
    if program is None:
        return Score(extracted=None, correct=False, detail="no code found")
    return call_tests(program, item.tests or "", context, entry=item.entry_point)


def call_tests(program: str, tests: str, context: GradeContext | None = None, prelude: str = "",
               entry: str | None = None, call_seconds: float | None = None,
               tests_config: dict[str, Any] | None = None) -> Score:
    """`tests` judge `program` from their own sandbox; an infrastructure failure is an error."""
    limits = (context or GradeContext()).sandbox
    return score(program, run_calls(program, tests, limits, prelude, entry, call_seconds, tests_config=tests_config))


def run_tests(extracted: str, script: str, context: GradeContext | None = None) -> Score:
    """Run `script` (the extracted program followed by its tests, or a harness around it) in the
    sandbox; a sandbox that could not run is an infrastructure error, not a wrong answer."""
    return score(extracted, run_python(script, (context or GradeContext()).sandbox))


def score(extracted: str, result: SandboxResult) -> Score:
    if result.infra_error:
        return Score(extracted=extracted, correct=False, status="error", detail=result.reason,
                     isolation=result.isolation)
    limit = result.limit if result.limit in ("time", "memory") and not result.passed else None
    return Score(extracted=extracted, correct=result.passed, detail=result.reason, isolation=result.isolation,
                 limit=limit)  # type: ignore[arg-type]

"""`orbench check-suite`: grade each item's own gold answer (or reference solution) with the suite's
grader. A loader or checker bug shows up as a share below 100%; for a benchmark this is the first
thing to run after pulling it."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from pydantic import BaseModel, Field

from ..grading import GradeContext, Score
from .data import DataProvenance
from .suite import Suite, select
from .items import Item


class Failure(BaseModel):
    item_id: str
    detail: str = Field(description="what the grader said about the gold reply")


class SuiteCheck(BaseModel):
    """How a suite's grader treats its own gold answers."""

    suite: str
    items: int
    checked: int = Field(description="items with a gold answer or reference solution")
    correct: int
    errors: int = Field(description="gold replies the grader could not run (infrastructure)")
    no_gold: int = Field(description="items without a gold answer (e.g. LiveCodeBench has no reference solutions)")
    failures: list[Failure]
    data: DataProvenance | None = None

    @property
    def share(self) -> float | None:
        return self.correct / self.checked if self.checked else None

    @property
    def passed(self) -> bool:
        return self.correct == self.checked and not self.errors


def check_suite(suite: Suite, seed: int = 0, limit: int | None = None, context: GradeContext | None = None,
                workers: int | None = None) -> SuiteCheck:
    """Grade every item's gold reply; code runs in the sandbox, several programs at a time."""
    items = select(suite.load(seed), limit, seed)
    context = context or GradeContext()

    def grade(item: Item) -> tuple[Item, Score | None]:
        reply = suite.gold(item)
        return item, None if reply is None else suite.grade(item, reply, context)

    with ThreadPoolExecutor(max_workers=workers or max(1, os.cpu_count() or 1)) as pool:
        graded = list(pool.map(grade, items))
    scores = [(item, score) for item, score in graded if score is not None]
    failures = [Failure(item_id=item.id, detail=score.detail or f"extracted {score.extracted!r}")
                for item, score in scores if not (score.status == "ok" and score.correct)]
    return SuiteCheck(suite=suite.name, items=len(items), checked=len(scores),
                      correct=sum(s.status == "ok" and s.correct for _, s in scores),
                      errors=sum(s.status == "error" for _, s in scores), no_gold=len(items) - len(scores),
                      failures=failures, data=suite.provenance())

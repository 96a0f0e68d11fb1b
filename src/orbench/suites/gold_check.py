"""`orbench check-suite`: grade each item's own gold answer (or reference solution) with the suite's
grader. A loader or checker bug shows up as a share below 100%; for a benchmark this is the first
thing to run after pulling it. `--strict` also grades, for the text benchmarks, each gold answer in
chat markup and the suite's reply set (suites.replysets: tricky right and wrong replies with the
reference harness's verdicts), so a loader or grader change that breaks agreement fails."""

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
    limit: str | None = Field(default=None, description="'time' or 'memory': the gold solution failed because that "
                              "limit stopped it (a limit too tight for the item, or a machine too loaded)")


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
    strict_checked: int = Field(default=0, description="--strict: formatted golds and reply-set replies graded")
    strict_failures: list[Failure] = Field(default_factory=list, description="--strict: replies graded otherwise "
                                           "than intended")

    @property
    def share(self) -> float | None:
        return self.correct / self.checked if self.checked else None

    @property
    def limit_failures(self) -> int:
        """Gold solutions that failed because a time or memory limit stopped them."""
        return sum(1 for f in self.failures if f.limit)

    @property
    def passed(self) -> bool:
        return self.correct == self.checked and not self.errors and not self.strict_failures


def check_suite(suite: Suite, seed: int = 0, limit: int | None = None, context: GradeContext | None = None,
                workers: int | None = None, strict: bool = False) -> SuiteCheck:
    """Grade every item's gold reply; code runs in the sandbox, several programs at a time. `strict`
    adds the formatted golds and the reply set of a text benchmark (see `_strict`)."""
    items = select(suite.load(seed), limit, seed)
    context = context or GradeContext()

    def grade(item: Item) -> tuple[Item, Score | None]:
        reply = suite.gold(item)
        return item, None if reply is None else suite.grade(item, reply, context)

    if suite.executes_code:
        with ThreadPoolExecutor(max_workers=workers or max(1, os.cpu_count() or 1)) as pool:
            graded = list(pool.map(grade, items))
    else:  # on this thread: math-verify's time limit uses signals, which need the main thread
        graded = [grade(item) for item in items]
    scores = [(item, score) for item, score in graded if score is not None]
    failures = [Failure(item_id=item.id, detail=score.detail or f"extracted {score.extracted!r}", limit=score.limit)
                for item, score in scores if not (score.status == "ok" and score.correct)]
    checked, strict_failures = _strict(suite, [item for item, _ in scores]) if strict else (0, [])
    return SuiteCheck(suite=suite.name, items=len(items), checked=len(scores),
                      correct=sum(s.status == "ok" and s.correct for _, s in scores),
                      errors=sum(s.status == "error" for _, s in scores), no_gold=len(items) - len(scores),
                      failures=failures, data=suite.provenance(), strict_checked=checked,
                      strict_failures=strict_failures)


def _strict(suite: Suite, items: list[Item]) -> tuple[int, list[Failure]]:
    """Each item's gold answer in chat markup (must pass) and the suite's reply set (each reply must get
    its intended verdict): how many were graded, and the failures."""
    from .replysets import SETS, formatted_golds, reply_set_failures

    if suite.reply_set is None:
        return 0, []
    failures, checked = [], 0
    for item in items:
        for reply in formatted_golds(suite.reply_set, item.answer or "", suite.grading):
            checked += 1
            score = suite.grade(item, reply, GradeContext())
            if not (score.status == "ok" and score.correct):
                detail = f"gold in markup {reply!r}: extracted {score.extracted!r}"
                failures.append(Failure(item_id=item.id, detail=detail))
    failures += [Failure(item_id=f"reply-set:{key}", detail=detail) for key, detail in reply_set_failures(suite)]
    return checked + len(SETS[suite.reply_set].replies), failures

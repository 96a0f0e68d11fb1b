"""Grading: a reply to an item becomes a Score.

`extract` pulls the graded part out of a reply, `verify` decides whether it is right (both pure
functions on strings), `graders` combines them per kind of item, and `sandbox` runs model-written
code outside the orbench process. A suite names its grader; nothing here dispatches on a kind.

May import: the shared top-level modules only. An item is read through the `graders.Item` protocol,
so grading does not import suites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from .sandboxtypes import Limits


class Score(BaseModel):
    """The verdict on one reply."""

    extracted: str | None
    correct: bool
    status: Literal["ok", "error"] = "ok"
    detail: str = ""
    isolation: str | None = None
    limit: Literal["time", "memory"] | None = None  # a failed program was stopped by a time or memory limit


@dataclass(frozen=True)
class GradeContext:
    """What a grader may need besides the item and the reply: how to run code."""

    sandbox: Limits = field(default_factory=Limits)

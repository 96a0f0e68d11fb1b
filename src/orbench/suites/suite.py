"""The `Suite` object (load, render, grade, and what describes its data), the gold reply a perfect
model would give, and the seeded subset and hash of a suite's items."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Callable, Literal

from ..errors import OrbenchError
from .items import Item

if TYPE_CHECKING:
    from ..store.catalog import Generation
    from ..grading import GradeContext, Score
    from .data import DataProvenance, DataSource

Kind = Literal["math", "code", "reasoning"]
GradingProtocol = Literal["reference", "lenient"]
GRADING_PROTOCOLS: tuple[str, ...] = ("reference", "lenient")
Messages = list[dict[str, str]]


@dataclass(frozen=True)
class Suite:
    """One suite and its behaviour. `kind` is the area it measures, shown in tables; it selects nothing."""

    name: str
    kind: Kind
    description: str
    load: Callable[[int], list[Item]]  # seed -> items (only generated suites use the seed)
    render: Callable[[Item, "Generation"], Messages]
    grade: Callable[[Item, str, "GradeContext"], "Score"]
    source: str  # where the items come from, e.g. "prompts/math" or "generated (seeded)"
    license: str = ""
    seeded: bool = False  # the items depend on the seed
    data: "DataSource | None" = None  # a benchmark's pinned Hub data (None: the items ship with orbench)
    provenance: Callable[[], "DataProvenance | None"] = field(default=lambda: None)  # what load() read
    protocol: str = ""  # the reference harness followed (prompt, extraction, metric)
    size: int | None = None  # items in the full benchmark, for listing before the data is on disk
    quote_items: bool = True  # False: reports must not quote items (the dataset's terms ask so)
    dated: bool = False  # items carry extra["date"], so --since/--until can pick a window
    gold: Callable[[Item], "str | None"] = field(default=lambda item: gold_reply(item))  # a perfect reply
    runs_code: bool | None = None  # the grader runs model-written code (default: kind == "code")
    reply_set: str | None = None  # the set of tricky replies `check-suite --strict` grades (suites.replysets)
    # The grader of the other protocol (`graded_as` swaps it with `grade`): a benchmark's lenient grader;
    # None: the suite grades alike under both.
    alternate: "Callable[[Item, str, GradeContext], Score] | None" = None
    grading: GradingProtocol = "reference"  # the protocol `grade` follows

    @property
    def executes_code(self) -> bool:
        """Its grading runs programs in the sandbox: graded in the pool, and --sandbox applies."""
        return self.kind == "code" if self.runs_code is None else self.runs_code

    @property
    def grader_version(self) -> str | None:
        """The version of the grader's code (see `orbench.grading.versions`); None when unversioned."""
        from ..grading.versions import version_of

        return version_of(self.grade)

    def graded_as(self, protocol: str) -> "Suite":
        """The suite under a grading protocol: "reference" (the default: the reference harness's answer
        rule as it is) or "lenient" (orbench's reading of more chat formatting, where the suite has one;
        its grader carries its own version, so runs graded either way are never compared)."""
        if protocol not in GRADING_PROTOCOLS:
            raise OrbenchError(f"--grading takes one of {', '.join(GRADING_PROTOCOLS)}, got '{protocol}'")
        if protocol == self.grading or self.alternate is None:
            return self
        return replace(self, grade=self.alternate, alternate=self.grade, grading=protocol)  # type: ignore[arg-type]

    def windowed(self, since: date | None, until: date | None) -> "Suite":
        """The suite restricted to items dated within [since, until] (contest dates, say)."""
        if since is None and until is None:
            return self
        if not self.dated:
            raise OrbenchError(f"suite '{self.name}' has no dates; --since/--until apply to dated suites only")
        load = self.load

        def within(seed: int) -> list[Item]:
            kept = [i for i in load(seed) if _in_window(i, since, until)]
            if not kept:
                raise OrbenchError(f"suite '{self.name}' has no items dated between {since or '…'} and {until or '…'}")
            return kept

        return replace(self, load=within, description=f"{self.description} [{since or '…'} to {until or '…'}]")


def _in_window(item: Item, since: date | None, until: date | None) -> bool:
    day = date.fromisoformat(str((item.extra or {}).get("date", ""))[:10])
    return (since is None or day >= since) and (until is None or day <= until)


def gold_reply(item: Item) -> str | None:
    """What a perfect reply to `item` looks like, for `orbench check-suite`: the reference solution in a
    code block, the answer line, or the boxed answer; None when the item has no gold."""
    if item.tests is not None:
        return code_gold(item)
    if item.choices is not None or item.kind == "reasoning":
        return answer_line_gold(item)
    return boxed_gold(item)


def code_gold(item: Item) -> str | None:
    return f"```python\n{item.reference}\n```" if item.reference else None


def answer_line_gold(item: Item) -> str | None:
    return f"Let me work through it.\nAnswer: {item.answer}"


def boxed_gold(item: Item) -> str | None:
    return f"The final answer is $\\boxed{{{item.answer}}}$."


def select(items: list[Item], limit: int | None, seed: int) -> list[Item]:
    """A deterministic subset: all items when `limit` is None, else a seeded sample kept in file order."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        raise OrbenchError("--limit must be a positive number")
    keep = set(random.Random(seed).sample(range(len(items)), limit))
    return [item for i, item in enumerate(items) if i in keep]


def prompt_set_hash(items: list[Item]) -> str:
    canonical = json.dumps([i.canonical() for i in sorted(items, key=lambda i: i.id)],
                           sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

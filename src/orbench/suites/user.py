"""A user's own items as suites: `orbench run -s path/to/items.jsonl` (or a folder of .jsonl files).

The items use the documented item format (`suites/items.py`). Each item's `suite` field names its
suite: a file or a folder gives one suite per distinct name, in the order they first appear (so a
folder whose files all say `"suite": "mine"` is one suite, and files with different names are
several). A suite may mix kinds: each item is put to the model and graded by its own kind (items
with `tests` are code, items with `choices` are reasoning, other items say `"kind": "math"` or
`"kind": "reasoning"`); the suite's `kind`, shown in tables, is its most common one.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Collection, cast

from ..errors import OrbenchError
from ..grading.graders import grade_code, grade_math, grade_reasoning
from .suite import Kind, Suite
from .items import Item, load_items
from .templates import render_code, render_math, render_reasoning

if TYPE_CHECKING:
    from ..grading import GradeContext, Score
    from ..store.catalog import Generation
    from .suite import Messages

_BEHAVIOUR = {"math": (render_math, grade_math), "code": (render_code, grade_code),
              "reasoning": (render_reasoning, grade_reasoning)}


def item_kind(item: Item) -> Kind | None:
    if item.tests is not None:
        return "code"
    if item.choices is not None:
        return "reasoning"
    return item.kind


def user_suites(path: Path, reserved: Collection[str] = ()) -> list[Suite]:
    """The suites in a .jsonl file or a folder of them, one per `suite` name; none may be one of the
    `reserved` names (the built-in suites')."""
    if not path.exists():
        raise OrbenchError(f"suite file or folder not found: {path}")
    items = load_items(path, one_suite=False)
    by_name: dict[str, list[Item]] = {}
    for item in items:
        by_name.setdefault(item.suite, []).append(item)
    for name in by_name:
        if name in reserved:
            raise OrbenchError(f"{path}: the items say suite '{name}', the name of a built-in suite",
                               hint="give your items another suite name")
    bare = next((i for i in items if i.answer is None and i.tests is None), None)
    if bare is not None:
        raise OrbenchError(f"{path}: item '{bare.id}' has neither an answer nor tests")
    untyped = next((i for i in items if item_kind(i) is None), None)
    if untyped is not None:
        raise OrbenchError(f"{path}: item '{untyped.id}' has neither tests nor choices and no kind",
                           hint='add "kind": "math" (answer verification) or "kind": "reasoning" (exact answer)')
    return [_suite(name, members, path) for name, members in by_name.items()]


def user_suite(path: Path, reserved: Collection[str] = ()) -> Suite:
    """The one suite in a .jsonl file or folder (an error naming them when it holds several)."""
    suites = user_suites(path, reserved)
    if len(suites) > 1:
        raise OrbenchError(f"{path} holds {len(suites)} suites ({', '.join(s.name for s in suites)})",
                           hint="name one of its files, or give the path to -s, which runs each")
    return suites[0]


def _suite(name: str, items: list[Item], path: Path) -> Suite:
    kinds = Counter(cast(Kind, item_kind(i)) for i in items)
    if len(kinds) == 1:
        kind = next(iter(kinds))
        render, grade = _BEHAVIOUR[kind]
        return Suite(name, kind, f"user suite from {path}", lambda seed: items, render, grade,
                     source=str(path), license="user's own")
    mixed = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
    return Suite(name, kinds.most_common(1)[0][0], f"user suite from {path} ({mixed})", lambda seed: items,
                 _render_by_kind, _grade_by_kind, source=str(path), license="user's own", runs_code="code" in kinds)


def _render_by_kind(item: Item, generation: "Generation") -> "Messages":
    return _BEHAVIOUR[cast(Kind, item_kind(item))][0](item, generation)


def _grade_by_kind(item: Item, reply: str, context: "GradeContext") -> "Score":
    return _BEHAVIOUR[cast(Kind, item_kind(item))][1](item, reply, context)

"""A user's own items as a suite: `orbench run -s path/to/items.jsonl` (or a folder of .jsonl files).

The items use the documented item format (`suites/items.py`). How they are graded follows from
them: items with `tests` are code, items with `choices` are reasoning, and other items say
`"kind": "math"` or `"kind": "reasoning"`. All items of one suite are graded the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection, cast

from ..errors import OrbenchError
from ..grading.graders import grade_code, grade_math, grade_reasoning
from .suite import Kind, Suite
from .items import Item, load_items
from .templates import render_code, render_math, render_reasoning

_BEHAVIOUR = {"math": (render_math, grade_math), "code": (render_code, grade_code),
              "reasoning": (render_reasoning, grade_reasoning)}


def item_kind(item: Item) -> Kind | None:
    if item.tests is not None:
        return "code"
    if item.choices is not None:
        return "reasoning"
    return item.kind


def user_suite(path: Path, reserved: Collection[str] = ()) -> Suite:
    """The suite in a .jsonl file or a folder of them; its name is the items' `suite` field, which may
    not be one of the `reserved` names (the built-in suites')."""
    if not path.exists():
        raise OrbenchError(f"suite file or folder not found: {path}")
    items = load_items(path)
    if items[0].suite in reserved:
        raise OrbenchError(f"{path}: the items say suite '{items[0].suite}', the name of a built-in suite",
                           hint="give your items another suite name")
    bare = next((i for i in items if i.answer is None and i.tests is None), None)
    if bare is not None:
        raise OrbenchError(f"{path}: item '{bare.id}' has neither an answer nor tests")
    kinds = {item_kind(i) for i in items}
    if None in kinds:
        first = next(i for i in items if item_kind(i) is None)
        raise OrbenchError(f"{path}: item '{first.id}' has neither tests nor choices and no kind",
                           hint='add "kind": "math" (answer verification) or "kind": "reasoning" (exact answer)')
    if len(kinds) > 1:
        raise OrbenchError(f"{path}: items of several kinds ({', '.join(sorted(k for k in kinds if k))}); "
                           "put each kind in its own file")
    kind = cast(Kind, kinds.pop())
    render, grade = _BEHAVIOUR[kind]
    return Suite(items[0].suite, kind, f"user suite from {path}", lambda seed: items, render, grade,
                 source=str(path), license="user's own")

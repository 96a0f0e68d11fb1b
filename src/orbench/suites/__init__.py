"""Suites: a named set of items, how each is put to a model, and how its reply is graded.

A `Suite` is one object that carries its behaviour: `load` (seed -> items), `render` (item ->
chat messages) and `grade` (item, reply -> Score). orbench's own suites are defined in
`builtin.py`; a user's JSONL file or folder becomes a suite through `user.py`. Nothing else
keeps a table keyed by suite or kind: adding a suite means adding one object.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

from ..errors import OrbenchError
from ..units import split_csv
from .items import Item

if TYPE_CHECKING:
    from ..catalog import Generation
    from ..grading import GradeContext, Score

Kind = Literal["math", "code", "reasoning"]
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


_REGISTRY: dict[str, Suite] = {}


def all_suites() -> dict[str, Suite]:
    """Every named suite, in listing order."""
    if not _REGISTRY:
        from .builtin import BUILTIN

        _REGISTRY.update((s.name, s) for s in BUILTIN)
    return _REGISTRY


def get_suite(name: str) -> Suite:
    """A suite by name, or a user's suite from a path to a .jsonl file or a folder of them."""
    name = name.strip()
    suites = all_suites()
    if name in suites:
        return suites[name]
    if name.endswith(".jsonl") or "/" in name or Path(name).is_dir():
        from .user import user_suite

        return user_suite(Path(name))
    raise OrbenchError(f"unknown suite '{name}'",
                       hint=f"known suites: {', '.join(suites)}; or a path to a .jsonl file or folder")


def parse_suites(text: str | list[str]) -> list[Suite]:
    names = split_csv(text)
    if not names:
        raise OrbenchError("no suite given", hint=f"known suites: {', '.join(all_suites())}")
    return [get_suite(n) for n in names]


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


def describe(suite: Suite, seed: int = 0) -> dict[str, Any]:
    items = suite.load(seed)
    return {
        "name": suite.name, "kind": suite.kind, "description": suite.description, "items": len(items),
        "source": suite.source + (f" (seed {seed})" if suite.seeded else ""), "license": suite.license,
        "categories": dict(sorted(Counter(i.category for i in items).items())),
        "difficulties": dict(sorted(Counter(i.difficulty for i in items).items())),
    }

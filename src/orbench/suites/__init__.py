"""Suites: a named set of items, how each is put to a model, and how its reply is graded.

A `Suite` is one object that carries its behaviour: `load` (seed -> items), `render` (item ->
chat messages) and `grade` (item, reply -> Score). orbench's own suites are defined in
`builtin.py`, the public benchmarks in `benchmarks/` (one module each), and a user's JSONL file
or folder becomes a suite through `user.py`. Nothing else keeps a table keyed by suite or kind:
adding a suite means adding one object.

May import: grading, store (the catalog's generation settings, for typing) and the shared top-level
modules. Not backends, run or anything above.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import OrbenchError
from ..units import did_you_mean, split_csv
from .suite import (Kind, Messages, Suite, answer_line_gold, boxed_gold, code_gold, gold_reply, prompt_set_hash,
                    select)

__all__ = ["Kind", "Messages", "Suite", "all_suites", "answer_line_gold", "boxed_gold", "code_gold", "describe",
           "get_suite", "gold_reply", "parse_suites", "prompt_set_hash", "refuse_duplicate_names", "select"]

_REGISTRY: dict[str, Suite] = {}


def all_suites() -> dict[str, Suite]:
    """Every named suite, in listing order."""
    if not _REGISTRY:
        from .benchmarks import BENCHMARKS
        from .builtin import BUILTIN

        _REGISTRY.update((s.name, s) for s in (*BUILTIN, *BENCHMARKS))
    return _REGISTRY


def get_suite(name: str) -> Suite:
    """A suite by name, or a user's suite from a path to a .jsonl file or a folder of them."""
    name = name.strip()
    suites = all_suites()
    if name in suites:
        return suites[name]
    if _is_path(name):
        from .user import user_suite

        return user_suite(Path(name), reserved=suites)
    raise OrbenchError(f"unknown suite '{name}'",
                       hint=f"{did_you_mean(name, list(suites))}known suites: {', '.join(suites)}; "
                            "or a path to a .jsonl file or folder")


def parse_suites(text: str | list[str]) -> list[Suite]:
    names = split_csv(text)
    if not names:
        raise OrbenchError("no suite given", hint=f"known suites: {', '.join(all_suites())}")
    out: list[Suite] = []
    for name in names:
        out += _user_paths(name) if name not in all_suites() and _is_path(name) else [get_suite(name)]
    refuse_duplicate_names(out)
    return out


def _is_path(name: str) -> bool:
    return name.endswith(".jsonl") or "/" in name or Path(name).is_dir()


def _user_paths(name: str) -> list[Suite]:
    """A path given to -s: every suite its items name (see suites/user.py)."""
    from .user import user_suites

    return user_suites(Path(name.strip()), reserved=all_suites())


def refuse_duplicate_names(suites: list[Suite]) -> None:
    """Two suites of one name would put the same sample ids into one run: refused, naming both."""
    first: dict[str, Suite] = {}
    for suite in suites:
        if suite.name in first:
            a, b = first[suite.name].source, suite.source
            raise OrbenchError(f"two suites are named '{suite.name}' ({a} and {b})" if a != b else
                               f"suite '{suite.name}' is given twice", hint="each suite of a run needs its own name")
        first[suite.name] = suite


def describe(suite: Suite, seed: int = 0) -> dict[str, Any]:
    """A suite for listing: counts per category and difficulty, and whether its data is on disk (a
    benchmark whose data is not yet pulled is listed with its published size, without loading)."""
    from .data import availability

    where = "orbench" if suite.data is None else availability(suite.data)
    loaded = where in ("orbench", "hub cache")  # listing never downloads anything
    items = suite.load(seed) if loaded else []
    return {
        "name": suite.name, "kind": suite.kind, "description": suite.description,
        "items": len(items) if loaded else suite.size,
        "source": suite.source + (f" (seed {seed})" if suite.seeded else ""), "license": suite.license,
        "on_disk": where is not None, "available_from": where, "protocol": suite.protocol,
        "categories": dict(sorted(Counter(i.category for i in items).items())),
        "difficulties": dict(sorted(Counter(i.difficulty for i in items).items())),
    }

"""What the benchmark modules share: reading a pinned source into rows, building the Suite, and the
small conversions several benchmarks need (difficulty buckets, seeded choice shuffles)."""

from __future__ import annotations

import hashlib
import random
from typing import Any, Callable

from ...errors import OrbenchError
from ..data import DataSource, Row, fetch, provenance, read_rows
from ..suite import Kind, Suite
from ..items import Difficulty, Item

Letters = "ABCDEFGHIJ"


def rows(source: DataSource, name: str, paths: list[str] | None = None) -> list[tuple[str, Row]]:
    """(file path, row) for every row of the source's files (or of `paths`), fetched and checked."""
    fetched = fetch(source, name)
    return [(f.path, row) for f in source.files if paths is None or f.path in paths
            for row in read_rows(fetched.paths[f.path], f.path)]


def field(row: Row, *names: str, where: str) -> Any:
    """The first of `names` present in `row`; a row without any is an error naming the file and fields."""
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    raise OrbenchError(f"{where}: a row has no field {' or '.join(repr(n) for n in names)} "
                       f"(fields: {', '.join(sorted(row))[:200]})")


def difficulty(text: str, default: Difficulty = "medium") -> Difficulty:
    """A dataset's own easy/medium/hard label, else `default`."""
    word = text.strip().lower()
    return "easy" if word == "easy" else "hard" if word == "hard" else "medium" if word == "medium" else default


def benchmark(name: str, kind: Kind, description: str, source: DataSource, load: Callable[[int], list[Item]],
              render: Callable[..., Any], grade: Callable[..., Any], size: int, protocol: str, **extra: Any) -> Suite:
    """A Suite for a benchmark whose data is `source`: listed with its licence, repo and commit."""
    where = f"{source.repo}@{source.revision[:12]}" if source.revision else f"{source.repo} (commit pinned on first pull)"
    return Suite(name, kind, description, load, render, grade, source=f"hf:{where}", license=source.license,
                 data=source, provenance=lambda: provenance(source), protocol=protocol, size=size, **extra)


def shuffled_choices(correct: str, wrong: list[str], seed: int, item_id: str) -> tuple[list[str], str]:
    """The options in an order drawn from the run seed and the item id (never one global permutation),
    and the letter the correct one landed on."""
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).digest()
    order = [correct, *wrong]
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return order, Letters[order.index(correct)]


def by_steps(steps: int, easy: int, hard: int) -> Difficulty:
    """easy up to `easy` steps, hard from `hard`, medium between."""
    return "easy" if steps <= easy else "hard" if steps >= hard else "medium"

"""Seeded generators: fresh items with exactly computed answers, the same for the same seed.

Each generator module exposes `CATEGORIES` and `generate(seed, n) -> list[Item]`. Items carry
`source = "generator:<name>/seed=<seed>"`, so a result always says where its items came from.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Sequence

from ..items import Item

DEFAULT_COUNT = 40


def source(name: str, seed: int) -> str:
    return f"generator:{name}/seed={seed}"


def round_robin(name: str, suite: str, seed: int, n: int,
                makers: Sequence[Callable[[random.Random], dict[str, Any]]]) -> list[Item]:
    """Call the makers in turn with one seeded Random; a duplicate prompt is dropped and the next maker goes on."""
    rng = random.Random(f"{name}:{seed}")
    items: list[Item] = []
    seen: set[str] = set()
    attempts = 0
    while len(items) < n:
        attempts += 1
        if attempts > 50 * n:
            raise RuntimeError(f"{name}: could not make {n} distinct items")
        fields = makers[(attempts - 1) % len(makers)](rng)
        if fields["prompt"] in seen:
            continue
        seen.add(fields["prompt"])
        items.append(Item(id=f"{name}-s{seed}-{len(items) + 1:03d}", suite=suite, source=source(name, seed), **fields))
    return items

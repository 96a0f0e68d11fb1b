"""Suites: a named set of items, how each is put to the model, and how its reply is graded.

A suite is data (items from `prompts/<suite>/*.jsonl`) plus two pure functions chosen by its
kind: `render` (item -> chat messages) and the scorer in `orbench.scoring`.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Literal

from ..catalog import Generation
from ..errors import OrbenchError
from ..paths import prompts_dir
from .generators import DEFAULT_COUNT, code_gen, math_gen, reasoning_gen
from .items import Item, load_items
from .templates import render_code, render_math, render_reasoning

Kind = Literal["math", "code", "reasoning"]


@dataclass(frozen=True)
class Suite:
    name: str
    kind: Kind
    description: str
    load: Callable[[int], list[Item]]  # seed -> items; file suites ignore the seed

    def render(self, item: Item, generation: Generation) -> list[dict[str, str]]:
        return RENDERERS[self.kind](item, generation)


RENDERERS = {"math": render_math, "code": render_code, "reasoning": render_reasoning}


def _from_prompts(name: str) -> Callable[[int], list[Item]]:
    return lambda seed: load_items(prompts_dir() / name, suite=name)


def _from_generator(module) -> Callable[[int], list[Item]]:
    return lambda seed: module.generate(seed, DEFAULT_COUNT)


SUITES: dict[str, Suite] = {
    "math": Suite("math", "math", "original math problems, graded by answer verification", _from_prompts("math")),
    "code": Suite("code", "code", "original function-writing tasks, graded by tests in a sandbox", _from_prompts("code")),
    "reasoning": Suite("reasoning", "reasoning", "original natural-language reasoning, exact answers",
                       _from_prompts("reasoning")),
    "math-gen": Suite("math-gen", "math", f"{DEFAULT_COUNT} seeded items: " + ", ".join(math_gen.CATEGORIES),
                      _from_generator(math_gen)),
    "code-gen": Suite("code-gen", "code", f"{DEFAULT_COUNT} seeded tasks with generated tests: "
                      + ", ".join(code_gen.CATEGORIES), _from_generator(code_gen)),
    "reasoning-gen": Suite("reasoning-gen", "reasoning", f"{DEFAULT_COUNT} seeded puzzles with one solution: "
                           + ", ".join(reasoning_gen.CATEGORIES), _from_generator(reasoning_gen)),
}


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name.strip()]
    except KeyError:
        raise OrbenchError(f"unknown suite '{name}'", hint=f"known suites: {', '.join(SUITES)}") from None


def parse_suites(text: str) -> list[Suite]:
    names = [n for n in (part.strip() for part in text.split(",")) if n]
    if not names:
        raise OrbenchError("no suite given", hint=f"known suites: {', '.join(SUITES)}")
    return [get_suite(n) for n in dict.fromkeys(names)]


def select(items: list[Item], limit: int | None, seed: int) -> list[Item]:
    """A deterministic subset: all items when `limit` is None, else a seeded sample kept in file order."""
    if limit is None or limit >= len(items):
        return list(items)
    if limit <= 0:
        raise OrbenchError("--limit must be a positive number")
    keep = set(random.Random(seed).sample(range(len(items)), limit))
    return [item for i, item in enumerate(items) if i in keep]


def prompt_set_hash(items: list[Item]) -> str:
    canonical = json.dumps([i.model_dump(mode="json") for i in sorted(items, key=lambda i: i.id)],
                           sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def describe(suite: Suite, seed: int = 0) -> dict:
    items = suite.load(seed)
    return {
        "name": suite.name, "kind": suite.kind, "description": suite.description, "items": len(items),
        "source": "generated (seed %d)" % seed if suite.name.endswith("-gen") else "prompts/" + suite.name,
        "categories": dict(sorted(Counter(i.category for i in items).items())),
        "difficulties": dict(sorted(Counter(i.difficulty for i in items).items())),
    }

"""orbench's own suites: the prompt sets in `prompts/` and the seeded generators."""

from __future__ import annotations

from types import ModuleType
from typing import Callable

from ..grading.graders import grade_code, grade_math, grade_reasoning
from ..paths import prompts_dir
from .suite import Suite, answer_line_gold
from .generators import DEFAULT_COUNT, code_gen, math_gen, reasoning_gen
from .items import Item, load_items
from .templates import render_code, render_math, render_reasoning

OWN = "Apache-2.0 (orbench)"


def _from_prompts(name: str) -> Callable[[int], list[Item]]:
    return lambda seed: load_items(prompts_dir() / name, suite=name)


def _from_generator(module: ModuleType) -> Callable[[int], list[Item]]:
    return lambda seed: module.generate(seed, DEFAULT_COUNT)


def _generated(module: ModuleType) -> str:
    return f"{DEFAULT_COUNT} seeded items: " + ", ".join(module.CATEGORIES)


BUILTIN = (
    Suite("math", "math", "original math problems, graded by answer verification", _from_prompts("math"),
          render_math, grade_math, source="prompts/math", license=OWN),
    Suite("code", "code", "original function-writing tasks, graded by tests in a sandbox", _from_prompts("code"),
          render_code, grade_code, source="prompts/code", license=OWN),
    Suite("reasoning", "reasoning", "original natural-language reasoning, exact answers", _from_prompts("reasoning"),
          render_reasoning, grade_reasoning, source="prompts/reasoning", license=OWN, gold=answer_line_gold),
    Suite("math-gen", "math", _generated(math_gen), _from_generator(math_gen), render_math, grade_math,
          source="generated", license=OWN, seeded=True),
    Suite("code-gen", "code", f"{DEFAULT_COUNT} seeded tasks with generated tests: " + ", ".join(code_gen.CATEGORIES),
          _from_generator(code_gen), render_code, grade_code, source="generated", license=OWN, seeded=True),
    Suite("reasoning-gen", "reasoning", f"{DEFAULT_COUNT} seeded puzzles with one solution: "
          + ", ".join(reasoning_gen.CATEGORIES), _from_generator(reasoning_gen), render_reasoning, grade_reasoning,
          source="generated", license=OWN, seeded=True, gold=answer_line_gold),
)

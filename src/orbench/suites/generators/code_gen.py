"""code-gen: small parameterised function tasks with generated test cases.

Each template is a task with a parameter (a divisor, a shift, a base...), a reference solution
written here, and an input generator. The expected outputs of the tests are computed by running
the reference (orbench's own code, not a model's) on seeded random inputs plus edge cases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

from ..items import Item
from . import round_robin

NAME = "code-gen"
CATEGORIES = ["lists", "strings", "math"]


@dataclass(frozen=True)
class Template:
    category: str
    difficulty: str
    name: str  # may use {k}
    signature: str  # the parameter list
    doc: str  # may use {k}
    body: str  # reference body, may use {k}
    params: Callable[[random.Random], int]
    inputs: Callable[[random.Random], tuple]
    edge_cases: Callable[[int], list[tuple]]


def _ints(rng: random.Random, lo: int = -50, hi: int = 50, max_len: int = 10) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(rng.randint(0, max_len))]


def _text(rng: random.Random) -> str:
    words = ["sun", "a", "river", "stone", "at", "lighthouse", "owl", "quietly", "map", "to", "horizon", "ink"]
    return " ".join(rng.choice(words) for _ in range(rng.randint(0, 8)))


TEMPLATES = [
    Template("lists", "easy", "sum_divisible_by_{k}", "xs: list",
             "Return the sum of the integers in xs that are divisible by {k} (0 for an empty list).",
             "return sum(x for x in xs if x % {k} == 0)",
             lambda r: r.randint(2, 9), lambda r: (_ints(r),), lambda k: [([],), ([k],), ([1],)]),
    Template("lists", "medium", "rotate_left_{k}", "xs: list",
             "Return a new list holding xs rotated left by {k} positions; an empty list stays empty.",
             "if not xs:\n        return []\n    s = {k} % len(xs)\n    return xs[s:] + xs[:s]",
             lambda r: r.randint(1, 12), lambda r: (_ints(r, 0, 9),), lambda k: [([],), ([5],), ([1, 2],)]),
    Template("lists", "medium", "kth_smallest_distinct_{k}", "xs: list",
             "Return the {k}-th smallest distinct value in xs (1-based), or None if xs has fewer than {k} "
             "distinct values.",
             "values = sorted(set(xs))\n    return values[{k} - 1] if len(values) >= {k} else None",
             lambda r: r.randint(1, 6), lambda r: (_ints(r, 0, 12, 9),), lambda k: [([],), ([3, 3, 3],), ([2, 1],)]),
    Template("strings", "easy", "count_words_longer_than_{k}", "s: str",
             "Return how many whitespace-separated words in s have more than {k} characters.",
             "return sum(1 for w in s.split() if len(w) > {k})",
             lambda r: r.randint(1, 9), lambda r: (_text(r),), lambda k: [("",), ("   ",), ("abcdefghijk",)]),
    Template("strings", "medium", "upper_every_{k}th", "s: str",
             "Return s with every {k}-th character upper-cased, counting from 1 (characters {k}, 2*{k}, ...); "
             "other characters are unchanged.",
             "return ''.join(c.upper() if (i + 1) % {k} == 0 else c for i, c in enumerate(s))",
             lambda r: r.randint(2, 9), lambda r: (_text(r),), lambda k: [("",), ("ab",), ("hello world",)]),
    Template("math", "medium", "digit_sum_base_{k}", "n: int",
             "Return the sum of the digits of the non-negative integer n written in base {k}.",
             "total = 0\n    while n:\n        total += n % {k}\n        n //= {k}\n    return total",
             lambda r: r.randint(2, 9), lambda r: (r.randint(0, 10 ** r.randint(1, 6)),), lambda k: [(0,), (1,), (k,)]),
    Template("math", "hard", "count_multiples_of_{k}_with_digit_sum_even", "lo: int, hi: int",
             "Return how many integers m with lo <= m <= hi are multiples of {k} and have an even digit sum "
             "(digits of abs(m)). Return 0 when lo > hi.",
             "return sum(1 for m in range(lo, hi + 1) if m % {k} == 0 and sum(map(int, str(abs(m)))) % 2 == 0)",
             lambda r: r.randint(2, 13), lambda r: tuple(sorted((r.randint(-200, 400), r.randint(-200, 400)))),
             lambda k: [(5, 4), (0, 0), (-k, k)]),
]


def _reference(t: Template, k: int) -> tuple[str, str, Callable]:
    name = t.name.format(k=k)
    source = f"def {name}({t.signature}):\n    {t.body.format(k=k)}\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<code-gen {name}>", "exec"), namespace)  # orbench's own reference, not model output
    return name, source, namespace[name]


def make(template: Template, rng: random.Random) -> dict:
    k = template.params(rng)
    name, source, fn = _reference(template, k)
    cases = template.edge_cases(k) + [template.inputs(rng) for _ in range(6)]
    asserts = [f"assert {name}({', '.join(map(repr, args))}) == {fn(*args)!r}" for args in cases]
    if len({repr(fn(*args)) for args in cases}) < 2:
        return make(template, rng)  # tests that one constant passes are no tests
    doc = template.doc.format(k=k)
    prompt = (f"Write the complete Python function `{name}` described below. Use only the Python standard "
              f"library.\n\n```python\ndef {name}({template.signature}):\n    \"\"\"{doc}\"\"\"\n```")
    return dict(category=template.category, difficulty=template.difficulty, prompt=prompt, entry_point=name,
                reference=source, tests="\n".join(asserts) + "\n")


def generate(seed: int, n: int) -> list[Item]:
    makers = [lambda rng, t=t: make(t, rng) for t in TEMPLATES]
    return round_robin(NAME, "code-gen", seed, n, makers)

"""math-gen: arithmetic chains, linear equations, modular arithmetic, series and systems.

Answers are computed exactly with integers and fractions; they are written as integers or
LaTeX fractions, the forms math-verify parses.
"""

from __future__ import annotations

import random
from fractions import Fraction

from ..items import Item
from . import round_robin

NAME = "math-gen"
CATEGORIES = ["arithmetic-chain", "linear-equation", "modular-arithmetic", "arithmetic-series", "linear-system"]


def latex(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def arithmetic_chain(rng: random.Random) -> dict:
    start = rng.randint(5, 60)
    value = Fraction(start)
    steps = []
    for _ in range(rng.randint(3, 5)):
        op = rng.choice(["add", "subtract", "multiply", "divide"])
        if op == "divide":
            divisors = [d for d in range(2, 10) if value.numerator % d == 0 and value != 0]
            if not divisors:
                op = "add"
            else:
                d = rng.choice(divisors)
                value /= d
                steps.append(f"divide by {d}")
                continue
        k = rng.randint(2, 9) if op == "multiply" else rng.randint(3, 40)
        value = value * k if op == "multiply" else value + k if op == "add" else value - k
        steps.append({"add": f"add {k}", "subtract": f"subtract {k}", "multiply": f"multiply by {k}"}[op])
    prompt = f"Start with {start}. " + ", then ".join(s.capitalize() if i == 0 else s for i, s in enumerate(steps))
    return dict(category="arithmetic-chain", difficulty="easy", prompt=prompt + ". What number do you end with?",
                answer=latex(value))


def linear_equation(rng: random.Random) -> dict:
    a, c = rng.sample([k for k in range(-9, 10) if k not in (0,)], 2)
    b, d = rng.randint(-30, 30), rng.randint(-30, 30)
    x = Fraction(d - b, a - c)
    prompt = f"Solve for $x$: ${_term(a)}x {_signed(b)} = {_term(c)}x {_signed(d)}$."
    return dict(category="linear-equation", difficulty="medium" if x.denominator == 1 else "hard",
                prompt=prompt, answer=latex(x))


def modular_arithmetic(rng: random.Random) -> dict:
    base, exponent, modulus = rng.randint(2, 19), rng.randint(20, 400), rng.choice([7, 9, 11, 13, 17, 19, 23, 100])
    prompt = f"What is the remainder when ${base}^{{{exponent}}}$ is divided by ${modulus}$?"
    return dict(category="modular-arithmetic", difficulty="medium" if modulus < 20 else "hard", prompt=prompt,
                answer=str(pow(base, exponent, modulus)))


def arithmetic_series(rng: random.Random) -> dict:
    first, step, count = rng.randint(-20, 30), rng.randint(2, 12), rng.randint(8, 60)
    last = first + step * (count - 1)
    total = count * (first + last) // 2
    prompt = (f"What is the sum of the arithmetic sequence {first}, {first + step}, {first + 2 * step}, ..., {last}?")
    return dict(category="arithmetic-series", difficulty="medium", prompt=prompt, answer=str(total))


def linear_system(rng: random.Random) -> dict:
    while True:
        a, b, c, d = (rng.choice([k for k in range(-7, 8) if k]) for _ in range(4))
        if a * d - b * c != 0:
            break
    x, y = rng.randint(-9, 9), rng.randint(-9, 9)
    e, f = a * x + b * y, c * x + d * y
    ask = rng.choice(["x", "y", "x + y"])
    answer = {"x": x, "y": y, "x + y": x + y}[ask]
    prompt = (f"Given ${_term(a)}x {_signed_term(b)}y = {e}$ and ${_term(c)}x {_signed_term(d)}y = {f}$, "
              f"what is ${ask}$?")
    return dict(category="linear-system", difficulty="hard", prompt=prompt, answer=str(answer))


def _term(k: int) -> str:
    return {1: "", -1: "-"}.get(k, str(k))


def _signed(k: int) -> str:
    return f"+ {k}" if k >= 0 else f"- {-k}"


def _signed_term(k: int) -> str:
    return f"+ {_term(k) or ''}" if k > 0 else f"- {_term(-k) or ''}"


def generate(seed: int, n: int) -> list[Item]:
    return round_robin(NAME, "math-gen", seed, n,
                       [arithmetic_chain, linear_equation, modular_arithmetic, arithmetic_series, linear_system])

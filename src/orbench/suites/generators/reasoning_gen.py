"""reasoning-gen: boolean expressions, ordering puzzles, date arithmetic, knights and knaves.

Puzzles are built from a hidden solution and kept only when brute force over every candidate
(every ordering, every truth assignment) leaves exactly one; the solvers are public so tests can
check that again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from ..items import Item
from . import round_robin

NAME = "reasoning-gen"
CATEGORIES = ["boolean", "ordering", "calendar", "knights-knaves"]
NAMES = ["Ava", "Ben", "Cleo", "Dev", "Emil", "Fay", "Gus", "Hana", "Ivo", "Jun"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ORDINALS = ["tallest", "second tallest", "third tallest", "fourth tallest", "fifth tallest"]


# ---------------------------------------------------------------- boolean expressions

def _bool_expr(rng: random.Random, depth: int) -> tuple[str, bool]:
    if depth == 0:
        value = rng.random() < 0.5
        return str(value), value
    kind = rng.choice(["and", "or", "not"])
    if kind == "not":
        text, value = _bool_expr(rng, depth - 1)
        return (f"not {text}" if text.startswith("(") else f"not ({text})"), not value
    (lt, lv), (rt, rv) = _bool_expr(rng, depth - 1), _bool_expr(rng, rng.randint(0, depth - 1))
    return f"({lt} {kind} {rt})", (lv and rv) if kind == "and" else (lv or rv)


def boolean(rng: random.Random) -> dict:
    depth = rng.randint(2, 4)
    text, value = _bool_expr(rng, depth)
    prompt = f"Evaluate the boolean expression and answer True or False: {text}"
    return dict(category="boolean", difficulty="easy" if depth == 2 else "medium", prompt=prompt,
                answer=str(value), choices=None)


# ---------------------------------------------------------------- ordering puzzles

def ordering_solutions(names: list[str], clues: list[tuple[str, str, str]]) -> list[tuple[str, ...]]:
    """Every order (tallest first) that satisfies all clues: ("taller", a, b) or ("adjacent", a, b)."""
    found = []
    for order in itertools.permutations(names):
        pos = {name: i for i, name in enumerate(order)}
        if all(pos[a] < pos[b] if kind == "taller" else abs(pos[a] - pos[b]) == 1 for kind, a, b in clues):
            found.append(order)
    return found


def _clue_text(kind: str, a: str, b: str) -> str:
    return f"{a} is taller than {b}." if kind == "taller" else f"{a} and {b} are next to each other in height order."


def make_ordering(rng: random.Random) -> tuple[dict, list[str], list[tuple[str, str, str]]]:
    size = rng.choice([4, 4, 5])
    names = rng.sample(NAMES, size)
    order = list(names)
    rng.shuffle(order)
    pos = {name: i for i, name in enumerate(order)}
    clues: list[tuple[str, str, str]] = []
    while len(ordering_solutions(names, clues)) > 1:
        a, b = rng.sample(names, 2)
        if abs(pos[a] - pos[b]) == 1 and rng.random() < 0.3:
            clue = ("adjacent", a, b)
        else:
            clue = ("taller", a, b) if pos[a] < pos[b] else ("taller", b, a)
        if clue not in clues:
            clues.append(clue)
    for clue in list(clues):  # drop clues the others already imply
        rest = [c for c in clues if c != clue]
        if len(ordering_solutions(names, rest)) == 1:
            clues = rest
    rank = rng.randrange(size)
    prompt = (f"{', '.join(names[:-1])} and {names[-1]} all have different heights. "
              + " ".join(_clue_text(*c) for c in clues) + f" Who is the {ORDINALS[rank]}?")
    fields = dict(category="ordering", difficulty="medium" if size == 4 else "hard", prompt=prompt,
                  answer=order[rank], choices=None)
    return fields, names, clues


def ordering(rng: random.Random) -> dict:
    return make_ordering(rng)[0]


# ---------------------------------------------------------------- calendar

def calendar(rng: random.Random) -> dict:
    start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 3650))
    delta = rng.choice([rng.randint(2, 20), rng.randint(30, 400)])
    later = rng.random() < 0.7
    target = start + dt.timedelta(days=delta if later else -delta)
    if rng.random() < 0.5:
        prompt = (f"{start.strftime('%d %B %Y').lstrip('0')} is a {DAYS[start.weekday()]}. What day of the week is "
                  f"{delta} days {'after' if later else 'before'} it?")
        return dict(category="calendar", difficulty="easy" if delta <= 20 else "medium", prompt=prompt,
                    answer=DAYS[target.weekday()], choices=None)
    prompt = (f"How many days are there from {start.strftime('%d %B %Y').lstrip('0')} to "
              f"{(start + dt.timedelta(days=delta)).strftime('%d %B %Y').lstrip('0')}? Count the days between the two "
              "dates, so from a Monday to the Tuesday right after it is 1 day.")
    return dict(category="calendar", difficulty="medium" if delta <= 20 else "hard", prompt=prompt,
                answer=str(delta), choices=None)


# ---------------------------------------------------------------- knights and knaves

def _statement(rng: random.Random, speaker: int, people: list[str]) -> tuple[str, tuple]:
    other = rng.choice([i for i in range(len(people)) if i != speaker])
    kind = rng.choice(["is", "is_not", "same", "different", "at_least_one_knave"])
    texts = {
        "is": f"{people[other]} is a knight.", "is_not": f"{people[other]} is a knave.",
        "same": f"{people[other]} and I are the same kind.", "different": f"{people[other]} and I are different kinds.",
        "at_least_one_knave": "At least one of us is a knave.",
    }
    return texts[kind], (kind, speaker, other)


def statement_true(claim: tuple, knights: tuple[bool, ...]) -> bool:
    kind, speaker, other = claim
    if kind == "is":
        return knights[other]
    if kind == "is_not":
        return not knights[other]
    if kind == "same":
        return knights[speaker] == knights[other]
    if kind == "different":
        return knights[speaker] != knights[other]
    return not all(knights)


def knights_solutions(n: int, claims: list[tuple]) -> list[tuple[bool, ...]]:
    """Every assignment (True = knight) in which knights' claims are true and knaves' are false."""
    return [k for k in itertools.product([True, False], repeat=n)
            if all(statement_true(c, k) == k[c[1]] for c in claims)]


def make_knights(rng: random.Random) -> tuple[dict, int, list[tuple]]:
    n = rng.choice([2, 3])
    people = rng.sample(NAMES, n)
    while True:
        said = [_statement(rng, i, people) for i in range(n)]
        claims = [c for _, c in said]
        solutions = knights_solutions(n, claims)
        if len(solutions) == 1:
            break
    asked = rng.randrange(n)
    prompt = ("On an island every inhabitant is either a knight, who always tells the truth, or a knave, who always "
              f"lies. You meet {', '.join(people[:-1])} and {people[-1]}. "
              + " ".join(f'{people[i]} says: "{text}"' for i, (text, _) in enumerate(said))
              + f" Is {people[asked]} a knight or a knave?")
    fields = dict(category="knights-knaves", difficulty="medium" if n == 2 else "hard", prompt=prompt,
                  answer="knight" if solutions[0][asked] else "knave", choices=None)
    return fields, n, claims


def knights(rng: random.Random) -> dict:
    return make_knights(rng)[0]


def generate(seed: int, n: int) -> list[Item]:
    return round_robin(NAME, "reasoning-gen", seed, n, [boolean, ordering, calendar, knights])

"""Seeded generators: deterministic, one solution each (re-solved here from the prompt text), graded right."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest

from support.codecheck import accepted_constants, first_few_fast
from orbench.grading.verify import math_equal
from orbench.grading.graders import grade_math as score_math, grade_reasoning as score_reasoning
from orbench.grading.sandbox import Limits, run_python
from orbench.suites.generators import code_gen, math_gen, reasoning_gen

GENERATORS = [math_gen, code_gen, reasoning_gen]
SEEDS = [0, 7, 12345]


@pytest.mark.parametrize("gen", GENERATORS, ids=lambda g: g.NAME)
def test_same_seed_same_items_other_seed_other_items(gen):
    a, b, c = gen.generate(7, 40), gen.generate(7, 40), gen.generate(8, 40)
    assert a == b

    def task(i):  # code-gen tasks share a few templates; their generated tests differ
        return (i.prompt, i.tests)

    assert len({task(i) for i in a} & {task(i) for i in c}) < 10


@pytest.mark.parametrize("gen", GENERATORS, ids=lambda g: g.NAME)
@pytest.mark.parametrize("seed", SEEDS)
def test_items_are_labelled_unique_and_cover_the_categories(gen, seed):
    items = gen.generate(seed, 40)
    assert len(items) == 40
    assert len({i.id for i in items}) == 40 and len({i.prompt for i in items}) == 40
    assert {i.source for i in items} == {f"generator:{gen.NAME}/seed={seed}"}
    assert {i.category for i in items} == set(gen.CATEGORIES)
    assert len({i.difficulty for i in items}) >= 2


# ---------------------------------------------------------------- math-gen


@pytest.mark.parametrize("item", math_gen.generate(3, 40), ids=lambda i: i.id)
def test_math_gen_answers_parse_verify_and_reject_a_neighbour(item):
    from math_verify import LatexExtractionConfig, parse

    parsed = parse(f"${item.answer}$", extraction_config=[LatexExtractionConfig()])
    assert parsed
    value = parsed[0]
    assert math_equal(item.answer, str(value))  # an equivalent form: sympy's plain-text rendering
    assert not math_equal(item.answer, str(value + 1))
    assert score_math(item, f"So the answer is \\boxed{{{item.answer}}}.").correct


def test_math_gen_chain_is_recomputed_from_the_text():
    for item in (i for i in math_gen.generate(5, 40) if i.category == "arithmetic-chain"):
        value = int(re.match(r"Start with (\d+)\.", item.prompt).group(1))
        for op, k in re.findall(r"(add|subtract|multiply by|divide by) (\d+)", item.prompt, flags=re.I):
            k = int(k)
            value = {"add": value + k, "subtract": value - k, "multiply by": value * k,
                     "divide by": value / k}[op.lower()]
        assert math_equal(item.answer, str(value))


# ---------------------------------------------------------------- reasoning-gen, re-solved from the prompt

def _reasoning(seed: int, category: str):
    return [i for i in reasoning_gen.generate(seed, 40) if i.category == category]


def _solve_ordering_text(prompt: str) -> list[tuple[str, ...]]:
    names = re.findall(r"[A-Z][a-z]+", prompt.split(" all have")[0])
    taller = re.findall(r"(\w+) is taller than (\w+)\.", prompt)
    adjacent = re.findall(r"(\w+) and (\w+) are next to each other", prompt)
    solutions = []
    for order in itertools.permutations(names):
        pos = {n: i for i, n in enumerate(order)}
        if all(pos[a] < pos[b] for a, b in taller) and all(abs(pos[a] - pos[b]) == 1 for a, b in adjacent):
            solutions.append(order)
    return solutions


@pytest.mark.parametrize("seed", SEEDS)
def test_ordering_puzzles_have_exactly_one_solution(seed):
    for item in _reasoning(seed, "ordering"):
        solutions = _solve_ordering_text(item.prompt)
        assert len(solutions) == 1, item.prompt
        rank = reasoning_gen.ORDINALS.index(re.search(r"Who is the ([\w ]+)\?", item.prompt).group(1))
        assert solutions[0][rank] == item.answer


def _solve_knights_text(prompt: str) -> tuple[list[str], list[tuple[bool, ...]]]:
    people = re.findall(r"[A-Z][a-z]+", prompt.split("You meet ")[1].split(".")[0])
    said = re.findall(r'(\w+) says: "([^"]+)"', prompt)

    def holds(speaker: str, text: str, k: dict[str, bool]) -> bool:
        if m := re.fullmatch(r"(\w+) is a knight\.", text):
            return k[m.group(1)]
        if m := re.fullmatch(r"(\w+) is a knave\.", text):
            return not k[m.group(1)]
        if m := re.fullmatch(r"(\w+) and I are the same kind\.", text):
            return k[m.group(1)] == k[speaker]
        if m := re.fullmatch(r"(\w+) and I are different kinds\.", text):
            return k[m.group(1)] != k[speaker]
        assert text == "At least one of us is a knave."
        return not all(k.values())

    solutions = []
    for values in itertools.product([True, False], repeat=len(people)):
        k = dict(zip(people, values))
        if all(holds(s, t, k) == k[s] for s, t in said):
            solutions.append(values)
    return people, solutions


@pytest.mark.parametrize("seed", SEEDS)
def test_knights_and_knaves_have_exactly_one_solution(seed):
    for item in _reasoning(seed, "knights-knaves"):
        people, solutions = _solve_knights_text(item.prompt)
        assert len(solutions) == 1, item.prompt
        asked = re.search(r"Is (\w+) a knight or a knave\?", item.prompt).group(1)
        assert ("knight" if solutions[0][people.index(asked)] else "knave") == item.answer


@pytest.mark.parametrize("seed", SEEDS)
def test_calendar_answers_recomputed_with_datetime(seed):
    for item in _reasoning(seed, "calendar"):
        dates = [dt.datetime.strptime(d, "%d %B %Y").date()
                 for d in re.findall(r"(\d{1,2} [A-Z][a-z]+ \d{4})", item.prompt)]
        if "What day of the week" in item.prompt:
            days = int(re.search(r"is (\d+) days", item.prompt).group(1))
            sign = 1 if " after " in item.prompt else -1
            assert reasoning_gen.DAYS[dates[0].weekday()] in item.prompt
            assert (dates[0] + dt.timedelta(days=sign * days)).strftime("%A") == item.answer
        else:
            assert str((dates[1] - dates[0]).days) == item.answer


@pytest.mark.parametrize("seed", SEEDS)
def test_boolean_answers_recomputed(seed):
    for item in _reasoning(seed, "boolean"):
        expression = item.prompt.split(": ", 1)[1]
        assert re.fullmatch(r"[()A-Za-z ]+", expression) and set(re.findall(r"[A-Za-z]+", expression)) <= {
            "True", "False", "and", "or", "not"}
        assert str(eval(expression, {"__builtins__": {}})) == item.answer
        assert score_reasoning(item, f"Answer: {item.answer}").correct
        assert not score_reasoning(item, f"Answer: {'False' if item.answer == 'True' else 'True'}").correct


# ---------------------------------------------------------------- code-gen


@pytest.mark.parametrize("item", first_few_fast(code_gen.generate(11, 40)))
def test_code_gen_reference_passes_and_constants_fail(item):
    limits = Limits(wall_seconds=10, cpu_seconds=5)
    assert item.tests.count("assert") >= 5
    assert run_python(f"{item.reference}\n{item.tests}", limits).passed
    assert accepted_constants(item.entry_point, item.tests, limits) == []


def test_generated_suites_run_through_the_cli(tmp_path, mock_script):
    from typer.testing import CliRunner

    from orbench.cli import app

    mock_script({"*": "Answer: True"})
    ids = []
    for seed, name in ((7, "a"), (7, "b"), (8, "c")):
        out = tmp_path / name
        result = CliRunner().invoke(app, ["run", "--backend", "mock", "-m", "smollm2-135m", "-s", "reasoning-gen",
                                          "--seed", str(seed), "--limit", "10", "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
        ids.append([json.loads(line)["item_id"] for line in (out / "samples.jsonl").open()])
    assert ids[0] == ids[1] and ids[0] != ids[2] and len(ids[0]) == 10
    assert all("-s7-" in i for i in ids[0]) and all("-s8-" in i for i in ids[2])

"""GSM8K: 1,319 grade-school math word problems (Cobbe et al., 2021, "Training Verifiers to Solve Math
Word Problems"), the test split of the Hub dataset openai/gsm8k, config main. Licence: MIT.

Protocol: zero-shot chat with the model's own math instruction (step by step, final answer in
\\boxed{}, as the R1 report and open-r1 prompt). The gold answer is the number after "####" in the
reference solution. By default the reply is checked with math-verify alone, as for MATH-500
(`grading.reference.grade_math_verify`). With `--grading lenient` (`grade`): the reply's answer is the
last \\boxed{}, else "#### x", else "the answer is x", else the last number in the reply, checked with
math-verify, and an answer that is one number among unit words (`\\boxed{70,000 dollars}`) is checked
as that number, as lm-eval's gsm8k "flexible-extract" filter (last number, commas and `$` dropped)
reads it; scale words (thousand, million, ...) are not dropped.
Published GSM8K figures are often 8-shot chain-of-thought (Llama 3.2): the run table says so next to them.
Difficulty: the number of reasoning lines in the reference solution (up to 3 easy, 6 or more hard).
"""

from __future__ import annotations

import re

from ...grading import GradeContext, Score
from ...grading.verify import math_equal
from ...grading.graders import grade_math
from ...grading.reference import grade_math_verify
from ...grading.versions import versioned
from ..data import DataFile, DataSource
from ..items import Item
from ..templates import render_math
from .common import benchmark, by_steps, field, rows

NAME = "gsm8k"
DATA = DataSource(
    repo="openai/gsm8k", revision="740312add88f781978c0658806c59bc2815b9866", license="MIT",
    files=(DataFile(path="main/test-00000-of-00001.parquet",
                    sha256="ee7b8da9e381df27b9e3f7758a159ab2bdaa4dbaa910546cbbc47e0cb44e4f59"),),
)


def gold(solution: str) -> str:
    """The number after '####', without thousands separators."""
    if "####" not in solution:
        raise ValueError("no '####' in the reference solution")
    return solution.rsplit("####", 1)[1].strip().replace(",", "").rstrip(".")


def load(seed: int) -> list[Item]:
    items = []
    for index, (path, row) in enumerate(rows(DATA, NAME)):
        where = f"{DATA.repo}/{path}"
        solution = str(field(row, "answer", where=where))
        steps = len([line for line in solution.split("####")[0].splitlines() if re.search(r"\S", line)])
        items.append(Item(id=f"gsm8k-{index:04d}", suite=NAME, category="word-problem",
                          difficulty=by_steps(steps, 3, 6), prompt=str(field(row, "question", where=where)),
                          answer=gold(solution), source=f"hf:{DATA.repo}#test/{index}"))
    return items


_MARKUP = re.compile(r"\\(?:text|mathrm|textbf|mbox|operatorname)\s*\{([^{}]*)\}|\\[$%]|[$%{}]")
_SCALE = {"hundred", "thousand", "million", "billion", "trillion", "dozen", "half", "thousands", "millions",
          "billions", "hundreds", "dozens", "k", "m", "bn"}


def number_among_words(answer: str) -> str | None:
    """'70,000 dollars' -> '70000': the one number of an answer whose other parts are words (units,
    "per", "each"); None if there is no number, more than one, a scale word, or anything else."""
    text = _MARKUP.sub(lambda m: "" if m.group(1) is None else f" {m.group(1)} ", answer).strip().rstrip(".")
    words = re.findall(r"[A-Za-z]+", text)
    if any(w.lower() in _SCALE for w in words):
        return None
    rest = re.sub(r"[A-Za-z]+", " ", text).replace("\\", " ").strip()
    number = re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?", rest)
    return number.group(0).replace(",", "") if number and words else None


@versioned("gsm8k-1")
def grade(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """grade_math, then an answer of one number among unit words checked as that number."""
    score = grade_math(item, text, context)
    if score.correct or score.extracted is None:
        return score
    number = number_among_words(score.extracted)
    if number is not None and math_equal(item.answer or "", number):
        return score.model_copy(update={"correct": True, "detail": "unit words dropped"})
    return score


SUITE = benchmark(NAME, "math", "GSM8K test (1,319 grade-school word problems), answer verification", DATA, load,
                  render_math, grade_math_verify, size=1319, reply_set="gsm8k", alternate=grade,
                  protocol="0-shot chat, \\boxed{} instruction, math-verify alone (--grading lenient: last-number "
                           "fallback, unit words dropped)")

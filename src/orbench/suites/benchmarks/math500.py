"""MATH-500: the 500-problem test subset of MATH (Hendrycks et al., 2021) chosen in "Let's Verify Step
by Step" (Lightman et al., 2023), as published on the Hub by HuggingFaceH4/MATH-500 (test.jsonl).
Licence: MIT (MATH).

Protocol (the DeepSeek-R1 report and open-r1): zero-shot chat, "Please reason step by step, and put
your final answer within \\boxed{}." (the catalog's math instruction), the reply checked against the
reference answer with math-verify alone (`grading.reference.grade_math_verify`; `--grading lenient`:
the last \\boxed{} with orbench's fallbacks, `graders.grade_math`); pass@1 averaged over `--samples`.
Subject is the category; level 1-2 is easy, 3 medium, 4-5 hard (the level is kept in the item).
"""

from __future__ import annotations

from ...grading.graders import grade_math
from ...grading.reference import grade_math_verify
from ..data import DataFile, DataSource
from ..items import Difficulty, Item
from ..templates import render_math
from .common import benchmark, field, rows

NAME = "math500"
DATA = DataSource(
    repo="HuggingFaceH4/MATH-500", revision="6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be", license="MIT",
    files=(DataFile(path="test.jsonl", sha256="35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132"),),
)
LEVELS: dict[int, Difficulty] = {1: "easy", 2: "easy", 3: "medium", 4: "hard", 5: "hard"}


def load(seed: int) -> list[Item]:
    items = []
    for index, (path, row) in enumerate(rows(DATA, NAME)):
        where = f"{DATA.repo}/{path}"
        level = int(str(field(row, "level", where=where)).removeprefix("Level ").strip())
        unique = str(row.get("unique_id") or index).removeprefix("test/").removesuffix(".json").replace("/", "-")
        items.append(Item(id=f"math500-{unique}", suite=NAME, category=str(field(row, "subject", where=where)),
                          difficulty=LEVELS.get(level, "hard"), prompt=str(field(row, "problem", where=where)),
                          answer=str(field(row, "answer", where=where)), source=f"hf:{DATA.repo}#{unique}",
                          extra={"level": level}))
    return items


SUITE = benchmark(NAME, "math", "MATH-500 (Lightman et al. subset of MATH), answer verification", DATA, load,
                  render_math, grade_math_verify, size=500, reply_set="math", alternate=grade_math,
                  protocol="R1 report / open-r1: 0-shot, \\boxed{} answer, math-verify, pass@1 over samples")

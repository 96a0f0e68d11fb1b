"""AMC 2023: the 40 problems of the 2023 AMC 12 as published on the Hub by math-ai/amc23 (test.jsonl),
the set Qwen2.5-Math and several R1 replications report. Problems (c) MAA; no licence on the Hub set.

Protocol: zero-shot chat with the \\boxed{} instruction, math-verify alone on the reply
(`--grading lenient`: the last \\boxed{}), pass@1 over samples. orbench knows no commit of this repo
that it could check here: the commit `main` points to is recorded on the first download
(`orbench pull --suite amc23`), with each file's sha256, and every later run reads exactly that.
"""

from __future__ import annotations

from ...grading.graders import grade_math
from ...grading.reference import grade_math_verify
from ..data import DataFile, DataSource
from ..templates import render_math
from ..items import Item
from .aime import competition_items
from .common import benchmark

DATA = DataSource(repo="math-ai/amc23", revision=None, license="problems (c) MAA; no licence on the Hub set",
                  files=(DataFile(path="test.jsonl"),))
NAME = "amc23"


def load(seed: int) -> list[Item]:
    return competition_items(NAME, DATA)


SUITE = benchmark(NAME, "math", "AMC 12 2023 (40 problems), answer verification", DATA, load,
                  render_math, grade_math_verify, size=40, reply_set="math", alternate=grade_math,
                  protocol="0-shot, \\boxed{} answer, math-verify, pass@1 over samples")

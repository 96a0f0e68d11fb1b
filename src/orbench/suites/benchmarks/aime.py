"""AIME 2024 and AIME 2025: the 30 problems of each year's American Invitational Mathematics
Examination (I and II), integer answers 0-999.

- aime24: HuggingFaceH4/aime_2024 (data/train-00000-of-00001.parquet), the set open-r1 evaluates;
- aime25: math-ai/aime25 (test.jsonl), a public transcription of AIME 2025 I and II.
The problems are the MAA's; the Hub sets carry no licence of their own ("see the MAA").

Protocol (the DeepSeek-R1 report and open-r1): zero-shot chat with the \\boxed{} instruction,
math-verify alone on the reply (`--grading lenient`: on the last \\boxed{}), pass@1 averaged over k samples (the report uses k = 64 for AIME;
`--samples 64`). orbench ships these repos' commits but not the files' sha256 (not checkable
without Hub access here): each file is pinned on its first download and checked on every use.
"""

from __future__ import annotations

from ...grading.graders import grade_math
from ...grading.reference import grade_math_verify
from ..data import DataFile, DataSource
from ..items import Item
from ..templates import render_math
from .common import benchmark, field, rows

AIME24 = DataSource(repo="HuggingFaceH4/aime_2024", revision="2fe88a2f1091d5048c0f36abc874fb997b3dd99a",
                    license="problems (c) MAA; no licence on the Hub set",
                    files=(DataFile(path="data/train-00000-of-00001.parquet"),))
AIME25 = DataSource(repo="math-ai/aime25", revision="563bb8404243c5f09de6ec262f2db674fe5bce9b",
                    license="problems (c) MAA; no licence on the Hub set", files=(DataFile(path="test.jsonl"),))


def competition_items(name: str, source: DataSource) -> list[Item]:
    """Rows with a problem (or question) and an answer, as hard competition items."""
    items = []
    for index, (path, row) in enumerate(rows(source, name)):
        where = f"{source.repo}/{path}"
        answer = str(field(row, "answer", where=where)).strip()
        ident = str(row.get("id", index))
        items.append(Item(id=f"{name}-{ident}", suite=name, category="competition", difficulty="hard",
                          prompt=str(field(row, "problem", "question", where=where)), answer=answer.lstrip("0") or "0",
                          source=f"hf:{source.repo}#{ident}"))
    return items


def load_aime24(seed: int) -> list[Item]:
    return competition_items("aime24", AIME24)


def load_aime25(seed: int) -> list[Item]:
    return competition_items("aime25", AIME25)


PROTOCOL = "R1 report / open-r1: 0-shot, \\boxed{} integer answer, math-verify, pass@1 over k samples"
AIME24_SUITE = benchmark("aime24", "math", "AIME 2024 I and II (30 problems), answer verification", AIME24,
                         load_aime24, render_math, grade_math_verify, size=30, reply_set="math",
                         alternate=grade_math,
                         protocol=PROTOCOL)
AIME25_SUITE = benchmark("aime25", "math", "AIME 2025 I and II (30 problems), answer verification", AIME25,
                         load_aime25, render_math, grade_math_verify, size=30, reply_set="math",
                         alternate=grade_math,
                         protocol=PROTOCOL)

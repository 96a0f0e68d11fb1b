"""GPQA Diamond: 198 graduate-level, "Google-proof" multiple-choice questions in biology, physics and
chemistry (Rein et al., 2023, "GPQA: A Graduate-Level Google-Proof Q&A Benchmark"), the diamond set of
the Hub dataset Idavidrein/gpqa (gpqa_diamond.csv). Licence: CC-BY-4.0; the dataset is gated (accept
its terms on the dataset page, then `hf auth login` or HF_TOKEN) and its authors ask that examples are
not revealed online, so orbench's reports never quote its items.

Protocol (the R1 report and open-r1's zero-shot chat form): the question and four options, the model
reasons and ends with "Answer: X"; the letter is compared with the correct one. The options are
shuffled for each item with a seed drawn from the run seed and the item id (never one global
permutation), so the correct answer lands on A-D evenly and the same seed gives the same order.
"""

from __future__ import annotations

from ...grading.graders import grade_reasoning
from ...grading.reference import grade_choice_simple_evals
from ..data import DataFile, DataSource
from ..suite import answer_line_gold
from ..items import Item
from ..templates import render_reasoning
from .common import benchmark, field, rows, shuffled_choices

NAME = "gpqa-diamond"
DATA = DataSource(
    repo="Idavidrein/gpqa", revision="633f5ee89ab8ad4522a9f850766b73f62147ffdd", license="CC-BY-4.0", gated=True,
    files=(DataFile(path="gpqa_diamond.csv", sha256="41d1213cd7a4998605a26c2798500652572007161b3a92817ba46b35befcd305"),),
)


def load(seed: int) -> list[Item]:
    items = []
    for index, (path, row) in enumerate(rows(DATA, NAME)):
        where = f"{DATA.repo}/{path}"
        ident = f"gpqa-{str(row.get('Record ID') or index).strip()}"
        wrong = [str(field(row, f"Incorrect Answer {i}", where=where)).strip() for i in (1, 2, 3)]
        choices, letter = shuffled_choices(str(field(row, "Correct Answer", where=where)).strip(), wrong, seed, ident)
        items.append(Item(id=ident, suite=NAME, category=str(row.get("High-level domain") or "science"),
                          difficulty="hard", prompt=str(field(row, "Question", where=where)).strip(), choices=choices,
                          answer=letter, source=f"hf:{DATA.repo}#{ident}"))
    return items


SUITE = benchmark(NAME, "reasoning", "GPQA Diamond (198 science questions, gated), options shuffled per item", DATA,
                  load, render_reasoning, grade_choice_simple_evals, alternate=grade_reasoning, size=198, seeded=True, reply_set="choice", quote_items=False,
                  gold=answer_line_gold, protocol="0-shot chat, 4 options shuffled per item and seed, 'Answer: X'")

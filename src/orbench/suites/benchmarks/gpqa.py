"""GPQA Diamond: 198 graduate-level, "Google-proof" multiple-choice questions in biology, physics and
chemistry (Rein et al., 2023, "GPQA: A Graduate-Level Google-Proof Q&A Benchmark"), the diamond set of
the Hub dataset Idavidrein/gpqa (gpqa_diamond.csv). Licence: CC-BY-4.0; the dataset is gated (accept
its terms on the dataset page, then `hf auth login` or HF_TOKEN) and its authors ask that examples are
not revealed online, so orbench's reports never quote its items.

Protocol: simple-evals' (openai/simple-evals, gpqa_eval.py; the R1 report and open-r1 use the same
form): one user turn, its multiple-choice query (`prompts.multichoice_query`: the instruction to end
with "Answer: $LETTER", the question and the four options as the CSV has them), and by default its
answer rule (`grading.reference`: the first "Answer: X"); `--grading lenient` reads more formatting.
The options are shuffled for each item with a seed drawn from the run seed and the item id (never one
global permutation), so the correct answer lands on A-D evenly and the same seed gives the same order;
simple-evals draws its permutations from one `random.Random(0)` over the rows, and averages 4 of them
per question (`--samples 4` here repeats one permutation).
"""

from __future__ import annotations

from ...grading.graders import grade_reasoning
from ...grading.reference import grade_choice_simple_evals
from ..data import DataFile, DataSource
from ..suite import answer_line_gold
from ..items import Item
from .prompts import multichoice_query, render_as_given
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
        wrong = [str(field(row, f"Incorrect Answer {i}", where=where)) for i in (1, 2, 3)]
        choices, letter = shuffled_choices(str(field(row, "Correct Answer", where=where)), wrong, seed, ident)
        query = multichoice_query(str(field(row, "Question", where=where)), choices)
        items.append(Item(id=ident, suite=NAME, category=str(row.get("High-level domain") or "science"),
                          difficulty="hard", prompt=query, choices=choices, answer=letter,
                          source=f"hf:{DATA.repo}#{ident}"))
    return items


SUITE = benchmark(NAME, "reasoning", "GPQA Diamond (198 science questions, gated), options shuffled per item", DATA,
                  load, render_as_given, grade_choice_simple_evals, alternate=grade_reasoning, size=198, seeded=True, reply_set="choice", quote_items=False,
                  gold=answer_line_gold,
                  protocol="simple-evals: 0-shot chat, its multiple-choice query, 4 options shuffled per item and "
                           "seed, the first 'Answer: X'")

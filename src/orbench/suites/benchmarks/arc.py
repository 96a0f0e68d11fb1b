"""ARC-Challenge: 1,172 grade-school science multiple-choice questions that retrieval and
co-occurrence baselines got wrong (Clark et al., 2018, "Think you have Solved Question Answering?
Try ARC"), the test split of the Hub dataset allenai/ai2_arc, config ARC-Challenge. Licence: CC-BY-SA-4.0.

Protocol: zero-shot chat with the options lettered A, B, C, ... in the dataset's order (some items
use 1-4 as labels; they are lettered too), the model ends with "Answer: X". Published ARC figures
are often 25-shot log-likelihood scores of base models, not comparable with a chat protocol.
"""

from __future__ import annotations

from ...grading.graders import grade_reasoning
from ...grading.reference import grade_choice_simple_evals
from ..data import DataFile, DataSource
from ..suite import answer_line_gold
from ..items import Item
from ..templates import render_reasoning
from .common import Letters, benchmark, field, rows

NAME = "arc-challenge"
DATA = DataSource(repo="allenai/ai2_arc", revision="210d026faf9955653af8916fad021475a3f00453", license="CC-BY-SA-4.0",
                  files=(DataFile(path="ARC-Challenge/test-00000-of-00001.parquet"),))


def load(seed: int) -> list[Item]:
    items = []
    for path, row in rows(DATA, NAME):
        where = f"{DATA.repo}/{path}"
        choices = field(row, "choices", where=where)
        labels, texts = [str(x) for x in choices["label"]], [str(x) for x in choices["text"]]
        key = str(field(row, "answerKey", where=where)).strip()
        if key not in labels:
            raise ValueError(f"{where}: answer {key!r} is not one of the labels {labels}")
        ident = str(field(row, "id", where=where))
        items.append(Item(id=f"arc-{ident}", suite=NAME, category="science", difficulty="medium",
                          prompt=str(field(row, "question", where=where)), choices=texts,
                          answer=Letters[labels.index(key)], source=f"hf:{DATA.repo}#{ident}"))
    return items


SUITE = benchmark(NAME, "reasoning", "ARC-Challenge test (1,172 science questions), choice letter", DATA, load,
                  render_reasoning, grade_choice_simple_evals, size=1172, reply_set="choice",
                  alternate=grade_reasoning, gold=answer_line_gold,
                  protocol="0-shot chat, lettered options, 'Answer: X'")

"""ARC-Challenge: 1,172 grade-school science multiple-choice questions that retrieval and
co-occurrence baselines got wrong (Clark et al., 2018, "Think you have Solved Question Answering?
Try ARC"), the test split of the Hub dataset allenai/ai2_arc, config ARC-Challenge. Licence: CC-BY-SA-4.0.

Protocol: the suite follows simple-evals' multiple-choice form, as GPQA does (openai/simple-evals,
common.py: QUERY_TEMPLATE_MULTICHOICE and ANSWER_PATTERN_MULTICHOICE; `prompts.multichoice_query`):
one user turn with the instruction to end with "Answer: $LETTER", the question, and the options
lettered A, B, C, ... in the dataset's order (some items use 1-4 as labels; they are lettered too).
ARC items have 3 to 5 options, so the instruction and the answer pattern name the item's own letters
where simple-evals names ABCD. By default the first "Answer: X" is the answer (`grading.reference`);
`--grading lenient` reads more formatting. Published ARC figures are often 25-shot log-likelihood
scores of base models, not comparable with a chat protocol.
"""

from __future__ import annotations

from ...grading.graders import grade_reasoning
from ...grading.reference import grade_choice_simple_evals
from ..data import DataFile, DataSource
from ..suite import answer_line_gold
from ..items import Item
from .prompts import multichoice_query, render_as_given
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
                          prompt=multichoice_query(str(field(row, "question", where=where)), texts), choices=texts,
                          answer=Letters[labels.index(key)], source=f"hf:{DATA.repo}#{ident}"))
    return items


SUITE = benchmark(NAME, "reasoning", "ARC-Challenge test (1,172 science questions), choice letter", DATA, load,
                  render_as_given, grade_choice_simple_evals, size=1172, reply_set="choice",
                  alternate=grade_reasoning, gold=answer_line_gold,
                  protocol="simple-evals' multiple-choice form: 0-shot chat, lettered options, the first "
                           "'Answer: X'")

"""BIG-Bench Hard: 27 BIG-Bench tasks on which language models were below average human raters
(Suzgun et al., 2022, "Challenging BIG-Bench Tasks and Whether Chain-of-Thought Can Solve Them"),
6,511 items, as published on the Hub by lukaemon/bbh (one folder per task). Licence: MIT.

Protocol: zero-shot chain of thought in chat: the task input, then "think step by step and end with
'So the answer is <answer>.'". The reference rule is lm-eval's bbh_cot_zeroshot "strict-match" filter
(the text after the first "the answer is" or "The answer:", then exact match with the target, case
ignored; the paper's repo publishes outputs but no scorer), and it is the default (`grade_strict`).
With `--grading lenient` orbench reads the text after the *last* such phrase (else the last \\boxed{},
else the last line) and differs only on formatting: markup around the answer is dropped (`**(A)**`,
`` `(A)` ``, `\\boxed{(A)}`, a closing period), spacing is folded, and an option may be written `A`
for `(A)`; trailing prose after the answer stays wrong. The paper's
headline figures are 3-shot CoT with its own exemplars (on GitHub, not in the Hub set): the run
table says so next to published figures. orbench knows no commit of this repo that it could check
here, so the commit `main` points to is recorded on the first download with each file's sha256.
"""

from __future__ import annotations

import re

from ...grading import GradeContext, Score
from ...grading.extract import last_boxed
from ...grading.versions import versioned
from ..data import DataFile, DataSource
from ..suite import Messages
from ..items import Item
from .common import benchmark, field, rows

NAME = "bbh"
TASKS = (
    "boolean_expressions", "causal_judgement", "date_understanding", "disambiguation_qa", "dyck_languages",
    "formal_fallacies", "geometric_shapes", "hyperbaton", "logical_deduction_five_objects",
    "logical_deduction_seven_objects", "logical_deduction_three_objects", "movie_recommendation",
    "multistep_arithmetic_two", "navigate", "object_counting", "penguins_in_a_table",
    "reasoning_about_colored_objects", "ruin_names", "salient_translation_error_detection", "snarks",
    "sports_understanding", "temporal_sequences", "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects", "tracking_shuffled_objects_three_objects", "web_of_lies",
    "word_sorting",
)
DATA = DataSource(repo="lukaemon/bbh", revision=None, license="MIT",
                  files=tuple(DataFile(path=f"{task}/test-00000-of-00001.parquet") for task in TASKS))
INSTRUCTION = "Think step by step, then end your reply with the sentence \"So the answer is <answer>.\""


def load(seed: int) -> list[Item]:
    items, counters = [], dict.fromkeys(TASKS, 0)
    for path, row in rows(DATA, NAME):
        task = path.split("/", 1)[0]
        counters[task] += 1
        where = f"{DATA.repo}/{path}"
        items.append(Item(id=f"bbh-{task}-{counters[task]:03d}", suite=NAME, category=task, difficulty="hard",
                          prompt=str(field(row, "input", where=where)), answer=str(field(row, "target", where=where)),
                          kind="reasoning", source=f"hf:{DATA.repo}#{task}/{counters[task]}"))
    return items


def render(item: Item, generation: object) -> Messages:
    system = getattr(generation, "system_prompt", None)
    return [*([{"role": "system", "content": system}] if system else []),
            {"role": "user", "content": f"{item.prompt}\n\n{INSTRUCTION}"}]


_WRAPPED = re.compile(r"\\(?:boxed|fbox|text|textbf|textit|mathrm|mathbf|emph)\s*\{(.*)\}", re.S)
_SAID = re.compile(r"answer(?: is|:)[:\s]*(.+?)\s*(?:\n|$)", re.I)


def unwrap(answer: str) -> str:
    """The answer without the markup chat models put around it: `**(A)**`, `` `(A)` ``, `\\boxed{(A)}`,
    `$\\text{(A)}$`, a closing period; repeated until nothing changes."""
    text, before = answer, None
    while text != before:
        before = text
        text = text.strip().rstrip(".").strip().strip("*`").strip()
        if len(text) >= 2 and text[0] == text[-1] == "$":
            text = text.strip("$")
        for opening, closing in (("\\(", "\\)"), ("\\[", "\\]")):
            if text.startswith(opening) and text.endswith(closing):
                text = text[len(opening):-len(closing)]
        inner = _WRAPPED.fullmatch(text)
        if inner and _balanced(inner.group(1)):
            text = inner.group(1)
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def normalize(answer: str) -> str:
    """Case and spacing folded; an option `(A)`, `A` or `(a)` is the letter."""
    text = unwrap(answer)
    if re.fullmatch(r"\(?[A-Ra-r]\)?", text):
        return text.strip("()").upper()
    return " ".join(text.lower().split())


def extract(text: str) -> str | None:
    """The text after the last "the answer is" (or "answer:"), else the last \\boxed{}, else the last line."""
    said = _SAID.findall(text)
    if said:
        return said[-1].strip()
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None


# lm-eval's bbh_cot_zeroshot "strict-match" pattern (lm_eval/tasks/bbh/cot_zeroshot/_cot_zeroshot_template_yaml):
# the text after one of four phrases, up to the line's last character, which it leaves out (meant for the period).
_STRICT = re.compile(r"(?<=The answer is )(.*)(?=.)|(?<=the answer is )(.*)(?=.)|(?<=The answer: )(.*)(?=.)"
                     r"|(?<=The final answer: )(.*)(?=.)")


def strict_extract(text: str) -> str | None:
    """lm-eval's strict-match: the first match of its pattern (the first non-empty group), stripped."""
    first = _STRICT.search(text)
    return next((group for group in first.groups() if group), "").strip() if first else None


def exact_match_form(text: str) -> str:
    """lm-eval's exact_match as the BBH tasks set it: a final period, commas, backslashes, newlines and
    double quotes removed, case ignored."""
    for ignored in (r"\.$", ",", r"\\", "\n", '"'):
        text = re.sub(ignored, "", text)
    return text.lower()


@versioned("bbh-strict-1")
def grade_strict(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """The reference rule: lm-eval's strict-match extraction and exact_match, nothing more."""
    found = strict_extract(text)
    if found is None:
        return Score(extracted=None, correct=False, detail="no 'the answer is' phrase found")
    return Score(extracted=found[:200], correct=exact_match_form(found) == exact_match_form(item.answer or ""))


@versioned("bbh-2")
def grade(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """The lenient rule (`--grading lenient`): the last answer phrase, markup dropped, `A` = `(A)`."""
    found = extract(text)
    if found is None:
        return Score(extracted=None, correct=False, detail="no answer found")
    return Score(extracted=found[:200], correct=normalize(found) == normalize(item.answer or ""))


SUITE = benchmark(NAME, "reasoning", "BIG-Bench Hard (27 tasks, 6,511 items), exact match", DATA, load, render,
                  grade_strict, alternate=grade,
                  size=6511, reply_set="bbh", gold=lambda item: f"Let me think.\nSo the answer is {item.answer}.",
                  protocol="0-shot CoT, 'So the answer is X', exact match after normalisation")

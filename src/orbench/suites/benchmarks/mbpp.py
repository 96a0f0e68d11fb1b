"""MBPP: Mostly Basic Python Problems (Austin et al., 2021, "Program Synthesis with Large Language
Models"), the Hub dataset google-research-datasets/mbpp, the **full** config's test split (500 tasks,
task ids 11-510; not the 257-task sanitized split). Licence: CC-BY-4.0.

Protocol: zero-shot chat. The model sees the task text and the three test asserts, as the original
paper's prompt gives them, and is asked for the function in a ```python block; the extracted program
runs with the task's setup code and test asserts in the sandbox. Published MBPP figures are often
3-shot completion prompts: the run table says so next to them.
"""

from __future__ import annotations

import re

from ...grading.graders import grade_code
from ..data import DataFile, DataSource
from ..items import Item
from ..templates import render_code
from .common import benchmark, field, rows

NAME = "mbpp"
DATA = DataSource(
    repo="google-research-datasets/mbpp", revision="4bb6404fdc6cacfda99d4ac4205087b89d32030c", license="CC-BY-4.0",
    files=(DataFile(path="full/test-00000-of-00001.parquet",
                    sha256="566fd53060ffba5766dace1d1e2f4c38906781526de222b0dfbdbc325b696c77"),),
)


def entry_point(tests: list[str], where: str) -> str:
    """The function the asserts call: the first name called in the first assert."""
    match = re.search(r"assert\s+(?:not\s+)?\(?\s*(?:set\(|math\.isclose\(|abs\()?\s*([A-Za-z_]\w*)\s*\(", tests[0])
    if match is None:
        raise ValueError(f"{where}: cannot tell which function the tests call")
    return match.group(1)


def task_prompt(text: str, tests: list[str]) -> str:
    listed = "\n".join(tests)
    return f"{text.strip()}\n\nYour function must pass these tests:\n\n```python\n{listed}\n```"


def load(seed: int) -> list[Item]:
    items = []
    for _, row in rows(DATA, NAME):
        task = int(field(row, "task_id", where=DATA.repo))
        where = f"hf:{DATA.repo}#full/test/{task}"
        tests = [str(t) for t in field(row, "test_list", where=where)]
        setup = str(row.get("test_setup_code") or "")
        items.append(Item(id=f"mbpp-{task:03d}", suite=NAME, category="function", difficulty="easy",
                          prompt=task_prompt(str(field(row, "text", "prompt", where=where)), tests),
                          entry_point=entry_point(tests, where), reference=str(field(row, "code", where=where)),
                          tests=(setup + "\n" if setup.strip() else "") + "\n".join(tests) + "\n", source=where))
    return items


SUITE = benchmark(NAME, "code", "MBPP full test split (500 Python tasks), test asserts in the sandbox", DATA, load,
                  render_code, grade_code, size=500,
                  protocol="0-shot chat: task text + its 3 asserts; function in a code block; asserts; pass@k")

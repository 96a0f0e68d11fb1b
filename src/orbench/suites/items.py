"""Prompt items as pydantic models, loaded from JSON Lines with errors that name file, line and field.

This is the documented item format for orbench's own prompt sets and for a user's suites
(`orbench run -s path/to/items.jsonl`): one JSON object per line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import OrbenchError
from ..files import lines_of

# Fields that every item had in schema 1; a newer field enters the prompt-set hash only when set,
# so the hash of an existing prompt set (recorded in plan.json and summaries) never changes.
_V1_FIELDS = ("id", "suite", "category", "difficulty", "prompt", "answer", "choices", "entry_point", "reference",
              "tests", "source")


Difficulty = Literal["easy", "medium", "hard"]


class Item(BaseModel):
    """One problem put to a model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="unique within the suite")
    suite: str = Field(description="the suite the item belongs to (a user file: any name, the same on every line)")
    category: str = Field(description="a topic, for the per-category breakdown")
    difficulty: Difficulty
    prompt: str = Field(description="the problem as the model reads it")
    answer: str | None = Field(default=None, description="the gold answer: a value for math, a letter for choices")
    choices: list[str] | None = Field(default=None, description="multiple-choice options, lettered A, B, C, ...")
    entry_point: str | None = Field(default=None, description="code: the function the tests call")
    reference: str | None = Field(default=None, description="code: a correct solution")
    tests: str | None = Field(default=None, description="code: Python statements that raise if the function is wrong")
    source: str = Field(default="original", description="where the item comes from")
    extra: dict[str, Any] | None = Field(
        default=None, description="benchmark-specific data the grader needs, e.g. test cases or a contest date")
    kind: Literal["math", "code", "reasoning"] | None = Field(
        default=None, description="a user suite's grading: math (answer verification), code (tests in the sandbox), "
        "reasoning (choice letter or exact short answer); implied by tests or choices")

    @model_validator(mode="after")
    def _complete(self) -> "Item":
        if self.tests is not None:
            if not self.entry_point:
                raise ValueError("a code item needs entry_point")
        elif self.answer is None and self.extra is None:
            raise ValueError("an item needs an answer (or tests, for code)")
        if self.choices is not None:
            letters = [chr(ord("A") + i) for i in range(len(self.choices))]
            if len(self.choices) < 2 or self.answer not in letters:
                raise ValueError(f"answer must be one of the choice letters {letters}")
        return self

    def canonical(self) -> dict[str, Any]:
        """The item as hashed into a prompt-set hash."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if k in _V1_FIELDS or v is not None}


def load_items(folder: Path, suite: str | None = None, one_suite: bool = True) -> list[Item]:
    """Every item of the *.jsonl files in `folder` (or of one file); `suite`, when given, must match
    each item's, and with `one_suite` every item must say the first item's suite."""
    files = [folder] if folder.is_file() else sorted(folder.glob("*.jsonl"))
    if not files:
        raise OrbenchError(f"no prompt files (*.jsonl) in {folder}")
    items: list[Item] = []
    seen: dict[tuple[str, str], str] = {}  # (suite, id): ids are unique within a suite
    for path in files:
        for item, where in read_jsonl(path):
            if (item.suite, item.id) in seen:
                raise OrbenchError(f"{where}: duplicate item id '{item.id}' (first at {seen[item.suite, item.id]})")
            expected = suite if suite is not None else (items[0].suite if items and one_suite else None)
            if expected is not None and item.suite != expected:
                raise OrbenchError(f"{where}: item '{item.id}' says suite '{item.suite}', expected '{expected}'")
            seen[item.suite, item.id] = where
            items.append(item)
    if not items:
        raise OrbenchError(f"no items in {folder}")
    return items


def read_jsonl(path: Path) -> Iterator[tuple[Item, str]]:
    """(item, "file:line") for each non-empty line; a bad line is an OrbenchError naming file, line and field."""
    for where, line in lines_of(path):
        try:
            yield Item.model_validate(json.loads(line)), where
        except json.JSONDecodeError as exc:
            raise OrbenchError(f"{where}: malformed JSON: {exc.msg} (column {exc.colno})") from None
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "item"
            raise OrbenchError(f"{where}: {field}: {err['msg']}") from None


def chance_level(items: "list[Item]") -> float | None:
    """Expected accuracy of guessing a choice uniformly at random: the mean of 1/len(choices) over
    the items; None unless every item is multiple choice (an exact answer has no chance level)."""
    if not items or any(not item.choices for item in items):
        return None
    return sum(1 / len(item.choices or [1]) for item in items) / len(items)

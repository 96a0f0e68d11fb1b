"""Prompt items as pydantic models, loaded from JSON Lines with errors that name file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..errors import OrbenchError


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    suite: str
    category: str
    difficulty: Literal["easy", "medium", "hard"]
    prompt: str
    answer: str | None = None
    choices: list[str] | None = None
    entry_point: str | None = None
    reference: str | None = None
    tests: str | None = None
    source: str = "original"

    @model_validator(mode="after")
    def _complete(self) -> "Item":
        if self.tests is not None:
            if not self.entry_point:
                raise ValueError("a code item needs entry_point")
        elif self.answer is None:
            raise ValueError("an item needs an answer (or tests, for code)")
        if self.choices is not None:
            letters = [chr(ord("A") + i) for i in range(len(self.choices))]
            if len(self.choices) < 2 or self.answer not in letters:
                raise ValueError(f"answer must be one of the choice letters {letters}")
        return self


def load_items(folder: Path, suite: str) -> list[Item]:
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise OrbenchError(f"no prompt files (*.jsonl) in {folder}")
    items: list[Item] = []
    seen: dict[str, str] = {}
    for path in files:
        for item, where in _read_jsonl(path):
            if item.id in seen:
                raise OrbenchError(f"{where}: duplicate item id '{item.id}' (first at {seen[item.id]})")
            if item.suite != suite:
                raise OrbenchError(f"{where}: item '{item.id}' says suite '{item.suite}', expected '{suite}'")
            seen[item.id] = where
            items.append(item)
    return items


def _read_jsonl(path: Path):
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                yield Item.model_validate(json.loads(line)), where
            except json.JSONDecodeError as exc:
                raise OrbenchError(f"{where}: malformed JSON ({exc.msg} at column {exc.colno})") from None
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(p) for p in err["loc"]) or "item"
                raise OrbenchError(f"{where}: {field}: {err['msg']}") from None

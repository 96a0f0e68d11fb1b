"""Result types (pydantic, `schema_version` first), the append-only sample log, atomic summaries."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from .errors import OrbenchError
from .stats import Estimate

SCHEMA_VERSION = 1


class SampleRecord(BaseModel):
    schema_version: int = SCHEMA_VERSION
    id: str
    suite: str
    item_id: str
    sample: int
    seed: int
    category: str
    difficulty: str
    prompt: str
    output: str
    thinking: str = ""
    extracted: str | None = None
    correct: bool | None = None
    status: Literal["ok", "error"]
    error: str | None = None
    detail: str = ""
    finish_reason: str
    flags: list[str] = []
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    prompt_seconds: float | None = None
    prompt_eval_tokens: int | None = None
    generation_seconds: float | None = None
    thinking_tokens: int = 0
    isolation: str | None = None


class SuiteSummary(BaseModel):
    suite: str
    kind: str
    items: int
    samples: int
    scored: int
    errors: int
    accuracy: Estimate = Field(description="pass@1: mean over samples, then over items")
    pass_at_k: dict[str, Estimate] = {}
    majority_vote: Estimate | None = None
    by_difficulty: dict[str, Estimate] = {}
    by_category: dict[str, Estimate] = {}
    prompt_tokens: int = 0
    completion_tokens: int = 0
    mean_completion_tokens: float | None = None
    generation_tokens_per_s: float | None = None
    prompt_tokens_per_s: float | None = None
    flags: dict[str, int] = {}
    diagnostics: dict[str, float] = Field(default={}, description="rates of each flag over scored samples, "
                                          "and mean_thinking_tokens (estimated from the thinking text's share)")
    prompt_set_hash: str
    wall_seconds: float | None = Field(default=None, description="machine time spent generating and grading this "
                                       "suite, summed over resumed sessions and over merged shards")


class Provenance(BaseModel):
    orbench_version: str
    model: str
    quant: str | None
    file: str | None
    sha256: str | None
    size: int | None
    source: str | None
    repo: str | None
    revision: str | None
    derived_from: str | None = None
    locked: bool = False
    backend: dict[str, Any]
    sampler: dict[str, Any]
    seed: int
    samples_per_item: int
    limit: int | None
    python: str
    platform: str
    started_at: str
    finished_at: str | None = None


class Performance(BaseModel):
    """Speed and size of one model file, measured in the run that produced the accuracy."""

    file_bytes: int | None = None
    n_params: int | None = None
    bits_per_weight: float | None = None
    load_seconds: float | None = None
    peak_rss_mb: float | None = None
    prompt_tokens_per_s: float | None = None
    generation_tokens_per_s: float | None = None
    wall_seconds: float | None = Field(default=None, description="machine time of the run, summed over resumed sessions")
    engine: str | None = Field(default=None, description="the backend that generated, e.g. llama.cpp-batched")
    parallel: int | None = Field(default=None, description="the most sequences decoded together (N)")


class RunSummary(BaseModel):
    schema_version: int = SCHEMA_VERSION
    status: Literal["running", "complete", "interrupted"]
    provenance: Provenance
    suites: list[SuiteSummary]
    samples_done: int
    samples_planned: int
    errors: int
    performance: Performance | None = None
    notes: list[str] = []


def prepare_output_dir(path: Path) -> Path:
    """Create the results folder and prove it is writable, before any model work starts."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise OrbenchError(f"output folder is not writable: {path} ({exc.strerror})") from None
    return path


class SampleLog:
    """`samples.jsonl`: one line per sample, appended and flushed as each one finishes."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = open(path, "a", encoding="utf-8")

    def append(self, record: SampleRecord) -> None:
        self._fh.write(record.model_dump_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()


def write_json_atomic(path: Path, data: BaseModel | dict) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it."""
    text = data.model_dump_json(indent=2) if isinstance(data, BaseModel) else json.dumps(data, indent=2)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load_for_resume(path: Path) -> tuple[list[SampleRecord], str | None]:
    """The samples already in `path`, repairing a half-written last line (the mark of a run killed
    mid-write). Returns the records and a warning when something was repaired."""
    if not path.exists():
        return [], None
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    records: list[SampleRecord] = []
    for lineno, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            records.append(SampleRecord.model_validate_json(line))
        except ValueError:
            if lineno == len(complete) and not tail:
                tail = line  # the last line was cut right after a newline-less write: treat as the tail
                complete = complete[:-1]
                break
            raise OrbenchError(f"{path}:{lineno}: corrupt sample record; move the file away to start over") from None
    if not tail.strip():
        return records, None
    keep = b"".join(line + b"\n" for line in complete)
    with open(path, "wb") as fh:
        fh.write(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return records, f"{path}: dropped a half-written last line ({len(tail)} bytes); that sample will run again"


def read_samples(path: Path) -> list[SampleRecord]:
    records = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                records.append(SampleRecord.model_validate_json(line))
    return records

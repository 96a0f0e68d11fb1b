"""Result types (pydantic, `schema_version` first): `samples.jsonl` records and `summary.json`,
with the append-only sample log and the validated readers of both."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..backends import BackendInfo
from ..files import lines_of, parse_model, read_model
from ..suites.data import DataProvenance
from ..suites.published import Published
from ..stats import Estimate

SCHEMA_VERSION = 1


class PriorVerdict(BaseModel):
    """A verdict a sample had before `orbench regrade` replaced it."""

    correct: bool | None
    status: Literal["ok", "error"]
    extracted: str | None = None
    detail: str = ""
    error: str | None = None
    flags: list[str] = []
    isolation: str | None = None
    grader_version: str | None = Field(default=None, description="None: graded before grader versions were recorded")
    replaced_at: str = Field(description="when a regrade replaced this verdict (UTC, ISO 8601)")


class SampleRecord(BaseModel):
    """One line of `samples.jsonl`: one completion of one item, and its verdict."""

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
    grader_version: str | None = Field(default=None, description="the grader that gave this verdict (None: written "
                                       "before grader versions were recorded, or a generation error)")
    earlier_verdicts: list[PriorVerdict] = Field(default=[], description="verdicts replaced by `orbench regrade`, "
                                                 "oldest first")

    @property
    def verdict(self) -> str:
        """correct, wrong or error."""
        return "error" if self.status == "error" else ("correct" if self.correct else "wrong")


class SuiteSummary(BaseModel):
    """One suite's figures in `summary.json`."""

    suite: str
    kind: str
    items: int = Field(ge=0)
    samples: int = Field(ge=0)
    scored: int = Field(ge=0)
    errors: int = Field(ge=0)
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
    data: DataProvenance | None = Field(default=None, description="a benchmark's data: Hub repo, commit, files, "
                                        "sha256 and how each was pinned")
    window: str | None = Field(default=None, description="the date window of a dated suite (--since/--until)")
    published: list[Published] = Field(default=[], description="published figures of this model on this suite, "
                                       "with the protocol differences")
    quote_items: bool = Field(default=True, description="False: the dataset's terms ask that items are not quoted")
    chance: float | None = Field(default=None, description="accuracy of guessing uniformly among the choices "
                                 "(multiple-choice suites); None where answers are exact")
    grader_version: str | None = Field(default=None, description="the grader version its samples were graded with "
                                       "('mixed: ...' if they differ; None: before grader versions were recorded)")
    limit_failures: int = Field(default=0, ge=0, description="samples that failed because a time or memory limit "
                                "stopped the program (flags time_limit, memory_limit; counted as wrong, as the "
                                "reference harnesses count them)")


class Provenance(BaseModel):
    """Where a result came from: model file, backend, settings."""

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
    filename: str | None = Field(default=None, description="the file within the Hub repo (a split model's first part)")
    parts: list[str] = Field(default=[], description="a split model's parts in order; sha256 is of them concatenated")
    file_verified: bool | None = Field(default=None, description="True: the model file's sha256 was computed in "
                                       "this run; False: it was checked when pulled and its size and modification "
                                       "time are unchanged since")
    locked: bool = False
    overrides: dict[str, Any] = Field(default={}, description="settings given on the command line over the config's")
    grading: str = Field(default="reference", description="the grading protocol: reference (each benchmark's "
                         "reference harness's answer rule) or lenient (--grading lenient)")
    backend: BackendInfo
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
    load_per_core: float | None = Field(default=None, description="the machine's 1-minute load average per CPU "
                                        "core when the summary was written (how busy a shared runner was)")


class SandboxInfo(BaseModel):
    """How model-written code was isolated in a run (`sandbox` in summary.json)."""

    mode: str = Field(description="what was asked: auto, strict, none, or an engine's name")
    engine: str = Field(description="bwrap, unshare, python (orbench's own namespaces), process (limits only), "
                        "docker or podman")
    layers: list[str] = Field(description="isolation a probe program found in force: namespaces, read-only system, "
                              "private /tmp, the uid outside the sandbox, process cap, capabilities, rlimits")
    missing: list[str] = Field(default=[], description="what a full sandbox has and this one lacked")
    unavailable: dict[str, str] = Field(default={}, description="engines tried first, and why they were not used")
    graders: int = Field(default=1, description="programs graded at once, beside generation")


class RunSummary(BaseModel):
    """`summary.json`: a run's status, provenance, per-suite figures and performance."""

    schema_version: int = SCHEMA_VERSION
    status: Literal["running", "complete", "interrupted"]
    provenance: Provenance
    suites: list[SuiteSummary]
    samples_done: int = Field(ge=0)
    samples_planned: int = Field(ge=0)
    errors: int = Field(ge=0)
    performance: Performance | None = None
    sandbox: SandboxInfo | None = Field(default=None, description="how code was isolated (runs with code suites)")
    notes: list[str] = []
    items_run: int | None = Field(default=None, description="adaptive runs (--until-decided): items of the plan "
                                  "run so far; None when the run covers the whole plan")


INDEX_FILE = "index.json"


class RunIndex(BaseModel):
    """`index.json` of a ladder or matrix folder: which sub-folder holds which run."""

    schema_version: int = Field(default=SCHEMA_VERSION, description="version of this file's layout")
    kind: Literal["ladder", "matrix"] = Field(description="a quant ladder of one model, or a config matrix")
    runs: dict[str, str] = Field(description="label (QUANT, or MODEL:QUANT in a matrix) -> sub-folder")
    completed: list[str] = Field(description="labels whose run has finished")
    model: str | None = Field(default=None, description="ladder: the model")
    config: str | None = Field(default=None, description="matrix: the config file")
    started_at: str | None = Field(default=None, description="when the batch started (UTC, ISO 8601)")
    finished_at: str | None = Field(default=None, description="nightly: when the night finished, gate included")
    exit_code: int | None = Field(default=None, description="nightly: the night's exit code (0 passed, 1 "
                                  "regression, 3 infrastructure errors); None while unfinished")
    settings: dict[str, Any] = Field(default={}, description="nightly: the settings a resumed night must match")


class SampleLog:
    """`samples.jsonl`: one line per sample, appended and flushed as each one finishes."""

    def __init__(self, path: Path):
        self.path = path
        self._fh = open(path, "a", encoding="utf-8")

    def append(self, record: SampleRecord) -> None:
        self._fh.write(record.model_dump_json() + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Flush, sync and close; the file is closed even when flushing fails (a full disk)."""
        if self._fh.closed:
            return
        try:
            self._fh.flush()
            os.fsync(self._fh.fileno())
        finally:
            try:
                self._fh.close()
            except OSError:  # the unwritten tail is lost; resume repairs a half-written last line
                pass

    def __enter__(self) -> "SampleLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_summary(path: Path) -> RunSummary:
    """A validated `summary.json`."""
    return read_model(path, RunSummary)


def read_samples(path: Path) -> list[SampleRecord]:
    """Every record of a `samples.jsonl`; a bad line is an OrbenchError naming file and line."""
    return [record for _, record in read_samples_at(path)]


def read_samples_at(path: Path) -> list[tuple[str, SampleRecord]]:
    """Every record of a `samples.jsonl` with where it is (`file:line`)."""
    return [(where, parse_model(line, SampleRecord, where)) for where, line in lines_of(path)]

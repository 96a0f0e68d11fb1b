"""The run: plan (suite x item x sample, seeded), generate through a backend, grade, record.

Samples are appended to `samples.jsonl` as they finish and `summary.json` is rewritten atomically
after each suite, so an interrupted run always leaves valid files behind.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .aggregate import summarize_suite
from .backends import Backend, Completion, GenerationRequest
from .catalog import Generation
from .progress import NoProgress, Progress
from .results import Provenance, RunSummary, SampleLog, SampleRecord, SuiteSummary, write_json_atomic
from .sandbox import Limits
from .scoring import score
from .scoring.extract import split_thinking
from .suites import Suite, prompt_set_hash, select
from .suites.items import Item


@dataclass
class RunSpec:
    suites: list[Suite]
    generation: Generation
    seed: int = 0
    samples: int = 1
    limit: int | None = None
    output: Path = Path("results")
    sandbox: Limits = field(default_factory=Limits)


def sample_seed(seed: int, item_id: str, sample: int) -> int:
    """A per-sample seed that depends only on the run seed, the item and the sample index."""
    digest = hashlib.sha256(f"{seed}:{item_id}:{sample}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def build_requests(suite: Suite, items: list[Item], spec: RunSpec) -> list[GenerationRequest]:
    g = spec.generation
    return [
        GenerationRequest(
            id=f"{suite.name}/{item.id}#{k}", item_id=item.id, sample=k, messages=suite.render(item, g),
            max_tokens=g.max_tokens, temperature=g.temperature, top_p=g.top_p, top_k=g.top_k,
            min_p=g.min_p, repeat_penalty=g.repeat_penalty, seed=sample_seed(spec.seed, item.id, k),
        )
        for item in items
        for k in range(spec.samples)
    ]


def grade(suite: Suite, item: Item, request: GenerationRequest, completion: Completion,
          spec: RunSpec) -> SampleRecord:
    common = dict(
        id=request.id, suite=suite.name, item_id=item.id, sample=request.sample, seed=request.seed,
        category=item.category, difficulty=item.difficulty, prompt=request.messages[-1]["content"],
        output=completion.text, finish_reason=completion.finish_reason, prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens, seconds=round(completion.seconds, 4),
        generation_seconds=completion.generation_seconds,
    )
    if completion.finish_reason == "error":
        return SampleRecord(**common, status="error", error=completion.error or "generation failed")
    split = split_thinking(completion.text, spec.generation.thinking)
    flags = []
    if completion.finish_reason == "length":
        flags.append("truncated")
    if split.unterminated:
        flags.append("unterminated_thinking")
    result = score(suite.kind, item, split.answer, spec.sandbox)
    if result.extracted is None and result.status == "ok":
        flags.append("no_answer")
    return SampleRecord(
        **common, thinking=split.thinking, extracted=result.extracted, correct=result.correct if
        result.status == "ok" else None, status=result.status,
        error=result.detail if result.status == "error" else None, detail=result.detail, flags=flags,
        isolation=result.isolation,
    )


class Run:
    """One model on one or more suites, writing into `spec.output`."""

    def __init__(self, backend: Backend, spec: RunSpec, provenance: Provenance, progress: Progress | None = None):
        self.backend, self.spec, self.provenance = backend, spec, provenance
        self.progress = progress or NoProgress()
        self.plans = [(s, select(s.load(spec.seed), spec.limit, spec.seed)) for s in spec.suites]
        self.summaries: list[SuiteSummary] = []
        self.done = 0
        self.errors = 0

    @property
    def planned(self) -> int:
        return sum(len(items) for _, items in self.plans) * self.spec.samples

    def execute(self) -> RunSummary:
        log = SampleLog(self.spec.output / "samples.jsonl")
        self._write("running")
        try:
            for suite, items in self.plans:
                self._run_suite(suite, items, log)
                self._write("running")
        except KeyboardInterrupt:
            self._write("interrupted")
            raise
        finally:
            log.close()
            self.progress.stop()
        return self._write("complete")

    def _run_suite(self, suite: Suite, items: list[Item], log: SampleLog) -> None:
        requests = build_requests(suite, items, self.spec)
        by_id = {r.id: r for r in requests}
        item_by_id = {i.id: i for i in items}
        records: list[SampleRecord] = []
        self.progress.start(suite.name, len(requests))
        correct = scored = tokens = 0
        gen_seconds = 0.0
        try:
            for completion in self.backend.generate(requests):
                request = by_id[completion.request_id]
                record = grade(suite, item_by_id[request.item_id], request, completion, self.spec)
                log.append(record)
                records.append(record)
                self.done += 1
                if record.status == "ok":
                    scored += 1
                    correct += bool(record.correct)
                    tokens += record.completion_tokens
                    gen_seconds += record.generation_seconds or record.seconds
                else:
                    self.errors += 1
                verdict = "error" if record.status == "error" else ("correct" if record.correct else "wrong")
                self.progress.update(len(records), correct, scored, tokens / gen_seconds if gen_seconds else None,
                                     f"{record.item_id} {verdict}")
        finally:
            if records:
                self._add_summary(suite, items, records)

    def _add_summary(self, suite: Suite, items: list[Item], records: list[SampleRecord]) -> None:
        summary = summarize_suite(suite.name, suite.kind, items, records, self.spec.samples, prompt_set_hash(items))
        self.summaries = [s for s in self.summaries if s.suite != suite.name] + [summary]

    def _write(self, status: str) -> RunSummary:
        notes = []
        if self.errors:
            notes.append(f"{self.errors} sample(s) failed with infrastructure errors; they are excluded from "
                         "accuracy and counted under 'errors'")
        if status != "running":
            self.provenance.finished_at = now()
        summary = RunSummary(status=status, provenance=self.provenance, suites=self.summaries,
                             samples_done=self.done, samples_planned=self.planned, errors=self.errors, notes=notes)
        write_json_atomic(self.spec.output / "summary.json", summary)
        return summary


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def base_provenance(model: str, quant: str | None, spec: RunSpec, backend_info: dict) -> Provenance:
    return Provenance(
        orbench_version=__version__, model=model, quant=quant, file=None, sha256=None, size=None, source=None,
        repo=None, revision=None, backend=backend_info, sampler=spec.generation.model_dump(), seed=spec.seed,
        samples_per_item=spec.samples, limit=spec.limit, python=sys.version.split()[0],
        platform=platform.platform(), started_at=now(),
    )

"""The run: plan (suite x item x sample, seeded), generate through a backend, grade, record.

Samples are appended to `samples.jsonl` as they finish and `summary.json` is rewritten atomically
after each suite, so an interrupted run always leaves valid files behind.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .aggregate import summarize_suite
from .backends import Backend, Completion, GenerationRequest
from .catalog import Generation
from .progress import NoProgress, Progress
from .perf import peak_rss_mb
from .errors import OrbenchError
from .results import (
    Performance, Provenance, RunSummary, SampleLog, SampleRecord, SuiteSummary, load_for_resume, write_json_atomic,
)
from .sandbox import Limits
from .scoring import score
from .scoring.extract import repetition_loop, split_thinking
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


def shard_slice(requests: list[GenerationRequest], shard: tuple[int, int]) -> list[GenerationRequest]:
    """Shard I of N: every N-th request of the plan, starting at the I-th (1-based)."""
    index, count = shard
    return requests if count == 1 else requests[index - 1::count]


def grade(suite: Suite, item: Item, request: GenerationRequest, completion: Completion,
          spec: RunSpec) -> SampleRecord:
    common = dict(
        id=request.id, suite=suite.name, item_id=item.id, sample=request.sample, seed=request.seed,
        category=item.category, difficulty=item.difficulty, prompt=request.messages[-1]["content"],
        output=completion.text, finish_reason=completion.finish_reason, prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens, seconds=round(completion.seconds, 4),
        prompt_seconds=completion.prompt_seconds, prompt_eval_tokens=completion.prompt_eval_tokens,
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
    if repetition_loop(completion.text):
        flags.append("repetition_loop")
    result = score(suite.kind, item, split.answer, spec.sandbox)
    if result.extracted is None and result.status == "ok":
        flags.append("no_answer")
    return SampleRecord(
        **common, thinking=split.thinking, extracted=result.extracted, correct=result.correct if
        result.status == "ok" else None, status=result.status,
        error=result.detail if result.status == "error" else None, detail=result.detail, flags=flags,
        isolation=result.isolation, thinking_tokens=_share(completion.completion_tokens, split.thinking, completion.text),
    )


def _share(tokens: int, part: str, whole: str) -> int:
    """Tokens of `part` estimated from its share of the characters of `whole`."""
    return round(tokens * len(part) / len(whole)) if whole else 0


class Run:
    """One model on one or more suites, writing into `spec.output`.

    Running the same plan into a folder that already holds some of its samples resumes it: the
    samples on disk are kept (a half-written last line is repaired), only the missing ones run.
    """

    def __init__(self, backend: Backend, spec: RunSpec, provenance: Provenance, progress: Progress | None = None,
                 shard: tuple[int, int] = (1, 1)):
        self.backend, self.spec, self.provenance = backend, spec, provenance
        self.progress = progress or NoProgress()
        self.shard = shard
        self.plans = [(s, select(s.load(spec.seed), spec.limit, spec.seed)) for s in spec.suites]
        self.requests = {s.name: shard_slice(build_requests(s, items, spec), shard) for s, items in self.plans}
        self.summaries: list[SuiteSummary] = []
        self.done = 0
        self.errors = 0
        self.resumed = 0
        self.warnings: list[str] = []
        self.performance: Performance | None = None  # file and load figures, completed as the run goes
        self._started = time.perf_counter()
        self._wall_before = 0.0  # machine time of earlier sessions of this run (resume)
        self._suite_wall_before: dict[str, float] = {}
        self._parallel = 0
        self._totals: dict[str, float] = {"completion": 0, "gen_s": 0.0, "prompt": 0, "prompt_s": 0.0}

    @property
    def planned(self) -> int:
        return sum(len(reqs) for reqs in self.requests.values())

    def plan_signature(self) -> dict:
        """What makes two runs the same plan; a resumed run must match it exactly."""
        p = self.provenance
        return {
            "schema_version": 1, "model": p.model, "quant": p.quant, "sha256": p.sha256, "seed": self.spec.seed,
            "samples": self.spec.samples, "limit": self.spec.limit, "sampler": self.spec.generation.model_dump(),
            "suites": {s.name: prompt_set_hash(items) for s, items in self.plans},
            "shard": list(self.shard), "requests": self.planned,
        }

    def execute(self) -> RunSummary:
        existing = self._resume()
        log = SampleLog(self.spec.output / "samples.jsonl")
        self._write("running")
        try:
            for suite, items in self.plans:
                self._run_suite(suite, items, log, existing)
                self._write("running")
        except KeyboardInterrupt:
            self._write("interrupted")
            raise
        finally:
            log.close()
            self.progress.stop()
        return self._write("complete")

    def _resume(self) -> dict[str, SampleRecord]:
        plan_file = self.spec.output / "plan.json"
        signature = self.plan_signature()
        if plan_file.exists():
            on_disk = json.loads(plan_file.read_text(encoding="utf-8"))
            if on_disk != signature:
                changed = sorted(k for k in signature if on_disk.get(k) != signature[k])
                raise OrbenchError(f"{self.spec.output} holds a different plan (changed: {', '.join(changed)})",
                                   hint="use another --output, or the same settings to resume")
            self._time_before()
        elif (self.spec.output / "samples.jsonl").exists():
            raise OrbenchError(f"{self.spec.output} holds samples of an unknown plan (no plan.json)",
                               hint="use another --output")
        write_json_atomic(plan_file, signature)
        records, warning = load_for_resume(self.spec.output / "samples.jsonl")
        if warning:
            self.warnings.append(warning)
            print(f"warning: {warning}", file=sys.stderr)
        planned = {r.id for reqs in self.requests.values() for r in reqs}
        kept = {}
        for record in records:
            if record.id in planned and record.id not in kept:
                kept[record.id] = record
        self.resumed = len(kept)
        return kept

    def _time_before(self) -> None:
        """Machine time already spent by earlier sessions of this plan, from their last summary.json
        (a hard kill loses the time since that summary was written)."""
        try:
            before = RunSummary.model_validate_json((self.spec.output / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        self._wall_before = (before.performance.wall_seconds or 0.0) if before.performance else 0.0
        self._suite_wall_before = {s.suite: s.wall_seconds for s in before.suites if s.wall_seconds}

    def _run_suite(self, suite: Suite, items: list[Item], log: SampleLog, existing: dict[str, SampleRecord]) -> None:
        started = time.perf_counter()
        requests = self.requests[suite.name]
        by_id = {r.id: r for r in requests}
        item_by_id = {i.id: i for i in items}
        records = [existing[r.id] for r in requests if r.id in existing]
        todo = [r for r in requests if r.id not in existing]
        for record in records:
            self._count(record)
        self.done += len(records)
        self.errors += sum(r.status == "error" for r in records)
        self.progress.start(suite.name, len(requests))
        scored = sum(r.status == "ok" for r in records)
        correct = sum(bool(r.correct) for r in records if r.status == "ok")
        try:
            for completion in self.backend.generate(todo) if todo else ():
                request = by_id[completion.request_id]
                record = grade(suite, item_by_id[request.item_id], request, completion, self.spec)
                log.append(record)
                records.append(record)
                self._count(record)
                self.done += 1
                self.errors += record.status == "error"
                scored += record.status == "ok"
                correct += record.status == "ok" and bool(record.correct)
                t = self._totals
                verdict = "error" if record.status == "error" else ("correct" if record.correct else "wrong")
                self.progress.update(len(records), correct, scored,
                                     t["completion"] / t["gen_s"] if t["gen_s"] else None, f"{record.item_id} {verdict}")
        finally:
            self._parallel = max(self._parallel, getattr(self.backend, "last_parallel", 1))
            if records:
                wall = self._suite_wall_before.get(suite.name, 0.0) + time.perf_counter() - started
                self._add_summary(suite, items, records, wall)

    def _add_summary(self, suite: Suite, items: list[Item], records: list[SampleRecord], wall: float) -> None:
        summary = summarize_suite(suite.name, suite.kind, records, self.spec.samples, prompt_set_hash(items))
        summary.wall_seconds = round(wall, 3)
        self.summaries = [s for s in self.summaries if s.suite != suite.name] + [summary]

    def _write(self, status: str) -> RunSummary:
        notes = list(self.warnings)
        if self.resumed:
            notes.append(f"resumed: {self.resumed} sample(s) were already on disk and were kept")
        if self.errors:
            notes.append(f"{self.errors} sample(s) failed with infrastructure errors; they are excluded from "
                         "accuracy and counted under 'errors'")
        if status != "running":
            self.provenance.finished_at = now()
        summary = RunSummary(status=status, provenance=self.provenance, suites=self.summaries,
                             samples_done=self.done, samples_planned=self.planned, errors=self.errors,
                             performance=self._performance(), notes=notes)
        write_json_atomic(self.spec.output / "summary.json", summary)
        return summary


    def _performance(self) -> Performance | None:
        if self.performance is None:
            return None
        t = self._totals
        return self.performance.model_copy(update=dict(
            peak_rss_mb=peak_rss_mb(), wall_seconds=round(self._wall_before + time.perf_counter() - self._started, 2),
            engine=getattr(self.backend, "name", None), parallel=self._parallel or None,
            generation_tokens_per_s=round(t["completion"] / t["gen_s"], 2) if t["gen_s"] else None,
            prompt_tokens_per_s=round(t["prompt"] / t["prompt_s"], 2) if t["prompt_s"] else None,
        ))

    def _count(self, record: SampleRecord) -> None:
        if record.status == "ok" and record.generation_seconds:
            self._totals["completion"] += record.completion_tokens
            self._totals["gen_s"] += record.generation_seconds
        if record.status == "ok" and record.prompt_seconds:
            self._totals["prompt"] += record.prompt_eval_tokens or 0
            self._totals["prompt_s"] += record.prompt_seconds


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def base_provenance(model: str, quant: str | None, spec: RunSpec, backend_info: dict) -> Provenance:
    return Provenance(
        orbench_version=__version__, model=model, quant=quant, file=None, sha256=None, size=None, source=None,
        repo=None, revision=None, backend=backend_info, sampler=spec.generation.model_dump(), seed=spec.seed,
        samples_per_item=spec.samples, limit=spec.limit, python=sys.version.split()[0],
        platform=platform.platform(), started_at=now(),
    )

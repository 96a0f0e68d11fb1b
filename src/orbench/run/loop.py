"""The run: execute a plan through a backend, grade each completion, record it, summarise.

Samples are appended to `samples.jsonl` as they finish and `summary.json` is rewritten atomically
after each suite, so an interrupted run always leaves valid files behind. Suites that run code
are graded in a small pool beside generation (`grading/pool.py`), their records kept in the order
the completions came. The plan (`plan.py`), the folder and resume (`rundir.py`) and the counts
(`tally.py`) live in their own modules.
"""

from __future__ import annotations

import errno
import logging
import os
import platform
import sys
import time
from datetime import datetime, timezone
from typing import Any, Callable, Literal

from .. import __version__
from .summarize import grading_notes, summarize_suite
from ..backends import Backend, BackendInfo, Completion, GenerationRequest
from ..errors import OrbenchError
from ..grading import GradeContext
from ..grading.extract import Split, repetition_loop, split_thinking
from ..grading.pool import GradingPool, default_workers
from ..grading.sandbox import Limits
from .plan import RunSpec, SuitePlan, make_plan
from .progress import NoProgress, Progress
from ..suites.published import published_for
from ..backends.memory import peak_rss_mb
from .records import Performance, Provenance, RunSummary, SampleLog, SampleRecord, SandboxInfo, SuiteSummary
from .folder import RunFolder
from ..suites import Suite
from ..suites.items import Item, chance_level
from .tally import SuiteCount, Tally

log = logging.getLogger(__name__)


class Run:
    """One model on one or more suites, writing into `spec.folder` (resuming what is there)."""

    def __init__(self, backend: Backend, spec: RunSpec, provenance: Provenance, progress: Progress | None = None,
                 shard: tuple[int, int] = (1, 1), performance: Performance | None = None,
                 only: "frozenset[str] | None" = None):
        assert spec.folder is not None, "RunSpec.folder names the run folder"
        self.backend, self.spec, self.provenance = backend, spec, provenance
        self.progress = progress or NoProgress()
        self.performance = performance  # file and load figures; speed and time are added as the run goes
        self.plan, self.parts = make_plan(spec, provenance.model, provenance.quant, provenance.sha256, shard)
        self.folder = RunFolder(spec.folder)
        self.tally = Tally(planned=self.plan.requests)
        self.summaries: list[SuiteSummary] = []
        self.warnings: list[str] = []
        self._writing = "plan.json"  # the file being written, named if a write fails
        self.sandbox: SandboxInfo | None = None
        self.only = only  # adaptive runs: only these items ("suite/item_id") of the plan are run

    def wanted(self, part: SuitePlan, request: GenerationRequest) -> bool:
        """True for a request this run executes: every one, or those of the items in `only`."""
        return self.only is None or f"{part.suite.name}/{request.item_id}" in self.only

    def execute(self) -> RunSummary:
        self.sandbox, warning = sandbox_info(self.spec.suites, self.spec.sandbox, graders(self.spec))
        if warning:  # once per run: the sandbox is weaker than a full one
            self.warnings.append(warning)
            log.warning(warning)
        with self.folder.lock():
            try:
                return self._execute()
            except OSError as exc:  # disk full or another write error: one line, and the run can resume
                raise self._write_failed(exc) from None

    def _execute(self) -> RunSummary:
        self._writing = "plan.json"
        if self.folder.claim(self.plan):
            self.tally.wall_before, self.tally.suite_wall_before, self.tally.parallel = self.folder.before()
        kept, warning = self.folder.kept_samples({r.id for part in self.parts for r in part.requests})
        if warning:
            self.warnings.append(warning)
            log.warning(warning)
        self.tally.resumed = len(kept)
        log.debug("plan: %d requests in %s (shard %d/%d); %d already on disk", self.plan.requests,
                  ", ".join(self.plan.suites), *self.plan.options().shard, len(kept))
        self.progress.note(self._plan_line(len(kept)))
        with self.folder.sample_log() as samples:
            self._write("running")
            try:
                for part in self.parts:
                    self._run_suite(part, samples, kept)
                    self._write("running")
            except KeyboardInterrupt:
                self._write("interrupted")
                raise
            finally:
                self.progress.stop()
        return self._write("complete")

    def _plan_line(self, kept: int) -> str:
        """What is about to happen, before any work: the plan's size, the settings, the folder."""
        g, spec = self.spec.generation, self.spec
        sizes = ", ".join(f"{p.suite.name} {len(p.items)}" for p in self.parts)
        todo = sum(len(p.requests) for p in self.parts) - kept
        resumed = f", {kept} already done (resuming)" if kept else ""
        return (f"plan: {todo} samples to run{resumed}: items per suite {sizes}, {spec.options.samples} sample(s) each; "
                f"max tokens {g.max_tokens}, temperature {g.temperature:g}, top-p {g.top_p:g}, context {g.context}, "
                f"seed {spec.options.seed}; output {self.folder.path}")

    def _write_failed(self, exc: OSError) -> OrbenchError:
        """The one-line error for a failed write; the summary is marked interrupted if it still can be."""
        what = self._writing
        try:
            self._write("interrupted")
        except OSError:
            pass
        reason = ("disk full: no space left on device" if exc.errno == errno.ENOSPC
                  else (exc.strerror or str(exc)).lower())
        kept = ("finished samples are kept, free space (or fix the folder) and run the same command to resume"
                if self.tally.done else "no sample was finished; free space (or fix the folder) and run the same "
                "command again")
        return OrbenchError(f"{reason} while writing {what} in {self.folder.path}; {kept}")

    def _run_suite(self, part: SuitePlan, samples: SampleLog, kept: dict[str, SampleRecord]) -> None:
        started = time.perf_counter()
        records = [kept[r.id] for r in part.requests if r.id in kept]
        count = SuiteCount()
        for record in records:
            self.tally.add(record)
            count.add(record)
        self.progress.start(part.suite.name, len(part.requests))

        def keep(record: SampleRecord) -> None:
            self._writing = "samples.jsonl"
            samples.append(record)
            records.append(record)
            self.tally.add(record)
            count.add(record)
            self.progress.update(count.done, count.correct, count.scored, self.tally.generation_tokens_per_s,
                                 f"{record.item_id} {record.verdict}")

        try:
            self._generate_and_grade(part, [r for r in part.requests if r.id not in kept and self.wanted(part, r)],
                                     keep)
        finally:
            self.tally.parallel = max(self.tally.parallel, self.backend.last_parallel)
            if records:
                summary = self._suite_summary(part, records, started)
                self.summaries = [s for s in self.summaries if s.suite != summary.suite] + [summary]

    def _suite_summary(self, part: SuitePlan, records: list[SampleRecord], started: float) -> SuiteSummary:
        spec, suite = self.spec, part.suite
        summary = summarize_suite(suite.name, suite.kind, records, spec.options.samples, self.plan.suites[suite.name])
        ran = {r.item_id for r in records}
        return summary.model_copy(update=dict(
            chance=chance_level([i for i in part.items if i.id in ran]),
            wall_seconds=self.tally.suite_wall(suite.name, started), data=suite.provenance(),
            window=spec.window if suite.dated else None, quote_items=suite.quote_items,
            published=published_for(self.provenance.model, suite.name, spec.generation.max_tokens, spec.options.samples,
                                     _day(spec.options.since), _day(spec.options.until)),
        ))

    def _generate_and_grade(self, part: SuitePlan, todo: list[GenerationRequest],
                            keep: Callable[[SampleRecord], None]) -> None:
        """Generate `todo`; grade each completion (in the pool for code) and keep its record."""
        by_id, items = {r.id: r for r in todo}, part.item_by_id
        context = GradeContext(sandbox=self.spec.sandbox)
        with GradingPool[SampleRecord](graders(self.spec) if part.suite.executes_code else 0) as pool:
            try:
                for completion in self.backend.generate(todo) if todo else ():
                    request = by_id[completion.request_id]
                    pool.submit(grade_sample, part.suite, items[request.item_id], request, completion, self.spec,
                                context)
                    for record in pool.ready():
                        keep(record)
                for record in pool.drain():
                    keep(record)
            except BaseException:
                for record in pool.abandon():  # graded before the interrupt: kept, so resume skips them
                    keep(record)
                raise

    def _write(self, status: Literal["running", "complete", "interrupted"]) -> RunSummary:
        notes = list(self.warnings)
        if self.tally.resumed:
            notes.append(f"resumed: {self.tally.resumed} sample(s) were already on disk and were kept")
        if self.provenance.overrides:
            notes.append("command-line settings over the config: " +
                         ", ".join(f"{k}={v}" for k, v in self.provenance.overrides.items()))
        notes += grading_notes(self.spec.options.grading)
        if self.tally.errors:
            notes.append(f"{self.tally.errors} sample(s) failed with infrastructure errors; they are excluded from "
                         "accuracy and counted under 'errors'")
        items_run = None
        if self.only is not None:
            items_run = sum(1 for part in self.parts for i in part.items if f"{part.suite.name}/{i.id}" in self.only)
            planned = sum(len(part.items) for part in self.parts)
            notes.append(f"adaptive (--until-decided): {items_run} of the plan's {planned} items were run, "
                         "so the figures are those of these items, not of the full plan")
        if status != "running":
            self.provenance.finished_at = now()
        summary = RunSummary(items_run=items_run, status=status, provenance=self.provenance, suites=self.summaries,
                             samples_done=self.tally.done, samples_planned=self.tally.planned,
                             errors=self.tally.errors, performance=self._performance(), sandbox=self.sandbox,
                             notes=notes)
        writing, self._writing = self._writing, "summary.json"
        self.folder.write_summary(summary)
        self._writing = writing
        return summary

    def _performance(self) -> Performance | None:
        if self.performance is None:
            return None
        t = self.tally
        return self.performance.model_copy(update=dict(
            peak_rss_mb=None if self.provenance.backend.base_url else peak_rss_mb(), wall_seconds=t.wall_seconds(), engine=self.backend.name,
            parallel=t.parallel or None, generation_tokens_per_s=t.generation_tokens_per_s,
            prompt_tokens_per_s=t.prompt_tokens_per_s, load_per_core=load_per_core(),
        ))


def load_per_core() -> float | None:
    """The 1-minute load average per CPU core (None where the system does not say)."""
    try:
        return round(os.getloadavg()[0] / (os.cpu_count() or 1), 2)
    except OSError:
        return None


def graders(spec: RunSpec) -> int:
    """Programs graded at once beside generation: as asked, else half the cores (at least one)."""
    return spec.options.graders if spec.options.graders is not None else default_workers()


def sandbox_info(suites: list[Suite], limits: Limits, pool: int) -> tuple[SandboxInfo | None, str | None]:
    """How the code of `suites` will be isolated (probed once per process) and the warning to give,
    if any; None without code. OrbenchError where `--sandbox strict` (or an engine) cannot be had."""
    if not any(suite.executes_code for suite in suites):
        return None, None
    from ..grading.isolation import SandboxUnavailable, choose, fallback_warning

    mode = limits.isolation
    try:
        choice = choose(mode, sys.executable)
    except SandboxUnavailable as exc:
        raise OrbenchError(str(exc)) from None
    info = SandboxInfo(mode=mode, engine=choice.engine, layers=list(choice.graded_layers), missing=choice.missing,
                       unavailable=dict(choice.unavailable), graders=pool)
    return info, fallback_warning(choice, mode)


def grade_sample(suite: Suite, item: Item, request: GenerationRequest, completion: Completion, spec: RunSpec,
                 context: GradeContext | None = None) -> SampleRecord:
    """A completion as a sample record: thinking split off, flags set, the answer graded by the suite."""
    common: dict[str, Any] = dict(
        id=request.id, suite=suite.name, item_id=item.id, sample=request.sample, seed=request.seed,
        category=item.category, difficulty=item.difficulty, prompt=request.messages[-1]["content"],
        output=completion.text, finish_reason=completion.finish_reason, prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens, seconds=round(completion.seconds, 4),
        prompt_seconds=completion.prompt_seconds, prompt_eval_tokens=completion.prompt_eval_tokens,
        generation_seconds=completion.generation_seconds,
    )
    if completion.finish_reason == "error":
        return SampleRecord(**common, status="error", error=completion.error or "generation failed")
    split = thinking_and_answer(completion, spec.generation.thinking)
    flags = []
    if completion.finish_reason == "length":
        flags.append("truncated")
    if split.unterminated:
        flags.append("unterminated_thinking")
    if repetition_loop(completion.text):
        flags.append("repetition_loop")
    result = suite.grade(item, split.answer, context or GradeContext(sandbox=spec.sandbox))
    if result.extracted is None and result.status == "ok":
        flags.append("no_answer")
    if result.limit is not None and result.status == "ok" and not result.correct:
        flags.append(f"{result.limit}_limit")  # failed because a time or memory limit stopped the program
    return SampleRecord(
        **common, thinking=split.thinking, extracted=result.extracted,
        correct=result.correct if result.status == "ok" else None, status=result.status,
        error=result.detail if result.status == "error" else None, detail=result.detail, flags=flags,
        isolation=result.isolation,
        thinking_tokens=_share(completion.completion_tokens, split.thinking, (completion.thinking or "") + completion.text),
        grader_version=suite.grader_version,
    )


def thinking_and_answer(completion: Completion, thinking_model: bool) -> Split:
    """The reply's thinking and answer: a server's separate reasoning field when it sent one (a reply
    cut off with nothing but reasoning never closed its thinking), else `<think>` tags in the text."""
    if completion.thinking is None:
        return split_thinking(completion.text, thinking_model)
    answer = completion.text.strip()
    return Split(completion.thinking.strip(), answer, completion.finish_reason == "length" and not answer)


def _share(tokens: int, part: str, whole: str) -> int:
    """Tokens of `part` estimated from its share of the characters of `whole`."""
    return round(tokens * len(part) / len(whole)) if whole else 0


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def base_provenance(model: str, quant: str | None, spec: RunSpec, backend_info: BackendInfo) -> Provenance:
    return Provenance(
        orbench_version=__version__, model=model, quant=quant, file=None, sha256=None, size=None, source=None,
        repo=None, revision=None, backend=backend_info, sampler=_sampler(spec), seed=spec.options.seed,
        samples_per_item=spec.options.samples, limit=spec.options.limit, overrides=dict(spec.options.overrides),
        grading=spec.options.grading, python=sys.version.split()[0],
        platform=platform.platform(), started_at=now(),
    )


def _sampler(spec: RunSpec) -> dict[str, Any]:
    """The generation settings as recorded; a chat template only when one replaced the GGUF's."""
    g = spec.generation
    return g.model_dump(exclude={"chat_template"} if g.chat_template is None else None)


def _day(day: Any) -> str | None:
    return str(day) if day else None

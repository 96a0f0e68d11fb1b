"""`orbench regrade`: score a run's stored replies again with today's graders, without the model.

Each sample's reply is graded exactly as the run graded it (`runner.grade_sample`: thinking split
off, flags set, the suite's grader, code in the current sandbox), against the same items: the run's
plan (seed, --limit, date window) selects them again, and their prompt-set hash must match the one
recorded, or the replies would be judged against other questions. A record whose verdict or grader
version changes keeps the verdict it replaces in `earlier_verdicts`; samples whose generation failed
have no reply and stay as they are. The summary is recomputed from the records, keeping what only
the run knew (machine time, data provenance, published figures). Nothing is written until every
sample is graded, and then atomically, so an interrupted regrade leaves the run as it was.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, Field

from .settings import check_grading
from .summarize import GRADING_NOTE, graded_with, grading_notes, summarize_suite
from ..backends import Completion, GenerationRequest
from .loader import LoadedRun, load_runs
from ..errors import OrbenchError
from ..files import read_model, write_atomic, write_json_atomic
from .folder import FolderLock
from ..grading import GradeContext
from .plan import Plan, RunSpec
from .progress import NoProgress, Progress
from .records import PriorVerdict, RunSummary, SampleRecord
from .loop import grade_sample
from ..suites import Suite, all_suites, prompt_set_hash, select
from ..suites.items import Item

ERRORS_NOTE = "sample(s) failed with infrastructure errors"
VERDICT_FIELDS = ("correct", "status", "extracted", "detail", "error", "flags", "isolation", "grader_version")


class SuiteRegrade(BaseModel):
    """What a regrade changed in one suite of one run."""

    suite: str
    samples: int
    regraded: int = Field(description="samples graded again (a failed generation has no reply to grade)")
    changed: int = Field(description="samples whose verdict (correct, wrong, error) changed")
    directions: dict[str, int] = Field(description="'wrong -> correct' etc. -> samples")
    updated: int = Field(description="records rewritten: verdict, extracted answer, reason, flags or grader version")
    grader_before: str | None
    grader_after: str | None
    accuracy_before: float | None
    accuracy_after: float | None


class RunRegrade(BaseModel):
    label: str
    folder: str
    suites: list[SuiteRegrade]
    written: bool = Field(description="False for --dry-run")


def regrade(folders: list[Path], extra_suites: list[Suite] | None = None, dry_run: bool = False,
            progress: Progress | None = None, grading: str | None = None) -> list[RunRegrade]:
    """Regrade every run under `folders` (a ladder or matrix folder holds several); `grading` regrades
    under that protocol instead of each run's own (and records it in plan.json and summary.json)."""
    if grading is not None:
        check_grading(grading)
    runs = load_runs(folders, mixed_ok=True)  # a run graded by several grader versions is what regrade mends
    return [regrade_run(run, extra_suites or [], dry_run, progress or NoProgress(), grading) for run in runs]


def regrade_run(run: LoadedRun, extra_suites: list[Suite], dry_run: bool = False,
                progress: Progress | None = None, grading: str | None = None) -> RunRegrade:
    progress = progress or NoProgress()
    recorded = _plan(run.folder)
    plan = recorded if grading is None else recorded.model_copy(update={"grading": grading})
    by_suite: dict[str, list[SampleRecord]] = {}
    for record in run.records:
        by_suite.setdefault(record.suite, []).append(record)
    replaced: dict[str, SampleRecord] = {}
    changes = []
    try:
        for name, records in by_suite.items():
            suite, items = _suite_and_items(name, run, plan, extra_suites)
            spec = RunSpec(suites=[suite], generation=plan.sampler, options=plan.options())
            progress.start(f"{run.label} {name}" if run.label else name, len(records))
            new = list(_regraded(suite, items, records, spec, progress))
            replaced.update((r.id, r) for r in new)
            changes.append(_describe(name, records, new, suite.grader_version))
    finally:
        progress.stop()
    if not dry_run:
        records = [replaced.get(r.id, r) for r in run.records]
        with FolderLock(run.folder):  # not while a run (or another regrade) writes this folder
            _write_samples(run.folder / "samples.jsonl", records)
            write_json_atomic(run.folder / "summary.json", _summary(run.summary, plan, records, changes))
            if plan.options().grading != recorded.options().grading:
                write_json_atomic(run.folder / "plan.json", plan.model_dump(mode="json"))
    return RunRegrade(label=run.label, folder=str(run.folder), suites=changes, written=not dry_run)


def _plan(folder: Path) -> Plan:
    if not (folder / "plan.json").is_file():
        raise OrbenchError(f"{folder} has no plan.json, so its items cannot be selected again")
    return read_model(folder / "plan.json", Plan)


def suite_for_run(name: str, summary: RunSummary, extra: list[Suite]) -> Suite | None:
    """The suite a run used, by name (a user's suite from `extra`), restricted to the run's date
    window; None when orbench does not know the name."""
    suite = next((s for s in extra if s.name == name), None) or all_suites().get(name)
    window = next((s.window for s in summary.suites if s.suite == name), None)
    if suite is None or not window:
        return suite
    since, until = (None if part.strip() == "…" else date.fromisoformat(part.strip()) for part in window.split(" to "))
    return suite.windowed(since, until)


def _suite_and_items(name: str, run: LoadedRun, plan: Plan, extra: list[Suite]) -> tuple[Suite, dict[str, Item]]:
    """The suite as the run used it and its items, checked against the plan."""
    suite = suite_for_run(name, run.summary, extra)
    if suite is None:
        raise OrbenchError(f"{run.folder}: suite '{name}' is not one orbench knows by name",
                           hint="pass the user suite's file or folder with --suite PATH")
    suite = suite.graded_as(plan.options().grading)  # the run's grading protocol (plan.json), not today's default
    recorded = plan.options()
    items = select(suite.load(recorded.seed), recorded.limit, recorded.seed)
    if name in plan.suites and prompt_set_hash(items) != plan.suites[name]:
        raise OrbenchError(f"{run.folder}: the items of suite '{name}' differ from those the run answered "
                           "(prompt-set hash changed); regrading would judge its replies against other items")
    return suite, {item.id: item for item in items}


def _regraded(suite: Suite, items: dict[str, Item], records: list[SampleRecord], spec: RunSpec,
              progress: Progress) -> Iterator[SampleRecord]:
    """Each record graded again, in order. Code runs in the sandbox, several programs at a time;
    other graders stay on this thread (math-verify's timeouts use signals, which need the main thread)."""
    context = GradeContext(sandbox=spec.sandbox)

    def one(record: SampleRecord) -> SampleRecord:
        if record.finish_reason == "error" or record.item_id not in items:
            return record
        return _regrade_one(record, suite, items[record.item_id], spec, context)

    workers = max(1, os.cpu_count() or 1) if suite.kind == "code" else 1
    done = correct = scored = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for record in (pool.map(one, records) if workers > 1 else map(one, records)):
            done += 1
            scored += record.status == "ok"
            correct += bool(record.status == "ok" and record.correct)
            progress.update(done, correct, scored, None, f"{record.item_id} {record.verdict}")
            yield record


def _regrade_one(old: SampleRecord, suite: Suite, item: Item, spec: RunSpec, context: GradeContext) -> SampleRecord:
    g = spec.generation
    request = GenerationRequest(id=old.id, item_id=old.item_id, sample=old.sample,
                                messages=[{"role": "user", "content": old.prompt}], max_tokens=g.max_tokens,
                                temperature=g.temperature, top_p=g.top_p, top_k=g.top_k, min_p=g.min_p,
                                repeat_penalty=g.repeat_penalty, seed=old.seed)
    # A server that returned its reasoning apart from the answer left thinking that is not part of the output.
    separate = old.thinking if old.thinking and old.thinking not in old.output else None
    completion = Completion(request_id=old.id, text=old.output, finish_reason=old.finish_reason,  # type: ignore[arg-type]
                            thinking=separate, prompt_tokens=old.prompt_tokens, completion_tokens=old.completion_tokens,
                            seconds=old.seconds, prompt_seconds=old.prompt_seconds,
                            prompt_eval_tokens=old.prompt_eval_tokens, generation_seconds=old.generation_seconds)
    fresh = grade_sample(suite, item, request, completion, spec, context)
    if all(getattr(fresh, f) == getattr(old, f) for f in VERDICT_FIELDS):
        return old
    prior = PriorVerdict(**{f: getattr(old, f) for f in VERDICT_FIELDS}, replaced_at=_now())
    data = old.model_dump()
    data.update(fresh.model_dump(exclude_unset=True, exclude={"id", "prompt"}))
    data["earlier_verdicts"] = [*old.earlier_verdicts, prior]
    return SampleRecord.model_validate(data)


def _describe(name: str, before: list[SampleRecord], after: list[SampleRecord], version: str | None) -> SuiteRegrade:
    directions = Counter(f"{a.verdict} -> {b.verdict}" for a, b in zip(before, after) if a.verdict != b.verdict)
    return SuiteRegrade(
        suite=name, samples=len(before), regraded=sum(r.finish_reason != "error" for r in before),
        changed=sum(directions.values()), directions=dict(sorted(directions.items())),
        updated=sum(a is not b for a, b in zip(before, after)), grader_before=graded_with(before),
        grader_after=version, accuracy_before=_accuracy(before), accuracy_after=_accuracy(after),
    )


def _accuracy(records: list[SampleRecord]) -> float | None:
    scored = [r for r in records if r.status == "ok"]
    return round(sum(bool(r.correct) for r in scored) / len(scored), 4) if scored else None


def _summary(before: RunSummary, plan: Plan, records: list[SampleRecord], changes: list[SuiteRegrade]) -> RunSummary:
    suites = []
    for old in before.suites:
        mine = [r for r in records if r.suite == old.suite]
        if not mine:
            suites.append(old)
            continue
        fresh = summarize_suite(old.suite, old.kind, mine, plan.options().samples, old.prompt_set_hash)
        suites.append(old.model_copy(update={f: getattr(fresh, f) for f in fresh.model_fields_set}))
    errors = sum(r.status == "error" for r in records)
    notes = [n for n in before.notes if ERRORS_NOTE not in n and not n.startswith(GRADING_NOTE)]
    notes += grading_notes(plan.options().grading)
    if errors:
        notes.append(f"{errors} {ERRORS_NOTE}; they are excluded from accuracy and counted under 'errors'")
    changed = ", ".join(f"{c.suite} {c.changed}" for c in changes if c.changed) or "none"
    notes.append(f"regraded {_now()} with grader versions "
                 f"{', '.join(f'{c.suite} {c.grader_after}' for c in changes)}; verdicts changed: {changed}")
    provenance = before.provenance.model_copy(update={"grading": plan.options().grading})
    return before.model_copy(update=dict(suites=suites, errors=errors, notes=notes, provenance=provenance))


def _write_samples(path: Path, records: list[SampleRecord]) -> None:
    """Replace samples.jsonl in one step (temporary file, fsync, rename)."""
    try:
        write_atomic(path, (record.model_dump_json() + "\n" for record in records))
    except OSError as exc:
        raise OrbenchError(f"cannot rewrite {path}: {exc.strerror}") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

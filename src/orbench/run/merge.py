"""Merge shards of one plan (`orbench run --shard I/N`) into a single result.

All or nothing: every shard is read and checked before anything is written, and the result is
written into a temporary folder beside the output and renamed into place, so a failed merge leaves
no partial output behind and the same command can simply be run again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .summarize import summarize_suite
from ..errors import OrbenchError
from ..files import read_model, write_json_atomic
from .plan import Plan
from .consistency import refuse, run_problems
from .folder import RunFolder
from .loader import read_run
from .records import RunSummary, SampleRecord, SuiteSummary, read_summary


def _plan(folder: Path) -> Plan:
    if not (folder / "plan.json").is_file():
        raise OrbenchError(f"{folder} is not a run folder (no plan.json)")
    return read_model(folder / "plan.json", Plan)


def _carried(part: SuiteSummary | None) -> dict[str, object]:
    """What a shard's suite summary says that the samples cannot: its data, window and published figures."""
    if part is None:
        return {}
    return dict(data=part.data, window=part.window, published=part.published, quote_items=part.quote_items)


def _records(shards: list[Path], plans: list[Plan]) -> list[SampleRecord]:
    """Every shard's samples, each shard consistent with itself and complete, no sample in two places."""
    records: list[SampleRecord] = []
    seen: set[str] = set()
    for folder, plan in zip(shards, plans):
        if not (folder / "samples.jsonl").is_file() or not (folder / "summary.json").is_file():
            raise OrbenchError(f"{folder} has no samples.jsonl or summary.json; finish it first (run the same "
                               "command again)")
        summary, located, _ = read_run(folder)
        refuse(run_problems(folder, summary, located, plan), folder)
        shard_records = [r for _, r in located]
        if len(shard_records) < plan.requests:
            raise OrbenchError(f"{folder} has {len(shard_records)} of its {plan.requests} samples; finish it first "
                               "(run the same command again to resume)")
        for record in shard_records:
            if record.id in seen:
                raise OrbenchError(f"sample {record.id} appears in more than one shard")
            seen.add(record.id)
            records.append(record)
    return records


def _same_provenance(shards: list[Path]) -> None:
    """Refuse shards made from different model files or graded by different grader versions."""
    parts = [read_summary(s / "summary.json") for s in shards]
    first = parts[0]
    for folder, part in zip(shards[1:], parts[1:]):
        if part.provenance.sha256 != first.provenance.sha256:
            raise OrbenchError(f"{folder} was made from another model file than {shards[0]} (sha256 "
                               f"{_short(part.provenance.sha256)} against {_short(first.provenance.sha256)})")
    versions: dict[str, dict[str | None, Path]] = {}
    for folder, part in zip(shards, parts):
        for s in part.suites:
            versions.setdefault(s.suite, {}).setdefault(s.grader_version, folder)
    for name, seen in versions.items():
        if len(seen) > 1:
            which = "; ".join(f"{folder}: {version or '(before grader versions)'}" for version, folder in seen.items())
            raise OrbenchError(f"shards of suite '{name}' were graded by different grader versions ({which})",
                               hint=f"regrade them first: orbench regrade {' '.join(str(s) for s in shards)}")


def _short(sha256: str | None) -> str:
    return f"{sha256[:16]}…" if sha256 else "none"


def _summary(shards: list[Path], plans: list[Plan], records: list[SampleRecord]) -> RunSummary:
    for folder in shards:
        if not (folder / "summary.json").is_file():
            raise OrbenchError(f"{folder} has no summary.json; finish it first (run the same command again)")
    parts = [read_summary(s / "summary.json") for s in shards]
    first = {s.suite: s for part in reversed(parts) for s in part.suites}
    suites = [summarize_suite(name, first[name].kind if name in first else name,
                              [r for r in records if r.suite == name], plans[0].options().samples, digest)
              .model_copy(update=_carried(first.get(name)))
              for name, digest in plans[0].suites.items() if any(r.suite == name for r in records)]
    for suite in suites:  # machine time adds up over the shards
        walls = [s.wall_seconds for part in parts for s in part.suites if s.suite == suite.suite]
        suite.wall_seconds = round(sum(w for w in walls if w is not None), 2) if walls and None not in walls else None
    notes = [f"merged from {plans[0].options().shard[1]} shards: " + ", ".join(str(s) for s in shards)]
    servers = sorted({url for part in parts if (url := part.provenance.backend.base_url)})
    if servers:
        notes.append("generated by the OpenAI-compatible server(s) at " + ", ".join(servers))
    return parts[0].model_copy(update=dict(
        status="complete", suites=suites, samples_done=len(records), samples_planned=len(records),
        errors=sum(r.status == "error" for r in records), performance=None, notes=notes,
    ))


def merge_shards(output: Path, shards: list[Path]) -> RunSummary:
    plans = [_plan(s) for s in shards]
    for folder, plan in zip(shards, plans):
        if not plan.same_plan_as(plans[0]):
            raise OrbenchError(f"{folder} belongs to a different plan or model file than {shards[0]}")
    slices = [p.options().shard for p in plans]
    count = slices[0][1]
    indices = sorted(index for index, _ in slices)
    if indices != list(range(1, count + 1)) or any(of != count for _, of in slices):
        raise OrbenchError(f"shards {indices} of {count} given; merge needs each of 1..{count} exactly once")
    records = _records(shards, plans)
    _same_provenance(shards)
    summary = _summary(shards, plans, records)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise OrbenchError(f"{output} already exists and is not empty", hint="merge into a new or empty folder")
    _write(output, plans[0].model_copy(update=dict(shard=(1, 1), requests=len(records))), records, summary)
    return summary


def _write(output: Path, plan: Plan, records: list[SampleRecord], summary: RunSummary) -> None:
    """Write the merged run into a temporary folder beside `output`, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = output.parent / f".{output.name}.merging-{os.getpid()}"
    try:
        folder = RunFolder(staging)
        with folder.sample_log() as log:
            for record in records:
                log.append(record)
        write_json_atomic(folder.plan_file, plan)
        folder.write_summary(summary)
        if output.is_dir():
            output.rmdir()  # empty, checked above
        os.replace(staging, output)
    except OSError as exc:
        raise OrbenchError(f"cannot write the merged result to {output}: {exc.strerror}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)

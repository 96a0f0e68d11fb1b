"""Merge shards of one plan (`orbench run --shard I/N`) into a single result."""

from __future__ import annotations

from pathlib import Path

from .aggregate import summarize_suite
from .errors import OrbenchError
from .files import read_model, write_json_atomic
from .plan import Plan
from .results import RunSummary, SampleRecord, SuiteSummary, read_samples, read_summary
from .rundir import RunFolder


def _plan(folder: Path) -> Plan:
    if not (folder / "plan.json").is_file():
        raise OrbenchError(f"{folder} is not a run folder (no plan.json)")
    return read_model(folder / "plan.json", Plan)


def _carried(part: SuiteSummary | None) -> dict[str, object]:
    """What a shard's suite summary says that the samples cannot: its data, window and published figures."""
    if part is None:
        return {}
    return dict(data=part.data, window=part.window, published=part.published, quote_items=part.quote_items)


def merge_shards(output: Path, shards: list[Path]) -> RunSummary:
    plans = [_plan(s) for s in shards]
    for folder, plan in zip(shards, plans):
        if not plan.same_plan_as(plans[0]):
            raise OrbenchError(f"{folder} belongs to a different plan or model file than {shards[0]}")
    count = plans[0].shard[1]
    indices = sorted(p.shard[0] for p in plans)
    if indices != list(range(1, count + 1)) or any(p.shard[1] != count for p in plans):
        raise OrbenchError(f"shards {indices} of {count} given; merge needs each of 1..{count} exactly once")
    records: list[SampleRecord] = []
    seen: set[str] = set()
    for folder, plan in zip(shards, plans):
        shard_records = read_samples(folder / "samples.jsonl")
        if len(shard_records) != plan.requests:
            raise OrbenchError(f"{folder} has {len(shard_records)} of its {plan.requests} samples; finish it first "
                               "(run the same command again to resume)")
        for record in shard_records:
            if record.id in seen:
                raise OrbenchError(f"sample {record.id} appears in more than one shard")
            seen.add(record.id)
            records.append(record)
    parts = [read_summary(s / "summary.json") for s in shards]
    target = RunFolder(output)
    if target.samples_file.exists():
        raise OrbenchError(f"{output} already holds samples", hint="merge into an empty folder")
    with target.sample_log() as log:
        for record in records:
            log.append(record)
    write_json_atomic(target.plan_file, plans[0].model_copy(update=dict(shard=(1, 1), requests=len(records))))
    first = {s.suite: s for part in reversed(parts) for s in part.suites}
    suites = [summarize_suite(name, first[name].kind if name in first else name,
                              [r for r in records if r.suite == name], plans[0].samples, digest)
              .model_copy(update=_carried(first.get(name)))
              for name, digest in plans[0].suites.items() if any(r.suite == name for r in records)]
    for suite in suites:  # machine time adds up over the shards
        walls = [s.wall_seconds for part in parts for s in part.suites if s.suite == suite.suite]
        suite.wall_seconds = round(sum(w for w in walls if w is not None), 2) if walls and None not in walls else None
    summary = parts[0].model_copy(update=dict(
        status="complete", suites=suites, samples_done=len(records), samples_planned=len(records),
        errors=sum(r.status == "error" for r in records), performance=None,
        notes=[f"merged from {count} shards: " + ", ".join(str(s) for s in shards)],
    ))
    target.write_summary(summary)
    return summary

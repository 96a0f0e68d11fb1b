"""Merge shards of one plan (`orbench run --shard I/N`) into a single result."""

from __future__ import annotations

import json
from pathlib import Path

from .aggregate import summarize_suite
from .errors import OrbenchError
from .results import RunSummary, SampleLog, prepare_output_dir, read_samples, write_json_atomic
from .suites import SUITES


def _plan(folder: Path) -> dict:
    try:
        return json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OrbenchError(f"{folder} is not a run folder (no readable plan.json)") from None


def merge_shards(output: Path, shards: list[Path]) -> RunSummary:
    plans = [_plan(s) for s in shards]
    first = {k: v for k, v in plans[0].items() if k not in ("shard", "requests")}
    for folder, plan in zip(shards, plans):
        if {k: v for k, v in plan.items() if k not in ("shard", "requests")} != first:
            raise OrbenchError(f"{folder} belongs to a different plan or model file than {shards[0]}")
    count = plans[0]["shard"][1]
    indices = sorted(p["shard"][0] for p in plans)
    if indices != list(range(1, count + 1)) or any(p["shard"][1] != count for p in plans):
        raise OrbenchError(f"shards {indices} of {count} given; merge needs each of 1..{count} exactly once")
    records, seen = [], set()
    for folder, plan in zip(shards, plans):
        shard_records = read_samples(folder / "samples.jsonl")
        if len(shard_records) != plan["requests"]:
            raise OrbenchError(f"{folder} has {len(shard_records)} of its {plan['requests']} samples; finish it first "
                               "(run the same command again to resume)")
        for record in shard_records:
            if record.id in seen:
                raise OrbenchError(f"sample {record.id} appears in more than one shard")
            seen.add(record.id)
            records.append(record)
    prepare_output_dir(output)
    if (output / "samples.jsonl").exists():
        raise OrbenchError(f"{output} already holds samples", hint="merge into an empty folder")
    log = SampleLog(output / "samples.jsonl")
    for record in records:
        log.append(record)
    log.close()
    write_json_atomic(output / "plan.json", {**plans[0], "shard": [1, 1], "requests": len(records)})
    parts = [RunSummary.model_validate_json((s / "summary.json").read_text(encoding="utf-8")) for s in shards]
    base = parts[0]
    suites = [summarize_suite(name, SUITES[name].kind if name in SUITES else name,
                              [r for r in records if r.suite == name], plans[0]["samples"], digest)
              for name, digest in plans[0]["suites"].items() if any(r.suite == name for r in records)]
    for suite in suites:  # machine time adds up over the shards
        walls = [s.wall_seconds for part in parts for s in part.suites if s.suite == suite.suite]
        suite.wall_seconds = round(sum(walls), 2) if walls and None not in walls else None
    summary = base.model_copy(update=dict(
        status="complete", suites=suites, samples_done=len(records), samples_planned=len(records),
        errors=sum(r.status == "error" for r in records), performance=None,
        notes=[f"merged from {count} shards: " + ", ".join(str(s) for s in shards)],
    ))
    write_json_atomic(output / "summary.json", summary)
    return summary

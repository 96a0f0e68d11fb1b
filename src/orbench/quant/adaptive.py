"""An adaptive quant ladder: `orbench run -m MODEL --quant A,B,C --until-decided`.

This module owns the controller. Every quant's folder is a normal run of the full pool's plan
(plan.json unchanged, so compare, report and view read it as any run); only the items taken so
far are executed (`RunOptions.items`). Items are taken in a seeded random order, `round_items` per
round, by the reference and every undecided quant alike (paired, K samples each). After each round
each quant's anytime-valid test (`sequential`: betting tests at the margin and at zero, Waudby-Smith
& Ramdas 2024) is advanced by the round's items and Holm across the quants (`family`) decides
"not worse", "worse" or "continue". A decided quant stops generating; the run stops when every
quant is decided, at the pool's end, or before a round would pass the budget, and reports the
undecided quants as inconclusive with the items they still need.

Everything is recorded in `adaptive.json` (`adaptive_record`) after each round; a resumed run
(same command, same folder) first recomputes the recorded states from the stored samples and
refuses to continue if they differ, then continues with the next round (the interrupted round's
finished samples are kept by the run folders' own resume).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from ..errors import OrbenchError
from ..files import write_json_atomic
from ..run.evaluate import Batch, resolve_file, run_model, windowed
from ..run.loader import Candidate, pick_reference
from ..run.records import RunSummary, read_samples
from ..run.settings import RunOptions
from ..store.catalog import ModelRef
from ..suites import Suite, select
from .adaptive_record import (ADAPTIVE_FILE, ALPHA, AdaptiveRecord, AdaptiveRound, AdaptiveSettings, advance,
                              item_order, projected, read_record, replay, scores)
from .sequential import SequentialState

Runner = Callable[[ModelRef, list[Suite], Path, RunOptions], RunSummary]


@dataclass
class AdaptiveResult:
    record: AdaptiveRecord
    summaries: dict[str, RunSummary]
    folders: dict[str, Path]


def parse_budget(text: str | None) -> float | None:
    """`2h`, `30m`, `90s`, `1h30m` -> seconds; None -> no budget."""
    if text is None:
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([hms])", text.strip().lower())
    if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([hms])|\s", "", text.strip().lower()):
        raise OrbenchError(f"--budget takes a time like 2h, 30m, 90s or 1h30m, got '{text}'")
    seconds = sum(float(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in parts)
    if seconds <= 0:
        raise OrbenchError("--budget must be more than zero")
    return seconds


def choose_reference(refs: list[ModelRef], opts: RunOptions) -> ModelRef:
    """The reference as `compare` picks it: the highest-precision file not derived from another quant."""
    candidates = []
    for ref in refs:
        local = resolve_file(ref, opts)
        candidates.append(Candidate(ref.label, ref.quant, local.derived_from if local else None))
    chosen = pick_reference(candidates, None)
    return refs[candidates.index(chosen)]


def item_pool(suites: list[Suite], opts: RunOptions) -> list[str]:
    """The plan's items as `suite/item_id`, selected exactly as the plan selects them."""
    pool = []
    for suite in windowed(suites, opts.since, opts.until):
        pool += [f"{suite.name}/{item.id}" for item in select(suite.load(opts.seed), opts.limit, opts.seed)]
    return pool


def _open_record(path: Path, settings: AdaptiveSettings, order: list[str], opts: RunOptions) -> AdaptiveRecord:
    """The record to continue: the one in the folder (settings must match), else a new one."""
    seconds, tokens = parse_budget(opts.budget), opts.budget_tokens
    if not path.is_file():
        return AdaptiveRecord(settings=settings, order=order, budget_seconds=seconds, budget_tokens=tokens)
    record = read_record(path)
    if record.settings != settings or record.order != order:
        mine, theirs = settings.model_dump(), record.settings.model_dump()
        diff = [k for k in mine if mine[k] != theirs[k]] or ["the item pool"]
        raise OrbenchError(f"{path.parent} holds an adaptive ladder with other settings ({', '.join(diff)})",
                           hint="use another --output, or the same settings to resume it")
    return record.model_copy(update=dict(status="running", stopped={}, items_needed={}, budget_seconds=seconds,
                                         budget_tokens=tokens))


def check_replay(record: AdaptiveRecord, folders: dict[str, Path]) -> None:
    """The stored states must be those the stored samples give; else the folder was changed."""
    if not record.rounds:
        return
    by_label = {label: scores(read_samples(folder / "samples.jsonl")) for label, folder in folders.items()}
    recomputed = replay(record, by_label)
    for entry, states in zip(record.rounds, recomputed):
        if states != entry.states:
            raise OrbenchError(f"adaptive.json's round {entry.round} does not match the stored samples",
                               hint="the run folders were changed since; start again in a new folder")


def _tokens_on_disk(folders: dict[str, Path]) -> int:
    total = 0
    for folder in folders.values():
        if (folder / "samples.jsonl").is_file():
            total += sum(r.completion_tokens for r in read_samples(folder / "samples.jsonl"))
    return total


def _over_budget(record: AdaptiveRecord, running: int) -> bool:
    """True when the next round (projected from the last, per quant running) would pass the budget."""
    if not record.rounds:
        return False
    last = record.rounds[-1]
    before = record.rounds[-2].states if len(record.rounds) > 1 else None
    ran = 1 + (len(record.settings.quants) if before is None else
               sum(1 for s in before.values() if s.verdict == "continue"))  # the reference and the undecided
    scale = running / max(1, ran)
    if record.budget_seconds is not None and record.seconds + last.seconds * scale > record.budget_seconds:
        return True
    return record.budget_tokens is not None and record.tokens + last.tokens * scale > record.budget_tokens


def run_adaptive(refs: list[ModelRef], suites: list[Suite], base: Path, opts: RunOptions,
                 runner: Runner = run_model) -> AdaptiveResult:
    """Run the ladder in rounds until every quant is decided, the pool ends or the budget would pass."""
    if len(refs) < 2:
        raise OrbenchError("--until-decided compares quants with a reference: give at least two with --quant")
    if opts.shard != (1, 1):
        raise OrbenchError("--until-decided runs the whole pool in rounds; it cannot be combined with --shard")
    parse_budget(opts.budget)  # a mistyped budget is refused before any model work
    reference = choose_reference(refs, opts)
    batch = Batch("ladder", refs, base, model=refs[0].name)
    folders = {r.label: base / batch.folder(r) for r in refs}
    settings = AdaptiveSettings(reference=reference.label, quants=[r.label for r in refs if r != reference],
                                margin=opts.margin / 100, alpha=ALPHA, round_items=opts.round_items, seed=opts.seed,
                                samples=opts.samples)
    base.mkdir(parents=True, exist_ok=True)
    path = base / ADAPTIVE_FILE
    record = _open_record(path, settings, item_order(item_pool(suites, opts), opts.seed), opts)
    check_replay(record, folders)
    write_json_atomic(path, record)
    by_ref = {r.label: r for r in refs}
    while True:
        states = record.states()
        running = [q for q, s in states.items() if s.verdict == "continue"]
        taken = record.rounds[-1].items if record.rounds else 0
        if not running:
            record.status = "decided"
        elif taken >= len(record.order):
            record.status = "pool exhausted"
        elif _over_budget(record, len(running) + 1):
            record.status = "budget"
        if record.status != "running":
            break
        now_taken = min(taken + opts.round_items, len(record.order))
        started = time.perf_counter()
        round_opts = replace(opts, items=frozenset(record.order[:now_taken]))
        for label in [reference.label] + running:
            batch.write_index()
            batch.summaries[label] = runner(by_ref[label], suites, folders[label], round_opts)
        by_label = {label: scores(read_samples(folders[label] / "samples.jsonl")) for label in folders}
        states = advance(states, record.order[taken:now_taken], by_label, reference.label, ALPHA)
        record.rounds.append(AdaptiveRound(round=len(record.rounds) + 1, items=now_taken, states=states,
                                           seconds=round(time.perf_counter() - started, 3),
                                           tokens=_tokens_on_disk(folders) - record.tokens))
        write_json_atomic(path, record)
    _finish(record, batch, folders)
    write_json_atomic(path, record)
    batch.write_index()
    return AdaptiveResult(record, batch.summaries, folders)


def _finish(record: AdaptiveRecord, batch: Batch, folders: dict[str, Path]) -> None:
    """Why each quant stopped, the items the undecided still need, and every summary (read back)."""
    from ..run.records import read_summary

    states = record.states()
    record.items_needed = projected(states, record.settings.alpha)
    for label, s in states.items():
        record.stopped[label] = stop_reason(s, record.status, record.items_needed.get(label), record.settings.margin)
    for label, folder in folders.items():  # the summaries as they stand (a run that never ran has none)
        if label not in batch.summaries and (folder / "summary.json").is_file():
            batch.summaries[label] = read_summary(folder / "summary.json")


def stop_reason(s: SequentialState, status: str, need: int | None, margin: float) -> str:
    """Why a quant stopped, in one sentence."""
    low, high = s.interval
    interval = f"difference {s.mean or 0:+.1%}, anytime-valid interval [{low:+.1%}, {high:+.1%}], margin -{margin:.1%}"
    if s.verdict != "continue":
        return f"{s.verdict} after {s.decided_at} items ({interval}): stopped generating"
    why = {"budget": "the next round would have passed the budget", "pool exhausted": "the item pool ended"}
    more = f"about {need} items in all would decide it" if need else "the items still needed cannot be projected yet"
    return f"inconclusive after {s.items} items: {why.get(status, status)} ({interval}); {more}"

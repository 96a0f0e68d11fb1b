"""A night that stops when its gate is decided (`until_decided = true` in orbench.toml's `[run]`).

This module owns the night's rounds. Every model and quant of the night is a normal run of the
full pool's plan; only the items taken so far are executed (`RunOptions.items`). Items are taken in
a seeded random order over the pool (`quant.adaptive_record.item_order`), `round_items` per round.
Each (model:quant, suite) the baseline also ran is one anytime-valid test of the paired difference
tonight minus baseline (`quant.sequential`: betting tests, Waudby-Smith & Ramdas 2024): "not worse"
rejects a drop of the accuracy rule's size (the margin), "worse" rejects no drop. After each round
Holm's step-down over all the night's tests at the night's level `alpha / nights`
(`quant.family.ladder_step`; anytime-valid p-values may be re-tested every round) decides each;
a decided test's suite stops generating for that run. The night stops when every test is decided,
at the pool's end, or before a round would pass the budget (`budget`, `budget_tokens`).

The rounds, each test's state after every round and why each stopped are in `rounds.json` in the
night folder (typed, through `files`); a resumed night (same settings, same baseline) first
recomputes the stored states from the stored samples and refuses to continue if they differ, then
continues with the next round. The gate (`gate.py`) reads the final states: the verdicts and
intervals of an adaptive night are the anytime-valid ones, not a fixed-n test on stopped data.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import OrbenchError
from ..files import read_model, write_json_atomic
from ..quant.adaptive import item_pool, parse_budget, stop_reason
from ..quant.adaptive_record import AdaptiveRound, Status, differences, item_order, scores
from ..quant.family import ladder_items_needed, ladder_step
from ..quant.sequential import SequentialState, start, update
from ..run.evaluate import Batch, run_model
from ..run.loader import LoadedRun, load_runs
from ..run.records import RunSummary, read_samples
from ..run.settings import RunOptions
from ..suites import Suite
from .findings import Rule

ROUNDS_FILE = "rounds.json"
ROUNDS_VERSION = 1


class NightSettings(BaseModel):
    """What a resumed adaptive night must match."""

    baseline: str = Field(description="the baseline folder the tests pair with")
    margins: dict[str, float] = Field(description="test ('model:quant|suite') -> margin, a fraction of accuracy")
    level: float = Field(description="the night's family-wise level: gate alpha / nights, Holm over the tests")
    round_items: int
    seed: int
    samples: int


class NightRecord(BaseModel):
    """`rounds.json` in a night folder run with until_decided."""

    schema_version: int = Field(default=ROUNDS_VERSION, description="version of this file's layout")
    settings: NightSettings
    order: list[str] = Field(description="the pool's items (suite/item_id) in the seeded order they are taken")
    rounds: list[AdaptiveRound] = Field(default=[], description="one entry per finished round; states by test")
    status: Status = "running"
    stopped: dict[str, str] = Field(default={}, description="test -> why it stopped generating")
    items_needed: dict[str, int | None] = {}
    budget_seconds: float | None = None
    budget_tokens: int | None = None

    def states(self) -> dict[str, SequentialState]:
        if self.rounds:
            return dict(self.rounds[-1].states)
        return {k: start(m, self.settings.level) for k, m in self.settings.margins.items()}


def test_key(label: str, suite: str) -> str:
    return f"{label}|{suite}"


def margin_of(rules: list[Rule], baseline_accuracy: float | None) -> float | None:
    """The smallest drop, as a fraction of accuracy, any accuracy rule fails on (None: no such rule)."""
    found = [-r.threshold / 100 * (1.0 if r.unit == "pp" else (baseline_accuracy or 0.0))
             for r in rules if r.metric == "accuracy"]
    found = [m for m in found if m > 0]
    return min(found) if found else None


def _margins(labels: list[str], suites: list[Suite], base: list[LoadedRun], rules: list[Rule]) -> dict[str, float]:
    by_label = {b.label: b for b in base}
    out = {}
    for label in labels:
        if label not in by_label:
            continue
        for s in by_label[label].summary.suites:
            if any(x.name == s.suite for x in suites):
                margin = margin_of(rules, s.accuracy.value if s.accuracy else None)
                if margin is not None and margin < 1:
                    out[test_key(label, s.suite)] = margin
    return out


def advance(states: Mapping[str, SequentialState], items: list[str], tonight: Mapping[str, dict],
            base: Mapping[str, dict], level: float) -> dict[str, SequentialState]:
    """One round: each undecided test gets the round's items of its suite, then Holm's verdicts."""
    out = {}
    for key, s in states.items():
        label, suite = key.rsplit("|", 1)
        mine = [i for i in items if i.split("/", 1)[0] == suite]
        out[key] = s if s.verdict != "continue" else update(s, differences(mine, tonight[label], base[label]))
    return ladder_step(out, level)


def replay(record: NightRecord, tonight: Mapping[str, dict], base: Mapping[str, dict]) -> list[dict[str, SequentialState]]:
    s = record.settings
    states = {k: start(m, s.level) for k, m in s.margins.items()}
    out, taken = [], 0
    for entry in record.rounds:
        states = advance(states, record.order[taken:entry.items], tonight, base, s.level)
        taken = entry.items
        out.append(states)
    return out


def _open(path: Path, settings: NightSettings, order: list[str], opts: RunOptions) -> NightRecord:
    seconds, tokens = parse_budget(opts.budget), opts.budget_tokens
    if not path.is_file():
        return NightRecord(settings=settings, order=order, budget_seconds=seconds, budget_tokens=tokens)
    record = read_model(path, NightRecord)
    if record.settings != settings or record.order != order:
        raise OrbenchError(f"{path} holds the rounds of a night with other settings or another baseline",
                           hint="let the night finish under its own config, or start a new one in another output")
    return record.model_copy(update=dict(status="running", stopped={}, items_needed={}, budget_seconds=seconds,
                                         budget_tokens=tokens))


def _taken(record: NightRecord, key: str, now: int) -> int:
    """Items of the order a test's suite runs on: up to the round that decided it, else `now`."""
    for entry in record.rounds:
        if entry.states[key].verdict != "continue":
            return entry.items
    return now


def _items(record: NightRecord, label: str, suites: list[Suite], now: int) -> frozenset[str]:
    items: set[str] = set()
    for suite in {s.name for s in suites}:
        key = test_key(label, suite)
        upto = _taken(record, key, now) if key in record.settings.margins else now
        items |= {i for i in record.order[:upto] if i.split("/", 1)[0] == suite}
    return frozenset(items)


def _over_budget(record: NightRecord) -> bool:
    """True when the next round, projected from the last, would pass the budget."""
    if not record.rounds:
        return False
    last = record.rounds[-1]
    if record.budget_seconds is not None and sum(r.seconds for r in record.rounds) + last.seconds > record.budget_seconds:
        return True
    return record.budget_tokens is not None and sum(r.tokens for r in record.rounds) + last.tokens > record.budget_tokens


def _tokens(folders: Mapping[str, Path]) -> int:
    return sum(r.completion_tokens for f in folders.values() if (f / "samples.jsonl").is_file()
               for r in read_samples(f / "samples.jsonl"))


def _status(record: NightRecord) -> Status:
    taken = record.rounds[-1].items if record.rounds else 0
    if all(s.verdict != "continue" for s in record.states().values()):
        return "decided"
    if taken >= len(record.order):
        return "pool exhausted"
    return "budget" if _over_budget(record) else "running"


def run_rounds(batch: Batch, suites: list[Suite], opts: RunOptions, baseline: Path, rules: list[Rule],
               level: float) -> tuple[dict[str, RunSummary], NightRecord | None]:
    """Run the night in rounds until its gate's tests are decided; runs the baseline does not have
    (nothing to pair with) run the whole pool. Returns the summaries and the record (None when no
    test could be formed: no accuracy rule or nothing shared with the baseline)."""
    if batch.started_at is None:  # as run_many: a night is resumed only within hours of its start
        from ..run.loop import now as clock

        batch.started_at = clock()
    base = load_runs([baseline])
    labels = [batch.label(r) for r in batch.refs]
    margins = _margins(labels, suites, base, rules)
    folders = {batch.label(r): batch.base / batch.folder(r) for r in batch.refs}
    if not margins:
        for ref in batch.refs:
            _run(batch, ref, suites, opts)
        batch.write_index()
        return batch.summaries, None
    settings = NightSettings(baseline=str(baseline.resolve()), margins=margins, level=level,
                             round_items=opts.round_items, seed=opts.seed, samples=opts.samples)
    path = batch.base / ROUNDS_FILE
    record = _open(path, settings, item_order(item_pool(suites, opts), opts.seed), opts)
    base_scores = {b.label: scores(b.records) for b in base}
    tested = sorted({k.rsplit("|", 1)[0] for k in margins})
    if record.rounds and replay(record, _scores(folders), base_scores) != [r.states for r in record.rounds]:
        raise OrbenchError(f"{path}: the recorded rounds do not match the stored samples",
                           hint="the night's folders were changed since; start a new night")
    write_json_atomic(path, record)
    while (status := _status(record)) == "running":
        _round(batch, record, suites, opts, base_scores, tested)
        write_json_atomic(path, record)
    record.status = status
    _finish(record)
    write_json_atomic(path, record)
    _summaries(batch, suites, opts, tested)
    return batch.summaries, record


def _round(batch: Batch, record: NightRecord, suites: list[Suite], opts: RunOptions,
           base_scores: Mapping[str, dict], tested: list[str]) -> None:
    """One round: every run with an undecided test takes the next items, then the tests advance."""
    folders = {batch.label(r): batch.base / batch.folder(r) for r in batch.refs}
    taken = record.rounds[-1].items if record.rounds else 0
    now = min(taken + opts.round_items, len(record.order))
    started, before = time.perf_counter(), _tokens(folders)
    states = record.states()
    running = [lb for lb in tested if any(s.verdict == "continue" for k, s in states.items() if k.startswith(lb + "|"))]
    for ref in batch.refs:
        label = batch.label(ref)
        if label in running:
            batch.write_index()
            items = _items(record, label, suites, now)
            batch.summaries[label] = run_model(ref, suites, folders[label], replace(opts, items=items))
    states = advance(states, record.order[taken:now], _scores(folders), base_scores, record.settings.level)
    record.rounds.append(AdaptiveRound(round=len(record.rounds) + 1, items=now, states=states,
                                       seconds=round(time.perf_counter() - started, 3),
                                       tokens=_tokens(folders) - before))


def _summaries(batch: Batch, suites: list[Suite], opts: RunOptions, tested: list[str]) -> None:
    """Runs the baseline does not have (nothing to pair with) run the whole pool; the others' summaries
    are read back (a run decided in an earlier session did not run in this one)."""
    from ..run.records import read_summary

    for ref in batch.refs:
        label, folder = batch.label(ref), batch.base / batch.folder(ref)
        if label not in tested:
            _run(batch, ref, suites, opts)
        elif label not in batch.summaries and (folder / "summary.json").is_file():
            batch.summaries[label] = read_summary(folder / "summary.json")
    batch.write_index()


def _run(batch: Batch, ref, suites: list[Suite], opts: RunOptions) -> RunSummary:
    batch.write_index()
    batch.summaries[batch.label(ref)] = run_model(ref, suites, batch.base / batch.folder(ref), opts)
    return batch.summaries[batch.label(ref)]


def _scores(folders: Mapping[str, Path]) -> dict[str, dict]:
    return {label: scores(read_samples(f / "samples.jsonl")) if (f / "samples.jsonl").is_file() else {}
            for label, f in folders.items()}


def _finish(record: NightRecord) -> None:
    states = record.states()
    record.items_needed = ladder_items_needed(states, record.settings.level)
    for key, s in states.items():
        record.stopped[key] = stop_reason(s, record.status, record.items_needed.get(key), s.margin)


def read_rounds(night: Path) -> NightRecord | None:
    """The rounds of a night run with until_decided, or None."""
    return read_model(night / ROUNDS_FILE, NightRecord) if (night / ROUNDS_FILE).is_file() else None


def apply_rounds(candidates: list, record: NightRecord, baseline: Path) -> list[str]:
    """The gate's accuracy findings of an adaptive night from its anytime-valid tests: the change and
    interval of the sequential state, "worse" (Holm at the night's level, applied each round) as the
    significant drop, an undecided test as underpowered; returns notes. A night gated against
    another baseline than its rounds keeps the fixed-n findings, with a note saying so."""
    if Path(record.settings.baseline) != baseline.resolve():
        return [f"the night's rounds were decided against {record.settings.baseline}; these findings are fixed-n "
                "tests on items chosen by that decision, not valid at their stated level"]
    states = record.states()
    for finding, run, ref, rule in candidates:
        s = states.get(test_key(finding.label, finding.suite))
        if s is None or s.mean is None:
            continue
        scale = 100.0 if rule.unit == "pp" else (100.0 / finding.baseline if finding.baseline else 0.0)
        low, high = s.interval
        finding.change, finding.low, finding.high = s.mean * scale, low * scale, high * scale
        finding.n, finding.p_value, finding.detectable = s.items, s.p_worse, None
        finding.significant = s.verdict == "worse"
        finding.regression = finding.significant and finding.change < rule.threshold
        finding.underpowered = s.verdict == "continue"
        finding.note = record.stopped.get(test_key(finding.label, finding.suite))
    return [f"adaptive night ({record.status} after {len(record.rounds)} round(s), "
            f"{record.rounds[-1].items if record.rounds else 0} of {len(record.order)} items): accuracy verdicts and "
            f"intervals are the anytime-valid tests', Holm over {len(states)} test(s) at {record.settings.level:.2g}"]


def chart_svg(night: Path) -> str:
    """The running-interval chart of a night run with until_decided (inline SVG); empty otherwise.
    Drawn against the smallest margin (the night's tests share it unless a relative rule varies it)."""
    from ..quant.adaptive_record import running_tracks
    from ..view.chart import running_interval_svg

    record = read_rounds(night)
    if record is None or not record.rounds:
        return ""
    return running_interval_svg(running_tracks(record.rounds, list(record.settings.margins)),
                                min(record.settings.margins.values()), "anytime-valid interval of tonight minus "
                                "the baseline, per run and suite")

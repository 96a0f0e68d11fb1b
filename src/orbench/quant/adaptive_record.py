"""`adaptive.json`: the record of an adaptive ladder (`orbench run --quant ... --until-decided`), and
the replay that recomputes its test states from the stored samples.

The record holds what resume must match (the settings), the seeded item order, one entry per round
(items taken, each quant's `SequentialState` after it, time and tokens spent) and why each quant
stopped. `replay` recomputes the states round by round from the samples of the run folders, exactly
as the run computed them (same items, same order, same Holm step), so a resumed run and
`orbench compare` can check the stored states against the samples and reproduce the verdicts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Literal

from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import OrbenchError
from ..files import read_model
from ..run.records import SampleRecord
from ..view.chart import Track, running_interval_svg
from .family import ladder_items_needed, ladder_step
from .sequential import SequentialState, item_difference, start, update

ADAPTIVE_FILE = "adaptive.json"
ADAPTIVE_VERSION = 2  # 2: the test mixes a bet planned at the margin with the plug-in one (four capitals)
ALPHA = 0.025  # one-sided level of each family (not worse, worse) under Holm; as compare's 95% interval

Status = Literal["running", "decided", "pool exhausted", "budget"]


class AdaptiveSettings(BaseModel):
    """What a resumed adaptive ladder must match."""

    reference: str = Field(description="label of the reference quant (chosen as compare chooses it)")
    quants: list[str] = Field(description="labels of the quants tested against the reference")
    margin: float = Field(description="non-inferiority margin, a fraction (0.02: two points)")
    alpha: float = Field(description="one-sided family-wise level of each verdict (Holm across the quants)")
    round_items: int = Field(description="items added per round")
    seed: int = Field(description="the run seed; the item order is drawn from it")
    samples: int = Field(description="samples per item (K)")


class AdaptiveRound(BaseModel):
    """The ladder after one round."""

    round: int = Field(description="1-based round number")
    items: int = Field(description="items of the order taken after this round")
    states: dict[str, SequentialState] = Field(description="each quant's test state after this round")
    seconds: float = Field(description="run time of this round (generation, grading, loading)")
    tokens: int = Field(description="tokens generated in this round, all quants together")


class AdaptiveRecord(BaseModel):
    """`adaptive.json` in a ladder folder run with --until-decided."""

    schema_version: int = Field(default=ADAPTIVE_VERSION, description="version of this file's layout")
    settings: AdaptiveSettings
    order: list[str] = Field(description="the pool's items (suite/item_id) in the seeded order they are taken")
    rounds: list[AdaptiveRound] = Field(default=[], description="one entry per finished round")
    status: Status = Field(default="running", description="decided: every quant is; pool exhausted; budget")
    stopped: dict[str, str] = Field(default={}, description="quant -> why it stopped generating")
    items_needed: dict[str, int | None] = Field(default={}, description="undecided quants at the stop: total "
                                                "items projected to decide them (None: cannot be projected)")
    budget_seconds: float | None = None
    budget_tokens: int | None = None

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.rounds)

    @property
    def tokens(self) -> int:
        return sum(r.tokens for r in self.rounds)

    def states(self) -> dict[str, SequentialState]:
        """Each quant's state after the last round (fresh states before the first)."""
        if self.rounds:
            return dict(self.rounds[-1].states)
        return {q: start(self.settings.margin, self.settings.alpha) for q in self.settings.quants}


def read_record(path: Path) -> AdaptiveRecord:
    """`adaptive.json` as this orbench's test reads it: a record of another version holds states of
    another test, which neither resume nor compare may continue or replay as if they were this one's."""
    record = read_model(path, AdaptiveRecord)
    if record.schema_version != ADAPTIVE_VERSION:
        raise OrbenchError(f"{path}: an adaptive ladder recorded by an earlier orbench (schema_version "
                           f"{record.schema_version}; this version's sequential test is {ADAPTIVE_VERSION})",
                           hint="start the ladder again in a new --output folder; its samples can still be compared "
                           "as fixed runs by passing each quant's folder")
    return record


def item_order(pool: Sequence[str], seed: int) -> list[str]:
    """The pool's items in the seeded random order an adaptive run takes them."""
    order = list(pool)
    random.Random(f"orbench-adaptive:{seed}").shuffle(order)
    return order


def scores(records: Sequence[SampleRecord]) -> dict[str, dict[int, float]]:
    """suite/item_id -> sample index -> 1.0 or 0.0, for the samples that were scored."""
    out: dict[str, dict[int, float]] = defaultdict(dict)
    for r in records:
        if r.status == "ok" and r.correct is not None:
            out[f"{r.suite}/{r.item_id}"][r.sample] = float(bool(r.correct))
    return out


def differences(items: Sequence[str], quant: Mapping[str, dict[int, float]],
                reference: Mapping[str, dict[int, float]]) -> list[float]:
    """The paired differences of these items, in order: samples scored in both runs (same index, so
    the same seed); an item with no such pair (errors) is left out."""
    out = []
    for item in items:
        mine, ref = quant.get(item, {}), reference.get(item, {})
        shared = sorted(mine.keys() & ref.keys())
        if shared:
            out.append(item_difference([mine[k] for k in shared], [ref[k] for k in shared]))
    return out


def advance(states: Mapping[str, SequentialState], items: Sequence[str], by_label: Mapping[str, dict],
            reference: str, alpha: float) -> dict[str, SequentialState]:
    """One round: the round's items added to every undecided quant, then Holm's verdicts."""
    ref = by_label[reference]
    updated = {q: s if s.verdict != "continue" else update(s, differences(items, by_label[q], ref))
               for q, s in states.items()}
    return ladder_step(updated, alpha)


def replay(record: AdaptiveRecord, by_label: Mapping[str, dict], rounds: int | None = None) -> list[dict[str, SequentialState]]:
    """The states after each of the first `rounds` rounds (default: all recorded), recomputed from
    the scores (`scores(...)` per label)."""
    s = record.settings
    states = {q: start(s.margin, s.alpha) for q in s.quants}
    out = []
    taken = 0
    for entry in record.rounds[:rounds]:
        states = advance(states, record.order[taken:entry.items], by_label, s.reference, s.alpha)
        taken = entry.items
        out.append(states)
    return out


def projected(states: Mapping[str, SequentialState], alpha: float) -> dict[str, int | None]:
    """Items still needed per undecided quant (Holm's next level)."""
    return ladder_items_needed(states, alpha)


class AdaptiveRow(BaseModel):
    """One quant of an adaptive ladder as `compare` reports it: the anytime-valid figures."""

    label: str
    verdict: str = Field(description="not worse, worse, or continue (inconclusive at the stop)")
    items: int = Field(description="items its test used")
    decided_at: int | None
    difference: float | None = Field(description="observed mean paired difference (quant minus reference)")
    low: float = Field(description="anytime-valid interval of the difference (1 - 2 alpha), valid at any stop")
    high: float
    p_not_worse: float
    p_worse: float
    items_needed: int | None = None
    stopped: str | None = None


class AdaptiveComparison(BaseModel):
    """The verdicts of an adaptive ladder recomputed from its stored samples."""

    reference: str
    margin: float
    status: str
    rounds: int
    matches_record: bool = Field(description="the recomputed states equal those in adaptive.json")
    quants: list[AdaptiveRow]


def compare_record(record: AdaptiveRecord, by_label: Mapping[str, dict]) -> AdaptiveComparison:
    """Replay the record on the samples and report each quant's anytime-valid verdict and interval."""
    states_by_round = replay(record, by_label)
    final = states_by_round[-1] if states_by_round else record.states()
    matches = states_by_round == [r.states for r in record.rounds]
    needed = projected(final, record.settings.alpha)
    rows = [AdaptiveRow(label=q, verdict=s.verdict, items=s.items, decided_at=s.decided_at, difference=s.mean,
                        low=s.interval[0], high=s.interval[1], p_not_worse=s.p_not_worse, p_worse=s.p_worse,
                        items_needed=needed.get(q), stopped=record.stopped.get(q))
            for q, s in final.items()]
    return AdaptiveComparison(reference=record.settings.reference, margin=record.settings.margin,
                              status=record.status, rounds=len(record.rounds), matches_record=matches, quants=rows)


def running_lines(record: AdaptiveRecord) -> list[str]:
    """Markdown: each quant's anytime-valid interval after every round against -margin, and where it
    stopped (the report's section on an adaptive ladder)."""
    quants = record.settings.quants
    lines = [f"Adaptive ladder (--until-decided): {record.status} after {len(record.rounds)} round(s). The "
             f"anytime-valid interval of each quant's difference to {record.settings.reference} after each round, "
             f"against the margin -{record.settings.margin:.1%}; the verdicts that count are these, not the fixed-n "
             "intervals above, which do not hold their level on data that stopped when it looked decided.", "",
             "| round | items | " + " | ".join(quants) + " |", "|" + "---|" * (len(quants) + 2)]
    for entry in record.rounds:
        cells = []
        for q in quants:
            s = entry.states[q]
            low, high = s.interval
            stopped = s.verdict != "continue" and s.decided_at is not None and s.decided_at < entry.items
            cells.append("·" if stopped else f"[{low:+.1%}, {high:+.1%}]" +
                         (f" **{s.verdict}**" if s.verdict != "continue" else ""))
        lines.append(f"| {entry.round} | {entry.items} | " + " | ".join(cells) + " |")
    lines += [""] + [f"- {q}: {why}" for q, why in record.stopped.items()]
    return lines


def tracks(record: AdaptiveRecord) -> list[Track]:
    """Each quant's anytime-valid interval after every round it ran, and where it stopped (the
    running-interval chart of the report and the viewer)."""
    return running_tracks(record.rounds, record.settings.quants)


def running_tracks(rounds: Sequence[AdaptiveRound], labels: Sequence[str]) -> list[Track]:
    """The tests `labels` over these rounds: the interval after each round a test ran (up to and
    including the round that decided it), and the items taken when it stopped."""
    out = []
    for label in labels:
        track = Track(label=label)
        for entry in rounds:
            s = entry.states[label]
            if track.verdict != "continue":
                break  # decided in an earlier round: it generated nothing more
            track.points.append((entry.items, *s.interval))
            track.verdict = s.verdict
            track.stopped_at = entry.items if s.verdict != "continue" else None
        out.append(track)
    return out


def chart_svg(record: AdaptiveRecord) -> str:
    """The running-interval chart of an adaptive ladder (inline SVG)."""
    return running_interval_svg(tracks(record), record.settings.margin,
                                f"anytime-valid interval of each quant's difference to {record.settings.reference}")

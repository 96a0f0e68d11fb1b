"""Compare runs of one plan: accuracy per quant, paired differences to a reference, flipped items,
and a verdict per quant and suite: "not worse", "worse" or "inconclusive (need ≈N items)".

Pairs are samples with the same item and sample index (so the same seed) that both runs scored;
errors are left out of both sides. The difference is averaged per item; its interval is Tango's
score interval for paired proportions (several samples per item: after a design effect), and the
exact McNemar test counts the pairs that flipped (see `paired_stats`). A quant is "not worse" when
the interval's lower end is above -margin, "worse" when the interval lies below zero and McNemar
agrees at alpha, and otherwise "inconclusive", with the items that would decide it.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..errors import OrbenchError
from ..files import read_model
from .paired import (PairedCounts, counts_from_items, items_for, minimum_detectable_drop, pairs_needed,
                           tango_interval)
from ..run.records import INDEX_FILE, RunIndex, RunSummary, SampleRecord, read_samples, read_summary
from ..stats import Estimate, mcnemar_exact, significant_drop as _significant

MARGIN = 0.02  # the default non-inferiority margin: 2 accuracy points
Verdict = Literal["reference", "not worse", "worse", "inconclusive"]


def run_label(summary: RunSummary) -> str:
    """The one label of a run everywhere: `model:quant` (or the model alone when it has no quant)."""
    p = summary.provenance
    return f"{p.model}:{p.quant}" if p.quant else p.model


@dataclass
class LoadedRun:
    label: str
    folder: Path
    summary: RunSummary
    records: list[SampleRecord] = field(repr=False)

    @property
    def derived_from(self) -> str | None:
        return self.summary.provenance.derived_from

    @property
    def quant(self) -> str | None:
        return self.summary.provenance.quant

    def matches(self, name: str) -> bool:
        """True for this run's label, or its quant alone (`Q8_0` for `model:Q8_0`)."""
        return name.upper() in {self.label.upper(), (self.quant or "").upper()}


class PairedResult(BaseModel):
    suite: str
    label: str
    reference: str
    accuracy: Estimate
    reference_accuracy: Estimate
    difference: Estimate = Field(description="candidate minus reference, with the score interval at 1-alpha")
    p_value: float = Field(description="exact McNemar on the (effective) discordant pairs")
    pairs: int
    lost: list[str]
    gained: list[str]
    shared_items: int
    prompt_set_matches: bool
    verdict: Verdict = "inconclusive"
    margin: float = MARGIN
    items_needed: int | None = Field(default=None, description="inconclusive: items per suite that would decide "
                                     "it with 80% power at the observed discordance (None: more than a million)")
    would_show: Literal["not worse", "worse"] | None = Field(default=None, description="what those items would show")
    design_effect: float = 1.0
    detectable_drop: float | None = Field(default=None, description="smallest drop this many items show as "
                                          "significant with 80% power, at the observed discordance")


def load_runs(folders: list[Path]) -> list[LoadedRun]:
    """Every run under the given folders: a ladder or matrix folder (index.json) holds one per label."""
    runs: list[LoadedRun] = []
    for folder in folders:
        if (folder / INDEX_FILE).is_file():
            index = read_model(folder / INDEX_FILE, RunIndex)
            found = [folder / sub for sub in index.runs.values() if (folder / sub / "summary.json").is_file()]
        elif (folder / "summary.json").is_file():
            found = [folder]
        else:
            raise OrbenchError(f"{folder} holds no results (no summary.json or {INDEX_FILE})", hint=_nights_hint(folder))
        for sub in found:
            summary = read_summary(sub / "summary.json")
            label = run_label(summary)
            if any(r.label == label for r in runs):
                label = f"{label}@{sub.name}"
            runs.append(LoadedRun(label, sub, summary, read_samples(sub / "samples.jsonl")))
    if not runs:
        raise OrbenchError("no runs to compare")
    return runs


def _nights_hint(folder: Path) -> str | None:
    from ..nightly.nights import list_nights

    nights = list_nights(folder) if folder.is_dir() else []
    return f"it holds nightly runs; pass one of them, e.g. {nights[-1]}" if nights else None


def nominal_bits(run: LoadedRun) -> float:
    """Bits per weight as measured, else as the quant's name says (F16 16, Q8_0 8, Q4_K_M 4, ...)."""
    perf = run.summary.performance
    if perf and perf.bits_per_weight:
        return perf.bits_per_weight
    quant = (run.quant or "").upper()
    m = re.match(r"(?:I?Q|F|BF)(\d+)", quant)
    return float(m.group(1)) if m else 0.0


def pick_reference(runs: list[LoadedRun], reference: str | None) -> LoadedRun:
    """The run asked for, else the highest-precision file that is not derived from another quant."""
    if reference:
        hits = [r for r in runs if r.label.upper() == reference.upper()] or [r for r in runs if r.matches(reference)]
        if len(hits) == 1:
            return hits[0]
        why = "is ambiguous" if hits else "matches no run"
        raise OrbenchError(f"reference '{reference}' {why}", hint=f"runs: {', '.join(r.label for r in runs)}")
    originals = [r for r in runs if not r.derived_from] or runs
    return max(originals, key=lambda r: (nominal_bits(r), -runs.index(r)))


def reference_reason(runs: list[LoadedRun], ref: LoadedRun, asked: str | None) -> str:
    """Why `ref` is the reference, in one sentence."""
    if asked:
        return f"{ref.label} (chosen with --reference)"
    derived = [r for r in runs if r.derived_from]
    bits = nominal_bits(ref)
    precision = f" ({bits:.2f} bits per weight)" if bits else ""
    if not derived:
        return f"{ref.label}: the highest-precision file in the run{precision}"
    if ref.derived_from:
        return f"{ref.label}: every file in the run is derived from another quant; this one has the most bits per weight"
    sources = sorted({(r.derived_from or "").split(" (sha256")[0] for r in derived})
    return (f"{ref.label}: the highest-precision file not derived from another quant{precision}; "
            f"{', '.join(r.label for r in derived)} derived from {', '.join(sources)}, so never the default")


def _by_pair(run: LoadedRun, suite: str) -> dict[tuple[str, int], SampleRecord]:
    return {(r.item_id, r.sample): r for r in run.records if r.suite == suite and r.status == "ok"}


def paired(run: LoadedRun, reference: LoadedRun, suite: str, margin: float = MARGIN,
           alpha: float = 0.05) -> PairedResult:
    mine, ref = _by_pair(run, suite), _by_pair(reference, suite)
    keys = sorted(mine.keys() & ref.keys())
    per_item: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # pairs, lost, gained
    lost, gained = [], []
    for key in keys:
        a, b = bool(mine[key].correct), bool(ref[key].correct)
        item = per_item[key[0]]
        item[0] += 1
        if b and not a:
            lost.append(f"{key[0]}#{key[1]}")
            item[1] += 1
        elif a and not b:
            gained.append(f"{key[0]}#{key[1]}")
            item[2] += 1
    counts = counts_from_items([(m, l, g) for m, l, g in per_item.values()])
    result = PairedResult(
        suite=suite, label=run.label, reference=reference.label,
        accuracy=_accuracy(run, suite), reference_accuracy=_accuracy(reference, suite),
        difference=_difference(counts, alpha), p_value=mcnemar_exact(round(counts.lost), round(counts.gained)),
        pairs=len(keys), lost=lost, gained=gained, shared_items=len(per_item),
        prompt_set_matches=_hash(run, suite) == _hash(reference, suite), margin=margin,
        design_effect=round(counts.design_effect, 3), detectable_drop=minimum_detectable_drop(counts, alpha),
    )
    if run is reference:
        result.verdict = "reference"
    else:
        _decide(result, counts, alpha)
    return result


def _difference(counts: PairedCounts, alpha: float) -> Estimate:
    if counts.difference is None:
        return Estimate(value=None, low=None, high=None, n=0)
    low, high = tango_interval(counts, alpha)
    return Estimate(value=counts.difference, low=low, high=high, n=counts.items)


def _decide(result: PairedResult, counts: PairedCounts, alpha: float) -> None:
    """Set the verdict; when inconclusive, the items that would decide it (the cheaper way)."""
    d = result.difference
    if d.value is None or d.low is None:
        return
    if d.low > -result.margin:
        result.verdict = "not worse"
        return
    if significant_drop(result, alpha):
        result.verdict = "worse"
        return
    options: list[tuple[float, Literal["not worse", "worse"]]] = []
    if d.value > -result.margin:
        options.append((pairs_needed(counts.discordance, d.value, -result.margin, alpha), "not worse"))
    if d.value < 0:
        options.append((pairs_needed(counts.discordance, d.value, 0.0, alpha), "worse"))
    if not options:  # a zero margin and a zero difference: nothing can be shown either way
        return
    pairs, shows = min(options, key=lambda o: o[0])
    items = items_for(counts, pairs)
    result.items_needed = None if items is None else _round_up(max(items, counts.items + 1))
    result.would_show = shows


def _round_up(n: int) -> int:
    """Up to two significant figures: 188 -> 190, 1234 -> 1300."""
    if n < 100:
        return n
    step = 10 ** (int(math.log10(n)) - 1)
    return -(-n // step) * step


def _accuracy(run: LoadedRun, suite: str) -> Estimate:
    for s in run.summary.suites:
        if s.suite == suite:
            return s.accuracy
    return Estimate(value=None, low=None, high=None, n=0)


def _hash(run: LoadedRun, suite: str) -> str | None:
    return next((s.prompt_set_hash for s in run.summary.suites if s.suite == suite), None)


def compare_all(runs: list[LoadedRun], reference: LoadedRun, margin: float = MARGIN,
                alpha: float = 0.05) -> list[PairedResult]:
    suites = list(dict.fromkeys(s.suite for run in runs for s in run.summary.suites))
    return [paired(run, reference, suite, margin, alpha) for suite in suites for run in runs]


def significant_drop(result: PairedResult, alpha: float = 0.05) -> bool:
    """A drop is significant when the difference is negative, its interval excludes 0 and McNemar agrees."""
    return _significant(result.difference, result.p_value, alpha)


@dataclass
class Comparison:
    reference: LoadedRun
    reason: str
    runs: list[LoadedRun]
    results: list[PairedResult]


def compare_folders(folders: list[Path], reference: str | None = None, margin: float = MARGIN,
                    alpha: float = 0.05, allow_grader_mismatch: bool = False) -> Comparison:
    """Load the runs under `folders`, pick the reference (and say why), pair every run with it.
    Runs graded by different grader versions are refused unless `allow_grader_mismatch`."""
    from ..run.grader_mix import check_grader_versions

    runs = load_runs(folders)
    check_grader_versions(runs, allow_grader_mismatch)
    ref = pick_reference(runs, reference)
    return Comparison(ref, reference_reason(runs, ref, reference), runs, compare_all(runs, ref, margin, alpha))


def compare_runs(folders: list[Path], reference: str | None = None, margin: float = MARGIN, alpha: float = 0.05,
                 allow_grader_mismatch: bool = False) -> tuple[LoadedRun, list[LoadedRun], list[PairedResult]]:
    """Load the runs under `folders`, pick the reference, and pair every run with it per suite."""
    c = compare_folders(folders, reference, margin, alpha, allow_grader_mismatch)
    return c.reference, c.runs, c.results

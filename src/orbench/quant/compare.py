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
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .adaptive_record import ADAPTIVE_FILE, AdaptiveComparison, AdaptiveRecord, compare_record, read_record, scores
from .paired import (PairedCounts, counts_from_items, items_for, minimum_detectable_drop, pairs_needed,
                     pairs_needed_worse, tango_interval)
from ..errors import OrbenchError
from ..run.loader import LoadedRun, load_runs, pick_reference, reference_reason
from ..run.records import SampleRecord
from ..stats import Estimate, mcnemar_exact, significant_drop as _significant

MARGIN = 0.02  # the default non-inferiority margin: 2 accuracy points
Verdict = Literal["reference", "not worse", "worse", "inconclusive"]


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
        options.append((pairs_needed_worse(counts.discordance, d.value, alpha), "worse"))  # exact McNemar too
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


def shared_items(run: LoadedRun, reference: LoadedRun) -> int:
    """Items (suite and item id) that both runs scored at least one sample of."""
    def scored(r: LoadedRun) -> set[tuple[str, str]]:
        return {(x.suite, x.item_id) for x in r.records if x.status == "ok"}

    return len(scored(run) & scored(reference))


def check_alpha(alpha: float) -> None:
    """A significance level is a probability strictly between 0 and 1 (at 0 nothing is ever significant)."""
    if not 0.0 < alpha < 1.0:
        raise OrbenchError(f"--alpha: the significance level must lie between 0 and 1 (both excluded), got {alpha}")


def fewest_items(alpha: float) -> int:
    """The fewest paired items on which any verdict can be reached: the exact McNemar test on n
    items, all of them lost, is below alpha only from this n on (2 x 0.5^n < alpha)."""
    check_alpha(alpha)
    n = 1
    while mcnemar_exact(n, 0) >= alpha:
        n += 1
    return n


def require_common_ground(runs: list[LoadedRun], reference: LoadedRun, alpha: float = 0.05) -> None:
    """Refuse (exit 2) a run that shares no scored item with the reference, or too few for any verdict:
    a table of "inconclusive" or "no regression" over nothing would read as an answer."""
    need = fewest_items(alpha)
    for run in runs:
        if run is reference:
            continue
        n = shared_items(run, reference)
        if n < need:
            what = "no scored item" if n == 0 else f"only {n} scored item(s)"
            raise OrbenchError(f"{run.label} and {reference.label} share {what}; at least {need} are needed to "
                               f"decide anything at alpha {alpha:g}", hint="compare runs of one plan: the same "
                               "suites, seed and --limit")


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
    adaptive: AdaptiveComparison | None = None  # an adaptive ladder: its anytime-valid verdicts, replayed


def compare_folders(folders: list[Path], reference: str | None = None, margin: float = MARGIN,
                    alpha: float = 0.05, allow_grader_mismatch: bool = False) -> Comparison:
    """Load the runs under `folders`, pick the reference (and say why), pair every run with it.
    Runs graded by different grader versions are refused unless `allow_grader_mismatch`."""
    from ..run.grader_mix import check_grader_versions

    check_alpha(alpha)
    runs = load_runs(folders)
    if len(runs) < 2:
        where = " ".join(str(f) for f in folders)
        raise OrbenchError(f"{where} holds one run ({runs[0].label}): there is nothing to compare it with",
                           hint=f"give a ladder folder (orbench run -m MODEL --quant Q4_1,Q8_0) or several run "
                                f"folders; to read its samples: orbench view {where}; to gate it against an earlier "
                                f"run: orbench compare {where} --baseline OTHER")
    check_grader_versions(runs, allow_grader_mismatch)
    record = adaptive_record(folders)
    if record is not None and reference is None:
        reference = record.settings.reference
    ref = pick_reference(runs, reference)
    require_common_ground(runs, ref, alpha)
    adaptive = None
    if record is not None and ref.label == record.settings.reference:
        adaptive = compare_record(record, {r.label: scores(r.records) for r in runs})
    reason = reference_reason(runs, ref, None if adaptive else reference)
    if adaptive:
        reason += "; the adaptive ladder's reference (adaptive.json)"
    return Comparison(ref, reason, runs, compare_all(runs, ref, margin, alpha), adaptive)


def adaptive_record(folders: list[Path]) -> AdaptiveRecord | None:
    """The record of an adaptive ladder, when one ladder folder run with --until-decided is compared."""
    if len(folders) != 1 or not (folders[0] / ADAPTIVE_FILE).is_file():
        return None
    return read_record(folders[0] / ADAPTIVE_FILE)


def compare_runs(folders: list[Path], reference: str | None = None, margin: float = MARGIN, alpha: float = 0.05,
                 allow_grader_mismatch: bool = False) -> tuple[LoadedRun, list[LoadedRun], list[PairedResult]]:
    """Load the runs under `folders`, pick the reference, and pair every run with it per suite."""
    c = compare_folders(folders, reference, margin, alpha, allow_grader_mismatch)
    return c.reference, c.runs, c.results

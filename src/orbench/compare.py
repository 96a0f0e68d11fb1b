"""Compare runs of one plan: accuracy per quant, paired differences to a reference, flipped items.

Pairs are samples with the same item and sample index (so the same seed) that both runs scored;
errors are left out of both sides. The difference is averaged per item, its interval comes from
a paired bootstrap over items, and the exact McNemar test counts pairs that flipped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from .errors import OrbenchError
from .files import read_model
from .results import INDEX_FILE, RunIndex, RunSummary, SampleRecord, read_samples, read_summary
from .stats import Estimate, mcnemar_exact, paired_bootstrap, significant_drop as _significant


@dataclass
class LoadedRun:
    label: str
    folder: Path
    summary: RunSummary
    records: list[SampleRecord] = field(repr=False)

    @property
    def derived_from(self) -> str | None:
        return self.summary.provenance.derived_from


class PairedResult(BaseModel):
    suite: str
    label: str
    reference: str
    accuracy: Estimate
    reference_accuracy: Estimate
    difference: Estimate
    p_value: float
    pairs: int
    lost: list[str]
    gained: list[str]
    shared_items: int
    prompt_set_matches: bool


def load_runs(folders: list[Path]) -> list[LoadedRun]:
    """Every run under the given folders: a ladder or matrix folder (index.json) holds one per label."""
    runs: list[LoadedRun] = []
    for folder in folders:
        if (folder / INDEX_FILE).is_file():
            index = read_model(folder / INDEX_FILE, RunIndex)
            found: list[tuple[str | None, Path]] = [(label, folder / sub) for label, sub in index.runs.items()
                                                    if (folder / sub / "summary.json").is_file()]
        elif (folder / "summary.json").is_file():
            found = [(None, folder)]
        else:
            raise OrbenchError(f"{folder} holds no results (no summary.json or {INDEX_FILE})")
        for label, sub in found:
            summary = read_summary(sub / "summary.json")
            label = label or summary.provenance.quant or summary.provenance.model
            if any(r.label == label for r in runs):
                label = f"{label}@{sub.name}"
            runs.append(LoadedRun(label, sub, summary, read_samples(sub / "samples.jsonl")))
    if not runs:
        raise OrbenchError("no runs to compare")
    return runs


def pick_reference(runs: list[LoadedRun], reference: str | None) -> LoadedRun:
    if reference:
        for run in runs:
            if run.label.upper() == reference.upper():
                return run
        raise OrbenchError(f"no run for reference '{reference}'", hint=f"runs: {', '.join(r.label for r in runs)}")
    sized = [(r.summary.performance.bits_per_weight, i, r) for i, r in enumerate(runs)
             if r.summary.performance and r.summary.performance.bits_per_weight]
    if sized:
        return max(sized, key=lambda t: (t[0], -t[1]))[2]
    return runs[0]


def _by_pair(run: LoadedRun, suite: str) -> dict[tuple[str, int], SampleRecord]:
    return {(r.item_id, r.sample): r for r in run.records if r.suite == suite and r.status == "ok"}


def paired(run: LoadedRun, reference: LoadedRun, suite: str, seed: int = 0) -> PairedResult:
    mine, ref = _by_pair(run, suite), _by_pair(reference, suite)
    keys = sorted(mine.keys() & ref.keys())
    per_item: dict[str, list[float]] = defaultdict(list)
    lost, gained = [], []
    for key in keys:
        a, b = bool(mine[key].correct), bool(ref[key].correct)
        per_item[key[0]].append(float(a) - float(b))
        label = f"{key[0]}#{key[1]}"
        if b and not a:
            lost.append(label)
        elif a and not b:
            gained.append(label)
    diffs = [sum(v) / len(v) for v in per_item.values()]
    return PairedResult(
        suite=suite, label=run.label, reference=reference.label,
        accuracy=_accuracy(run, suite), reference_accuracy=_accuracy(reference, suite),
        difference=paired_bootstrap(diffs, seed=seed), p_value=mcnemar_exact(len(lost), len(gained)),
        pairs=len(keys), lost=lost, gained=gained, shared_items=len(per_item),
        prompt_set_matches=_hash(run, suite) == _hash(reference, suite),
    )


def _accuracy(run: LoadedRun, suite: str) -> Estimate:
    for s in run.summary.suites:
        if s.suite == suite:
            return s.accuracy
    return Estimate(value=None, low=None, high=None, n=0)


def _hash(run: LoadedRun, suite: str) -> str | None:
    return next((s.prompt_set_hash for s in run.summary.suites if s.suite == suite), None)


def compare_all(runs: list[LoadedRun], reference: LoadedRun, seed: int = 0) -> list[PairedResult]:
    suites = list(dict.fromkeys(s.suite for run in runs for s in run.summary.suites))
    return [paired(run, reference, suite, seed) for suite in suites for run in runs]


def significant_drop(result: PairedResult, alpha: float = 0.05) -> bool:
    """A drop is significant when the difference is negative, its interval excludes 0 and McNemar agrees."""
    return _significant(result.difference, result.p_value, alpha)


def compare_runs(folders: list[Path], reference: str | None = None, seed: int = 0,
                 allow_grader_mismatch: bool = False) -> tuple[LoadedRun, list[LoadedRun], list[PairedResult]]:
    """Load the runs under `folders`, pick the reference, and pair every run with it per suite.
    Runs graded by different grader versions are refused unless `allow_grader_mismatch`."""
    from .gradercheck import check_grader_versions

    runs = load_runs(folders)
    check_grader_versions(runs, allow_grader_mismatch)
    ref = pick_reference(runs, reference)
    return ref, runs, compare_all(runs, ref, seed)

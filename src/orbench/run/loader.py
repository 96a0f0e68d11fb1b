"""Reading run folders back: one run (`summary.json` + `samples.jsonl`), or every run of a ladder or
matrix folder (`index.json`), each labelled `model:quant` as everywhere else. Compare, the gate, the
report, the viewer and regrade all start here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence, TypeVar

from ..errors import OrbenchError
from ..files import read_model
from ..units import did_you_mean
from .consistency import refuse, run_problems
from .plan import Plan
from .records import INDEX_FILE, RunIndex, RunSummary, SampleRecord, read_samples_at, read_summary

NIGHT_NAME = re.compile(r"\d{8}-\d{6}(-\d+)?")  # a night folder of `orbench run --config`: local start time


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

    @property
    def bits_per_weight(self) -> float | None:
        perf = self.summary.performance
        return perf.bits_per_weight if perf else None

    def matches(self, name: str) -> bool:
        """True for this run's label, or its quant alone (`Q8_0` for `model:Q8_0`)."""
        return name.upper() in {self.label.upper(), (self.quant or "").upper()}


@dataclass
class Candidate:
    """A model file that has not run yet, as `pick_reference` sees it (an adaptive ladder picks its
    reference before generating)."""

    label: str
    quant: str | None
    derived_from: str | None
    bits_per_weight: float | None = None

    def matches(self, name: str) -> bool:
        return name.upper() in {self.label.upper(), (self.quant or "").upper()}


class RunLike(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def quant(self) -> str | None: ...
    @property
    def derived_from(self) -> str | None: ...
    @property
    def bits_per_weight(self) -> float | None: ...
    def matches(self, name: str) -> bool: ...


R = TypeVar("R", bound=RunLike)


def load_runs(folders: list[Path], mixed_ok: bool = False) -> list[LoadedRun]:
    """Every run under the given folders: a ladder or matrix folder (index.json) holds one per label.
    Each run's files are checked against each other first (`consistency`); `mixed_ok` lets a run
    whose samples were graded by more than one grader version through (regrade, which mends that)."""
    runs: list[LoadedRun] = []
    for folder in folders:
        if (folder / INDEX_FILE).is_file():
            found = indexed_runs(folder)
        elif (folder / "summary.json").is_file():
            found = [folder]
        else:
            raise OrbenchError(f"{folder} holds no results (no summary.json or {INDEX_FILE})", hint=_nights_hint(folder))
        for sub in found:
            summary, samples, plan = read_run(sub)
            refuse(run_problems(sub, summary, samples, plan, mixed_ok), sub)
            label = run_label(summary)
            if any(r.label == label for r in runs):
                label = f"{label}@{sub.name}"
            runs.append(LoadedRun(label, sub, summary, [r for _, r in samples]))
    if not runs:
        raise OrbenchError("no runs to compare")
    return runs


def read_run(folder: Path) -> tuple[RunSummary, list[tuple[str, SampleRecord]], Plan | None]:
    """A run folder's summary, its samples with their lines, and its plan (None in results written
    before plan.json existed), each validated on its own."""
    summary = read_summary(folder / "summary.json")
    samples = read_samples_at(folder / "samples.jsonl")
    plan = read_model(folder / "plan.json", Plan) if (folder / "plan.json").exists() else None
    return summary, samples, plan


def indexed_runs(folder: Path) -> list[Path]:
    """The run folders an index.json names: each inside `folder`; a run it calls finished must be
    there. A run not yet finished and not yet started (a ladder in progress) is skipped."""
    where = folder / INDEX_FILE
    index = read_model(where, RunIndex)
    found = []
    for label, sub in index.runs.items():
        path = folder / sub
        if Path(sub).is_absolute() or ".." in Path(sub).parts or not sub.strip():
            raise OrbenchError(f"{where}: run '{label}' names '{sub}', outside {folder}")
        if (path / "summary.json").is_file():
            found.append(path)
        elif label in index.completed:
            raise OrbenchError(f"{where}: run '{label}' is listed as finished, but {path} holds no summary.json")
    unknown = [label for label in index.completed if label not in index.runs]
    if unknown:
        raise OrbenchError(f"{where}: completed names {', '.join(unknown)}, which runs does not list")
    return found


def list_nights(base: Path) -> list[Path]:
    """The night folders under `base`, oldest first."""
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if NIGHT_NAME.fullmatch(p.name) and (p / INDEX_FILE).is_file())


def _nights_hint(folder: Path) -> str | None:
    nights = list_nights(folder) if folder.is_dir() else []
    return f"it holds nightly runs; pass one of them, e.g. {nights[-1]}" if nights else None


def nominal_bits(run: RunLike) -> float:
    """Bits per weight as measured, else as the quant's name says (F16 16, Q8_0 8, Q4_K_M 4, ...)."""
    if run.bits_per_weight:
        return run.bits_per_weight
    quant = (run.quant or "").upper()
    m = re.match(r"(?:I?Q|F|BF)(\d+)", quant)
    return float(m.group(1)) if m else 0.0


def pick_reference(runs: Sequence[R], reference: str | None) -> R:
    """The run asked for, else the highest-precision file that is not derived from another quant."""
    if reference:
        hits = [r for r in runs if r.label.upper() == reference.upper()] or [r for r in runs if r.matches(reference)]
        if len(hits) == 1:
            return hits[0]
        why = "is ambiguous" if hits else "matches no run"
        names = [r.label for r in runs] + [r.quant for r in runs if r.quant]
        raise OrbenchError(f"reference '{reference}' {why}",
                           hint=f"{did_you_mean(reference, names)}runs: {', '.join(r.label for r in runs)}")
    originals = [r for r in runs if not r.derived_from] or runs
    return max(originals, key=lambda r: (nominal_bits(r), -runs.index(r)))


def reference_reason(runs: Sequence[RunLike], ref: RunLike, asked: str | None) -> str:
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

"""What a run's numbers mean, printed under its tables: how to read an accuracy and its interval,
the chance level of multiple-choice suites, the published figure (or that there is none), a one-line
reading for a tiny model, a footnote for every "-" in the tables, and the next command to run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..run.records import RunSummary, SuiteSummary

TINY = 1e9  # parameters: below this, near-zero scores on math and code are the expected result

LEGEND = ("how to read it: accuracy is the share of items answered correctly (pass@1: the first sample of each); "
          "[low, high] is its 95% interval, where the accuracy on more items like these would likely fall; "
          "the narrower it is, the more the number says.")

# footnotes for a "-" in a column of the summary table
DASH = {
    "accuracy (pass@1, 95% CI)": "no sample of the suite could be scored (every one was an infrastructure error)",
    "pass@k / majority": "one sample per item: --samples 4 adds pass@k and a majority vote",
    "gen tok/s": "the backend reported no generation timings",
    "mean tokens": "no scored sample to average",
    "time": "machine time was not recorded",
    "flags": "no sample was flagged (truncated, no answer, repetition loop, unterminated thinking, time or memory "
             "limit)",
    "easy": "no item of that difficulty in the run",
    "medium": "no item of that difficulty in the run",
    "hard": "no item of that difficulty in the run",
}


def footnotes(header: list[str], rows: list[list[str]]) -> list[str]:
    """One line per column that shows a "-": what the dash means there."""
    by_reason: dict[str, list[str]] = {}
    for i, column in enumerate(header):
        if any(row[i] == "-" for row in rows) and column in DASH:
            by_reason.setdefault(DASH[column], []).append(column)
    return [f'"-" in {", ".join(columns)}: {reason}' for reason, columns in by_reason.items()]


def parameters(summary: "RunSummary") -> float | None:
    """The model's parameter count: measured by the backend, else as the catalog writes it (135M, 1.5B)."""
    perf = summary.performance
    if perf is not None and perf.n_params:
        return float(perf.n_params)
    from ..errors import OrbenchError
    from ..store.catalog import load_catalog

    try:
        text = load_catalog().get(summary.provenance.model).parameters
    except OrbenchError:
        return None
    m = re.fullmatch(r"\s*([\d.]+)\s*([MB])\s*", text or "")
    return float(m.group(1)) * (1e6 if m.group(2) == "M" else 1e9) if m else None


def _size(n: float) -> str:
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def _chance(s: "SuiteSummary") -> str | None:
    if s.chance is None:
        return None
    line = f"{s.suite}: chance level {s.chance:.0%} (guessing among the choices)"
    a = s.accuracy
    if a.low is not None and a.high is not None and a.low <= s.chance <= a.high:
        line += "; this run cannot be told apart from guessing"
    return line


def reading(summary: "RunSummary") -> list[str]:
    """Chance levels, published figures (or their absence), and a reading for a tiny model."""
    lines = [line for s in summary.suites if (line := _chance(s))] + limit_lines(summary)
    unpublished = [s.suite for s in summary.suites if not s.published]
    if unpublished:
        lines.append(f"no published figure for {summary.provenance.model} on {', '.join(unpublished)}")
    n = parameters(summary)
    if n is not None and n < TINY:
        lines.append(f"reading: {summary.provenance.model} has {_size(n)} parameters; a model this small is expected "
                     "near zero on math and code and near chance on multiple choice, so this run checks the setup "
                     "rather than measures ability")
    widths = [(s.accuracy.high - s.accuracy.low) for s in summary.suites
              if s.accuracy.low is not None and s.accuracy.high is not None]
    if widths and max(widths) > 0.2:
        items = min(s.items for s in summary.suites)
        lines.append(f"with {items} item(s) per suite an interval spans up to {max(widths):.0%}: raise --limit "
                     "(or drop it) for a number that says more")
    return lines


def limit_lines(summary: "RunSummary") -> list[str]:
    """One line per suite with samples that failed at a time or memory limit: they count as wrong."""
    lines = []
    for s in summary.suites:
        if s.limit_failures:
            kinds = ", ".join(f"{flag} {s.flags[flag]}" for flag in ("time_limit", "memory_limit") if s.flags.get(flag))
            lines.append(f"{s.suite}: {s.limit_failures} of {s.samples} sample(s) failed because a time or memory "
                         f"limit stopped the program ({kinds}); they count as wrong, as in the reference harness "
                         "(orbench view: filter by flag)")
    return lines


def next_commands(folder: Path | None, ladder: bool = False) -> list[str]:
    """The command to run next on the results."""
    if folder is None:
        return []
    if ladder:
        return [f"next: orbench report {folder}   (verdict per quant)   or   orbench view {folder}   (every sample)"]
    return [f"next: orbench view {folder}   (every sample, its reply and its grade, in one page)"]

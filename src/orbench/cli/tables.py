"""Terminal tables for run summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..units import duration
from .common import console

if TYPE_CHECKING:
    from ..run.records import RunSummary
    from ..stats import Estimate


def fmt(est: "Estimate | None") -> str:
    if est is None or est.value is None:
        return "-"
    return f"{est.value:.1%} [{est.low:.0%}, {est.high:.0%}]"


SUMMARY_HEADER = ["suite", "items", "samples", "errors", "accuracy (pass@1, 95% CI)", "pass@k / majority", "gen tok/s",
                  "mean tokens", "time", "flags"]
LEVELS = ("easy", "medium", "hard")


def summary_rows(summary: "RunSummary") -> list[list[str]]:
    """The cells of the summary table, one row per suite."""
    rows = []
    for s in summary.suites:
        extra = " ".join(f"{k} {fmt(v)}" for k, v in s.pass_at_k.items() if k != "pass@1")
        if s.majority_vote is not None:
            extra += f" maj {fmt(s.majority_vote)}"
        rows.append([
            s.suite, str(s.items), str(s.samples), str(s.errors), fmt(s.accuracy), extra or "-",
            f"{s.generation_tokens_per_s:.1f}" if s.generation_tokens_per_s else "-",
            f"{s.mean_completion_tokens:.0f}" if s.mean_completion_tokens else "-",
            duration(s.wall_seconds),
            ", ".join(f"{k} {v}" for k, v in s.flags.items()) or "-",
        ])
    return rows


def print_summary(summary: "RunSummary", explain: bool = True) -> None:
    """The run's tables and what its numbers mean (cli/explain.py)."""
    from rich.table import Table

    from .explain import LEGEND, footnotes, reading

    p = summary.provenance
    grading = "" if p.grading == "reference" else f", grading {p.grading}"
    title = f"{p.model}{':' + p.quant if p.quant else ''}  ({summary.status}, seed {p.seed}{grading})"
    table = Table(title=title, title_justify="left")
    for col in SUMMARY_HEADER:
        table.add_column(col)
    rows = summary_rows(summary)
    for row in rows:
        table.add_row(*row)
    out = console()
    out.print(table)
    tiers = Table(title="By difficulty", title_justify="left")
    tiers.add_column("suite")
    for level in LEVELS:
        tiers.add_column(level)
    tier_rows = [[s.suite, *(fmt(s.by_difficulty.get(level)) for level in LEVELS)] for s in summary.suites]
    for row in tier_rows:
        tiers.add_row(*row)
    out.print(tiers)
    notes = footnotes(SUMMARY_HEADER, rows) + footnotes(["suite", *LEVELS], tier_rows)
    for line in ([LEGEND] if explain else []) + notes + (reading(summary) if explain else []):
        out.print(line, markup=False, highlight=False)
    _print_provenance(summary)


def _print_provenance(summary: "RunSummary") -> None:
    out = console()
    p = summary.provenance
    for s in summary.suites:
        for fig in s.published:
            here = f"{s.accuracy.value:.1%}" if s.accuracy.value is not None else "-"
            out.print(f"{s.suite}: published {fig.value:.1f}% {fig.metric} ({fig.source}); here {here}"
                      + (f" — {'; '.join(fig.differences)}" if fig.differences else ""))
        if s.data is not None and s.data.revision_pinned == "pypi":
            out.print(f"{s.suite}: data from the PyPI copy {s.data.revision} (sha256 pinned by orbench)")
        elif s.data is not None:
            pins = sorted({f.pinned for f in s.data.files})
            out.print(f"{s.suite}: data {s.data.repo}@{s.data.revision[:12]} "
                      f"(commit pinned by {s.data.revision_pinned}; sha256 pinned by {', '.join(pins)})")
    perf = summary.performance
    if perf and perf.engine:
        parts = [f"engine {perf.engine}" + (f", N={perf.parallel}" if perf.parallel else ""),
                 f"machine time {duration(perf.wall_seconds)}"]
        if perf.peak_rss_mb:
            parts.append(f"peak RSS {perf.peak_rss_mb:.0f} MB")
        b = p.backend
        if b.gpu_offload_active:
            parts.append(f"GPU: {b.offloaded_layers}/{b.offloadable_layers} layers on {', '.join(b.gpu_devices or []) or '?'}")
        out.print("; ".join(parts))
    if summary.sandbox:
        box = summary.sandbox
        out.print(f"sandbox {box.engine} ({box.graders} at a time): {', '.join(box.layers)}"
                  + (f"; missing {', '.join(box.missing)}" if box.missing else ""), markup=False)
    for note in summary.notes:
        out.print(f"note: {note}")

"""The history of a nightly output folder: per night, model and suite, accuracy with its interval,
generation speed and the model file's sha256 (marked where it changed), as a table, JSON, and
`history.md` / `history.html` (a small chart per suite) beside the nights."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pydantic import BaseModel

from ..run.loader import run_label
from ..errors import OrbenchError
from ..files import write_text
from .nights import list_nights, read_baseline, read_index
from ..run.records import read_summary
from ..stats import Estimate


class HistoryRow(BaseModel):
    night: str
    started_at: str | None
    exit_code: int | None  # None: unfinished
    label: str
    suite: str
    accuracy: Estimate
    tokens_per_s: float | None
    sha256: str | None
    file_changed: bool  # the model file differs from the previous night's
    baseline: bool  # this night is the pinned baseline


def collect(base: Path, last: int | None = None) -> list[HistoryRow]:
    """Every night under `base` (the newest `last` when given), oldest first."""
    nights = list_nights(base)
    if not nights:
        raise OrbenchError(f"{base} holds no nightly runs", hint="run `orbench run --config orbench.toml` first")
    pinned = read_baseline(base)
    pinned_name = pinned.resolve().name if pinned is not None else None
    rows: list[HistoryRow] = []
    seen: dict[str, str | None] = {}
    for night in nights:
        index = read_index(night)
        for sub in index.runs.values():
            if not (night / sub / "summary.json").is_file():
                continue
            summary = read_summary(night / sub / "summary.json")
            label, sha = run_label(summary), summary.provenance.sha256
            changed = label in seen and seen[label] != sha
            seen[label] = sha
            rows += [HistoryRow(night=night.name, started_at=index.started_at, exit_code=index.exit_code, label=label,
                                suite=s.suite, accuracy=s.accuracy, tokens_per_s=s.generation_tokens_per_s, sha256=sha,
                                file_changed=changed, baseline=night.name == pinned_name)
                     for s in summary.suites]
    if last:
        keep = [n.name for n in nights][-last:]
        rows = [r for r in rows if r.night in keep]
    return rows


def _pct(e: Estimate) -> str:
    if e.value is None:
        return "-"
    return f"{e.value:.1%} [{e.low:.0%}, {e.high:.0%}]"


def _outcome(code: int | None) -> str:
    return {None: "unfinished", 0: "passed", 1: "REGRESSION", 3: "infra errors"}.get(code, str(code))


def table_rows(rows: list[HistoryRow]) -> list[list[str]]:
    """The rows as text cells: night, outcome, run, suite, accuracy, tok/s, model file."""
    out = []
    for r in rows:
        file = (r.sha256 or "-")[:12] + (" (changed)" if r.file_changed else "")
        out.append([r.night + (" (baseline)" if r.baseline else ""), _outcome(r.exit_code), r.label, r.suite,
                    _pct(r.accuracy), "-" if r.tokens_per_s is None else f"{r.tokens_per_s:.1f}", file])
    return out


HEADER = ["night", "outcome", "run", "suite", "accuracy (95% CI)", "gen tok/s", "model file sha256"]


def markdown(rows: list[HistoryRow], base: Path) -> str:
    lines = [f"# orbench history: {base}", "", "| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(cells) + " |" for cells in table_rows(rows)]
    return "\n".join(lines) + "\n"


def html(rows: list[HistoryRow], base: Path) -> str:
    from ..quant.svg import trend

    nights = list(dict.fromkeys(r.night for r in rows))
    charts = []
    for suite in dict.fromkeys(r.suite for r in rows):
        series: dict[str, list[tuple[int, float, float | None, float | None]]] = {}
        for r in rows:
            if r.suite == suite and r.accuracy.value is not None:
                series.setdefault(r.label, []).append((nights.index(r.night), r.accuracy.value, r.accuracy.low,
                                                       r.accuracy.high))
        charts.append(f"<h2>{escape(suite)}</h2>" + trend(series, nights, "accuracy (95% CI)"))
    cells = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table_rows(rows))
    table = "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in HEADER) + "</tr>" + cells + "</table>"
    style = ("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>orbench history</title><style>{style}</style>"
            f"</head><body><h1>orbench history: {escape(str(base))}</h1>{''.join(charts)}<h2>Every night</h2>"
            f"{table}</body></html>\n")


def write_history(base: Path, last: int | None = None) -> tuple[Path, Path]:
    """Write `history.md` and `history.html` into `base`."""
    rows = collect(base, last)
    md_path, html_path = base / "history.md", base / "history.html"
    write_text(md_path, markdown(rows, base), "the history")
    write_text(html_path, html(rows, base), "the history")
    return md_path, html_path

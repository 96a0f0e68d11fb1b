"""The history of a nightly output folder: per night, model and suite, accuracy with its interval,
the gate's verdict per rule (from the night's gate.json), generation speed with its spread (the
same figure the gate, compare and the report show: `run/speed.py`) and the model file's sha256
(marked where it changed), as a table, JSON, and `history.md` / `history.html` (a small chart per
suite) beside the nights.

A night's outcome is "no gate" when it had no baseline to be gated against, "passed" only when a
gate ran and passed; a row's verdict is its own rule's (an unchanged suite of a night that failed
on speed is "ok")."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pydantic import BaseModel

from ..files import read_model
from ..run.loader import load_runs
from ..errors import OrbenchError
from ..files import write_text
from ..run.speed import run_speed
from .findings import GateResult
from .gate import GATE_FILE
from .gate_report import NO_GATE
from .nights import list_nights, read_baseline, read_index
from ..stats import Estimate


class HistoryRow(BaseModel):
    night: str
    started_at: str | None
    exit_code: int | None  # None: unfinished
    outcome: str  # the night's: passed, REGRESSION, infra errors, no gate, unfinished
    label: str
    suite: str
    accuracy: Estimate
    accuracy_verdict: str | None  # this row's accuracy rule: ok, REGRESSION, underpowered; None: not gated
    tokens_per_s: float | None  # the run's median per-sample generation rate
    speed: str | None  # the same with its spread: IQR, timed samples, machine load
    speed_verdict: str | None  # the speed rule's verdict for this run; None: no speed rule
    sha256: str | None
    file_changed: bool  # the model file differs from the previous night's
    baseline: bool  # this night is the pinned baseline


def _gate(night: Path) -> GateResult | None:
    path = night / GATE_FILE
    return read_model(path, GateResult) if path.is_file() else None


def _outcome(code: int | None, gate: GateResult | None, night: Path) -> str:
    if code is None:
        return "unfinished"
    if code == 3:
        return "infra errors"
    if gate is None and not _gated_before_gate_json(night):
        return "no gate"
    return {0: "passed", 1: "REGRESSION"}.get(code, str(code))


def _gated_before_gate_json(night: Path) -> bool:
    """A night written before gate.json: its junit.xml meant it was gated (an ungated night's says "no gate")."""
    junit = night / "junit.xml"
    return junit.is_file() and f'"{NO_GATE}: ' not in junit.read_text(encoding="utf-8", errors="replace")


_STATUS = {"regression": "REGRESSION", "underpowered": "underpowered", "ok": "ok"}


def _verdict(gate: GateResult | None, label: str, suite: str, metric: str) -> str | None:
    if gate is None:
        return None
    found = [f for f in gate.findings if f.label == label and f.suite == suite and f.rule.startswith(metric)]
    if not found:
        return None
    return max((_STATUS[f.status] for f in found), key=["ok", "underpowered", "REGRESSION"].index)


def collect(base: Path, last: int | None = None) -> list[HistoryRow]:
    """Every night under `base` (the newest `last` when given), oldest first."""
    nights = list_nights(base)
    if not nights:
        raise OrbenchError(f"{base} holds no nightly runs", hint="run `orbench run --config orbench.toml` first")
    if last:
        nights = nights[-last:]
    pinned = read_baseline(base)
    pinned_name = pinned.resolve().name if pinned is not None else None
    rows: list[HistoryRow] = []
    seen: dict[str, str | None] = {}
    for night in nights:
        index, gate = read_index(night), _gate(night)
        outcome = _outcome(index.exit_code, gate, night)
        for sub in index.runs.values():
            if not (night / sub / "summary.json").is_file():
                continue
            [run] = load_runs([night / sub])
            sha, speed = run.summary.provenance.sha256, run_speed(run)
            label = run.label
            changed = label in seen and seen[label] != sha
            seen[label] = sha
            rows += [HistoryRow(night=night.name, started_at=index.started_at, exit_code=index.exit_code,
                                outcome=outcome, label=label, suite=s.suite, accuracy=s.accuracy,
                                accuracy_verdict=_verdict(gate, label, s.suite, "accuracy"),
                                tokens_per_s=speed.median if speed else None, speed=speed.text() if speed else None,
                                speed_verdict=_verdict(gate, label, "performance", "tokens_per_s"),
                                sha256=sha, file_changed=changed, baseline=night.name == pinned_name)
                     for s in run.summary.suites]
    return rows


def _pct(e: Estimate) -> str:
    if e.value is None:
        return "-"
    return f"{e.value:.1%} [{e.low:.0%}, {e.high:.0%}]"


def table_rows(rows: list[HistoryRow]) -> list[list[str]]:
    """The rows as text cells: night, the night's gate, run, suite, accuracy and its verdict, tok/s
    (median ± half the IQR) and its verdict, model file."""
    out = []
    for r in rows:
        file = (r.sha256 or "-")[:12] + (" (changed)" if r.file_changed else "")
        tps = "-" if r.tokens_per_s is None else f"{r.tokens_per_s:.1f}"
        if r.speed and "IQR" in r.speed:
            tps = r.speed.replace(" tok/s", "")
        out.append([r.night + (" (baseline)" if r.baseline else ""), r.outcome, r.label, r.suite,
                    _pct(r.accuracy), r.accuracy_verdict or "not gated", tps, r.speed_verdict or "not gated", file])
    return out


HEADER = ["night", "gate", "run", "suite", "accuracy (95% CI)", "accuracy rule", "gen tok/s (median, spread)",
          "speed rule", "model file sha256"]


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

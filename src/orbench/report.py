"""Quant-comparison report: one self-contained HTML file (inline SVG, no network) and a Markdown summary."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from typing import Any

from .compare import LoadedRun, PairedResult, compare_all, load_runs, pick_reference, significant_drop
from .files import read_model
from .kld import KldReport
from .published import Published
from .svg import Point, bars, scatter
from .units import duration
from .view.links import report_section


@dataclass
class QuantRow:
    label: str
    derived_from: str | None
    file_mb: float | None
    bpw: float | None
    gen_tps: float | None
    pp_tps: float | None
    peak_rss_mb: float | None
    load_s: float | None
    kld: float | None
    top1: float | None
    diagnostics: dict[str, float]
    engine: str | None = None
    wall_s: float | None = None


def correct_per_hour(suites: list[Any]) -> float | None:
    """Correct answers per hour of machine time over suites that recorded it (pass@1 x scored samples)."""
    timed = [s for s in suites if s.wall_seconds and s.accuracy.value is not None]
    if not timed:
        return None
    return sum(s.accuracy.value * s.scored for s in timed) / (sum(s.wall_seconds for s in timed) / 3600)


@dataclass
class Report:
    model: str
    reference: str
    rows: list[QuantRow]
    paired: list[PairedResult]
    recommendation: str
    kld_note: str
    per_hour: dict[tuple[str, str], float | None]  # (quant label, suite) -> correct answers per machine-hour
    published: dict[str, list[Published]] = field(default_factory=dict)  # suite -> published figures of the model
    unquoted: list[str] = field(default_factory=list)  # suites whose items the report must not quote


def _rows(runs: list[LoadedRun], kld: dict[str, dict[str, float]]) -> list[QuantRow]:
    rows = []
    for run in runs:
        perf = run.summary.performance
        diag: dict[str, float] = {}
        scored = sum(s.scored for s in run.summary.suites) or 1
        for s in run.summary.suites:
            for key, value in s.diagnostics.items():
                diag[key] = diag.get(key, 0.0) + value * s.scored / scored
        k = kld.get(run.label, {})
        rows.append(QuantRow(
            label=run.label, derived_from=run.derived_from,
            file_mb=perf.file_bytes / 1e6 if perf and perf.file_bytes else None,
            bpw=perf.bits_per_weight if perf else None, gen_tps=perf.generation_tokens_per_s if perf else None,
            pp_tps=perf.prompt_tokens_per_s if perf else None, peak_rss_mb=perf.peak_rss_mb if perf else None,
            load_s=perf.load_seconds if perf else None, kld=k.get("mean_kld"), top1=k.get("top1_agreement"),
            diagnostics={k2: round(v, 4) for k2, v in diag.items()},
            engine=(f"{perf.engine} N={perf.parallel}" if perf.parallel else perf.engine) if perf and perf.engine else None,
            wall_s=perf.wall_seconds if perf else None,
        ))
    return rows


def _kld_by_quant(folder: Path, reference: str) -> tuple[dict[str, dict[str, float]], str]:
    path = folder / "kld.json"
    if not path.is_file():
        return {}, "no kld.json in the run folder (run `orbench kld ... -o RUN_DIR`): the recommendation uses accuracy only"
    data = read_model(path, KldReport)
    rows = {r.label: {"mean_kld": r.mean_kld, "top1_agreement": r.top1_agreement} for r in data.results.get("text", [])}
    rows.setdefault(data.reference, {"mean_kld": 0.0, "top1_agreement": 1.0})
    note = f"KLD from {data.reference} on {Path(data.text).name}, chunks of {data.n_ctx} tokens, top-{data.top_k}"
    if data.reference != reference:
        note += f" (note: the accuracy reference is {reference})"
    return rows, note


def recommend(rows: list[QuantRow], paired: list[PairedResult], reference: str, max_kld: float, alpha: float) -> str:
    dropped = {r.label for r in paired if significant_drop(r, alpha)}
    candidates = sorted((r for r in rows if r.file_mb is not None), key=lambda r: r.file_mb or 0.0)
    for row in candidates:
        if row.label in dropped:
            continue
        if row.kld is not None and row.kld > max_kld:
            continue
        why = "no suite significantly below the reference" + (
            f", mean KLD {row.kld:.4f} ≤ {max_kld}" if row.kld is not None else ", KLD not measured")
        return f"{row.label} ({row.file_mb:.1f} MB): the smallest quant with {why}."
    return f"none: every quant smaller than {reference} drops significantly or exceeds KLD {max_kld}; keep {reference}."


def build(folder: Path, reference: str | None = None, max_kld: float = 0.05, alpha: float = 0.05) -> Report:
    runs = load_runs([folder])
    ref = pick_reference(runs, reference)
    paired = compare_all(runs, ref)
    kld, note = _kld_by_quant(folder, ref.label)
    rows = _rows(runs, kld)
    per_hour = {(run.label, s.suite): correct_per_hour([s]) for run in runs for s in run.summary.suites}
    per_hour.update({(run.label, "all"): correct_per_hour(run.summary.suites) for run in runs})
    return Report(model=ref.summary.provenance.model, reference=ref.label, rows=rows, paired=paired,
                  recommendation=recommend(rows, paired, ref.label, max_kld, alpha), kld_note=note, per_hour=per_hour,
                  published={s.suite: s.published for s in ref.summary.suites if s.published},
                  unquoted=sorted({s.suite for run in runs for s in run.summary.suites if not s.quote_items}))


def write_report(folder: Path, reference: str | None = None, max_kld: float = 0.05, alpha: float = 0.05,
                 html_path: Path | None = None) -> tuple[Report, Path, Path, str]:
    """Build the report of a ladder folder and write report.html and report.md, and the sample
    viewer (view.html) that report.html links its lost and gained items to."""
    from .errors import OrbenchError
    from .view import ViewOptions, write_view

    rep = build(folder, reference, max_kld, alpha)
    html_path = html_path or folder / "report.html"
    md_path = folder / "report.md"
    md = markdown(rep)
    view = write_view([folder], folder / "view.html", ViewOptions(reference=rep.reference, filter="flipped"))
    view_href = Path(os.path.relpath(view.path.resolve(), html_path.resolve().parent)).as_posix()
    try:
        html_path.write_text(html(rep, view_href), encoding="utf-8")
        md_path.write_text(md, encoding="utf-8")
    except OSError as exc:
        raise OrbenchError(f"cannot write the report: {exc.filename}: {exc.strerror}") from None
    return rep, html_path, md_path, md


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _num(v: float | None, f: str = ".1f") -> str:
    return "-" if v is None else format(v, f)


def _label(row: QuantRow) -> str:
    return row.label + (f" (derived from {row.derived_from.split(' (sha256')[0]})" if row.derived_from else "")


def _delta(r: PairedResult) -> str:
    d = r.difference
    return "-" if d.value is None else f"{d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def markdown(rep: Report) -> str:
    lines = [f"# orbench quant comparison: {rep.model}", "", f"**Recommendation:** {rep.recommendation}", "",
             f"Reference: {rep.reference}. {rep.kld_note}.", ""]
    lines += _md_table(
        ["quant", "file MB", "bits/weight", "gen tok/s", "prompt tok/s", "peak RSS MB", "mean KLD", "top-1 agree",
         "engine", "machine time"],
        [[_label(r), _num(r.file_mb), _num(r.bpw, ".2f"), _num(r.gen_tps), _num(r.pp_tps), _num(r.peak_rss_mb, ".0f"),
          _num(r.kld, ".5f"), _pct(r.top1), r.engine or "-", duration(r.wall_s)] for r in rep.rows])
    lines += [""] + _md_table(
        ["suite", "quant", "accuracy", "correct / machine-hour", "Δ vs reference (95% CI)", "McNemar p", "lost", "gained"],
        [[p.suite, p.label, f"{_pct(p.accuracy.value)} [{_pct(p.accuracy.low)}, {_pct(p.accuracy.high)}]",
          _num(rep.per_hour.get((p.label, p.suite))), _delta(p), f"{p.p_value:.3g}", str(len(p.lost)),
          str(len(p.gained))] for p in rep.paired])
    lines += [""] + _md_table(
        ["quant", "truncated", "unterminated thinking", "no answer", "repetition loops", "mean thinking tokens"],
        [[r.label, _pct(r.diagnostics.get("truncated_rate")), _pct(r.diagnostics.get("unterminated_thinking_rate")),
          _pct(r.diagnostics.get("no_answer_rate")), _pct(r.diagnostics.get("repetition_loop_rate")),
          _num(r.diagnostics.get("mean_thinking_tokens"))] for r in rep.rows])
    if rep.published:
        here = {(p.suite, p.label): p.accuracy.value for p in rep.paired}
        lines += ["", "Published figures of this model, beside this run's (protocol differences spelled out):", ""]
        lines += _md_table(["suite", "published", "here (each quant)", "source", "protocol differences"], [
            [suite, f"{fig.value:.1f}% {fig.metric}",
             ", ".join(f"{r.label} {_pct(here.get((suite, r.label)))}" for r in rep.rows), fig.source,
             "; ".join(fig.differences) or "-"]
            for suite, figs in rep.published.items() for fig in figs])
    if rep.unquoted:
        lines += ["", f"Items of {', '.join(rep.unquoted)} are not quoted here: the dataset's terms ask that its "
                  "examples are not published."]
    return "\n".join(lines) + "\n"


def html(rep: Report, view_href: str | None = None) -> str:
    """The report page; with `view_href`, lost and gained items link to their pages in the viewer."""
    size = {r.label: r.file_mb for r in rep.rows if r.file_mb is not None}
    acc_points = [Point(size[p.label], p.accuracy.value, p.label, p.suite, p.accuracy.low, p.accuracy.high)
                  for p in rep.paired if p.label in size and p.accuracy.value is not None]
    kld_points = [Point(r.bpw, r.kld, r.label) for r in rep.rows if r.bpw is not None and r.kld is not None]
    speed = [(r.label, r.gen_tps) for r in rep.rows if r.gen_tps]
    hourly = [(r.label, h) for r in rep.rows if (h := rep.per_hour.get((r.label, "all")))]
    body = [
        f"<h1>orbench quant comparison: {escape(rep.model)}</h1>",
        f"<p class='rec'><b>Recommendation:</b> {escape(rep.recommendation)}</p>",
        f"<p>Reference: {escape(rep.reference)}. {escape(rep.kld_note)}.</p>",
        "<h2>Accuracy versus file size</h2><p>Dots: pass@1; whiskers: 95% interval.</p>",
        scatter(acc_points, "file size (MB)", "accuracy", fmt_y=lambda v: f"{v:.0%}"),
        "<h2>Generation speed</h2>", bars(speed, "tokens/s"),
        *(["<h2>Correct answers per hour of machine time</h2><p>All suites; machine time as measured by the run "
           "(engine and N in the first table).</p>", bars(hourly, "correct / hour")] if hourly else []),
        "<h2>KL divergence versus bits per weight</h2>", scatter(kld_points, "bits per weight", "mean KLD"),
        "<h2>Tables</h2>", _md_tables_to_html(markdown(rep)),
        *([report_section(rep.paired, rep.reference, view_href)] if view_href else []),
    ]
    style = ("body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}"
             ".rec{background:#eef6ee;padding:.6em;border-left:4px solid #2ca02c}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>orbench: {escape(rep.model)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")


def _md_tables_to_html(md: str) -> str:
    out, rows = [], []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            if not set(line) <= set("|- "):
                rows.append([c.strip() for c in line.strip("|").split("|")])
            continue
        if rows:
            head, *rest = rows
            out.append("<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in head) + "</tr>"
                       + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rest)
                       + "</table>")
            rows = []
    return "".join(out)

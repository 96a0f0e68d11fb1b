"""Quant-comparison report: one self-contained HTML file (inline SVG, no network) and a Markdown summary."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from typing import Any

from .compare import MARGIN, PairedResult, compare_folders
from ..run.loader import LoadedRun
from ..run.speed import run_speed
from .decision import Candidate, QuantVerdict, need_text, quant_verdicts, recommend
from ..files import read_model, write_text
from .kld import KldReport
from ..suites.published import Published
from .svg import Point, bars, scatter
from ..units import duration
from .report_links import report_section


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
    gen_spread: str | None = None  # the median generation rate with its spread (run/speed.py)
    kld_positions: int | None = None  # token positions the mean KLD was measured on


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
    reason: str = ""  # why the reference is the reference
    recommended: str | None = None
    verdicts: dict[str, QuantVerdict] | None = None
    header: str = ""
    warnings: list[str] | None = None
    max_kld: float = 0.05
    margin: float = MARGIN
    published: dict[str, list[Published]] = field(default_factory=dict)  # suite -> published figures of the model
    unquoted: list[str] = field(default_factory=list)  # suites whose items the report must not quote
    adaptive: list[str] = field(default_factory=list)  # an adaptive ladder: its running intervals (markdown)
    adaptive_chart: str = ""  # and as a chart (inline SVG)


def _rows(runs: list[LoadedRun], kld: dict[str, dict[str, float]]) -> list[QuantRow]:
    rows = []
    for run in runs:
        perf = run.summary.performance
        diag: dict[str, float] = {}
        scored = sum(s.scored for s in run.summary.suites) or 1
        for s in run.summary.suites:
            for key, value in s.diagnostics.items():
                diag[key] = diag.get(key, 0.0) + value * s.scored / scored
        k = kld.get(run.label) or kld.get(run.quant or "", {})
        speed = run_speed(run)
        rows.append(QuantRow(
            label=run.label, derived_from=run.derived_from,
            file_mb=perf.file_bytes / 1e6 if perf and perf.file_bytes else None,
            bpw=perf.bits_per_weight if perf else None, gen_tps=speed.median if speed else None,
            pp_tps=perf.prompt_tokens_per_s if perf else None, peak_rss_mb=perf.peak_rss_mb if perf else None,
            load_s=perf.load_seconds if perf else None, kld=k.get("mean_kld"), top1=k.get("top1_agreement"),
            diagnostics={k2: round(v, 4) for k2, v in diag.items()},
            engine=(f"{perf.engine} N={perf.parallel}" if perf.parallel else perf.engine) if perf and perf.engine else None,
            wall_s=perf.wall_seconds if perf else None, gen_spread=speed.short() if speed else None,
            kld_positions=int(k["positions"]) if k.get("positions") else None,
        ))
    return rows


def _kld_by_quant(folder: Path, ref: LoadedRun) -> tuple[dict[str, dict[str, float]], str]:
    path = folder / "kld.json"
    if not path.is_file():
        return {}, "no kld.json in the run folder (run `orbench kld ... -o RUN_DIR`): the recommendation uses accuracy only"
    data = read_model(path, KldReport)
    rows = {r.label: {"mean_kld": r.mean_kld, "top1_agreement": r.top1_agreement, "positions": r.positions}
            for r in data.results.get("text", [])}
    rows.setdefault(data.reference, {"mean_kld": 0.0, "top1_agreement": 1.0})
    note = f"KLD from {data.reference} on {Path(data.text).name}, chunks of {data.n_ctx} tokens, top-{data.top_k}"
    if data.reference.upper() not in {ref.label.upper(), (ref.quant or "").upper()}:
        note += f" (note: the accuracy reference is {ref.label})"
    return rows, note


def _header(ref: LoadedRun) -> str:
    """Date, orbench version, machine, llama.cpp build, items, samples, seed and max tokens of the runs."""
    from datetime import datetime

    p = ref.summary.provenance
    b = p.backend
    machine = p.platform + (f", {b.n_threads} threads" if b.n_threads else "")
    machine += ", GPU offload" if b.gpu_offload_active else ", CPU only"
    items = ", ".join(f"{s.suite} {s.items}" for s in ref.summary.suites)
    return (f"Report of {datetime.now().strftime('%Y-%m-%d %H:%M')}; runs started {p.started_at[:16]}; orbench "
            f"{p.orbench_version}; machine {machine}; engine {b.backend}"
            f"{' (llama-cpp-python ' + b.llama_cpp_python + ')' if b.llama_cpp_python else ''}; items per suite: "
            f"{items}; {p.samples_per_item} sample(s) per item; seed {p.seed}; max tokens {p.sampler.get('max_tokens')}")


def _warnings(runs: list[LoadedRun]) -> list[str]:
    from ..run.grader_mix import find_mismatches, regrade_command

    out = [f"graded by different grader versions ({m.describe()}): the differences may be the graders'; "
           f"regrade with: {regrade_command(m.stale)}" for m in find_mismatches(runs)]
    derived = [r for r in runs if r.derived_from]
    if derived:
        sources = sorted({(r.derived_from or "").split(" (sha256")[0] for r in derived})
        out.append(f"{', '.join(r.label for r in derived)} {'is' if len(derived) == 1 else 'are'} derived from "
                   f"{', '.join(sources)} (requantized locally): their accuracy and KLD measure requantizing that "
                   "file, not the quants as published.")
    for r in runs:
        bpw, m = (r.summary.performance.bits_per_weight if r.summary.performance else None), _name_bits(r.quant)
        if bpw and m and bpw > m + 2:
            out.append(f"{r.label} has {bpw:.2f} bits per weight, far above its name's {m}: most tensors fell back "
                       "to other types, so it is not the small file its name suggests.")
    return out


def _name_bits(quant: str | None) -> int | None:
    import re

    m = re.match(r"I?Q(\d)", (quant or "").upper())
    return int(m.group(1)) if m else None


def build(folder: Path, reference: str | None = None, max_kld: float = 0.05, alpha: float = 0.05,
          margin: float = MARGIN) -> Report:
    comparison = compare_folders([folder], reference, margin, alpha, allow_grader_mismatch=True)  # warned below
    runs, ref = comparison.runs, comparison.reference
    kld, note = _kld_by_quant(folder, ref)
    rows = _rows(runs, kld)
    per_hour = {(run.label, s.suite): correct_per_hour([s]) for run in runs for s in run.summary.suites}
    per_hour.update({(run.label, "all"): correct_per_hour(run.summary.suites) for run in runs})
    verdicts = quant_verdicts(comparison.results)
    for row in comparison.adaptive.quants if comparison.adaptive else []:  # an adaptive ladder: its own verdicts
        if row.label in verdicts:
            verdicts[row.label].verdict = "inconclusive" if row.verdict == "continue" else row.verdict
    ref_mb = next((r.file_mb for r in rows if r.label == ref.label), None)
    candidates = [Candidate(r.label, r.file_mb, r.kld, r.kld_positions) for r in rows if r.file_mb is not None]
    text, recommended = recommend(candidates, verdicts, ref.label, ref_mb, max_kld, margin)
    return Report(model=ref.summary.provenance.model, reference=ref.label, rows=rows, paired=comparison.results,
                  recommendation=text, kld_note=note, per_hour=per_hour, reason=comparison.reason,
                  recommended=recommended, verdicts=verdicts, header=_header(ref), warnings=_warnings(runs),
                  max_kld=max_kld, margin=margin,
                  published={s.suite: s.published for s in ref.summary.suites if s.published},
                  unquoted=sorted({s.suite for run in runs for s in run.summary.suites if not s.quote_items}),
                  adaptive=_adaptive_lines(folder), adaptive_chart=adaptive_chart([folder]))


def _adaptive_lines(folder: Path) -> list[str]:
    from .adaptive_record import running_lines
    from .compare import adaptive_record

    record = adaptive_record([folder])
    return running_lines(record) if record else []


def adaptive_chart(folders: list[Path]) -> str:
    """The running-interval chart of an adaptive ladder folder (inline SVG); empty for other runs."""
    from .adaptive_record import chart_svg
    from .compare import adaptive_record

    record = adaptive_record(folders)
    return chart_svg(record) if record else ""


def write_report(folder: Path, reference: str | None = None, max_kld: float = 0.05, alpha: float = 0.05,
                 html_path: Path | None = None, margin: float = MARGIN) -> tuple[Report, Path, Path, str]:
    """Build the report of a ladder folder and write report.html and report.md, and the sample
    viewer (view.html) that report.html links its lost and gained items to."""
    from ..view import ViewOptions, write_view

    rep = build(folder, reference, max_kld, alpha, margin)
    html_path = html_path or folder / "report.html"
    md_path = folder / "report.md"
    md = markdown(rep)
    view = write_view([folder], folder / "view.html", ViewOptions(reference=rep.reference, filter="flipped",
                                                                  chart=rep.adaptive_chart))
    view_href = Path(os.path.relpath(view.path.resolve(), html_path.resolve().parent)).as_posix()
    write_text(html_path, html(rep, view_href), "the report")
    write_text(md_path, md, "the report")
    return rep, html_path, md_path, md


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.1%}"


def _num(v: float | None, f: str = ".1f") -> str:
    return "-" if v is None else format(v, f)


def _label(row: QuantRow) -> str:
    return row.label + (f" (derived from {row.derived_from.split(' (sha256')[0]})" if row.derived_from else "")


def _delta(r: PairedResult) -> str:
    d = r.difference
    if r.verdict == "reference":
        return "(reference)"
    return "-" if d.value is None else f"{d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows)]


def _verdict(p: PairedResult) -> str:
    if p.verdict == "inconclusive":
        return f"inconclusive ({need_text(p.items_needed)})"
    return p.verdict


def verdict_line(rep: Report) -> str:
    """Per quant: not worse / worse / inconclusive, with the per-suite differences behind it."""
    parts = [f"{v.label} {v.verdict}: {v.evidence()}" for v in (rep.verdicts or {}).values() if v.verdict != "reference"]
    return (f"**Verdict** (against {rep.reference}; not worse = the 95% interval of the difference stays above "
            f"-{rep.margin * 100:g} points): " + ("; ".join(parts) or "only the reference was run") + ".")


def markdown(rep: Report) -> str:
    lines = [f"# orbench quant comparison: {rep.model}", "", verdict_line(rep), "",
             f"**Recommendation:** {rep.recommendation}", ""]
    lines += [f"> **warning:** {w}" for w in rep.warnings or []] + ([""] if rep.warnings else [])
    lines += [f"Reference: {rep.reason or rep.reference}. {rep.kld_note}.", "", f"_{rep.header}_", ""]
    lines += _md_table(
        ["quant", "file MB", "bits/weight", "gen tok/s (median ± IQR/2)", "prompt tok/s", "peak RSS MB", "mean KLD", "top-1 agree",
         "engine", "machine time"],
        [[_label(r), _num(r.file_mb), _num(r.bpw, ".2f"), r.gen_spread or "-", _num(r.pp_tps), _num(r.peak_rss_mb, ".0f"),
          _num(r.kld, ".5f"), _pct(r.top1), r.engine or "-", duration(r.wall_s)] for r in rep.rows])
    lines += [""] + _md_table(
        ["suite", "quant", "accuracy", "correct / machine-hour", "Δ vs reference (95% score CI)", "McNemar p", "lost",
         "gained", "verdict"],
        [[p.suite, p.label, f"{_pct(p.accuracy.value)} [{_pct(p.accuracy.low)}, {_pct(p.accuracy.high)}]",
          _num(rep.per_hour.get((p.label, p.suite))), _delta(p), f"{p.p_value:.3g}", str(len(p.lost)),
          str(len(p.gained)), _verdict(p)] for p in rep.paired])
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
    if rep.adaptive:
        lines += [""] + rep.adaptive
    if rep.unquoted:
        lines += ["", f"Items of {', '.join(rep.unquoted)} are not quoted here: the dataset's terms ask that its "
                  "examples are not published."]
    return "\n".join(lines) + "\n"


def _marked(rep: Report, label: str) -> str:
    """A chart label: the quant alone when every run is of one model, with the reference and the
    recommended quant marked."""
    models = {r.label.rsplit(":", 1)[0] for r in rep.rows}
    short = label.rsplit(":", 1)[-1] if len(models) == 1 and ":" in label else label
    return short + (" (reference)" if label == rep.reference else " (recommended)" if label == rep.recommended else "")


def html(rep: Report, view_href: str | None = None) -> str:
    """The report page; with `view_href`, lost and gained items link to their pages in the viewer."""
    size = {r.label: r.file_mb for r in rep.rows if r.file_mb is not None}
    acc_points = [Point(size[p.label], p.accuracy.value, _marked(rep, p.label), p.suite, p.accuracy.low,
                        p.accuracy.high) for p in rep.paired if p.label in size and p.accuracy.value is not None]
    kld_points = [Point(r.bpw, r.kld, _marked(rep, r.label)) for r in rep.rows if r.bpw is not None and r.kld is not None]
    speed = [(_marked(rep, r.label), r.gen_tps) for r in rep.rows if r.gen_tps]
    hourly = [(_marked(rep, r.label), h) for r in rep.rows if (h := rep.per_hour.get((r.label, "all"))) is not None]
    warnings = "".join(f"<p class='warn'><b>warning:</b> {escape(w)}</p>" for w in rep.warnings or [])
    body = [
        f"<h1>orbench quant comparison: {escape(rep.model)}</h1>",
        f"<p class='verdict'>{escape(verdict_line(rep)).replace('**Verdict**', '<b>Verdict</b>')}</p>",
        f"<p class='rec'><b>Recommendation:</b> {escape(rep.recommendation)}</p>", warnings,
        f"<p>Reference: {escape(rep.reason or rep.reference)}. {escape(rep.kld_note)}.</p>",
        f"<p class='meta'>{escape(rep.header)}</p>",
        "<h2>Accuracy versus file size</h2><p>Dots: pass@1 per suite; whiskers: 95% interval.</p>",
        scatter(acc_points, "file size (MB)", "accuracy", fmt_y=lambda v: f"{v:.0%}"),
        "<h2>Generation speed</h2>", bars(speed, "tokens/s"),
        *(["<h2>Correct answers per hour of machine time</h2><p>All suites; machine time as measured by the run "
           "(engine and N in the first table).</p>", bars(hourly, "correct / hour")] if hourly else []),
        "<h2>KL divergence versus bits per weight</h2>",
        scatter(kld_points, "bits per weight", "mean KLD", hline=(rep.max_kld, f"--max-kld {rep.max_kld:g}")),
        *(["<h2>Running anytime-valid interval (--until-decided)</h2><p>Each quant's interval of the difference to "
           "the reference after every round, against the margin (dashed); a ring where its test decided and it "
           "stopped generating.</p>", rep.adaptive_chart] if rep.adaptive_chart else []),
        "<h2>Tables</h2>", _md_tables_to_html(markdown(rep)),
        *([report_section(rep.paired, rep.reference, view_href)] if view_href else []),
    ]
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}"
             ".rec{background:#eef6ee;padding:.6em;border-left:4px solid #2ca02c}"
             ".verdict{font-size:15px}.warn{background:#fff4e5;padding:.6em;border-left:4px solid #ff7f0e}"
             ".meta{color:#666;font-size:12px}svg{width:100%;height:auto}")
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

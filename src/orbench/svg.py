"""Tiny inline-SVG charts for self-contained reports: a scatter with whiskers and a bar chart."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Callable

Fmt = Callable[[float], str]
Scale = Callable[[float], float]

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 560, 300, 64, 110, 20, 48
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


@dataclass
class Point:
    x: float
    y: float
    label: str
    series: str = ""
    low: float | None = None
    high: float | None = None


def _scale(lo: float, hi: float, a: float, b: float) -> Scale:
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    step = (hi - lo) / (n - 1) if hi > lo else 1.0
    return [lo + i * step for i in range(n)]


def _frame(x_label: str, y_label: str, xs: list[float], ys: list[float], fmt_x: Fmt,
           fmt_y: Fmt) -> tuple[list[str], Scale, Scale]:
    x0, x1 = min(xs), max(xs)
    pad = (x1 - x0) * 0.08 or max(abs(x0) * 0.1, 1e-9)
    x0, x1 = x0 - pad, x1 + pad
    y0, y1 = min(ys + [0.0]), max(ys) or 1.0
    y1 += (y1 - y0) * 0.08
    sx, sy = _scale(x0, x1, PAD_L, W - PAD_R), _scale(y0, y1, H - PAD_B, PAD_T)
    parts = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" stroke="#333"/>',
             f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" stroke="#333"/>']
    for t in _ticks(x0, x1):
        parts.append(f'<text x="{sx(t):.1f}" y="{H - PAD_B + 16}" font-size="11" text-anchor="middle">{escape(fmt_x(t))}</text>')
    for t in _ticks(y0, y1):
        parts.append(f'<line x1="{PAD_L - 4}" y1="{sy(t):.1f}" x2="{W - PAD_R}" y2="{sy(t):.1f}" stroke="#eee"/>'
                     f'<text x="{PAD_L - 8}" y="{sy(t) + 4:.1f}" font-size="11" text-anchor="end">{escape(fmt_y(t))}</text>')
    parts.append(f'<text x="{(PAD_L + W - PAD_R) / 2}" y="{H - 8}" font-size="12" text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text x="14" y="{(PAD_T + H - PAD_B) / 2}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(PAD_T + H - PAD_B) / 2})">{escape(y_label)}</text>')
    return parts, sx, sy


def scatter(points: list[Point], x_label: str, y_label: str, fmt_x=lambda v: f"{v:.3g}",
            fmt_y=lambda v: f"{v:.3g}") -> str:
    if not points:
        return "<p>(no data)</p>"
    ys = [p.y for p in points] + [p.high for p in points if p.high is not None]
    parts, sx, sy = _frame(x_label, y_label, [p.x for p in points], ys, fmt_x, fmt_y)
    series = list(dict.fromkeys(p.series for p in points))
    for p in points:
        color = COLORS[series.index(p.series) % len(COLORS)]
        if p.low is not None and p.high is not None:
            parts.append(f'<line x1="{sx(p.x):.1f}" y1="{sy(p.low):.1f}" x2="{sx(p.x):.1f}" y2="{sy(p.high):.1f}" '
                         f'stroke="{color}" stroke-width="1.5"/>')
        parts.append(f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="4" fill="{color}"><title>{escape(p.label)}: '
                     f'{fmt_y(p.y)}</title></circle>'
                     f'<text x="{sx(p.x) + 6:.1f}" y="{sy(p.y) - 6:.1f}" font-size="10">{escape(p.label)}</text>')
    for i, name in enumerate(s for s in series if s):
        y = PAD_T + 14 + i * 16
        parts.append(f'<rect x="{W - PAD_R + 12}" y="{y - 9}" width="10" height="10" fill="{COLORS[series.index(name) % len(COLORS)]}"/>'
                     f'<text x="{W - PAD_R + 26}" y="{y}" font-size="11">{escape(name)}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">{"".join(parts)}</svg>'


def bars(values: list[tuple[str, float]], y_label: str, fmt=lambda v: f"{v:.1f}") -> str:
    if not values:
        return "<p>(no data)</p>"
    top = max(v for _, v in values) * 1.1 or 1.0
    sy = _scale(0, top, H - PAD_B, PAD_T)
    width = (W - PAD_L - PAD_R) / len(values)
    parts = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" stroke="#333"/>',
             f'<text x="14" y="{(PAD_T + H - PAD_B) / 2}" font-size="12" text-anchor="middle" '
             f'transform="rotate(-90 14 {(PAD_T + H - PAD_B) / 2})">{escape(y_label)}</text>']
    for i, (label, value) in enumerate(values):
        x = PAD_L + i * width + width * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{sy(value):.1f}" width="{width * 0.7:.1f}" height="{H - PAD_B - sy(value):.1f}" '
                     f'fill="{COLORS[0]}"/><text x="{x + width * 0.35:.1f}" y="{sy(value) - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{escape(fmt(value))}</text><text x="{x + width * 0.35:.1f}" y="{H - PAD_B + 16}" '
                     f'font-size="11" text-anchor="middle">{escape(label)}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" role="img">{"".join(parts)}</svg>'

"""Tiny inline-SVG charts for self-contained reports: a scatter with whiskers and a bar chart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Callable

Fmt = Callable[[float], str]
Scale = Callable[[float], float]

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 560, 300, 64, 110, 20, 48
DOT = 4  # a scatter dot's radius
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
    """About n round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, n - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = max(m * power for m in (1, 2, 5) if m * power <= raw * (1 + 1e-9))
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]


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
            fmt_y=lambda v: f"{v:.3g}", hline: tuple[float, str] | None = None) -> str:
    """Points with whiskers, one colour per series; each label written once, beside its highest point;
    `hline` draws a dashed threshold with its caption. Dots that would cover each other are set apart
    sideways (`_dodge`)."""
    if not points:
        return "<p>(no data)</p>"
    ys = [p.y for p in points] + [p.high for p in points if p.high is not None] + ([hline[0]] if hline else [])
    parts, sx, sy = _frame(x_label, y_label, [p.x for p in points], ys, fmt_x, fmt_y)
    series = list(dict.fromkeys(p.series for p in points))
    if hline:
        parts.append(f'<line x1="{PAD_L}" y1="{sy(hline[0]):.1f}" x2="{W - PAD_R}" y2="{sy(hline[0]):.1f}" '
                     f'stroke="#d62728" stroke-dasharray="5,4"/><text x="{W - PAD_R + 4}" y="{sy(hline[0]) + 4:.1f}" '
                     f'font-size="10" fill="#d62728">{escape(hline[1])}</text>')
    top: dict[str, int] = {}
    for i, p in enumerate(points):
        if p.label not in top or p.y > points[top[p.label]].y:
            top[p.label] = i
    xs = [sx(p.x) + dx for p, dx in zip(points, _dodge([(sx(p.x), sy(p.y)) for p in points]))]
    for p, x in zip(points, xs):
        color = COLORS[series.index(p.series) % len(COLORS)]
        if p.low is not None and p.high is not None:
            parts.append(f'<line x1="{x:.1f}" y1="{sy(p.low):.1f}" x2="{x:.1f}" y2="{sy(p.high):.1f}" '
                         f'stroke="{color}" stroke-width="1.5"/>')
        parts.append(f'<circle cx="{x:.1f}" cy="{sy(p.y):.1f}" r="{DOT}" fill="{color}"><title>{escape(p.label)}'
                     f'{" " + escape(p.series) if p.series else ""}: {fmt_y(p.y)}</title></circle>')
    parts += _labels([(xs[i], sy(high if (high := points[i].high) is not None else points[i].y), label)
                      for label, i in top.items()])
    for i, name in enumerate(s for s in series if s):
        y = PAD_T + 14 + i * 16
        parts.append(f'<rect x="{W - PAD_R + 12}" y="{y - 9}" width="10" height="10" fill="{COLORS[series.index(name) % len(COLORS)]}"/>'
                     f'<text x="{W - PAD_R + 26}" y="{y}" font-size="11">{escape(name)}</text>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img">{"".join(parts)}</svg>'


def _dodge(centres: list[tuple[float, float]], r: float = DOT) -> list[float]:
    """Sideways offsets for dots drawn (nearly) on one spot: each group of dots whose centres lie
    within a radius of one another is spread side by side a diameter apart, centred on where they
    were, in drawing order; a dot with no such neighbour keeps its place."""
    groups: list[list[int]] = []
    for i, (x, y) in enumerate(centres):
        near = next((g for g in groups if any(math.dist((x, y), centres[j]) < r for j in g)), None)
        if near is None:
            groups.append([i])
        else:
            near.append(i)
    offsets = [0.0] * len(centres)
    for group in groups:
        for k, i in enumerate(group):
            offsets[i] = (k - (len(group) - 1) / 2) * (2 * r + 1)
    return offsets


def _labels(anchors: list[tuple[float, float, str]], size: int = 10) -> list[str]:
    """Point labels that do not overlap each other or leave the plot: each is moved up a line
    while it would cover one already placed, and flipped to the left of its point near the edge."""
    placed: list[tuple[float, float, float]] = []  # x0, x1, baseline y
    out = []
    for x, y, text in sorted(anchors, key=lambda a: (a[0], -a[1])):
        width = 0.6 * size * len(text)
        x0 = x + 6 if x + 6 + width <= W - PAD_R else x - 6 - width
        y -= 6
        while any(x0 < b1 and b0 < x0 + width and abs(y - by) < size + 2 for b0, b1, by in placed):
            y -= size + 2
        placed.append((x0, x0 + width, y))
        out.append(f'<text x="{x0:.1f}" y="{max(y, PAD_T):.1f}" font-size="{size}">{escape(text)}</text>')
    return out


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
                     f'text-anchor="middle">{escape(fmt(value))}</text>' + _bar_label(x + width * 0.35, width, label))
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img">{"".join(parts)}</svg>'


def trend(series: dict[str, list[tuple[int, float, float | None, float | None]]], x_labels: list[str],
          y_label: str) -> str:
    """Values over categories (nights): one line per series, whiskers for intervals, y in [0, 1]."""
    if not series:
        return "<p>(no data)</p>"
    pad_r = max(PAD_R, 7 * max(len(name) for name in series) + 40)  # room for the legend
    width = max(W, 80 * len(x_labels) + PAD_L + pad_r)
    sx = _scale(-0.5, len(x_labels) - 0.5, PAD_L, width - pad_r)
    sy = _scale(0.0, 1.0, H - PAD_B, PAD_T)
    parts = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{width - pad_r}" y2="{H - PAD_B}" stroke="#333"/>']
    for t in _ticks(0.0, 1.0):
        parts.append(f'<line x1="{PAD_L - 4}" y1="{sy(t):.1f}" x2="{width - pad_r}" y2="{sy(t):.1f}" stroke="#eee"/>'
                     f'<text x="{PAD_L - 8}" y="{sy(t) + 4:.1f}" font-size="11" text-anchor="end">{t:.0%}</text>')
    for i, name in enumerate(x_labels):
        parts.append(f'<text x="{sx(i):.1f}" y="{H - PAD_B + 16}" font-size="10" text-anchor="middle">'
                     f'{escape(name)}</text>')
    parts.append(f'<text x="14" y="{(PAD_T + H - PAD_B) / 2}" font-size="12" text-anchor="middle" '
                 f'transform="rotate(-90 14 {(PAD_T + H - PAD_B) / 2})">{escape(y_label)}</text>')
    for k, (name, points) in enumerate(series.items()):
        color = COLORS[k % len(COLORS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y, _, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
        for x, y, low, high in points:
            if low is not None and high is not None:
                parts.append(f'<line x1="{sx(x):.1f}" y1="{sy(low):.1f}" x2="{sx(x):.1f}" y2="{sy(high):.1f}" '
                             f'stroke="{color}" stroke-opacity="0.5"/>')
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{color}"><title>{escape(name)}: '
                         f'{y:.1%}</title></circle>')
        parts.append(f'<rect x="{width - pad_r + 12}" y="{PAD_T + 5 + k * 16}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{width - pad_r + 26}" y="{PAD_T + 14 + k * 16}" font-size="11">{escape(name)}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H}" viewBox="0 0 {width} {H}" '
            f'role="img">{"".join(parts)}</svg>')


def _bar_label(x: float, width: float, label: str) -> str:
    """A bar's name under it; slanted when it is wider than the bar's slot."""
    if 6.6 * len(label) <= width:
        return f'<text x="{x:.1f}" y="{H - PAD_B + 16}" font-size="11" text-anchor="middle">{escape(label)}</text>'
    return (f'<text x="{x:.1f}" y="{H - PAD_B + 12}" font-size="10" text-anchor="end" '
            f'transform="rotate(-25 {x:.1f} {H - PAD_B + 12})">{escape(label)}</text>')

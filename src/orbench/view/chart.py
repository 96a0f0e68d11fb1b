"""The running-interval chart of a decision taken in rounds (an adaptive ladder, a nightly gate run
with until_decided): each test's anytime-valid interval of the paired difference after every round,
drawn against the non-inferiority margin over the items taken, with a mark where each test stopped.

This module owns the chart's data type (`Track`, plain numbers: the layers above fill it from
their own records) and the inline SVG, so the report (quant) and the viewer (view) draw the same
picture. It imports nothing of orbench.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 640, 300, 64, 170, 20, 48
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


@dataclass
class Track:
    """One test over rounds: (items taken, low, high) of its interval after each round it ran."""

    label: str
    points: list[tuple[int, float, float]] = field(default_factory=list)
    verdict: str = "continue"  # not worse, worse, or continue (inconclusive where it stopped)
    stopped_at: int | None = None  # items when it stopped generating (decided), else None

    def legend(self) -> str:
        end = f"{self.verdict} at {self.stopped_at}" if self.stopped_at is not None else "inconclusive"
        return f"{self.label}: {end}"


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def running_interval_svg(tracks: list[Track], margin: float, title: str = "") -> str:
    """Inline SVG: x = items taken, y = difference (test minus reference); a band per track between
    its interval's ends after each round, a dashed line at -margin and a solid one at 0; a ring
    where a track stopped, named in the legend. Empty string when there is nothing to draw."""
    drawn = [t for t in tracks if t.points]
    if not drawn:
        return ""
    x_max = max(p[0] for t in drawn for p in t.points)
    lows = [max(-1.0, p[1]) for t in drawn for p in t.points]
    highs = [min(1.0, p[2]) for t in drawn for p in t.points]
    y0, y1 = min(lows + [-margin * 1.5, -0.05]), max(highs + [0.05])
    sx, sy = _scale(0, x_max, PAD_L, W - PAD_R), _scale(y0, y1, H - PAD_B, PAD_T)
    parts = [f'<line x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}" stroke="#333"/>',
             f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}" stroke="#333"/>']
    parts += _axes(sx, sy, x_max, y0, y1)
    parts.append(_hline(sy(0.0), "#333", "", "0"))
    parts.append(_hline(sy(-margin), "#d62728", ' stroke-dasharray="5 4"', f"-{margin:.1%} margin"))
    for k, track in enumerate(drawn):
        parts += _track(track, COLORS[k % len(COLORS)], k, sx, sy)
    head = f"<title>{escape(title)}</title>" if title else ""
    return (f'<svg class="running-interval" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" role="img">{head}{"".join(parts)}</svg>')


def _axes(sx, sy, x_max: int, y0: float, y1: float) -> list[str]:
    parts = []
    step = max(1, round(x_max / 5))
    for n in range(0, x_max + 1, step):
        parts.append(f'<text x="{sx(n):.1f}" y="{H - PAD_B + 16}" font-size="11" text-anchor="middle">{n}</text>')
    y_step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5) if (y1 - y0) / s <= 6)
    for i in range(int(y0 / y_step), int(y1 / y_step) + 1):
        v = i * y_step
        parts.append(f'<text x="{PAD_L - 8}" y="{sy(v) + 4:.1f}" font-size="11" text-anchor="end">{v:+.0%}</text>')
    parts.append(f'<text x="{(PAD_L + W - PAD_R) / 2}" y="{H - 8}" font-size="12" text-anchor="middle">items taken</text>')
    mid = (PAD_T + H - PAD_B) / 2
    parts.append(f'<text x="14" y="{mid}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {mid})">'
                 'difference to reference</text>')
    return parts


def _hline(y: float, color: str, dash: str, label: str) -> str:
    return (f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{W - PAD_R}" y2="{y:.1f}" stroke="{color}"{dash}/>'
            f'<text x="{W - PAD_R + 4}" y="{y + 4:.1f}" font-size="10" fill="{color}">{escape(label)}</text>')


def _track(track: Track, color: str, k: int, sx, sy) -> list[str]:
    pts = [(n, max(-1.0, lo), min(1.0, hi)) for n, lo, hi in track.points]
    upper = " ".join(f"{sx(n):.1f},{sy(hi):.1f}" for n, _, hi in pts)
    lower = " ".join(f"{sx(n):.1f},{sy(lo):.1f}" for n, lo, _ in reversed(pts))
    name = escape(track.label)
    parts = [f'<polygon class="band" data-label="{name}" points="{upper} {lower}" fill="{color}" fill-opacity="0.15" '
             f'stroke="{color}" stroke-width="1.2"><title>{name}</title></polygon>']
    for n, lo, hi in pts:
        parts.append(f'<line x1="{sx(n):.1f}" y1="{sy(lo):.1f}" x2="{sx(n):.1f}" y2="{sy(hi):.1f}" stroke="{color}" '
                     f'stroke-opacity="0.6"><title>{name} after {n} items: [{lo:+.1%}, {hi:+.1%}]</title></line>')
    if track.stopped_at is not None:
        n, lo, hi = min(pts, key=lambda p: abs(p[0] - track.stopped_at))  # type: ignore[operator]
        parts.append(f'<circle class="stop" data-label="{name}" cx="{sx(n):.1f}" cy="{sy((lo + hi) / 2):.1f}" r="6" '
                     f'fill="none" stroke="{color}" stroke-width="2"><title>{name}: {escape(track.verdict)} after '
                     f'{track.stopped_at} items, stopped generating</title></circle>')
    y = PAD_T + 30 + k * 16
    parts.append(f'<rect x="{W - PAD_R + 12}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
                 f'<text x="{W - PAD_R + 26}" y="{y}" font-size="11">{escape(track.legend())}</text>')
    return parts

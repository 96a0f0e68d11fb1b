"""A run's generation speed, computed one way for the report, compare, the gate and the history.

Every scored sample that timed its generation is one measurement of tokens/s (samples the batched
engine decoded in exactly the same steps share one timing and count once). A run's speed is the
median of those rates, shown with its spread: the interquartile range and the number of timed
samples, and the machine's load average when the run recorded one. The median of per-sample
rates, not total tokens over total seconds, so that one stalled batch on a shared machine moves
the figure as little as one sample can.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .loader import LoadedRun
    from .records import SampleRecord


@dataclass(frozen=True)
class Speed:
    """Generation tokens/s of one run: the median per-sample rate, its quartiles and how many
    samples were timed (n 0: no per-sample timings; `median` is the run's average instead)."""

    median: float
    low: float  # 25th percentile
    high: float  # 75th percentile
    n: int
    load: float | None = None  # the machine's 1-minute load average per core when the run finished

    def text(self) -> str:
        """`193.6 tok/s (IQR 170.2-201.0, n 40)`; a run without per-sample timings says so."""
        if self.n == 0:
            return f"{self.median:.1f} tok/s (run average, no per-sample timings)"
        spread = f"IQR {self.low:.1f}-{self.high:.1f}, n {self.n}"
        if self.load is not None:
            spread += f", load {self.load:.2f}/core"
        return f"{self.median:.1f} tok/s ({spread})"

    def short(self) -> str:
        """`193.6 ±8%`: the median and half the interquartile range relative to it."""
        if self.n < 2 or not self.median:
            return f"{self.median:.1f}"
        return f"{self.median:.1f} ±{(self.high - self.low) / 2 / self.median:.0%}"


def sample_rates(records: Iterable["SampleRecord"]) -> list[float]:
    """Generation tokens/s of the scored samples that measured their generation time. Samples that
    the batched engine decoded in exactly the same steps share one timing: they count once."""
    timings = {(r.completion_tokens, round(r.generation_seconds, 9)) for r in records
               if r.status == "ok" and r.generation_seconds and r.completion_tokens > 0}
    return [tokens / seconds for tokens, seconds in sorted(timings)]


def quartiles(rates: list[float]) -> tuple[float, float, float]:
    """25th, 50th and 75th percentiles (the median alone, three times, for fewer than 2 rates)."""
    if len(rates) < 2:
        return rates[0], rates[0], rates[0]
    q1, q2, q3 = statistics.quantiles(rates, n=4, method="inclusive")
    return q1, q2, q3


def run_speed(run: "LoadedRun") -> Speed | None:
    """The run's speed (None when it measured none)."""
    perf = run.summary.performance
    load = perf.load_per_core if perf is not None else None
    rates = sample_rates(run.records)
    if rates:
        low, median, high = quartiles(rates)
        return Speed(median, low, high, len(rates), load)
    if perf is not None and perf.generation_tokens_per_s:
        v = perf.generation_tokens_per_s
        return Speed(v, v, v, 0, load)
    return None

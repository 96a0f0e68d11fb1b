"""Statistics for small samples: intervals, the unbiased pass@k estimator, majority vote."""

from __future__ import annotations

import math
from collections import Counter
from statistics import NormalDist

from pydantic import BaseModel

Z95 = NormalDist().inv_cdf(0.975)


class Estimate(BaseModel):
    """A proportion-like value with a 95% interval over n items."""

    value: float | None
    low: float | None
    high: float | None
    n: int


def wilson(successes: float, n: int, z: float = Z95) -> Estimate:
    """Wilson score interval for a binomial proportion (well-behaved at 0, 1 and small n)."""
    if n == 0:
        return Estimate(value=None, low=None, high=None, n=0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Estimate(value=p, low=low, high=high, n=n)


def mean_interval(values: list[float], z: float = Z95) -> Estimate:
    """Mean of per-item scores in [0, 1] with a normal-approximation interval over items.

    All-binary scores use the Wilson interval; fractional scores (pass@1 over several samples)
    use the standard error of the item means, clipped to [0, 1].
    """
    n = len(values)
    if n == 0:
        return Estimate(value=None, low=None, high=None, n=0)
    if all(v in (0.0, 1.0) for v in values):
        return wilson(sum(values), n, z)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    half = z * math.sqrt(var / n)
    return Estimate(value=mean, low=max(0.0, mean - half), high=min(1.0, mean + half), n=n)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k samples is correct) from n samples, c correct."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod((n - c - i) / (n - i) for i in range(k))


def ks_to_report(samples: int) -> list[int]:
    """The k values worth reporting for K samples: 1, 2, 4, ... and K itself."""
    ks, k = [], 1
    while k < samples:
        ks.append(k)
        k *= 2
    return ks + [samples]


def majority(answers: list[tuple[str | None, bool]]) -> bool:
    """Majority vote over (normalized answer, correct) pairs; ties go to the earliest answer.

    Samples without an answer do not vote. No votes at all counts as wrong.
    """
    voted = [(a, ok) for a, ok in answers if a is not None]
    if not voted:
        return False
    counts = Counter(a for a, _ in voted)
    best = max(counts.values())
    winner = next(a for a, _ in voted if counts[a] == best)
    return next(ok for a, ok in voted if a == winner)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs b (lost) and c (gained)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def log_shift(now: list[float], then: list[float], alpha: float = 0.05,
              cap: int = 400) -> tuple[float, float, float] | None:
    """How much larger `now` typically is than `then`, as a ratio with a 1-alpha interval.

    The Hodges-Lehmann estimate of the shift between the logs of two independent samples (the
    median of all pairwise differences) and its distribution-free Mann-Whitney interval (normal
    approximation to the rank statistic). Longer samples are thinned to `cap` evenly spaced order
    statistics, which widens the interval a little and keeps the pairwise step small. Returns
    (ratio, low, high), or None when either side has fewer than 5 values.
    """
    a, b = _thin(sorted(math.log(v) for v in now if v > 0), cap), _thin(sorted(math.log(v) for v in then if v > 0), cap)
    n, m = len(a), len(b)
    if n < 5 or m < 5:
        return None
    diffs = sorted(x - y for x in a for y in b)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    k = max(1, round(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12)))  # rank of the lower end, from 1
    mid = len(diffs) // 2
    centre = diffs[mid] if len(diffs) % 2 else (diffs[mid - 1] + diffs[mid]) / 2
    return math.exp(centre), math.exp(diffs[k - 1]), math.exp(diffs[len(diffs) - k])


def _thin(values: list[float], cap: int) -> list[float]:
    if len(values) <= cap:
        return values
    step = (len(values) - 1) / (cap - 1)
    return [values[round(i * step)] for i in range(cap)]


def significant_drop(difference: Estimate, p_value: float, alpha: float = 0.05) -> bool:
    """A paired drop is significant when the mean difference is negative, its interval lies below
    zero, and the exact McNemar test agrees at `alpha`."""
    d = difference
    return d.value is not None and d.value < 0 and d.high is not None and d.high < 0 and p_value < alpha

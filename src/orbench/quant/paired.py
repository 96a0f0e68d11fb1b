"""Paired accuracy differences between two runs of one plan, for small n and few discordant pairs.

One sample pair is the same item and sample index (so the same seed) scored in both runs; it is
*lost* when only the reference got it right and *gained* when only the candidate did.

- **Interval**: Tango's score interval for the difference of paired proportions (Tango 1998,
  Statistics in Medicine 17:891; recommended by Fagerland, Lydersen & Laake 2013 for small samples).
  It inverts the score test with the restricted maximum-likelihood variance, so it stays wide and
  honest when few pairs are discordant (at 0 lost and 0 gained of n it is ±z²/(n+z²), not [0, 0] as
  a percentile bootstrap is). `benchmarks/paired_coverage.py` prints its exact coverage.
- **Several samples per item**: samples of one item are correlated, so they are not independent
  pairs. Following Rao & Scott (1992, Biometrics 48:577), the counts are divided by a design effect,
  the ratio of the item-level (cluster) variance of the difference to its variance if every sample
  pair were independent, kept between 1 and the samples per item (K: all samples of an item agree)
  and set to K when it cannot be estimated (no discordant pair, or fewer than MIN_ITEMS_DEFF items:
  with one item the item-level variance is undefined, and with 2-4 it has under 4 degrees of
  freedom and is below half its true value more than a quarter of the time). With one sample it is
  exactly 1.
- **Sample size and detectable drop**: Nam's (1997, Biometrics 53:1422) normal approximation to the
  power of this score test, evaluated at the observed discordance rate; in items, times the design
  effect over the samples per item. The "worse" rule also needs exact McNemar, which Nam's n leaves
  at 0.76-0.79 power, so its n is raised until the rule's exact power (summed over the discordant
  count) reaches the target (`pairs_needed_worse`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

POWER = 0.8
MAX_ITEMS = 1_000_000
MIN_ITEMS_DEFF = 5  # fewer items: the design effect is taken as K (every sample counts as its item's)


def z_two_sided(alpha: float) -> float:
    return NormalDist().inv_cdf(1 - alpha / 2)


@dataclass(frozen=True)
class PairedCounts:
    """Effective counts for the score interval: pairs, lost and gained, after the design effect."""

    n: float
    lost: float
    gained: float
    items: int
    samples_per_item: float
    design_effect: float

    @property
    def difference(self) -> float | None:
        return (self.gained - self.lost) / self.n if self.n else None

    @property
    def discordance(self) -> float:
        return (self.gained + self.lost) / self.n if self.n else 0.0


def counts_from_items(items: list[tuple[int, int, int]]) -> PairedCounts:
    """Per item (pairs, lost, gained) -> effective counts with the item-weighted difference.

    Every item weighs the same (accuracy is a mean over items of the mean over samples), so the
    effective lost and gained counts are n_eff times the mean per-item lost and gained rates.
    """
    items = [t for t in items if t[0] > 0]
    n = len(items)
    if n == 0:
        return PairedCounts(0.0, 0.0, 0.0, 0, 0.0, 1.0)
    pairs = sum(m for m, _, _ in items)
    k = pairs / n
    lost = sum(l / m for m, l, _ in items) / n
    gained = sum(g / m for m, _, g in items) / n
    diff = gained - lost
    independent = (lost + gained - diff * diff) / pairs
    clustered = sum(((g - l) / m - diff) ** 2 for m, l, g in items) / (n * max(1, n - 1))
    if k <= 1:
        deff = 1.0
    elif independent <= 0 or n < MIN_ITEMS_DEFF:
        deff = k
    else:
        deff = min(k, max(1.0, clustered / independent))
    n_eff = pairs / deff
    return PairedCounts(n_eff, lost * n_eff, gained * n_eff, n, k, deff)


def _restricted_lost_rate(n: float, lost: float, gained: float, delta0: float) -> float:
    """Maximum-likelihood P(lost) under the constraint P(gained) - P(lost) = delta0 (Tango's p21)."""
    a = 2 * n
    b = -(gained + lost) + delta0 * (2 * n - gained + lost)
    c = -lost * delta0 * (1 - delta0)
    return max(0.0, (-b + math.sqrt(max(0.0, b * b - 4 * a * c))) / (2 * a))


def score_z(counts: PairedCounts, delta0: float) -> float:
    """Tango's score statistic for H0: difference = delta0 (decreasing in delta0)."""
    n, lost, gained = counts.n, counts.lost, counts.gained
    t = _restricted_lost_rate(n, lost, gained, delta0)
    variance = 2 * t + delta0 * (1 - delta0)
    numerator = gained - lost - n * delta0
    if variance <= 1e-15:
        return math.copysign(math.inf, numerator) if abs(numerator) > 1e-12 else 0.0
    return numerator / math.sqrt(n * variance)


def tango_interval(counts: PairedCounts, alpha: float = 0.05) -> tuple[float, float]:
    """The two-sided 1-alpha score interval of the difference (candidate minus reference)."""
    if counts.n <= 0 or counts.difference is None:
        return (-1.0, 1.0)
    z, d = z_two_sided(alpha), counts.difference

    def solve(lo: float, hi: float, target: float) -> float:
        for _ in range(60):  # bisection: |hi - lo| < 1e-17
            mid = (lo + hi) / 2
            if score_z(counts, mid) > target:
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    low = -1.0 if d <= -1 else solve(-1.0, d, z)
    high = 1.0 if d >= 1 else solve(d, 1.0, -z)
    return max(-1.0, min(low, d)), min(1.0, max(high, d))


def pairs_needed(discordance: float, true_diff: float, null_diff: float, alpha: float = 0.05,
                 power: float = POWER) -> float:
    """Independent pairs for the score test of `null_diff` to reject it with `power` when the
    difference is `true_diff` at this discordance rate (Nam 1997); inf when they are equal."""
    if true_diff == null_diff:
        return math.inf
    pd = max(discordance, abs(true_diff))
    pg, pl = (pd + true_diff) / 2, (pd - true_diff) / 2
    t = _restricted_lost_rate(1.0, pl, pg, null_diff)
    sd0 = math.sqrt(max(0.0, 2 * t + null_diff * (1 - null_diff)))
    sd1 = math.sqrt(max(0.0, pd - true_diff * true_diff))
    z_a, z_b = z_two_sided(alpha), NormalDist().inv_cdf(power)
    return ((z_a * sd0 + z_b * sd1) / (true_diff - null_diff)) ** 2


def _binom_cdf(c: int, d: int, q: float) -> float:
    """P(Binomial(d, q) <= c), summed in logs over the terms that matter."""
    if c < 0:
        return 0.0
    if c >= d or q <= 0:
        return 1.0
    lo = max(0, int(min(c, d * q) - 12 * math.sqrt(d) - 2))
    base = math.lgamma(d + 1)
    return min(1.0, sum(math.exp(base - math.lgamma(g + 1) - math.lgamma(d - g + 1) + g * math.log(q)
                                 + (d - g) * math.log1p(-q)) for g in range(lo, c + 1)))


def _worse_cutoff(d: int, z: float, alpha: float) -> int:
    """The most gained pairs of d discordant ones that the "worse" rule still calls a drop: Tango's
    interval below zero (at difference 0 its score is (g - l) / sqrt(d)) and exact McNemar p < alpha."""
    c = math.floor((d - z * math.sqrt(d)) / 2 - 1e-9) if d else -1  # (d - 2g) / sqrt(d) > z
    while c >= 0 and 2 * _binom_cdf(c, d, 0.5) >= alpha:
        c -= 1
    return c


def worse_power(n: int, p_lost: float, p_gained: float, alpha: float = 0.05) -> float:
    """Exact power of the "worse" rule (score interval below zero AND exact McNemar) with n pairs."""
    pd = p_lost + p_gained
    if pd <= 0 or n <= 0:
        return 0.0
    z, sd = z_two_sided(alpha), math.sqrt(n * pd * (1 - pd))
    total = 0.0
    for d in range(max(1, int(n * pd - 9 * sd - 1)), min(n, int(n * pd + 9 * sd + 1)) + 1):
        weight = math.exp(math.lgamma(n + 1) - math.lgamma(d + 1) - math.lgamma(n - d + 1) + d * math.log(pd)
                          + ((n - d) * math.log1p(-pd) if pd < 1 else 0.0))
        total += weight * _binom_cdf(_worse_cutoff(d, z, alpha), d, p_gained / pd)
    return total


def pairs_needed_worse(discordance: float, true_diff: float, alpha: float = 0.05, power: float = POWER) -> float:
    """Pairs for the "worse" rule as applied (it also needs exact McNemar, more conservative than
    the score test Nam's formula is for) to have `power`: from Nam's n up in steps of 1% until the
    exact power is reached; inf when there is no drop."""
    start = pairs_needed(discordance, true_diff, 0.0, alpha, power)
    if not math.isfinite(start) or true_diff >= 0:
        return math.inf
    pd = max(discordance, abs(true_diff))
    p_lost, p_gained = (pd - true_diff) / 2, (pd + true_diff) / 2
    n = math.ceil(start)
    while n <= MAX_ITEMS and worse_power(n, p_lost, p_gained, alpha) < power:
        n = max(n + 1, math.ceil(n * 1.01))
    return float(n) if n <= MAX_ITEMS else math.inf


def items_for(counts: PairedCounts, pairs: float) -> int | None:
    """Items (at this run's samples per item and design effect) holding `pairs` effective pairs;
    None beyond MAX_ITEMS."""
    if not math.isfinite(pairs):
        return None
    k = counts.samples_per_item or 1.0
    items = math.ceil(pairs * counts.design_effect / k)
    return items if items <= MAX_ITEMS else None


def minimum_detectable_drop(counts: PairedCounts, alpha: float = 0.05, power: float = POWER) -> float | None:
    """The smallest true drop (a positive fraction) that a run of this size would show as
    significant with `power`, at the observed discordance (at least the drop itself)."""
    if counts.n <= 0:
        return None
    if pairs_needed(counts.discordance, -1.0, 0.0, alpha, power) > counts.n:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if pairs_needed(counts.discordance, -mid, 0.0, alpha, power) > counts.n:
            lo = mid
        else:
            hi = mid
    return hi

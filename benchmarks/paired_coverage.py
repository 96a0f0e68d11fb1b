"""Coverage of the paired accuracy-difference interval and the power behind "need ≈N items".

Prints three tables:

1. One sample per item: the exact coverage (every (lost, gained) outcome of n pairs summed with its
   trinomial probability) of orbench's Tango score interval and of the percentile bootstrap it
   replaced (its B -> infinity limit, also exact), at small n and few discordant pairs.
2. Several samples per item (simulated): the interval after the design effect, against treating
   every sample pair as independent, for samples that are independent, all alike, or discordant
   on 30% of the items only.
3. The exact power of the score test at the number of pairs `pairs_needed` asks for (target 80%).

    .venv/bin/python -m benchmarks.paired_coverage            # about 20 s on one core (from the top of the checkout)
    .venv/bin/python -m benchmarks.paired_coverage --sims 500  # quicker, rougher table 2
"""

from __future__ import annotations

import argparse
import math
import random


from orbench.quant.paired import (PairedCounts, counts_from_items, pairs_needed, score_z,
                                  tango_interval, z_two_sided)
from tests.support.paired_sim import outcomes, simulate_items

GRID = [(0.02, 0.0), (0.05, 0.05), (0.1, 0.02), (0.15, 0.05), (0.3, 0.1), (0.05, 0.25)]


def bootstrap_percentile(n: int, lost: int, gained: int, level: float = 0.95) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean paired difference with infinitely many resamples:
    quantiles of (G* - L*) / n with (L*, G*) multinomial at the observed rates."""
    dist: dict[int, float] = {}
    for l2, g2, p in outcomes(n, lost / n, gained / n):
        dist[g2 - l2] = dist.get(g2 - l2, 0.0) + p
    values, acc, lo, hi = sorted(dist), 0.0, None, None
    for v in values:
        acc += dist[v]
        if lo is None and acc >= (1 - level) / 2:
            lo = v
        if hi is None and acc >= (1 + level) / 2:
            hi = v
    return (lo or 0) / n, (hi if hi is not None else values[-1]) / n


def exact_coverage(n: int, p_lost: float, p_gained: float, method) -> float:
    truth = p_gained - p_lost
    total = 0.0
    for lost, gained, p in outcomes(n, p_lost, p_gained):
        low, high = method(n, lost, gained)
        total += p if low - 1e-12 <= truth <= high + 1e-12 else 0.0
    return total


def tango(n: int, lost: int, gained: int) -> tuple[float, float]:
    return tango_interval(PairedCounts(n, lost, gained, n, 1.0, 1.0))


def table_one() -> None:
    print("## 1. One sample per item: exact coverage of the 95% interval (nominal 0.95)\n")
    print("| n | P(lost) | P(gained) | Tango score (orbench) | percentile bootstrap (before) |")
    print("| --- | --- | --- | --- | --- |")
    for n in (10, 20, 40):
        for p_lost, p_gained in GRID:
            print(f"| {n} | {p_lost} | {p_gained} | {exact_coverage(n, p_lost, p_gained, tango):.3f} | "
                  f"{exact_coverage(n, p_lost, p_gained, lambda *a: bootstrap_percentile(*a)):.3f} |")


def table_two(sims: int) -> None:
    print(f"\n## 2. Several samples per item: simulated coverage ({sims} runs per cell, nominal 0.95)\n")
    print("| items | samples | samples are | P(lost) | P(gained) | with design effect (orbench) | pairs as independent |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    rng = random.Random(2024)
    for n, k in ((20, 4), (20, 8), (50, 4)):
        for regime in ("independent", "alike", "concentrated"):
            for p_lost, p_gained in ((0.1, 0.02), (0.05, 0.05)):
                truth, hit, naive = p_gained - p_lost, 0, 0
                for _ in range(sims):
                    items = simulate_items(rng, n, k, p_lost, p_gained, regime)
                    low, high = tango_interval(counts_from_items(items))
                    hit += low - 1e-12 <= truth <= high + 1e-12
                    lost, gained = sum(i[1] for i in items), sum(i[2] for i in items)
                    low, high = tango_interval(PairedCounts(n * k, lost, gained, n, 1.0, 1.0))
                    naive += low - 1e-12 <= truth <= high + 1e-12
                print(f"| {n} | {k} | {regime} | {p_lost} | {p_gained} | {hit / sims:.3f} | {naive / sims:.3f} |")


def exact_power(n: int, p_lost: float, p_gained: float, null: float, above: bool) -> float:
    z = z_two_sided(0.05)
    power = 0.0
    for lost, gained, p in outcomes(n, p_lost, p_gained):
        s = score_z(PairedCounts(n, lost, gained, n, 1.0, 1.0), null)
        power += p if (s > z if above else s < -z) else 0.0
    return power


def table_three() -> None:
    print("\n## 3. Exact power at the pairs `pairs_needed` asks for (target 0.80)\n")
    print("| to show | discordance | true difference | margin | pairs | exact power |")
    print("| --- | --- | --- | --- | --- | --- |")
    for disc, diff, margin in ((0.05, 0.0, 0.05), (0.1, 0.0, 0.05), (0.2, 0.02, 0.05), (0.3, 0.0, 0.1)):
        n = math.ceil(pairs_needed(disc, diff, -margin))
        power = exact_power(n, (disc - diff) / 2, (disc + diff) / 2, -margin, above=True)
        print(f"| not worse | {disc} | {diff:+} | {margin} | {n} | {power:.3f} |")
    for disc, diff in ((0.1, -0.05), (0.2, -0.1), (0.4, -0.2)):
        n = math.ceil(pairs_needed(disc, diff, 0.0))
        power = exact_power(n, (disc - diff) / 2, (disc + diff) / 2, 0.0, above=False)
        print(f"| worse | {disc} | {diff:+} | - | {n} | {power:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", type=int, default=2000, help="simulated runs per cell of table 2")
    args = parser.parse_args()
    table_one()
    table_two(args.sims)
    table_three()


if __name__ == "__main__":
    main()

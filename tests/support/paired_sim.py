"""Paired outcomes for the coverage checks, shared by tests/test_paired_stats.py and
benchmarks/paired_coverage.py: every (lost, gained) outcome of n pairs with its exact probability,
and simulated per-item counts for several samples per item."""

from __future__ import annotations

import math
import random


def outcomes(n: int, p_lost: float, p_gained: float):
    """Every (lost, gained) of n independent pairs, with its probability."""
    for lost in range(n + 1):
        for gained in range(n + 1 - lost):
            rest = n - lost - gained
            logp = math.lgamma(n + 1) - math.lgamma(lost + 1) - math.lgamma(gained + 1) - math.lgamma(rest + 1)
            for k, p in ((lost, p_lost), (gained, p_gained), (rest, 1 - p_lost - p_gained)):
                if k:
                    logp += k * math.log(p) if p > 0 else -math.inf
            if logp > -math.inf:
                yield lost, gained, math.exp(logp)


def simulate_items(rng: random.Random, n: int, k: int, p_lost: float, p_gained: float, regime: str):
    """Per item (pairs, lost, gained): samples independent, all alike, or discordance on 30% of items only."""
    items = []
    for _ in range(n):
        if regime == "alike":
            u = rng.random()
            items.append((k, k, 0) if u < p_lost else (k, 0, k) if u < p_lost + p_gained else (k, 0, 0))
            continue
        share = 1.0 if regime == "independent" else 0.3
        a, b = (p_lost / share, p_gained / share) if rng.random() < share else (0.0, 0.0)
        draws = [rng.random() for _ in range(k)]
        items.append((k, sum(u < a for u in draws), sum(a <= u < a + b for u in draws)))
    return items

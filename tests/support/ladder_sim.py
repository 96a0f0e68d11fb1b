"""Simulated paired outcomes of quants against a reference, shared by tests/quant and
benchmarks/sequential.py.

Each item is drawn fresh from an infinite population (the i.i.d. model the sequential test
assumes): a difficulty p ~ Beta(0.6, 0.6) (many items always right or always wrong, as on real
suites), a reply length in tokens (log-normal, median 1,500), and a flip weight w = p(1-p) / E[p(1-p)]
(items of middling difficulty flip between runs, easy and hard ones rarely). A quant with true
difference `delta` and discordance `D` loses each sample of the item with probability
w (D - delta) / 2 and gains it with probability w (D + delta) / 2, so over the population the
difference is exactly `delta` and the discordance exactly `D`; the K samples of an item share its
weight, so they are correlated (a design effect between 1 and K).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

BETA = 0.6
MEAN_PQ = BETA / (2 * (2 * BETA + 1))  # E[p(1-p)] for Beta(a, a)


@dataclass(frozen=True)
class Truth:
    delta: float  # true mean difference, quant minus reference
    discordance: float  # true share of sample pairs that disagree

    def __post_init__(self) -> None:
        top = 0.25 / MEAN_PQ  # the largest weight
        if abs(self.delta) > self.discordance or top * self.discordance > 1:
            raise ValueError(f"impossible quant: {self}")


@dataclass(frozen=True)
class Item:
    weight: float
    tokens: float  # generated tokens per sample


def draw_item(rng: random.Random) -> Item:
    p = rng.betavariate(BETA, BETA)
    return Item(p * (1 - p) / MEAN_PQ, rng.lognormvariate(math.log(1500), 0.8))


def item_difference(rng: random.Random, item: Item, truth: Truth, k: int) -> float:
    """The item's mean over k samples of quant minus reference."""
    lost = item.weight * (truth.discordance - truth.delta) / 2
    flip = item.weight * truth.discordance
    total = 0
    for _ in range(k):
        u = rng.random()
        total += -1 if u < lost else 1 if u < flip else 0
    return total / k


def item_variance(truth: Truth, k: int) -> float:
    """The exact variance of one item's difference: E[Var(d | w)] + Var(E[d | w]), with
    E[d | w] = w delta and Var(d | w) = (w D - w^2 delta^2) / k; for sizing fixed-n designs."""
    a = BETA
    mean_w2 = (a * (a + 1)) ** 2 / (2 * a * (2 * a + 1) * (2 * a + 2) * (2 * a + 3)) / MEAN_PQ**2
    d, delta = truth.discordance, truth.delta
    return (d - delta * delta * mean_w2) / k + delta * delta * (mean_w2 - 1)

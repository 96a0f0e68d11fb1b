"""An anytime-valid test of a quant against its reference: "not worse", "worse" or "continue".

This module owns the sequential test of one quant: its state after each round, the verdict, the
running interval, and the projection of the items still needed. Several quants and the nightly
gate are combined in `orbench.quant.family` (Holm).

**Unit and target.** The unit is an item: `d_i` is the quant's score minus the reference's on item
i, averaged over its K samples (so items, not samples, are independent), in [-1, 1]. Items are
drawn in a seeded random order from the pool, which is itself a sample of the task's items, so the
`d_i` are i.i.d. draws and the target is the mean paired difference `mu`.

**Verdicts: two betting tests** (Waudby-Smith & Ramdas 2024, "Estimating means of bounded random
variables by betting", JRSS-B 86:1, Sections 4-5). With `x_i = (d_i + 1) / 2` in [0, 1] and a null
mean `m`, the capital `K_t(m) = prod_i (1 + lam_i (x_i - m))` with `lam_i` in [0, c/m], c < 1, chosen
from the items before i only is a nonnegative supermartingale whenever the mean is at most `m`; so is
any fixed convex mixture of such capitals (as in WSR's hedged capital). By Ville's inequality
P(K_t(m) >= 1/alpha at ANY t) <= alpha, so the test may be looked at after every item and every
round and stopped on what it shows. Each test's capital is the mixture `w K_planned + (1 - w) K_plug-in`, w = PLANNED_WEIGHT:

- the **planned bet** (`planned_bet`): the growth-rate-optimal constant bet when the truth is the
  design alternative, a gap of one margin above the null (as a fixed-n design is powered: a true
  difference of 0 for "not worse", of -margin for "worse"), with the shape of the differences (the
  discordance, a nuisance) learned from the items before: their histogram shifted to that mean.
  When the truth is the design alternative the pair of tests is then, to first order, Wald's SPRT
  between 0 and -margin with the nuisance plugged in; by the optimality of the SPRT (Wald &
  Wolfowitz 1948, Ann. Math. Statist. 19:326) no test with these error rates needs fewer items on
  average there. Truncated at PLANNED_MAX / m.
- the **plug-in bet**, WSR's aGRAPA `lam_i = (mu - m) / (s2 + (mu - m)^2)` from the shrunk running mean,
  truncated at LAMBDA_MAX / m: it adapts to a truth far from the margin (a broken quant), where the
  planned bet is too timid. The mixture costs log(1/w) of capital against the better of the two.

In `benchmarks/sequential.py` (table 3) the mixture needs 0.81-0.87x the items of aGRAPA alone on
the typical ladder's quants at the margin and at 0, which is where a ladder spends its tokens.

- "not worse": the capital at `m = -margin` reaches 1/alpha (H0: mu <= -margin rejected).
- "worse": the mirror capital `prod (1 + lam_i (m - x_i))` at 0 reaches 1/alpha (H0: mu >= 0
  rejected). The two nulls are disjoint, so each verdict is wrong with probability at most alpha
  whatever mu is, with no split of alpha. Anytime p-values `1 / max_s K_s` feed Holm across quants
  (`family.py`).

**Interval.** The reported interval is the predictable plug-in empirical-Bernstein confidence
sequence (WSR 2024 Theorem 2; the empirical-Bernstein supermartingale of Howard, Ramdas,
McAuliffe & Sekhon 2021, Ann. Statist. 49:1055), two-sided at 1 - 2 alpha and intersected over
time: it holds at every stop, but it is wider than the tuned tests, so its lower end can still be
below -margin when the test has shown "not worse" (like a test and an interval that invert
different statistics; the verdict is the test's).

The state holds running sums, the four capitals (two bets, two tests), the mixtures and their
maxima, so it is a small record; `update` processes items one by one exactly as an uninterrupted run would, so a state saved after any round
and reloaded gives the same verdicts (floats round-trip exactly through JSON).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import NormalDist
from typing import Literal

from pydantic import BaseModel

from .planned_bet import REFRESH, growth, key, planned_bet

Verdict = Literal["not worse", "worse", "continue"]
LAMBDA_MAX = 0.75  # WSR's truncation c (they suggest 1/2 or 3/4); any value in [0, 1) is valid
MAX_ITEMS = 1_000_000
PLANNED_MAX = 0.9  # the planned bet's truncation: a larger bet where K samples make d = -1 rare (K = 4: 0.75 binds)
PLANNED_WEIGHT = 0.9  # share of the starting capital on the planned bet (costs log(1/0.9) = 0.11 of 3.7)
PLANNED_EFFICIENCY = 0.5  # share of the planned bet's growth the projection counts on (table 5: 68-87% decided by it)
PLUG_IN_EFFICIENCY = 0.65  # share of the ideal log growth the plug-in bet wins (benchmarks/sequential.py, table 1)


class SequentialState(BaseModel):
    """One quant's test after some items: running sums on the [0, 1] scale, verdict when decided."""

    margin: float  # non-inferiority margin, a fraction (0.02: two accuracy points)
    alpha: float = 0.025  # one-sided level of each of the two tests
    items: int = 0
    sum_x: float = 0.0
    sum_sq: float = 0.0  # sum of (x_i - mu_i)^2, mu_i the shrunk mean including x_i (WSR eq. 15)
    sum_lam: float = 0.0
    sum_lam_x: float = 0.0
    sum_penalty: float = 0.0  # sum of (x_i - mu_{i-1})^2 (-log(1 - lam_i) - lam_i)
    best_low: float = 0.0  # running intersection of the sequence, on the [0, 1] scale
    best_high: float = 1.0
    histogram: dict[str, int] = {}  # the items' values on the [0, 1] scale -> count (`planned_bet`)
    bet_not_worse: float = 0.0  # the planned bets in force (recomputed every REFRESH items)
    bet_worse: float = 0.0
    log_k_not_worse_planned: float = 0.0  # log capitals against H0: difference <= -margin, the planned bet
    log_k_not_worse_adaptive: float = 0.0  # and the plug-in (aGRAPA) bet
    log_k_worse_planned: float = 0.0  # the same against H0: difference >= 0
    log_k_worse_adaptive: float = 0.0
    log_k_not_worse: float = 0.0  # log of the mixed capital against H0: difference <= -margin
    log_k_worse: float = 0.0  # log of the mixed capital against H0: difference >= 0
    max_log_k_not_worse: float = 0.0  # their maxima over time
    max_log_k_worse: float = 0.0
    verdict: Verdict = "continue"
    decided_at: int | None = None  # items when the verdict was reached

    @property
    def mean(self) -> float | None:
        """The observed mean paired difference (quant minus reference)."""
        return 2 * self.sum_x / self.items - 1 if self.items else None

    @property
    def interval(self) -> tuple[float, float]:
        """The anytime-valid two-sided 1 - 2 alpha interval of the mean difference."""
        return 2 * self.best_low - 1, 2 * self.best_high - 1

    @property
    def p_not_worse(self) -> float:
        """Anytime-valid p-value of H0: mean difference <= -margin."""
        return min(1.0, math.exp(-self.max_log_k_not_worse))

    @property
    def p_worse(self) -> float:
        """Anytime-valid p-value of H0: mean difference >= 0."""
        return min(1.0, math.exp(-self.max_log_k_worse))


def item_difference(quant: Sequence[float], reference: Sequence[float]) -> float:
    """An item's paired difference: the mean over its samples of quant minus reference (same seeds)."""
    if not quant or len(quant) != len(reference):
        raise ValueError("an item needs the same number (at least one) of samples in both runs")
    return sum(float(a) - float(b) for a, b in zip(quant, reference)) / len(quant)


def start(margin: float, alpha: float = 0.025) -> SequentialState:
    if not 0 <= margin < 1 or not 0 < alpha < 0.5:
        raise ValueError("the margin must be in [0, 1) and alpha in (0, 0.5)")
    return SequentialState(margin=margin, alpha=alpha)


def _lam(alpha: float, i: int, s2: float) -> float:
    return min(math.sqrt(2 * math.log(1 / alpha) / (s2 * i * math.log(1 + i))), LAMBDA_MAX)


def _bet(s2: float, gap: float, cap: float) -> float:
    """aGRAPA's bet on a mean `gap` above the null (WSR eq. 15 with s2 the spread about the mean),
    truncated to [0, cap]."""
    return min(cap, max(0.0, gap / (s2 + gap * gap)))


def _mix(planned: float, adaptive: float) -> float:
    """log(w K_planned + (1 - w) K_adaptive), from the two log capitals (exactly 0 when both are)."""
    w = PLANNED_WEIGHT
    if planned >= adaptive:
        return planned + math.log(w + (1 - w) * math.exp(adaptive - planned))
    return adaptive + math.log((1 - w) + w * math.exp(planned - adaptive))


def _capitals(state: SequentialState, diffs: Iterable[float]) -> dict[str, object]:
    """The four log capitals, the planned bets and the running sums after these items (not the interval)."""
    s = state
    m_nw, m_w = (1 - s.margin) / 2, 0.5
    cap_nw, cap_w = LAMBDA_MAX / m_nw, LAMBDA_MAX / (1 - m_w)
    plan = s.margin / 2  # the planned gap on the [0, 1] scale: the margin, for both tests
    n, sx, ss, hist, b_nw, b_w = s.items, s.sum_x, s.sum_sq, dict(s.histogram), s.bet_not_worse, s.bet_worse
    nw_p, nw_a, w_p, w_a = s.log_k_not_worse_planned, s.log_k_not_worse_adaptive, s.log_k_worse_planned, \
        s.log_k_worse_adaptive
    e_nw, e_w = s.max_log_k_not_worse, s.max_log_k_worse
    for x in diffs:
        if n % REFRESH == 0:
            b_nw = planned_bet(hist, plan, PLANNED_MAX / m_nw)
            b_w = planned_bet(hist, plan, PLANNED_MAX / (1 - m_w), mirror=True)
        mu, s2 = (0.5 + sx) / (n + 1), (0.25 + ss) / (n + 1)
        nw_p += math.log1p(b_nw * (x - m_nw))
        nw_a += math.log1p(_bet(s2, mu - m_nw, cap_nw) * (x - m_nw))
        w_p += math.log1p(b_w * (m_w - x))
        w_a += math.log1p(_bet(s2, m_w - mu, cap_w) * (m_w - x))
        e_nw, e_w = max(e_nw, _mix(nw_p, nw_a)), max(e_w, _mix(w_p, w_a))
        n, sx = n + 1, sx + x
        ss += (x - (0.5 + sx) / (n + 1)) ** 2
        k = key(x)
        hist[k] = hist.get(k, 0) + 1
    return dict(items=n, sum_x=sx, sum_sq=ss, histogram=hist, bet_not_worse=b_nw, bet_worse=b_w,
                log_k_not_worse_planned=nw_p, log_k_not_worse_adaptive=nw_a, log_k_worse_planned=w_p,
                log_k_worse_adaptive=w_a, log_k_not_worse=_mix(nw_p, nw_a), log_k_worse=_mix(w_p, w_a),
                max_log_k_not_worse=e_nw, max_log_k_worse=e_w)


def _interval(state: SequentialState, xs: Sequence[float]) -> dict[str, float]:
    """The empirical-Bernstein sequence's sums and its running intersection after these items."""
    s = state
    log_a = math.log(1 / s.alpha)
    n, sx, ss, sl, slx, sp = s.items, s.sum_x, s.sum_sq, s.sum_lam, s.sum_lam_x, s.sum_penalty
    lo, hi = s.best_low, s.best_high
    for x in xs:
        mu_prev, s2_prev = (0.5 + sx) / (n + 1), (0.25 + ss) / (n + 1)
        n += 1
        lam = _lam(s.alpha, n, s2_prev)
        sl, slx = sl + lam, slx + lam * x
        sp += (x - mu_prev) ** 2 * (-math.log(1 - lam) - lam)
        sx += x
        ss += (x - (0.5 + sx) / (n + 1)) ** 2
        lo, hi = max(lo, (slx - log_a - sp) / sl), min(hi, (slx + log_a + sp) / sl)
    return dict(sum_lam=sl, sum_lam_x=slx, sum_penalty=sp, best_low=lo, best_high=hi)


def update(state: SequentialState, diffs: Iterable[float]) -> SequentialState:
    """The state after these items (in order); the verdict is not changed here (see `step`)."""
    if state.verdict != "continue":
        raise ValueError(f"this quant is already decided ({state.verdict} at {state.decided_at} items)")
    xs = []
    for d in diffs:
        if not -1 - 1e-12 <= d <= 1 + 1e-12:
            raise ValueError(f"a paired difference must lie in [-1, 1], got {d}")
        xs.append(min(1.0, max(0.0, (d + 1) / 2)))
    return state.model_copy(update=_interval(state, xs) | _capitals(state, xs))


def verdict_at(state: SequentialState, level: float | None = None) -> Verdict:
    """The verdict of this test alone at `level` (default: its alpha). "Not worse" wins when both
    nulls are rejected (a significant drop smaller than the margin), as in `compare`."""
    level = state.alpha if level is None else level
    if state.p_not_worse <= level:
        return "not worse"
    if state.p_worse <= level:
        return "worse"
    return "continue"


def decide(state: SequentialState, verdict: Verdict) -> SequentialState:
    if verdict == "continue" or state.verdict != "continue":
        return state
    return state.model_copy(update=dict(verdict=verdict, decided_at=state.items))


def step(state: SequentialState, diffs: Iterable[float]) -> SequentialState:
    """One round for a quant tested on its own: add the round's items, then decide if it can."""
    new = update(state, diffs)
    return decide(new, verdict_at(new))


def items_needed(state: SequentialState, power: float = 0.8, level: float | None = None) -> int | None:
    """Total items at which an undecided test would likely decide, projected; None when it cannot
    be projected (the observed difference is within `z_power` standard errors of both thresholds)
    or it is beyond MAX_ITEMS.

    For each verdict still in reach, the gap between the observed mean and the null is shrunk by
    `z_power` standard errors of the mean so far (so the projection holds for a true gap at least
    that large with about `power` confidence). At that gap each bet's expected log growth per item
    is computed on the items' own histogram shifted to it (`planned_bet.growth`): the planned bet
    as it stands times PLANNED_EFFICIENCY (the gap observed after few items is noisy, and the
    planned bet's growth falls fast below it), and the best constant bet times PLUG_IN_EFFICIENCY
    for the plug-in one; the projection is the first n at which either's capital, from where it
    stands, reaches log(1/level) plus its share of the mixture (a ladder passes its Holm level). An approximation,
    not a guarantee; the cheaper verdict wins. `benchmarks/sequential.py` measures how often runs
    decide by the projection.
    """
    if state.verdict != "continue":
        return state.items
    level = state.alpha if level is None else level
    n = state.items
    mean_x = (0.5 + state.sum_x) / (n + 1)
    s2 = max((0.25 + state.sum_sq) / (n + 1), 1e-6)
    shrink = NormalDist().inv_cdf(power) * math.sqrt(s2 / max(n, 1))
    best: int | None = None
    for gap, mirror, planned, adaptive in (
            (mean_x - (1 - state.margin) / 2, False, state.log_k_not_worse_planned, state.log_k_not_worse_adaptive),
            (0.5 - mean_x, True, state.log_k_worse_planned, state.log_k_worse_adaptive)):
        need = _projected(state, gap - shrink, mirror, planned, adaptive, level)
        if need is not None and n + need <= MAX_ITEMS:
            best = n + need if best is None else min(best, n + need)
    return best


def _projected(state: SequentialState, g: float, mirror: bool, planned: float, adaptive: float,
               level: float) -> int | None:
    """Further items for one test at a true gap `g` (the [0, 1] scale), the faster of its two bets."""
    if g <= 0:
        return None
    null = 0.5 if mirror else (1 - state.margin) / 2
    scale = 1 - null if mirror else null  # the bets' truncation is c / scale
    lam_p = planned_bet(state.histogram, state.margin / 2, PLANNED_MAX / scale, mirror)
    lam_best = planned_bet(state.histogram, g, LAMBDA_MAX / scale, mirror)
    rates = ((PLANNED_EFFICIENCY * growth(state.histogram, g, lam_p, mirror), planned, PLANNED_WEIGHT),
             (PLUG_IN_EFFICIENCY * growth(state.histogram, g, lam_best, mirror), adaptive, 1 - PLANNED_WEIGHT))
    needs = [math.ceil((math.log(1 / (level * w)) - capital) / rate) for rate, capital, w in rates if rate > 0]
    return max(1, min(needs)) if needs else None

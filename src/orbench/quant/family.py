"""Error rates for a family of tests: a ladder's quants, and a night's gate findings over the nights.

This module owns how tests are combined; each test's own p-value comes from elsewhere
(`sequential` for adaptive ladders, `compare`/`gate` for fixed runs).

- **Holm's step-down** (Holm 1979, Scand. J. Statist. 6:65): sort the m p-values, reject while the
  i-th smallest is <= alpha / (m - i + 1). The chance of rejecting any true null is <= alpha under
  any dependence between the tests.
- **A ladder**: two families of one null per quant, "not worse" (H0: difference <= -margin) and
  "worse" (H0: difference >= 0), each under Holm at alpha. The recommendation is a quant shown
  not worse, so the chance that the ladder recommends any quant truly at or beyond the margin is
  <= alpha, however many quants it tries. With anytime-valid p-values (`sequential`) Holm may be
  reapplied after every round: a true null is rejected at some time only if its running p-value
  ever falls to alpha / (number of true nulls), which has probability <= alpha in total; p-values
  only decrease, so a verdict once reached stays.
- **The nightly gate**: Holm across the night's findings (suites x models x metrics) at
  `night_alpha = alpha_window / nights` (alpha spending over a window of 30 nights, Bonferroni over
  the nights). The false-alarm rate is then <= alpha_window / 30 per night and <= alpha_window over
  any 30 nights, whether the baseline is pinned or the latest passing night: the bound uses no
  independence between nights. Confirming a red night on the next night was not chosen: nights
  compared with the same baseline are positively correlated (a baseline that happened to score high
  makes every later night look worse), so a confirmation's error rate is not the product of two
  alphas and has no bound that holds for both baselines. The price is power: the detectable drop
  grows by about (z(alpha_window/30/2) + z(0.8)) / (z(alpha/2) + z(0.8)), 1.42x at 0.05 each, which the
  gate's "underpowered" figure shows when it is computed at `night_alpha`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .sequential import SequentialState, Verdict, decide, items_needed

NIGHTS = 30


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Which hypotheses Holm's step-down rejects at family-wise level `alpha` (in input order)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    rejected = [False] * m
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (m - rank):
            break
        rejected[i] = True
    return rejected


def ladder_verdicts(states: Mapping[str, SequentialState], alpha: float) -> dict[str, Verdict]:
    """Each quant's verdict with Holm at `alpha` over the "not worse" nulls and, separately, over the
    "worse" nulls of all the ladder's quants (decided ones included: their p-values are frozen)."""
    labels = list(states)
    not_worse = holm([states[k].p_not_worse for k in labels], alpha)
    worse = holm([states[k].p_worse for k in labels], alpha)
    out: dict[str, Verdict] = {}
    for label, nw, w in zip(labels, not_worse, worse):
        previous = states[label].verdict
        out[label] = previous if previous != "continue" else "not worse" if nw else "worse" if w else "continue"
    return out


def ladder_step(states: Mapping[str, SequentialState], alpha: float) -> dict[str, SequentialState]:
    """After a round has been added to every undecided quant: record the verdicts Holm reaches."""
    verdicts = ladder_verdicts(states, alpha)
    return {label: decide(state, verdicts[label]) for label, state in states.items()}


def ladder_items_needed(states: Mapping[str, SequentialState], alpha: float) -> dict[str, int | None]:
    """Items still needed per undecided quant of a ladder, projected at the level Holm would ask of
    its next rejection: alpha / (quants whose null is not yet rejected, in the family with more)."""
    verdicts = [s.verdict for s in states.values()]
    unrejected = len(verdicts) - min(verdicts.count("not worse"), verdicts.count("worse"))
    level = alpha / max(1, unrejected)
    return {label: items_needed(s, level=level) for label, s in states.items() if s.verdict == "continue"}


def night_alpha(alpha_window: float = 0.05, nights: int = NIGHTS) -> float:
    """The family-wise level of one night, so that any `nights` consecutive nights together stay
    at `alpha_window` (Bonferroni over nights)."""
    if not 0 < alpha_window < 1 or nights < 1:
        raise ValueError("alpha_window must be in (0, 1) and nights at least 1")
    return alpha_window / nights


def gate_regressions(p_values: Sequence[float], past_threshold: Sequence[bool], alpha_window: float = 0.05,
                     nights: int = NIGHTS) -> list[bool]:
    """Which of a night's findings are regressions: past the rule's threshold AND rejected by Holm
    over all the night's findings at `night_alpha`. A finding's p-value is that of its drop
    (for accuracy the larger of the score test's and exact McNemar's, both required today)."""
    if len(p_values) != len(past_threshold):
        raise ValueError("one threshold flag per p-value")
    rejected = holm(p_values, night_alpha(alpha_window, nights))
    return [r and t for r, t in zip(rejected, past_threshold)]

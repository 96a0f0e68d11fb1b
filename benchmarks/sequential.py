"""Measure the sequential quant test and the family-wise rules on simulated paired outcomes.

Prints four tables (simulator: tests/support/ladder_sim.py: per-item difficulty, discordance, K
samples per item; items drawn fresh, as the test assumes):

1. One quant against the reference, looked at after every round of 10 items (the test itself
   takes every item): type-I error at the margin (P "not worse" when the truth is -margin), power
   at a true difference of 0, expected items and generated tokens (quant + reference) to a
   decision, next to the fixed-n design with 80% power (normal approximation at one-sided
   alpha = 0.025 with the simulator's exact item variance). The pool is 4x the fixed n.
2. A ladder of 3 or 5 quants all exactly at the margin: P(some quant shown "not worse"), each
   test at alpha alone vs Holm across the quants.
3. The typical ladder (one quant near-identical, one 2 points worse, one 20 points worse), Holm
   after every round: each quant's P(right verdict) and items, the ladder's tokens, and the fixed-n
   ladder of equal power (the same n items for the reference and every quant, n the largest any
   quant needs for its right verdict at the adaptive ladder's measured power on it, at the level
   Holm gives that verdict, with the true discordance). Printed for the test as it is (the mixture
   of the planned and the plug-in bets) and for the plug-in bet alone (the previous test).
4. The nightly gate with nothing changed (100 items per suite, one sample, a run and its
   baseline independent draws of the same model): false-red rate per night and over 30 nights,
   today's rule (OR of findings, each at 0.05) vs Holm at 0.05/30 per night.
5. The "items still needed" projection after 100 items: the share of runs decided by then.

Monte-Carlo standard errors are printed next to each rate. Usage:
    .venv/bin/python -m benchmarks.sequential          # 8-13 minutes on 2 cores (from the top of the checkout)
    .venv/bin/python -m benchmarks.sequential --quick  # a rough version, under a minute
"""

from __future__ import annotations

import argparse
import math
import random
import time
from statistics import NormalDist

from orbench.quant.family import gate_regressions, ladder_step, night_alpha
from orbench.quant import sequential
from orbench.quant.sequential import (PLANNED_WEIGHT, SequentialState, items_needed, start, step, update,
                                      verdict_at)
from orbench.stats import mcnemar_exact
from tests.support.ladder_sim import Item, Truth, draw_item, item_difference, item_variance

ALPHA, MARGIN, ROUND, POWER = 0.025, 0.02, 10, 0.8
MEAN_TOKENS = 1500 * math.exp(0.8**2 / 2)
Z = NormalDist().inv_cdf


def fixed_items(truth: Truth, k: int, null: float, power: float = POWER, level: float = ALPHA) -> int:
    """Items for a one-sided test of `null` at `level` to have `power` at `truth` (normal approx.)."""
    sd = math.sqrt(item_variance(truth, k))
    return math.ceil(((Z(1 - level) + Z(min(power, 0.999))) * sd / (truth.delta - null)) ** 2)


def se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def one_round(rng: random.Random, truth: Truth, k: int, size: int) -> tuple[list[float], float]:
    items: list[Item] = [draw_item(rng) for _ in range(size)]
    return [item_difference(rng, it, truth, k) for it in items], sum(it.tokens for it in items) * k


def single(rng: random.Random, truth: Truth, k: int, horizon: int) -> tuple[str, int, float]:
    """One quant until decided or the pool's end: verdict, items, tokens of quant + reference."""
    s, tokens = start(MARGIN, ALPHA), 0.0
    while s.verdict == "continue" and s.items < horizon:
        diffs, t = one_round(rng, truth, k, min(ROUND, horizon - s.items))
        s, tokens = step(s, diffs), tokens + 2 * t
    return s.verdict, s.items, tokens


def table_single(reps: int, seed: int) -> None:
    print(f"\n1. One quant, margin {MARGIN:.0%}, one-sided alpha {ALPHA}, a look every {ROUND} items; "
          f"{reps} runs per cell; pool = 4 x fixed n")
    print(f"{'D':>5} {'K':>2} {'fixed n':>8} | {'type-I at margin':>17} | {'power at 0':>11} {'false worse':>11} | "
          f"{'E items':>8} {'median':>7} {'90%':>7} | {'fixed n same power':>18} {'fixed/E tokens':>14}")
    for d in (0.02, 0.10, 0.30):
        for k in (1, 4):
            rng = random.Random(f"{seed}-{d}-{k}")
            n_fixed = fixed_items(Truth(0.0, d), k, -MARGIN)
            horizon = 4 * n_fixed
            at_margin = [single(rng, Truth(-MARGIN, d), k, horizon)[0] for _ in range(reps)]
            at_zero = [single(rng, Truth(0.0, d), k, horizon) for _ in range(reps)]
            t1 = sum(v == "not worse" for v in at_margin) / reps
            power = sum(v == "not worse" for v, _, _ in at_zero) / reps
            false_worse = sum(v == "worse" for v, _, _ in at_zero) / reps
            items = sorted(n for _, n, _ in at_zero)
            tokens = sum(t for _, _, t in at_zero) / reps
            same = fixed_items(Truth(0.0, d), k, -MARGIN, power)
            fixed_tokens = 2 * same * k * MEAN_TOKENS
            print(f"{d:>5.2f} {k:>2} {n_fixed:>8} | {t1:>8.4f} ± {se(t1, reps):.4f} | {power:>5.3f}±{se(power, reps):.3f} "
                  f"{false_worse:>11.4f} | {sum(items) / reps:>8.0f} {items[reps // 2]:>7} {items[int(reps * 0.9)]:>7} | "
                  f"{same:>18} {fixed_tokens / tokens:>14.2f}")


def ladder_run(rng: random.Random, truths: dict[str, Truth], k: int, horizon: int
               ) -> tuple[dict[str, SequentialState], dict[str, str], float]:
    """Quants in lockstep rounds on the same items; Holm after each round. Also each quant's verdict
    had it been tested alone at ALPHA (first round its own p-value crossed). Returns the Holm states,
    the lone verdicts and the tokens (reference until the last quant stops, each quant until it stops)."""
    states = {q: start(MARGIN, ALPHA) for q in truths}
    alone = {q: "continue" for q in truths}
    tokens, done = 0.0, 0
    while done < horizon and any(s.verdict == "continue" for s in states.values()):
        size = min(ROUND, horizon - done)
        items = [draw_item(rng) for _ in range(size)]
        round_tokens = sum(it.tokens for it in items) * k
        tokens += round_tokens
        for q, s in states.items():
            if s.verdict == "continue":
                states[q] = update(s, [item_difference(rng, it, truths[q], k) for it in items])
                tokens += round_tokens
                if alone[q] == "continue":
                    alone[q] = verdict_at(states[q])
        states, done = ladder_step(states, ALPHA), done + size
    return states, alone, tokens


def table_ladder_at_margin(reps: int, seed: int) -> None:
    d, k = 0.05, 1
    horizon = 4 * fixed_items(Truth(0.0, d), k, -MARGIN)
    print(f"\n2. Ladders with every quant exactly at the margin (D {d}, K {k}, pool {horizon}); {reps} runs")
    print(f"{'quants':>6} | {'P(some not worse) alone':>24} | {'with Holm':>16}")
    for j in (3, 5):
        rng = random.Random(f"{seed}-ladder-{j}")
        truths = {f"q{i}": Truth(-MARGIN, d) for i in range(j)}
        alone_hits = holm_hits = 0
        for _ in range(reps):
            states, alone, _ = ladder_run(rng, truths, k, horizon)
            alone_hits += any(v == "not worse" for v in alone.values())
            holm_hits += any(s.verdict == "not worse" for s in states.values())
        a, h = alone_hits / reps, holm_hits / reps
        print(f"{j:>6} | {a:>15.4f} ± {se(a, reps):.4f} | {h:>7.4f} ± {se(h, reps):.4f}")


TYPICAL = {"near-identical": Truth(0.0, 0.03), "2 points worse": Truth(-0.02, 0.08),
           "20 points worse": Truth(-0.20, 0.25)}
RIGHT = {"near-identical": "not worse", "2 points worse": "worse", "20 points worse": "worse"}
# the level at which Holm lets a fixed-n ladder reach each right verdict: "not worse" is the only
# false null of its family (alpha / 3); "worse" is rejected for the 20-point quant first (alpha / 3),
# then for the 2-point one (alpha / 2)
HOLM_LEVEL = {"near-identical": ALPHA / 3, "2 points worse": ALPHA / 2, "20 points worse": ALPHA / 3}


def wilson(hits: int, n: int) -> tuple[float, float]:
    z, p = 1.96, hits / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def fixed_ladder(k: int, power: dict[str, float], holm: bool = True) -> int:
    """Items of the fixed-n ladder (the same items for every quant): the largest n any quant needs for
    its right verdict at `power`, at the level Holm gives it (or at ALPHA, unadjusted)."""
    return max(fixed_items(t, k, -MARGIN if RIGHT[q] == "not worse" else 0.0, power[q],
                           HOLM_LEVEL[q] if holm else ALPHA) for q, t in TYPICAL.items())


def typical_runs(reps: int, seed: str, k: int, horizon: int) -> tuple[dict[str, int], dict[str, float], float]:
    rng = random.Random(seed)
    hits, items, tokens = {q: 0 for q in TYPICAL}, {q: 0.0 for q in TYPICAL}, 0.0
    for _ in range(reps):
        states, _, t = ladder_run(rng, TYPICAL, k, horizon)
        tokens += t / reps
        for q, s in states.items():
            hits[q] += s.verdict == RIGHT[q]
            items[q] += s.items / reps
    return hits, items, tokens


def table_typical(reps: int, seed: int) -> None:
    print(f"\n3. Typical ladder (near-identical: D 3%; 2 points worse, at the margin: D 8%; 20 points worse: D 25%), "
          f"Holm over 3 quants, {reps} runs, pool 4 x n80. Fixed-n ladder: every quant and the reference on the same "
          "n items, n the largest any quant needs for its right verdict at its Holm level (the family-wise "
          "guarantee the adaptive ladder gives), with the true discordance and the exact item variance. "
          "'equal power': each quant's power set to the adaptive ladder's measured power on it (point "
          "estimate; in brackets, at the ends of its 95% Wilson interval); 'unadj.': the same at alpha "
          "without Holm (favours fixed n); 'n80': 80% power at the Holm level. Ratio: fixed-n tokens over "
          "the adaptive ladder's mean tokens (reference until the last quant stops, each quant until it stops)")
    print(f"{'K':>2} {'test':>9} | " + " | ".join(f"{q}: P(right) E items" for q in TYPICAL) +
          f" | {'E tokens':>9} | {'n equal power':>19} {'ratio':>17} | {'unadj.':>6} | {'n80':>5} {'ratio':>5}")
    for k in (1, 4):
        n80 = fixed_ladder(k, {q: POWER for q in TYPICAL})
        for name, weight in (("mixture", PLANNED_WEIGHT), ("plug-in", 1e-12)):
            sequential.PLANNED_WEIGHT = weight
            hits, items, tokens = typical_runs(reps, f"{seed}-typical-{k}", k, 4 * n80)
            sequential.PLANNED_WEIGHT = PLANNED_WEIGHT
            bounds = {q: wilson(hits[q], reps) for q in TYPICAL}
            n_eq = fixed_ladder(k, {q: hits[q] / reps for q in TYPICAL})
            n_lo = fixed_ladder(k, {q: b[0] for q, b in bounds.items()})
            n_hi = fixed_ladder(k, {q: b[1] for q, b in bounds.items()})
            n_un = fixed_ladder(k, {q: hits[q] / reps for q in TYPICAL}, holm=False)
            ratio = [(len(TYPICAL) + 1) * n * k * MEAN_TOKENS / tokens for n in (n_eq, n_lo, n_hi, n_un, n80)]
            cells = " | ".join(f"{' ' * (len(q) - 5)}{hits[q] / reps:>7.3f} {items[q]:>7.0f}" for q in TYPICAL)
            print(f"{k:>2} {name:>9} | {cells} | {tokens:>9.3g} | {n_eq:>5} [{n_lo:>5}, {n_hi:>5}] "
                  f"{ratio[0]:>5.2f} [{ratio[1]:.2f}, {ratio[2]:.2f}] | {ratio[3]:>6.2f} | {n80:>5} {ratio[4]:>5.2f}")


def night_p_values(rng: random.Random, base: list[list[bool]], now: list[list[bool]]) -> list[float]:
    """Per suite: the drop's p-value, the larger of the asymptotic score test at 0 and exact McNemar."""
    out = []
    for b, r in zip(base, now):
        lost = sum(x and not y for x, y in zip(b, r))
        gained = sum(y and not x for x, y in zip(b, r))
        if lost <= gained:
            out.append(1.0)
            continue
        z = (gained - lost) / math.sqrt(lost + gained)
        out.append(max(2 * NormalDist().cdf(z), mcnemar_exact(lost, gained)))
    return out


def table_gate(reps: int, seed: int, nights: int = 30, items: int = 100) -> None:
    print(f"\n4. Gate with nothing changed: {items} items per suite, 3 suites per model, {reps} x {nights} nights; "
          f"Holm at {night_alpha():.5f} per night")
    print(f"{'models':>6} {'baseline':>14} | {'red/night today':>16} {'30 nights today':>16} | "
          f"{'red/night Holm':>16} {'30 nights Holm':>16}")
    for models in (1, 4):
        for kind in ("pinned", "latest passing"):
            rng = random.Random(f"{seed}-gate-{models}-{kind}")
            red_old = red_new = any_old = any_new = 0
            for _ in range(reps):
                difficulty = [[rng.betavariate(0.6, 0.6) for _ in range(items)] for _ in range(3 * models)]
                draw = lambda: [[rng.random() < p for p in suite] for suite in difficulty]  # noqa: E731
                base_old = base_new = draw()
                seen_old = seen_new = False
                for _ in range(nights):
                    now = draw()
                    p_old, p_new = night_p_values(rng, base_old, now), night_p_values(rng, base_new, now)
                    old = any(p < 0.05 for p in p_old)
                    new = any(gate_regressions(p_new, [True] * len(p_new)))
                    red_old, red_new = red_old + old, red_new + new
                    seen_old, seen_new = seen_old or old, seen_new or new
                    if kind == "latest passing":
                        base_old = base_old if old else now
                        base_new = base_new if new else now
                any_old, any_new = any_old + seen_old, any_new + seen_new
            per_old, per_new = red_old / (reps * nights), red_new / (reps * nights)
            m_old, m_new = any_old / reps, any_new / reps
            print(f"{models:>6} {kind:>14} | {per_old:>8.4f}±{se(per_old, reps * nights):.4f} "
                  f"{m_old:>9.3f}±{se(m_old, reps):.3f} | {per_new:>8.5f}±{se(per_new, reps * nights):.5f} "
                  f"{m_new:>9.4f}±{se(m_new, reps):.4f}")


def table_projection(reps: int, seed: int) -> None:
    print(f"\n5. 'Items still needed' after 100 items, then run on to that many: share decided by then "
          f"(the projection aims at 80%); {reps} runs, K 1")
    print(f"{'D':>5} {'delta':>6} | {'median projection':>17} | {'decided by it':>15} | {'no projection':>13}")
    for d, delta in ((0.05, 0.0), (0.20, 0.0), (0.20, -0.02), (0.20, -0.06)):
        rng = random.Random(f"{seed}-projection-{d}-{delta}")
        truth, hits, tried, none, needs = Truth(delta, d), 0, 0, 0, []
        for _ in range(reps):
            s = start(MARGIN, ALPHA)
            while s.verdict == "continue" and s.items < 100:
                s = step(s, one_round(rng, truth, 1, ROUND)[0])
            need = items_needed(s)
            if s.verdict != "continue":
                continue
            if need is None:
                none += 1
                continue
            needs.append(need)
            while s.verdict == "continue" and s.items < need:
                s = step(s, one_round(rng, truth, 1, min(ROUND, need - s.items))[0])
            tried, hits = tried + 1, hits + (s.verdict != "continue")
        share = hits / tried if tried else float("nan")
        median = sorted(needs)[len(needs) // 2] if needs else 0
        print(f"{d:>5.2f} {delta:>6.2f} | {median:>17} | {share:>7.3f}±{se(share, max(tried, 1)):.3f} | {none:>13}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs per cell (rough figures)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    scale = 0.25 if args.quick else 1.0
    started = time.perf_counter()
    table_single(int(400 * scale), args.seed)
    table_ladder_at_margin(int(400 * scale), args.seed)
    table_typical(int(1000 * scale), args.seed)
    table_gate(int(200 * scale), args.seed)
    table_projection(int(200 * scale), args.seed)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

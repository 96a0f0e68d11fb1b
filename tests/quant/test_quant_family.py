"""Holm's step-down, the ladder's verdicts under it, and the gate's spending across nights."""

from __future__ import annotations

import itertools
import random

import pytest

from orbench.quant.family import gate_regressions, holm, ladder_step, ladder_verdicts, night_alpha
from orbench.quant.sequential import SequentialState, start, step


def closed_bonferroni(p: list[float], alpha: float) -> list[bool]:
    """Holm by its definition: closed testing with Bonferroni tests of every intersection."""
    m = len(p)
    out = []
    for i in range(m):
        subsets = (s for r in range(1, m + 1) for s in itertools.combinations(range(m), r) if i in s)
        out.append(all(min(p[j] for j in s) <= alpha / len(s) for s in subsets))
    return out


def test_holm_on_known_examples():
    assert holm([0.01, 0.04, 0.03, 0.005], 0.05) == [True, False, False, True]
    assert holm([0.01, 0.02, 0.03, 0.04, 0.05], 0.05) == [True, False, False, False, False]
    assert holm([0.01, 0.012, 0.02], 0.05) == [True, True, True]  # 0.01<=1/60, 0.012<=0.025, 0.02<=0.05
    assert holm([], 0.05) == []
    assert holm([0.05], 0.05) == [True]


def test_holm_equals_closed_testing_with_bonferroni():
    rng = random.Random(1)
    for _ in range(300):
        p = [rng.choice([rng.random() * 0.06, rng.random()]) for _ in range(rng.randint(1, 5))]
        assert holm(p, 0.05) == closed_bonferroni(p, 0.05), p


def state(p_not_worse: float, p_worse: float = 1.0, verdict: str = "continue") -> SequentialState:
    import math

    return SequentialState(margin=0.02, max_log_k_not_worse=-math.log(p_not_worse),
                           max_log_k_worse=-math.log(p_worse), verdict=verdict)


def test_a_ladder_needs_more_evidence_per_quant_than_one_test_alone():
    states = {"Q8_0": state(0.02), "Q4_K_M": state(0.5), "Q2_K": state(1.0, 0.001)}
    assert states["Q8_0"].p_not_worse <= 0.025  # alone it would be "not worse"
    assert ladder_verdicts(states, 0.025) == {"Q8_0": "continue", "Q4_K_M": "continue", "Q2_K": "worse"}
    states["Q8_0"] = state(0.008)  # <= 0.025 / 3
    after = ladder_step(states, 0.025)
    assert after["Q8_0"].verdict == "not worse" and after["Q2_K"].verdict == "worse"
    assert after["Q4_K_M"].verdict == "continue"


def test_a_ladder_verdict_once_reached_stays():
    decided = step(start(0.02), [0.0] * 500)
    assert decided.verdict == "not worse"
    assert ladder_verdicts({"a": decided, "b": state(0.9)}, 0.0001)["a"] == "not worse"


def test_the_gate_spends_alpha_over_thirty_nights():
    assert night_alpha() == pytest.approx(0.05 / 30)
    p = [0.01, 0.0004, 0.0009, 0.3]
    # Holm at 0.05/30 over 4 findings: 0.0004 <= 0.000417 yes, 0.0009 <= 0.000556 no
    assert gate_regressions(p, [True] * 4) == [False, True, False, False]
    assert gate_regressions(p, [True, False, True, True]) == [False, False, False, False]
    with pytest.raises(ValueError):
        gate_regressions(p, [True])
    with pytest.raises(ValueError):
        night_alpha(0.05, 0)


def test_a_ladder_projects_items_at_holms_level_for_undecided_quants_only():
    from orbench.quant.family import ladder_items_needed
    from orbench.quant.sequential import items_needed, update

    diffs = random.Random(1).sample([1.0] * 14 + [-1.0] * 6 + [0.0] * 180, 200)
    undecided = update(start(0.02), diffs)
    decided = step(start(0.02), [0.0] * 500)
    needs = ladder_items_needed({"a": undecided, "b": undecided, "c": decided}, 0.025)
    assert set(needs) == {"a", "b"}
    assert needs["a"] == items_needed(undecided, level=0.025 / 3) > items_needed(undecided)

"""The sequential quant test: error rates under a look after every round, exact resumption, edges."""

from __future__ import annotations

import math
import random
from statistics import NormalDist

import pytest
from support.ladder_sim import Truth, draw_item, item_difference

from orbench.quant.sequential import (SequentialState, item_difference as paired_item, items_needed, start, step,
                                      update)

MARGIN, ALPHA = 0.02, 0.025


def stream(rng: random.Random, truth: Truth, k: int = 1):
    while True:
        yield item_difference(rng, draw_item(rng), truth, k)


def trinomial(rng: random.Random, truth: Truth):
    """One sample per item, no difficulty: the fastest i.i.d. stream with this truth."""
    lost = (truth.discordance - truth.delta) / 2
    while True:
        u = rng.random()
        yield -1.0 if u < lost else 1.0 if u < truth.discordance else 0.0


@pytest.mark.thorough  # a Monte-Carlo simulation of many sequential runs: make test, not make test-fast
def test_type_one_error_and_coverage_hold_under_continuous_monitoring():
    """At the margin, "not worse" is shown at most alpha of the time although the test is looked at
    after every round; a fixed-n z-test looked at the same way is shown to fail the same bound, so
    the bound can tell a valid sequential test from an invalid one."""
    rng, runs, horizon, truth = random.Random(7), 400, 1500, Truth(-MARGIN, 0.10)
    z = NormalDist().inv_cdf(1 - ALPHA)
    seq_false = naive_false = missed = 0
    for _ in range(runs):
        s, source, total, squares, naive = start(MARGIN, ALPHA), trinomial(rng, truth), 0.0, 0.0, False
        while s.items < horizon:
            diffs = [next(source) for _ in range(10)]
            total, squares = total + sum(diffs), squares + sum(d * d for d in diffs)
            s = update(s, diffs)
            n, mean = s.items, total / s.items
            sd = math.sqrt(max((squares - n * mean * mean) / (n - 1), 1e-12))
            naive = naive or (mean - z * sd / math.sqrt(n) > -MARGIN)
            low, high = s.interval
            missed += not low <= truth.delta <= high and s.items == horizon
        seq_false += s.p_not_worse <= ALPHA
        naive_false += naive
    # binomial(400, 0.025): P(> 20 false) < 0.001, so a valid test cannot fail this by luck
    assert seq_false <= 20, seq_false
    assert naive_false > 30, naive_false  # the invalid procedure is caught by the same bound
    assert missed <= 2 * ALPHA * runs  # the intersected 95% sequence still covers at the end


@pytest.mark.parametrize("k", [1, 4])
def test_a_near_identical_quant_is_shown_not_worse_and_a_broken_one_worse(k):
    rng = random.Random(k)
    for truth, expected, within in ((Truth(0.0, 0.03), "not worse", 3000), (Truth(-0.2, 0.25), "worse", 300)):
        s, source = start(MARGIN, ALPHA), stream(rng, truth, k)
        while s.verdict == "continue" and s.items < within:
            s = step(s, [next(source) for _ in range(10)])
        assert s.verdict == expected and s.decided_at == s.items
        low, high = s.interval
        assert low <= truth.delta <= high


def test_a_saved_and_reloaded_state_gives_the_same_verdicts_as_an_uninterrupted_run():
    rng = random.Random(3)
    rounds = [[item_difference(rng, draw_item(rng), Truth(-0.01, 0.2), 4) for _ in range(7)] for _ in range(200)]
    straight, resumed = start(MARGIN, ALPHA), start(MARGIN, ALPHA)
    for diffs in rounds:
        if straight.verdict == "continue":
            straight = step(straight, diffs)
        saved = resumed.model_dump_json()
        resumed = SequentialState.model_validate_json(saved)  # as after kill -9 and resume
        if resumed.verdict == "continue":
            resumed = step(resumed, diffs)
        assert resumed == straight
    assert straight.items > 0


def test_all_ties_show_not_worse_but_never_worse():
    s = start(MARGIN, ALPHA)
    while s.verdict == "continue" and s.items < 2000:
        s = step(s, [0.0] * 10)
    assert s.verdict == "not worse" and s.p_worse == 1.0
    assert 150 <= s.decided_at <= 400  # bounded differences: each tie adds at most log(1 + 0.75/0.49 * 0.01)


def test_one_item_decides_nothing_even_with_sixteen_samples():
    d = paired_item([0] + [0] * 15, [1] * 15 + [0])
    assert d == pytest.approx(-15 / 16)
    s = step(start(MARGIN, ALPHA), [d])
    assert s.verdict == "continue" and s.items == 1
    assert step(start(MARGIN, ALPHA), [-1.0]).verdict == "continue"
    low, high = s.interval
    assert low < -0.5 and high > 0.5


def test_items_needed_is_beyond_the_items_seen_grows_with_discordance_and_admits_noise():
    needs = []
    for gained, lost in ((14, 6), (34, 26)):  # of 200 items: +4 points at 10% and at 30% discordance
        diffs = [1.0] * gained + [-1.0] * lost + [0.0] * (200 - gained - lost)
        s = update(start(MARGIN, ALPHA), random.Random(1).sample(diffs, 200))
        assert s.verdict == "continue"
        needs.append(items_needed(s))
    assert needs[0] is not None and needs[1] is not None and 200 < needs[0] < needs[1]
    # a zero difference at 30% discordance after 100 items is within noise of both thresholds
    noisy = update(start(MARGIN, ALPHA), random.Random(2).sample([1.0] * 15 + [-1.0] * 15 + [0.0] * 70, 100))
    assert items_needed(noisy) is None
    decided = step(start(MARGIN, ALPHA), [0.0] * 500)
    assert decided.verdict == "not worse" and items_needed(decided) == decided.items


def test_a_decided_test_takes_no_more_items_and_bad_input_is_refused():
    decided = step(start(MARGIN, ALPHA), [0.0] * 500)
    with pytest.raises(ValueError):
        update(decided, [0.0])
    with pytest.raises(ValueError):
        update(start(MARGIN, ALPHA), [1.5])
    with pytest.raises(ValueError):
        start(1.0)
    with pytest.raises(ValueError):
        paired_item([1, 0], [1])

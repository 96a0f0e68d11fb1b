"""Statistics against hand-computed values."""

from __future__ import annotations

import math

import pytest

from orbench.stats import ks_to_report, majority, mean_interval, pass_at_k, wilson


def test_wilson_matches_hand_computation():
    est = wilson(8, 10)
    # p=0.8, z=1.959964: centre=(0.8+0.192073)/1.384146=0.716743; half=0.24...
    assert est.value == pytest.approx(0.8)
    assert est.low == pytest.approx(0.4901, abs=1e-3) and est.high == pytest.approx(0.9433, abs=1e-3)


def test_wilson_edges():
    assert wilson(0, 10).low == 0.0 and wilson(0, 10).high > 0.2
    assert wilson(10, 10).high == 1.0 and wilson(10, 10).low < 0.8
    assert wilson(0, 0).value is None


def test_mean_interval_fractional():
    est = mean_interval([0.5, 1.0, 0.0, 0.5])
    sd = math.sqrt(((0) ** 2 + 0.5 ** 2 + 0.5 ** 2 + 0) / 3)
    assert est.value == pytest.approx(0.5)
    assert est.high - est.value == pytest.approx(1.959964 * sd / 2, rel=1e-4)


def test_pass_at_k():
    assert pass_at_k(5, 0, 1) == 0.0
    assert pass_at_k(5, 5, 3) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - (3 / 4) * (2 / 3))  # 1 - C(3,2)/C(4,2) = 0.5
    assert pass_at_k(4, 3, 2) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_ks_to_report():
    assert ks_to_report(1) == [1]
    assert ks_to_report(5) == [1, 2, 4, 5]
    assert ks_to_report(8) == [1, 2, 4, 8]


def test_majority_vote():
    assert majority([("4", True), ("5", False), ("4", True)])
    assert not majority([("5", False), ("4", True), ("5", False)])
    assert majority([("4", True), ("5", False)])  # tie: first answer wins
    assert not majority([(None, False), (None, False)])
    assert majority([(None, False), ("4", True)])  # no-answer samples do not vote


def test_mcnemar_exact_against_hand_computation():
    from orbench.stats import mcnemar_exact

    # b=1, c=9: n=10, P(X<=1) = (1 + 10) / 1024, two-sided = 22/1024.
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024)
    assert mcnemar_exact(9, 1) == pytest.approx(22 / 1024)
    assert mcnemar_exact(0, 5) == pytest.approx(2 / 32)
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0


def test_log_shift_finds_a_slowdown_and_not_noise():
    import random as rnd

    from orbench.stats import log_shift

    rng = rnd.Random(7)
    then = [8.0 * (1 + rng.uniform(-0.15, 0.15)) for _ in range(40)]
    same = [8.0 * (1 + rng.uniform(-0.15, 0.15)) for _ in range(40)]
    slower = [4.8 * (1 + rng.uniform(-0.15, 0.15)) for _ in range(40)]
    ratio, low, high = log_shift(same, then)
    assert 0.9 < ratio < 1.1 and low < ratio < high and high - low < 0.12  # ±15% noise, 40 samples: ±~4%
    ratio, low, high = log_shift(slower, then)
    assert high < 1 and ratio == pytest.approx(0.6, abs=0.05)
    assert log_shift(same[:4], then) is None  # too few measurements to judge


def test_log_shift_interval_covers_the_true_ratio():
    import random as rnd

    from orbench.stats import log_shift

    rng, covered, sims = rnd.Random(3), 0, 300
    for _ in range(sims):
        then = [rng.lognormvariate(2.0, 0.1) for _ in range(15)]
        now = [0.9 * rng.lognormvariate(2.0, 0.1) for _ in range(12)]
        _, low, high = log_shift(now, then)
        covered += low <= 0.9 <= high
    assert 0.92 <= covered / sims <= 0.99

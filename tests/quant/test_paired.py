"""The paired interval, its coverage at small n and few discordant pairs, and the sample size figure.

Coverage and power of the one-sample-per-item case are computed exactly, by summing over every
possible (lost, gained) outcome of the trinomial; several samples per item are simulated."""

from __future__ import annotations

import math
import random

import pytest

from support.paired_sim import outcomes, simulate_items

from orbench.quant.paired import (PairedCounts, counts_from_items, minimum_detectable_drop, pairs_needed, score_z,
                                  tango_interval, z_two_sided)


def counts(n: int, lost: int, gained: int) -> PairedCounts:
    return PairedCounts(n, lost, gained, n, 1.0, 1.0)


def test_tango_interval_matches_the_published_example():
    # Fagerland, Lydersen & Laake (2014), Table II data (n12 = 1, n21 = 7 of 21): Tango (-0.517, -0.026).
    low, high = tango_interval(counts(21, lost=7, gained=1))
    assert low == pytest.approx(-0.517, abs=5e-4) and high == pytest.approx(-0.026, abs=5e-4)


def test_interval_stays_wide_when_no_pair_is_discordant():
    z2 = z_two_sided(0.05) ** 2
    low, high = tango_interval(counts(20, 0, 0))
    assert low == pytest.approx(-z2 / (20 + z2), abs=1e-6) and high == pytest.approx(z2 / (20 + z2), abs=1e-6)
    assert tango_interval(counts(20, 20, 0))[0] == -1.0
    assert score_z(counts(50, 10, 2), -0.25) > 0 > score_z(counts(50, 10, 2), -0.1)  # decreasing; estimate -0.16


@pytest.mark.parametrize("n", [12, 30])
@pytest.mark.parametrize("p_lost,p_gained", [(0.02, 0.0), (0.05, 0.05), (0.15, 0.05), (0.3, 0.1), (0.05, 0.25)])
def test_exact_coverage_at_small_n_and_few_discordant_pairs(n, p_lost, p_gained):
    truth = p_gained - p_lost
    coverage = sum(p for lost, gained, p in outcomes(n, p_lost, p_gained)
                   if (lambda ci: ci[0] - 1e-12 <= truth <= ci[1] + 1e-12)(tango_interval(counts(n, lost, gained))))
    assert 0.94 <= coverage <= 1.0, coverage


@pytest.mark.parametrize("regime", ["independent", "alike", "concentrated"])
def test_coverage_with_several_samples_per_item(regime):
    rng, truth, sims, covered = random.Random(11), 0.02 - 0.1, 600, 0
    for _ in range(sims):
        low, high = tango_interval(counts_from_items(simulate_items(rng, 20, 4, 0.1, 0.02, regime)))
        covered += low - 1e-12 <= truth <= high + 1e-12
    assert 0.92 <= covered / sims <= 0.995


def test_design_effect_is_one_for_one_sample_and_k_for_identical_samples():
    single = counts_from_items([(1, 1, 0), (1, 0, 0), (1, 0, 1), (1, 0, 0)])
    assert single.design_effect == 1.0 and (single.n, single.lost, single.gained) == (4, 1, 1)
    alike = counts_from_items([(4, 4, 0), (4, 0, 0), (4, 0, 4), (4, 4, 0)] + [(4, 0, 0)] * 6)
    assert alike.design_effect == pytest.approx(4.0) and alike.n == pytest.approx(10)
    assert alike.difference == pytest.approx(-0.1)
    assert counts_from_items([(4, 0, 0)] * 5).design_effect == 4.0  # nothing discordant: assume the worst


def exact_power(n: int, p_lost: float, p_gained: float, null: float, above: bool) -> float:
    """P(the score test rejects `null`) in the direction of the truth, summed over outcomes."""
    z = z_two_sided(0.05)
    return sum(p for lost, gained, p in outcomes(n, p_lost, p_gained)
               if (score_z(counts(n, lost, gained), null) > z if above else score_z(counts(n, lost, gained), null) < -z))


@pytest.mark.parametrize("discordance,diff,margin", [(0.1, 0.0, 0.05), (0.2, 0.02, 0.05), (0.3, 0.0, 0.1)])
def test_sample_size_gives_the_promised_power_for_not_worse(discordance, diff, margin):
    n = math.ceil(pairs_needed(discordance, diff, -margin))
    power = exact_power(n, (discordance - diff) / 2, (discordance + diff) / 2, -margin, above=True)
    assert 0.77 <= power <= 0.88, (n, power)


@pytest.mark.parametrize("discordance,diff", [(0.2, -0.1), (0.4, -0.2)])
def test_sample_size_gives_the_promised_power_for_worse(discordance, diff):
    n = math.ceil(pairs_needed(discordance, diff, 0.0))
    power = exact_power(n, (discordance - diff) / 2, (discordance + diff) / 2, 0.0, above=False)
    assert 0.77 <= power <= 0.88, (n, power)


def test_minimum_detectable_drop_at_twenty_items():
    drop = minimum_detectable_drop(counts(20, 0, 0))
    assert drop is not None and 0.3 < drop < 0.4  # the "nothing short of a ~30-point drop"
    assert exact_power(20, drop, 0.0, 0.0, above=False) >= 0.75
    bigger = minimum_detectable_drop(counts(400, 20, 20))
    assert bigger is not None and bigger < 0.06

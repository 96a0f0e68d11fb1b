"""Fixes to the fixed-n paired statistics (issue 21, item 4): the design effect with too few items,
and the items needed to show "worse" sized for the rule actually applied (exact McNemar too)."""

from __future__ import annotations

import pytest

from orbench.quant.paired import counts_from_items, tango_interval
from orbench.stats import mcnemar_exact


def test_one_item_with_sixteen_samples_is_not_called_worse():
    counts = counts_from_items([(16, 15, 0)])  # one item, 15 of its 16 samples lost
    assert counts.design_effect == 16 and counts.n == pytest.approx(1.0)
    low, high = tango_interval(counts)
    significant = high < 0 and mcnemar_exact(round(counts.lost), round(counts.gained)) < 0.05
    assert not significant and low < -0.9


def test_too_few_items_to_estimate_the_design_effect_fall_back_to_k():
    # two or three items cannot estimate an item-level variance: every sample counts as its item's
    for items in ([(8, 8, 0), (8, 8, 0)], [(4, 3, 0), (4, 4, 0), (4, 3, 0)]):
        assert counts_from_items(items).design_effect == items[0][0]
    many = counts_from_items([(4, 4, 0)] * 3 + [(4, 0, 0)] * 7)  # enough items: estimated (all alike: K)
    assert many.design_effect == pytest.approx(4.0)
    assert counts_from_items([(4, 1, 0), (4, 0, 1), (4, 2, 1), (4, 0, 0), (4, 1, 1)]).design_effect < 4
    assert counts_from_items([(1, 1, 0)]).design_effect == 1.0


def rule_power(n: int, p_lost: float, p_gained: float, alpha: float = 0.05) -> float:
    """Exact power of compare's "worse" rule with n pairs, by enumerating every outcome."""
    from support.paired_sim import outcomes

    from orbench.quant.paired import PairedCounts, score_z, z_two_sided

    z = z_two_sided(alpha)
    return sum(p for lost, gained, p in outcomes(n, p_lost, p_gained)
               if gained < lost and score_z(PairedCounts(n, lost, gained, n, 1.0, 1.0), 0.0) < -z
               and mcnemar_exact(lost, gained) < alpha)


@pytest.mark.parametrize("lost,gained,n", [(8, 2, 40), (6, 1, 50), (10, 4, 60)])
def test_items_needed_to_show_worse_give_the_promised_power_under_the_rule_applied(lost, gained, n):
    from orbench.quant.compare import PairedResult, _decide
    from orbench.quant.paired import PairedCounts
    from orbench.stats import Estimate

    counts = PairedCounts(n, lost, gained, n, 1.0, 1.0)
    low, high = tango_interval(counts)
    result = PairedResult.model_construct(
        difference=Estimate(value=counts.difference, low=low, high=high, n=n), margin=0.02,
        p_value=mcnemar_exact(lost, gained), verdict="inconclusive", items_needed=None, would_show=None)
    _decide(result, counts, 0.05)
    assert result.verdict == "inconclusive" and result.would_show == "worse" and result.items_needed
    # at the observed rates (what the suggestion assumes), the rule as applied reaches 80% power
    assert rule_power(result.items_needed, lost / n, gained / n) >= 0.80

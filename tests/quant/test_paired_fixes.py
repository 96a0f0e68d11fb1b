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

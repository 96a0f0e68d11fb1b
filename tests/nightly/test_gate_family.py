"""The gate decides a night's accuracy findings together: Holm's step-down at alpha/nights."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from orbench.nightly import gate
from orbench.nightly.findings import Finding, parse_rule


def _finding(suite: str, p: float, change: float = -50.0) -> Finding:
    return Finding(label="m:Q4", suite=suite, rule="accuracy<-2pp", baseline=0.8, current=0.3, change=change,
                   p_value=p, detectable=10.0, regression=False)


@pytest.fixture
def p_is_the_test(monkeypatch):
    """A drop is significant at a level exactly when its p-value is at most that level."""
    monkeypatch.setattr(gate, "paired", lambda run, base, suite, alpha: SimpleNamespace(
        difference=suite, p_value=float(suite.split("=")[1])))
    monkeypatch.setattr(gate, "significant_drop", lambda difference, p, level: p <= level)


@pytest.mark.parametrize("ps, expected", [
    ([0.001, 0.01, 0.04], [True, True, True]),     # 0.001 <= 0.05/3, 0.01 <= 0.05/2, 0.04 <= 0.05
    ([0.001, 0.03, 0.04], [True, False, False]),   # 0.03 > 0.05/2 ends the step-down: 0.04 is not tested
    ([0.02, 0.001, 0.5], [True, True, False]),     # by p: 0.001 <= 0.05/3, then 0.02 <= 0.05/2; input order kept
])
def test_holm_step_down_over_a_nights_findings(p_is_the_test, ps, expected):
    rule = parse_rule("accuracy<-2pp")
    findings = [_finding(f"p={p}", p) for p in ps]
    gate._family([(f, None, None, rule) for f in findings], 0.05)  # type: ignore[misc]
    assert [f.regression for f in findings] == expected
    assert [f.significant for f in findings] == expected


def test_a_significant_drop_smaller_than_the_rule_is_no_regression(p_is_the_test):
    finding = _finding("p=0.0001", 0.0001, change=-1.0)
    gate._family([(finding, None, None, parse_rule("accuracy<-2pp"))], 0.05)  # type: ignore[list-item]
    assert finding.significant and not finding.regression

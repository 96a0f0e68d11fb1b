"""Comparing runs of one plan, typically quants of one model: paired statistics, sequential tests,
verdicts and the recommendation, family-wise error control, KL divergence, and the report with its
charts.

May import: view, run, and everything run may import. Not nightly or cli.
"""

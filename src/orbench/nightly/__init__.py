"""Unattended runs: the config (`orbench.toml`) and its matrix, one folder per night, the baseline,
retention, the regression gate with its JUnit/Markdown report, and the history across nights.

May import: quant, view, run, and everything they may import. Not cli.
"""

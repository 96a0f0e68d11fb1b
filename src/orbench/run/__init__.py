"""A run: its settings, its plan (`plan.json`), its folder (lock, resume), the loop that generates and
grades, the tally and summary, the result records, the loader that reads run folders back, merging
shards, regrading stored replies, and progress reporting.

May import: suites, grading, backends, store and the shared top-level modules. Not quant, nightly, view or cli.
"""

"""`orbench suites`: the suites and their item counts."""

from __future__ import annotations

from ..suites import SUITES, describe
from .common import JsonOpt, console, handled, print_json


@handled
def suites(json_out: JsonOpt = False) -> None:
    """List the prompt suites with item counts per category and difficulty.

    Examples:

        orbench suites

        orbench suites --json
    """
    described = [describe(s) for s in SUITES.values()]
    if json_out:
        print_json(described)
        return
    from rich.table import Table

    table = Table(title="Suites", title_justify="left")
    for col in ("suite", "items", "difficulty", "categories", "graded by"):
        table.add_column(col)
    for d in described:
        table.add_row(d["name"], str(d["items"]), _counts(d["difficulties"]), _counts(d["categories"]),
                      d["description"])
    console().print(table)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())

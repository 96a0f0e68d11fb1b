"""`orbench suites`: the suites and their item counts."""

from __future__ import annotations

from .common import console, handled, print_json
from .options import JsonOpt, SeedOpt


@handled
def suites(seed: SeedOpt = 0, json_out: JsonOpt = False) -> None:
    """List the prompt suites with item counts per category and difficulty.

    Suites named *-gen are made fresh from a seed (`orbench run --suite reasoning-gen --seed 7`):
    the same seed gives the same items, another seed gives new ones.

    Examples:

        orbench suites

        orbench suites --seed 7 --json
    """
    from ..suites import all_suites, describe

    described = [describe(s, seed) for s in all_suites().values()]
    if json_out:
        print_json(described)
        return
    from rich.table import Table

    table = Table(title="Suites", title_justify="left")
    for col in ("suite", "items", "difficulty", "categories", "what"):
        table.add_column(col)
    for d in described:
        table.add_row(d["name"], str(d["items"]), _counts(d["difficulties"]), _counts(d["categories"]),
                      d["description"])
    console().print(table)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())

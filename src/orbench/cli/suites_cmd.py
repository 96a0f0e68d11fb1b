"""`orbench suites`: the suites and their item counts."""

from __future__ import annotations

from typing import Annotated

import typer

from ..suites import SUITES, describe
from .common import JsonOpt, console, handled, print_json


@handled
def suites(
    seed: Annotated[int, typer.Option(help="Seed for the generated suites (*-gen).")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """List the prompt suites with item counts per category and difficulty.

    Suites named *-gen are made fresh from a seed (`orbench run --suite reasoning-gen --seed 7`):
    the same seed gives the same items, another seed gives new ones.

    Examples:

        orbench suites

        orbench suites --seed 7 --json
    """
    described = [describe(s, seed) for s in SUITES.values()]
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

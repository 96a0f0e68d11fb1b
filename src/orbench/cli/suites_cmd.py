"""`orbench suites`: the suites and their item counts."""

from __future__ import annotations

from .common import console, handled, print_json
from .options import JsonOpt, SeedOpt


@handled
def suites(seed: SeedOpt = 0, json_out: JsonOpt = False) -> None:
    """List the suites: orbench's own prompt sets, the seeded generators and the public benchmarks,
    with item counts, licence, where the items come from and whether a benchmark's data is on disk
    (fetch it with `orbench pull --suite NAME`; --json adds categories and the protocol followed).

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
    for col in ("suite", "kind", "items", "on disk", "licence", "source", "what"):
        table.add_column(col, overflow="fold")
    for d in described:
        table.add_row(d["name"], d["kind"], str(d["items"]), {None: "no", "orbench": "yes", "hub cache": "yes", "pypi copy": "yes (PyPI)"}[d["available_from"]], d["license"],
                      d["source"], d["description"])
    out = console()
    out.print(table)
    if not all(d["on_disk"] for d in described):
        out.print("Fetch a benchmark's data ahead of a run with: orbench pull --suite NAME[,NAME...]")


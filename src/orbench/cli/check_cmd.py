"""`orbench check`: whether a run's files agree with each other, and the one safe repair."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import handled


@handled
def check(
    run: Annotated[Path, typer.Argument(help="A run folder, or a ladder or matrix folder (each of its runs).")],
    repair: Annotated[bool, typer.Option(
        "--repair", help="Drop sample lines that are exact copies of an earlier line; nothing else is changed.")] = False,
) -> None:
    """Check that a run's files agree with each other.

    Lists every problem, each with its file, line and what disagrees: summary counts against the
    samples, sample ids against the plan, duplicate samples, mixed grader versions, NaN or infinite
    numbers, an index.json naming a missing folder. Exits 0 when the run is consistent, 2 when not.

    With --repair, a sample line that is an exact copy of an earlier one is dropped (nothing is
    lost); any other problem is reported and left as it is, since no file says which side is right.

    Examples:

        orbench check results/20261128-120000-smollm2-135m-Q4_1

        orbench check results/r1-ladder --repair
    """
    from ..run.check import check_runs

    results = check_runs(run, repair)
    left = 0
    for result in results:
        for problem in result.repaired:
            print(f"repaired: {problem} (line dropped)")
        for problem in result.problems:
            hint = "; --repair drops it" if problem.repairable and not repair else ""
            print(f"{problem}{hint}" + ("" if problem.repairable or not repair else " (not repaired: no file says "
                                                                                    "which side is right)"))
        left += len(result.problems)
        if not result.problems:
            print(f"{result.folder}: consistent")
    if left:
        raise typer.Exit(2)

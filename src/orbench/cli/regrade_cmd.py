"""`orbench regrade`: re-score stored replies with the current graders, without the model."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import JsonOpt

if TYPE_CHECKING:
    from ..run.regrade import RunRegrade


@handled
def regrade(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (a ladder or matrix folder: each of its runs).")],
    suite: Annotated[Optional[list[str]], typer.Option(
        "--suite", "-s", help="A user suite's .jsonl file or folder, for runs of your own items (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    grading: Annotated[Optional[str], typer.Option(
        help="Regrade under this grading protocol (reference or lenient) instead of each run's own, and record it: "
             "to compare runs graded under different protocols.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Grade stored replies again with the current graders, without the model.

    Every reply is graded as the run graded it, with today's graders (and sandbox, for code),
    without loading a model. Each changed record keeps the verdict it replaces; summary.json is
    recomputed and records the grader versions. Prints, per suite, how many verdicts changed and
    in which direction.

    Run it after a grader fix, or when `orbench compare` says runs were graded by different
    grader versions. Nothing is written until every sample is graded.

    Examples:

        orbench regrade results/20261128-120000-smollm2-135m-Q4_1

        orbench regrade results/r1-ladder --dry-run

        orbench regrade results/mine -s my-items.jsonl --json

        orbench regrade results/old-run --grading reference
    """
    from ..run.progress import make_progress
    from ..run.regrade import regrade as regrade_runs
    from ..suites import parse_suites

    extra = parse_suites(suite) if suite else []
    results = regrade_runs(runs, extra, dry_run, make_progress(sys.stderr, quiet=quiet or json_out), grading)
    if json_out:
        print_json([r.model_dump(mode="json") for r in results])
        return
    _print(results, dry_run)


def _print(results: list[RunRegrade], dry_run: bool) -> None:
    from rich.table import Table

    out = console()
    for run in results:
        table = Table(title=f"{run.label}: {run.folder}" + (" (dry run: nothing written)" if dry_run else ""),
                      title_justify="left")
        for col in ("suite", "samples", "regraded", "verdicts changed", "accuracy", "grader version"):
            table.add_column(col)
        for s in run.suites:
            moved = ", ".join(f"{k} {v}" for k, v in s.directions.items())
            table.add_row(s.suite, str(s.samples), str(s.regraded), f"{s.changed}" + (f" ({moved})" if moved else ""),
                          f"{_pct(s.accuracy_before)} -> {_pct(s.accuracy_after)}",
                          _versions(s.grader_before, s.grader_after))
        out.print(table)
    changed = sum(s.changed for run in results for s in run.suites)
    print(f"{changed} verdict(s) changed in {len(results)} run(s)" + ("; nothing written" if dry_run else ""))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _versions(before: str | None, after: str | None) -> str:
    first = before or "(none recorded)"
    return first if before == after else f"{first} -> {after or '(unversioned)'}"

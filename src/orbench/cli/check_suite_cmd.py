"""`orbench check-suite`: each item's own gold answer through the suite's grader."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import JsonOpt, SeedOpt

if TYPE_CHECKING:
    from ..suites.gold_check import SuiteCheck


@handled
def check_suite(
    suites: Annotated[str, typer.Argument(help="Comma-separated suites (names or paths to .jsonl files).")],
    limit: Annotated[Optional[int], typer.Option(help="At most N items per suite (a seeded subset).", min=1)] = None,
    seed: SeedOpt = 0,
    strict: Annotated[bool, typer.Option(
        help="Also grade each gold answer in chat markup and the benchmark's reply set (tricky right and wrong "
             "replies judged by its reference harness).")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Grade each item's gold answer (or reference solution, in the sandbox) with the suite's own grader
    and print the share graded correct. Anything below 100% is a loader or checker bug (or a bad item).
    Exit codes: 0 all gold answers pass; 1 some do not; 2 usage or data error.

    Examples:

        orbench check-suite humaneval

        orbench check-suite gsm8k,math500 --json

        orbench check-suite bbh,gpqa-diamond --strict

        orbench check-suite my-items.jsonl
    """
    from ..suites.gold_check import check_suite as run_check
    from ..suites import parse_suites

    results = [run_check(suite, seed=seed, limit=limit, strict=strict) for suite in parse_suites(suites)]
    if json_out:
        print_json([{**r.model_dump(mode="json"), "share": r.share, "passed": r.passed,
                     "limit_failures": r.limit_failures} for r in results])
    else:
        _table(results)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def _table(results: list[SuiteCheck]) -> None:
    from rich.table import Table

    table = Table(title="Gold answers through each suite's grader", title_justify="left")
    for col in ("suite", "items", "checked", "graded correct", "errors", "no gold", "failed at a limit"):
        table.add_column(col)
    for r in results:
        share = "-" if r.share is None else f"{r.correct}/{r.checked} ({r.share:.1%})"
        table.add_row(r.suite, str(r.items), str(r.checked), share, str(r.errors), str(r.no_gold),
                      str(r.limit_failures))
    out = console()
    out.print(table)
    for r in results:
        if r.strict_checked:
            out.print(f"{r.suite} --strict: {r.strict_checked - len(r.strict_failures)}/{r.strict_checked} "
                      "formatted golds and reply-set replies graded as intended")
        if r.limit_failures:
            out.print(f"{r.suite}: {r.limit_failures} gold solution(s) failed because a time or memory limit stopped "
                      "them: the limit is too tight for the item, or the machine too loaded", markup=False)
        for failure in [*r.failures, *r.strict_failures][:10]:
            limit = f" [{failure.limit} limit]" if failure.limit else ""
            out.print(f"{r.suite} {failure.item_id}{limit}: {failure.detail}", markup=False)
        if len(r.failures) + len(r.strict_failures) > 10:
            out.print(f"{r.suite}: … {len(r.failures) + len(r.strict_failures) - 10} more")

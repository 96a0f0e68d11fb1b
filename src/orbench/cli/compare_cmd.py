"""`orbench compare`: accuracy per quant and the paired difference to a reference; or the gate."""

from __future__ import annotations

import dataclasses

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import AlphaOpt, JsonOpt, MarginOpt, ReferenceOpt

if TYPE_CHECKING:
    from ..quant.adaptive_record import AdaptiveComparison
    from ..nightly.findings import GateResult
    from ..quant.compare import Comparison, PairedResult


@handled
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (a ladder or matrix folder holds one run per quant).")],
    reference: ReferenceOpt = None,
    margin: MarginOpt = 2.0,
    baseline: Annotated[Optional[str], typer.Option(help="Gate mode: compare RUN with this earlier run and set the exit code: a folder, or pinned / latest / latest-passing among the nights beside RUN.")] = None,
    fail_on: Annotated[Optional[list[str]], typer.Option("--fail-on", help="Gate rule, repeatable: accuracy<-2pp, accuracy<-5%, tokens_per_s<-10%.")] = None,
    fail_underpowered: Annotated[bool, typer.Option("--fail-underpowered", help="Gate: a rule the run is too small to test fails (exit 1) instead of warning.")] = False,
    alpha: AlphaOpt = 0.05,
    nights: Annotated[int, typer.Option(help="Gate: --alpha is the chance of a false red over this many nights with nothing changed; each night spends alpha/NIGHTS, shared by Holm over its findings (1: alpha per night).", min=1)] = 30,
    max_error_rate: Annotated[float, typer.Option(help="Gate: share of infrastructure errors above which the exit code is 3.", min=0.0, max=1.0)] = 0.05,
    junit: Annotated[Optional[Path], typer.Option(help="Gate: write a JUnit XML file (one test case per run x suite).")] = None,
    markdown: Annotated[Optional[Path], typer.Option(help="Gate: write a Markdown summary.")] = None,
    allow_grader_mismatch: Annotated[bool, typer.Option(
        "--allow-grader-mismatch", help="Compare runs graded by different grader versions anyway "
        "(otherwise exit 2, naming the runs to `orbench regrade`).")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Per suite and quant: accuracy (95% CI), the paired difference to the reference (Tango score
    interval), exact McNemar p, the items that flipped each way, and a verdict: not worse (the
    interval stays above -MARGIN), worse (significantly below), or inconclusive with the items that
    would decide it. Prints the `orbench view` command that shows the flipped items. Runs graded
    by different grader versions are refused (exit 2) unless --allow-grader-mismatch.

    With --baseline it is a regression gate. Exit codes: 0 no regression; 1 a regression (a drop
    past a --fail-on threshold that is also significant at --alpha, or a speed drop past its
    threshold and outside the noise of the per-sample speeds); 2 usage or input error; 3 more
    infrastructure errors than --max-error-rate. A rule the run is too small to test is reported as
    underpowered (exit 1 with --fail-underpowered).

    Examples:

        orbench compare results/20261128-120000-smollm2-135m-ladder

        orbench compare runs/q4 runs/q8 --reference Q8_0 --margin 5 --json

        orbench compare results/nightly/20261128-023000 --baseline latest-passing --fail-on "accuracy<-2pp" --junit junit.xml
    """
    from ..errors import OrbenchError

    if baseline is not None:
        if len(runs) != 1:
            raise OrbenchError("gate mode compares one run folder with --baseline")
        from ..nightly.gate import run_gate
        from ..nightly.nights import resolve_baseline

        base_dir, why = resolve_baseline(runs[0].resolve().parent, baseline, tonight=runs[0].resolve())
        if base_dir is None:
            raise OrbenchError(why or f"no baseline for '{baseline}'")
        result = run_gate(runs[0], base_dir, fail_on or ["accuracy<-2pp"], alpha, max_error_rate, junit, markdown,
                          fail_underpowered, allow_grader_mismatch, nights)
        print_gate(result, json_out)
        raise typer.Exit(result.exit_code)
    from ..quant.compare import compare_folders

    from ..run.speed import run_speed

    comparison = compare_folders(runs, reference, margin / 100, alpha, allow_grader_mismatch)
    speeds = {r.label: s for r in comparison.runs if (s := run_speed(r)) is not None}
    if json_out:
        adaptive = comparison.adaptive.model_dump(mode="json") if comparison.adaptive else None
        print_json({"reference": comparison.reference.label, "reason": comparison.reason, "margin": margin / 100,
                    "results": [r.model_dump(mode="json") for r in comparison.results],
                    "speed": {label: dataclasses.asdict(s) for label, s in speeds.items()}, "adaptive": adaptive})
        return
    if comparison.adaptive is not None:
        _print_adaptive(comparison.adaptive)
    else:
        _print_table(comparison)
    for label, speed in speeds.items():
        print(f"speed {label}: {speed.text()}")
    _print_view_commands(runs, comparison.reference.label, comparison.results)


def print_gate(result: GateResult, json_out: bool) -> None:
    from ..nightly.gate_report import markdown as gate_markdown

    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        print(gate_markdown(result))


def _print_table(comparison: Comparison) -> None:
    from rich.table import Table

    from ..quant.decision import need_text
    from .tables import fmt

    ref = comparison.reference
    table = Table(title=f"Paired comparison against {ref.label}", title_justify="left")
    for col in ("suite", "run", "accuracy (95% CI)", "Δ vs ref (95% score CI)", "McNemar p", "lost", "gained",
                "verdict"):
        table.add_column(col)
    derived = {r.label: r.derived_from for r in comparison.runs}
    for r in comparison.results:
        label = r.label + (" (derived)" if derived.get(r.label) else "")
        d = r.difference
        delta = ("(reference)" if r.verdict == "reference" else "-" if d.value is None
                 else f"{d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}]")
        verdict = f"inconclusive ({need_text(r.items_needed)})" if r.verdict == "inconclusive" else r.verdict
        table.add_row(r.suite, label, fmt(r.accuracy), delta, f"{r.p_value:.3g}", str(len(r.lost)), str(len(r.gained)),
                      verdict)
    out = console()
    out.print(table)
    out.print(f"reference: {comparison.reason}")
    for r in comparison.results:
        if r.label != ref.label and (r.lost or r.gained):
            out.print(f"{r.suite} {r.label}: lost {', '.join(r.lost[:8]) or '-'}{' …' if len(r.lost) > 8 else ''}; "
                      f"gained {', '.join(r.gained[:8]) or '-'}{' …' if len(r.gained) > 8 else ''}")
        if not r.prompt_set_matches:
            out.print(f"warning: {r.suite} {r.label} ran a different prompt set; only shared items are paired")


def _print_adaptive(adaptive: AdaptiveComparison) -> None:
    """An adaptive ladder: the anytime-valid verdicts replayed from the samples (a fixed-n interval
    computed on data that stopped when it looked decided would not hold its level)."""
    from rich.table import Table

    table = Table(title=f"Adaptive ladder against {adaptive.reference}: anytime-valid interval "
                  f"(95%, valid at any stop), margin -{adaptive.margin:.1%}", title_justify="left")
    for col in ("run", "items", "Δ vs ref", "anytime-valid interval", "verdict"):
        table.add_column(col)
    for row in adaptive.quants:
        verdict = row.verdict if row.verdict != "continue" else "inconclusive" + (
            f" (need ≈{row.items_needed} items)" if row.items_needed else "")
        delta = "-" if row.difference is None else f"{row.difference:+.1%}"
        table.add_row(row.label, str(row.items), delta, f"[{row.low:+.1%}, {row.high:+.1%}]", verdict)
    out = console()
    out.print(table)
    out.print(f"{adaptive.status} after {adaptive.rounds} round(s); verdicts by the betting tests with Holm across "
              "the quants; they " + ("match adaptive.json" if adaptive.matches_record else
                                     "DIFFER from adaptive.json (the samples changed since the run)"))
    for row in adaptive.quants:
        if row.stopped:
            out.print(f"{row.label}: {row.stopped}")


def _print_view_commands(folders: list[Path], reference: str, results: list[PairedResult]) -> None:
    """For each run that lost or gained items: the `orbench view` command that lists exactly those."""
    from ..view.links import view_command

    flipped = [label for label in dict.fromkeys(r.label for r in results)
               if label != reference and any(r.lost or r.gained for r in results if r.label == label)]
    for label in flipped:
        print(f"see {label}'s lost and gained items: {view_command(folders, reference, label)}")

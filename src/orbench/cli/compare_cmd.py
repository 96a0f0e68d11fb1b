"""`orbench compare`: accuracy per quant and the paired difference to a reference."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..compare import compare_all, load_runs, pick_reference
from ..errors import OrbenchError
from ..gate import evaluate, junit_xml, markdown as gate_markdown, parse_rule
from .common import JsonOpt, console, handled, print_json


def run_gate(run: Path, baseline: Path, rules: list[str], alpha: float, max_error_rate: float,
             junit: Path | None, markdown: Path | None, json_out: bool) -> int:
    """Evaluate the gate, write its JUnit and Markdown files, print it; returns the exit code."""
    result = evaluate(run, baseline, [parse_rule(r) for r in rules], alpha, max_error_rate)
    if junit:
        junit.write_text(junit_xml(result), encoding="utf-8")
    text = gate_markdown(result)
    if markdown:
        markdown.write_text(text, encoding="utf-8")
    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        print(text)
    return result.exit_code


@handled
def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (a ladder or matrix folder holds one run per quant).")],
    reference: Annotated[Optional[str], typer.Option(help="The quant to compare against (default: most bits per weight).")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Gate mode: compare RUN with this earlier run and set the exit code.")] = None,
    fail_on: Annotated[Optional[list[str]], typer.Option("--fail-on", help="Gate rule, repeatable: accuracy<-2pp, accuracy<-5%, tokens_per_s<-10%.")] = None,
    alpha: Annotated[float, typer.Option(help="Gate: significance level for an accuracy drop.")] = 0.05,
    max_error_rate: Annotated[float, typer.Option(help="Gate: share of infrastructure errors above which the exit code is 3.")] = 0.05,
    junit: Annotated[Optional[Path], typer.Option(help="Gate: write a JUnit XML file (one test case per run x suite).")] = None,
    markdown: Annotated[Optional[Path], typer.Option(help="Gate: write a Markdown summary.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Per suite and quant: accuracy (95% CI), paired difference to the reference (bootstrap CI,
    exact McNemar p), and the items that flipped each way.

    With --baseline it is a regression gate. Exit codes: 0 no regression; 1 a regression (a drop
    past a --fail-on threshold that is also significant at --alpha, or a speed drop past its
    threshold); 2 usage or input error; 3 more infrastructure errors than --max-error-rate.

    Examples:

        orbench compare results/20261128-120000-smollm2-135m-ladder

        orbench compare runs/q4 runs/q8 --reference Q8_0 --json

        orbench compare results/tonight --baseline results/baseline --fail-on "accuracy<-2pp" --fail-on "tokens_per_s<-10%" --junit junit.xml
    """
    if baseline is not None:
        if len(runs) != 1:
            raise OrbenchError("gate mode compares one run folder with --baseline")
        raise typer.Exit(run_gate(runs[0], baseline, fail_on or ["accuracy<-2pp"], alpha, max_error_rate, junit,
                                  markdown, json_out))
    loaded = load_runs(runs)
    ref = pick_reference(loaded, reference)
    results = compare_all(loaded, ref, seed)
    if json_out:
        print_json({"reference": ref.label, "results": [r.model_dump(mode="json") for r in results]})
        return
    from rich.table import Table

    from .tables import fmt

    table = Table(title=f"Paired comparison against {ref.label}", title_justify="left")
    for col in ("suite", "quant", "accuracy (95% CI)", "Δ vs ref (bootstrap 95% CI)", "McNemar p", "lost", "gained"):
        table.add_column(col)
    derived = {r.label: r.derived_from for r in loaded}
    for r in results:
        label = r.label + (" (derived)" if derived.get(r.label) else "") + (" ref" if r.label == ref.label else "")
        d = r.difference
        delta = "-" if d.value is None else f"{d.value:+.1%} [{d.low:+.1%}, {d.high:+.1%}]"
        table.add_row(r.suite, label, fmt(r.accuracy), delta, f"{r.p_value:.3g}", str(len(r.lost)), str(len(r.gained)))
    out = console()
    out.print(table)
    for r in results:
        if r.label != ref.label and (r.lost or r.gained):
            out.print(f"{r.suite} {r.label}: lost {', '.join(r.lost[:8]) or '-'}{' …' if len(r.lost) > 8 else ''}; "
                      f"gained {', '.join(r.gained[:8]) or '-'}{' …' if len(r.gained) > 8 else ''}")
        if not r.prompt_set_matches:
            out.print(f"warning: {r.suite} {r.label} ran a different prompt set; only shared items are paired")

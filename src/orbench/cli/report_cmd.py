"""`orbench report`: a self-contained HTML report and a Markdown summary of a quant comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import AlphaOpt, JsonOpt, MarginOpt, ReferenceOpt


@handled
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder, usually a ladder from `orbench run --quant`.")],
    reference: ReferenceOpt = None,
    max_kld: Annotated[float, typer.Option(help="Largest mean KLD a recommended quant may have.", min=0.0)] = 0.05,
    margin: MarginOpt = 2.0,
    alpha: AlphaOpt = 0.05,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="HTML file (default: RUN_DIR/report.html).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write RUN_DIR/report.html (charts inline, no network) and RUN_DIR/report.md: a verdict per quant
    (not worse than the reference within --margin points, worse, or inconclusive with the items that
    would decide it) and a recommendation: the smallest quant shown not worse on every suite whose
    mean KLD stays under --max-kld, or "no recommendation: inconclusive, need ≈N items".

    Examples:

        orbench report results/20261128-120000-smollm2-135m-ladder

        orbench report results/ladder --reference Q8_0 --max-kld 0.02 -o ladder.html
    """
    from ..quant.report import write_report

    rep, html_path, md_path, md = write_report(run_dir, reference, max_kld, alpha, output, margin / 100)
    if json_out:
        print_json({"html": str(html_path), "markdown": str(md_path), "recommendation": rep.recommendation,
                    "recommended": rep.recommended, "reference": rep.reference, "reason": rep.reason,
                    "verdicts": {label: {"verdict": v.verdict, "items_needed": v.items_needed}
                                 for label, v in (rep.verdicts or {}).items()}})
        return
    print(md)
    print(f"report: {html_path}")

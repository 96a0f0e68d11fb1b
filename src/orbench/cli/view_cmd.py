"""`orbench view`: every sample of one or more runs in a self-contained HTML page."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt, ReferenceOpt


class Show(str, Enum):
    all = "all"
    correct = "correct"
    wrong = "wrong"
    error = "error"
    lost = "lost"
    gained = "gained"
    flipped = "flipped"
    differs = "differs"


@handled
def view(
    runs: Annotated[list[Path], typer.Argument(help="Run folders; a ladder or matrix folder holds one run per quant.")],
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="HTML file (default: RUN/view.html, or view.html beside several folders).")] = None,
    reference: ReferenceOpt = None,
    focus: Annotated[Optional[str], typer.Option(
        help="Several runs: the run whose verdicts the list filters on (default: the first that is not the reference).")] = None,
    filter_: Annotated[Show, typer.Option(
        "--filter", help="What the list shows first: all, correct, wrong, error; several runs: lost or gained "
        "(by --focus against --reference), flipped (either), differs (any two runs disagree).")] = Show.all,
    suite: Annotated[Optional[list[str]], typer.Option(
        "--suite", "-s", help="A user suite's .jsonl file or folder, to show its reference answers (repeatable).")] = None,
    include_restricted: Annotated[bool, typer.Option(
        "--include-restricted", help="Include the text of suites whose dataset terms ask that items are not published "
        "(GPQA); keep such a page private.")] = False,
    no_open: Annotated[bool, typer.Option("--no-open", help="Do not open the page in a browser.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Browse every sample of one or more runs in a self-contained HTML page.

    The page needs no network and works from file:// and as a CI artifact: a list with filters (suite, category, difficulty, verdict, flags),
    sorting and full-text search, and each sample's page with its prompt, reference answer or
    tests, folded thinking, answer, extracted answer, verdict and reason (for code: the sandbox's
    exit reason and isolation), tokens and timings. Several runs of one plan (a quant ladder, two
    nights) are shown side by side, with filters for items lost, gained or flipped against the
    reference. Keys: j / k next and previous, / search, Esc back to the list, t thinking.

    On a desktop the page opens in the browser; the path is printed either way.

    Examples:

        orbench view results/20261128-120000-smollm2-135m-Q4_1

        orbench view results/r1-ladder --reference Q8_0 --focus Q4_K_M --filter lost

        orbench view results/tonight results/baseline --filter flipped --no-open -o flips.html
    """
    from ..nightly.rounds import chart_svg
    from ..quant.report import adaptive_chart
    from ..suites import parse_suites
    from ..view import ViewOptions, write_view

    opts = ViewOptions(reference=reference, focus=focus, filter=filter_.value, include_restricted=include_restricted,
                       extra_suites=parse_suites(suite) if suite else [],
                       chart=adaptive_chart(runs) or (chart_svg(runs[0]) if len(runs) == 1 else ""))
    result = write_view(runs, output, opts)
    if json_out:
        print_json({"path": str(result.path), "runs": result.runs, "samples": result.samples, "bytes": result.bytes,
                    "not_included": result.hidden})
    else:
        hidden = f"; text of {', '.join(result.hidden)} not included (dataset terms)" if result.hidden else ""
        print(f"view: {result.path} ({result.samples} samples, {len(result.runs)} run(s), "
              f"{result.bytes / 1e6:.1f} MB{hidden})")
    if not no_open and _desktop():
        import webbrowser

        webbrowser.open(result.path.resolve().as_uri())


def _desktop() -> bool:
    """A person at a graphical session, not a script, CI job or SSH shell."""
    if not sys.stdout.isatty():
        return False
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))

"""`orbench plan`: what an adaptive ladder (`orbench run --quant ... --until-decided`) will cost here."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt
from .run_cmd import keyword, setting_option


# the settings of `orbench run` that a plan depends on: their flags come from run/settings.py
SETTINGS = ("suites", "limit", "samples", "seed", "max_tokens", "margin", "round_items", "threads", "backend")
ResultsOpt = Annotated[Path, typer.Option(help="Folder of earlier runs to take this machine's speed from; a "
                                          "calibration run is kept there.")]
CalibrateOpt = Annotated[Optional[int], typer.Option(help="Items per suite of a calibration run, when no earlier run "
                                                     "of the model measured a suite (default: --round-items, so "
                                                     "it measures a round's batch as the ladder will run it).",
                                                     min=1)]


def _parameters() -> list[inspect.Parameter]:
    from ..run.settings import flags

    return [keyword("model", Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL from the catalog or a "
                                                                    "Hub repo.")], None),
            keyword("quant", Annotated[str, typer.Option("--quant", help="Comma-separated quants, as for `orbench run "
                                                         "--quant`.")], ""),
            *[setting_option(f, flag, panels=False) for f, flag in flags() if f.name in SETTINGS],
            keyword("results", ResultsOpt, Path("results")), keyword("calibrate", CalibrateOpt, None),
            keyword("json_out", JsonOpt, False)]


@handled
def plan(model: str | None, quant: str, results: Path, calibrate: int | None, json_out: bool, **values: Any) -> None:
    """A dry run of `orbench run --quant ... --until-decided`: the items each quant is expected to need
    to be decided at the margin and the machine time that takes here, from this machine's measured
    speed for the model (earlier runs under --results, else a short calibration run).

    Examples:

        orbench plan -m smollm2-135m --quant Q4_1,Q8_0,Q4_0 -s reasoning --margin 30

        orbench plan -m deepseek-r1-distill-qwen-1.5b --quant Q8_0,Q4_K_M,Q2_K -s math500 --margin 3
    """
    from ..errors import OrbenchError
    from ..quant.planning import plan_ladder
    from ..run.evaluate import ladder_refs
    from ..run.settings import RunOptions
    from ..store.catalog import load_catalog
    from ..suites import parse_suites
    from ..units import duration

    if not quant:
        raise OrbenchError("plan estimates a quant ladder: give its quants with --quant A,B,C")
    refs = ladder_refs(load_catalog(), model, quant)
    opts = RunOptions(**values, quiet=True, until_decided=True)
    est, notes = plan_ladder(refs, parse_suites(opts.suites), opts, results, calibrate or opts.round_items)
    if json_out:
        print_json({**est.model_dump(mode="json"), "notes": notes})
        return
    for note in notes:
        print(f"note: {note}")
    for s in est.suites:
        print(f"{s.suite} x {len(est.quants)} quants: about {s.items_each} items each (of {s.pool}) to decide a "
              f"{opts.margin:g}-point margin, {s.seconds_per_sample:.2f} s per sample here")
    print(f"about {duration(est.seconds)} here (at most {duration(est.seconds_full_pool)} if the whole pool runs); "
          f"discordance {est.discordance:.0%} from {est.discordance_source}")


plan.__signature__ = inspect.Signature(_parameters())  # type: ignore[attr-defined]

"""`orbench plan`: what an adaptive ladder (`orbench run --quant ... --until-decided`) will cost here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt


@handled
def plan(
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL from the catalog or a Hub repo.")] = None,
    quant: Annotated[str, typer.Option("--quant", help="Comma-separated quants, as for `orbench run --quant`.")] = "",
    suites: Annotated[str, typer.Option("--suite", "-s", help="Comma-separated suites.")] = "math,code,reasoning",
    limit: Annotated[Optional[int], typer.Option(help="At most N items per suite (the pool).", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Completions per item.", min=1)] = 1,
    seed: Annotated[int, typer.Option(help="Seed, as for `orbench run`.")] = 0,
    max_tokens: Annotated[Optional[int], typer.Option(help="Generation limit per sample.", min=1)] = None,
    margin: Annotated[float, typer.Option(help="Non-inferiority margin in accuracy points.", min=0.0)] = 2.0,
    round_items: Annotated[int, typer.Option(help="Items per round.", min=1)] = 10,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads for a calibration run.", min=1)] = None,
    results: Annotated[Path, typer.Option(help="Folder of earlier runs to take this machine's speed from; a "
                                          "calibration run is kept there.")] = Path("results"),
    calibrate: Annotated[Optional[int], typer.Option(help="Items per suite of a calibration run, when no earlier run "
                                                     "of the model measured a suite (default: --round-items, so "
                                                     "it measures a round's batch as the ladder will run it).",
                                                     min=1)] = None,
    backend: Annotated[str, typer.Option(help="llama.cpp, or mock (tests).")] = "llama.cpp",
    json_out: JsonOpt = False,
) -> None:
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
    opts = RunOptions(suites=suites, limit=limit, samples=samples, seed=seed, max_tokens=max_tokens, margin=margin,
                      round_items=round_items, threads=threads, backend=backend, quiet=True, until_decided=True)
    est, notes = plan_ladder(refs, parse_suites(suites), opts, results, calibrate or round_items)
    if json_out:
        print_json({**est.model_dump(mode="json"), "notes": notes})
        return
    for note in notes:
        print(f"note: {note}")
    for s in est.suites:
        print(f"{s.suite} x {len(est.quants)} quants: about {s.items_each} items each (of {s.pool}) to decide a "
              f"{margin:g}-point margin, {s.seconds_per_sample:.2f} s per sample here")
    print(f"about {duration(est.seconds)} here (at most {duration(est.seconds_full_pool)} if the whole pool runs); "
          f"discordance {est.discordance:.0%} from {est.discordance_source}")

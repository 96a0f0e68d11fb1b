"""`orbench plan`: gather this machine's measured speed for a model (earlier runs, else a short
calibration run kept under the results folder) and estimate an adaptive ladder's cost (`estimate`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..run.evaluate import run_model
from ..run.settings import RunOptions
from ..store.catalog import ModelRef
from ..suites import Suite
from .adaptive import choose_reference, item_pool
from .adaptive_record import ALPHA
from .estimate import (DEFAULT_DISCORDANCE, PlanEstimate, discordance, earlier_summaries, estimate,
                       load_seconds, overhead_seconds, seconds_per_sample, tokens_per_sample)


def calibration_folder(results: Path, ref: ModelRef) -> Path:
    return results / f"calibration-{ref.label.replace(':', '-').replace('/', '--')}"


def plan_ladder(refs: list[ModelRef], suites: list[Suite], opts: RunOptions, results: Path,
                calibrate: int) -> tuple[PlanEstimate, list[str]]:
    """The estimate, and notes on where its figures come from (a calibration run is made if needed)."""
    notes: list[str] = []
    model = refs[0].name
    earlier = earlier_summaries(results, model)
    speed: dict[str, tuple[float, str]] = {}
    missing = [s for s in suites if seconds_per_sample(earlier, s.name) is None]
    if missing:
        reference = choose_reference(refs, opts)
        out = calibration_folder(results, reference)
        notes.append(f"calibrating: {reference.label} on {calibrate} item(s) of {', '.join(s.name for s in missing)} "
                     f"into {out}")
        run_model(reference, missing, out, replace(opts, limit=calibrate, until_decided=False, items=None))
        earlier = earlier_summaries(results, model)
    for suite in suites:
        per = seconds_per_sample(earlier, suite.name)
        used = sum(1 for _, r in earlier if any(s.suite == suite.name for s in r.suites))
        speed[suite.name] = (per or 0.0, f"{used} earlier run(s) of {model} under {results}")
    notes += load_note([r for _, r in earlier])
    disc = discordance([folder for folder, s in earlier if s.provenance.quant and not folder.name.startswith("calibration")])
    source = "earlier runs of its quants" if disc is not None else "a default (no earlier ladder to measure it)"
    pools: dict[str, int] = {}
    for order_item in item_pool(suites, opts):
        suite_name = order_item.split("/", 1)[0]
        pools[suite_name] = pools.get(suite_name, 0) + 1
    result = estimate(model, [r.label for r in refs], pools, speed, opts.margin / 100, ALPHA, opts.samples,
                      opts.round_items, disc if disc is not None else DEFAULT_DISCORDANCE, source,
                      tokens_per_sample([r for _, r in earlier]), load_seconds(earlier),
                      overhead_seconds(earlier))
    return result, notes


def load_note(runs: list) -> list[str]:
    """A note when this machine is much busier or idler now than when the speed was measured: on shared
    cores a plan's time scales with the load (a calibration at half the load of the run read 2.4x under)."""
    import os

    loads = [r.performance.load_per_core for r in runs if r.performance and r.performance.load_per_core]
    if not loads or not hasattr(os, "getloadavg"):
        return []
    then, now = sum(loads) / len(loads), os.getloadavg()[0] / (os.cpu_count() or 1)
    if max(then, now) < 0.5 or 1 / 1.5 <= (now + 0.1) / (then + 0.1) <= 1.5:
        return []
    return [f"the speed was measured at a load of {then:.1f} per core, the machine is at {now:.1f} now: on shared "
            "cores the time scales with the load"]

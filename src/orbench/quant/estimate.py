"""What an adaptive ladder will cost, before it runs (`orbench plan`).

This module owns the estimate: the items each quant is expected to need to be decided, and the
time that takes on this machine.

- **Items.** For a quant as good as its reference (true difference 0, the case that takes longest
  to show "not worse"), an item's difference is -1, 0 or +1 with P(+-1) = discordance / 2 each
  (K samples per item: the discordance divided by K, a conservative reading). The best constant
  bet against the null at the margin (`sequential`) grows the log-capital by `G` per item
  (`E log(1 + lam (x - m))` maximised over the allowed bets); the plug-in bet wins about
  EFFICIENCY of it, and the quant is decided when the capital reaches `log(quants / alpha)`
  (Holm's first level). So the items are `log(quants / alpha) / (EFFICIENCY G)`, rounded up to
  whole rounds and capped at the pool. EFFICIENCY 0.78: simulated decisions of the sequential test
  at margins 2-50 points and discordance 5-30% needed 1/0.85-1/0.66 times the items
  the best bet needs (200 runs per cell). An estimate of the mean, not a bound: a quant far from the
  margin is decided sooner, one near it later.
- **Time.** Seconds per sample of each suite, measured on this machine: from earlier runs of the
  same model under the results folder, else from a short calibration run of the reference on a
  round's items per suite (kept there for the next plan). A sample's cost is its prompt and
  generation seconds as the batched engine records them: each decode step's time is split among
  the sequences in it, so these shares add up to the batch's busy time and are not divided again
  by the sequences decoded together (dividing them made a round look four times cheaper at N = 4).
  On top, every round costs each running quant one call of the run: the model's load and the
  call's own overhead (the shared template opening decoded once per context, grading, writing),
  measured as the run's machine time less its samples' busy time and load. The discordance
  comes from earlier ladders of the model when there are any.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from ..run.records import RunSummary, read_samples, read_summary
from .sequential import LAMBDA_MAX

EFFICIENCY = 0.78  # share of the best constant bet's growth the plug-in bet wins (see above)
DEFAULT_DISCORDANCE = 0.2  # share of paired samples that disagree, when no earlier ladder says


class SuiteCost(BaseModel):
    suite: str
    pool: int = Field(description="items in the plan")
    items_each: int = Field(description="items each quant is expected to need (capped at the pool)")
    seconds_per_sample: float
    source: str = Field(description="where the speed comes from: earlier runs, or the calibration run")


class PlanEstimate(BaseModel):
    model: str
    quants: list[str]
    margin: float
    samples: int
    discordance: float
    discordance_source: str
    suites: list[SuiteCost]
    seconds: float = Field(description="expected machine time of the adaptive ladder (each quant's load and "
                           "call overhead once per round included)")
    seconds_full_pool: float = Field(description="machine time if no quant is decided before the pool ends")
    tokens_per_sample: float | None = None


def expected_items(margin: float, quants: int, alpha: float, discordance: float, samples: int = 1,
                   round_items: int = 1) -> int:
    """Items a quant with no true difference needs to be shown not worse (see the module doc)."""
    if margin <= 0:
        return 10 ** 9
    p = min(1.0, max(discordance, 1e-3) / samples)
    m = (1 - margin) / 2
    points = ((0.0, p / 2), (0.5, 1 - p), (1.0, p / 2))
    growth = max(sum(w * math.log1p(LAMBDA_MAX / m * i / 1000 * (x - m)) for x, w in points) for i in range(1, 1001))
    items = math.log(max(1, quants) / alpha) / (EFFICIENCY * growth)
    return round_items * math.ceil(items / round_items)


def earlier_summaries(results: Path, model: str) -> list[tuple[Path, RunSummary]]:
    """Finished or partial runs of `model` under the results folder (any depth up to three)."""
    found: list[tuple[Path, RunSummary]] = []
    if not results.is_dir():
        return found
    for path in sorted(results.glob("**/summary.json")):
        if len(path.relative_to(results).parts) > 4:
            continue
        try:
            summary = read_summary(path)
        except Exception:  # noqa: BLE001 - an unreadable folder is not this plan's concern
            continue
        if summary.provenance.model == model:
            found.append((path.parent, summary))
    return found


def seconds_per_sample(runs: Iterable[tuple[Path, RunSummary]], suite: str) -> float | None:
    """Machine time per sample of `suite` over these runs. Where the samples carry their prompt and
    generation times (each its share of the decode steps it was in), their mean; a run's overhead
    per call (loading, imports, the template opening) is not a sample's cost (`overhead_seconds`).
    Else the suite's machine time over its samples."""
    busy, timed, seconds, samples = 0.0, 0, 0.0, 0
    for folder, run in runs:
        records = [r for r in read_samples(folder / "samples.jsonl") if r.suite == suite] \
            if (folder / "samples.jsonl").is_file() else []
        spans = [(r.prompt_seconds or 0.0) + (r.generation_seconds or 0.0) for r in records
                 if r.generation_seconds is not None]
        if spans and len(spans) == len(records):
            busy += sum(spans)
            timed += len(spans)
            continue
        for s in run.suites:
            if s.suite == suite and s.wall_seconds and s.samples:
                seconds += s.wall_seconds
                samples += s.samples
    if timed:
        return busy / timed
    return seconds / samples if samples else None


def overhead_seconds(runs: Iterable[tuple[Path, RunSummary]]) -> float:
    """What one call of a run costs beyond its samples and its load (the template opening decoded
    once per context, grading, writing; in a fresh process also the imports): a run's machine time
    less its samples' busy time and its load, the smallest over runs that measured both (a run made
    in several sessions holds several calls)."""
    found = []
    for folder, run in runs:
        if not run.performance or not run.performance.wall_seconds or not (folder / "samples.jsonl").is_file():
            continue
        records = read_samples(folder / "samples.jsonl")
        if not records or any(r.generation_seconds is None for r in records):
            continue
        busy = sum((r.prompt_seconds or 0.0) + (r.generation_seconds or 0.0) for r in records)
        found.append(max(0.0, run.performance.wall_seconds - busy - (run.performance.load_seconds or 0.0)))
    return min(found) if found else 0.0


def load_seconds(runs: Iterable[tuple[Path, RunSummary]]) -> float:
    """The mean time to load the model, over runs that measured it."""
    loads = [r.performance.load_seconds for _, r in runs if r.performance and r.performance.load_seconds]
    return sum(loads) / len(loads) if loads else 0.0


def tokens_per_sample(runs: Iterable[RunSummary]) -> float | None:
    tokens = samples = 0
    for run in runs:
        for s in run.suites:
            tokens += s.completion_tokens
            samples += s.samples
    return tokens / samples if samples else None


def discordance(folders: Iterable[Path]) -> float | None:
    """Share of paired samples (same item and sample index) that disagree between quants of the same
    model in earlier runs, against the first quant found; None without two runs to pair."""
    scored = []
    for folder in folders:
        records = read_samples(folder / "samples.jsonl") if (folder / "samples.jsonl").is_file() else []
        scored.append({(r.suite, r.item_id, r.sample): bool(r.correct) for r in records
                       if r.status == "ok" and r.correct is not None})
    pairs = differ = 0
    for i, a in enumerate(scored):
        for b in scored[i + 1:]:
            shared = a.keys() & b.keys()
            pairs += len(shared)
            differ += sum(a[k] != b[k] for k in shared)
    return differ / pairs if pairs >= 20 else None


def estimate(model: str, quants: list[str], pools: dict[str, int], speed: dict[str, tuple[float, str]],
             margin: float, alpha: float, samples: int, round_items: int, disc: float, disc_source: str,
             tokens: float | None = None, load: float = 0.0, overhead: float = 0.0) -> PlanEstimate:
    """The ladder's expected cost: the reference and every quant run each suite's expected items."""
    tested = max(1, len(quants) - 1)
    need = expected_items(margin, tested, alpha, disc, samples, round_items)
    total_pool = sum(pools.values())
    suites, seconds, full = [], 0.0, 0.0
    for suite, pool in pools.items():
        share = max(1, round(need * pool / total_pool)) if total_pool else 0  # items drawn from the whole pool
        each = min(pool, share)
        per, source = speed[suite]
        suites.append(SuiteCost(suite=suite, pool=pool, items_each=each, seconds_per_sample=per, source=source))
        seconds += each * samples * len(quants) * per
        full += pool * samples * len(quants) * per
    rounds = math.ceil(max((c.items_each for c in suites), default=0) * len(suites) / round_items)
    seconds += rounds * len(quants) * (load + overhead)  # each running quant, each round: one call
    full += math.ceil(total_pool / round_items) * len(quants) * (load + overhead)
    return PlanEstimate(model=model, quants=quants, margin=margin, samples=samples, discordance=disc,
                        discordance_source=disc_source, suites=suites, seconds=seconds, seconds_full_pool=full,
                        tokens_per_sample=tokens)

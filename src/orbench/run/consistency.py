"""A run's files checked against each other: `summary.json` against `samples.jsonl`, the samples
against `plan.json`, and a ladder's or matrix's `index.json` against its folders.

Each file on its own is validated by its reader (`files.py`); this module owns what no single file
can say. A run whose files disagree is refused by name, like a database refuses a corrupt page:
the file, the line and what disagrees, never a guess at which one is right. The checks:

- no sample id twice (an exact copy of a line is the one repair that is safe: `repairable`);
- each sample's id, suite, sample index and seed as the plan makes them (`plan.sample_seed`);
- counts in the summary (samples, scored, errors, items, accuracy, grader version) equal to those
  the samples give; while a run is unfinished the samples may be ahead of its last summary;
- one grader version per suite (a regrade of the whole run makes it one again);
- index.json names sub-folders inside its own folder, and each run it calls finished exists.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import OrbenchError
from .plan import Plan, sample_seed
from .records import RunSummary, SampleRecord, SuiteSummary
from .summarize import graded_with, summarize_suite

Located = tuple[str, SampleRecord]  # ("samples.jsonl:LINE", record)


@dataclass(frozen=True)
class Problem:
    """One disagreement: where (a file, or file:line) and what."""

    where: str
    what: str
    repairable: bool = False  # an exact duplicate line: dropping it loses nothing

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def run_problems(folder: Path, summary: RunSummary, samples: list[Located], plan: Plan | None,
                 mixed_ok: bool = False) -> list[Problem]:
    """Every disagreement between the files of one run folder (empty: they agree)."""
    problems = duplicates(samples)
    if plan is not None:
        problems += _against_plan(folder, summary, samples, plan)
    problems += _counts(folder, summary, [r for _, r in samples])
    if not mixed_ok:
        problems += _grader_mix(folder, [r for _, r in samples])
    return problems


def duplicates(samples: list[Located]) -> list[Problem]:
    """Sample ids found on more than one line; an exact copy of an earlier line can be dropped safely."""
    first: dict[str, tuple[str, SampleRecord]] = {}
    problems = []
    for where, record in samples:
        if record.id not in first:
            first[record.id] = (where, record)
            continue
        line, earlier = first[record.id]
        exact = earlier.model_dump() == record.model_dump()
        problems.append(Problem(where, f"sample {record.id} also on line {line.rsplit(':', 1)[1]}"
                                + (" (an exact copy)" if exact else " (with a different content)"), exact))
    return problems


def _against_plan(folder: Path, summary: RunSummary, samples: list[Located], plan: Plan) -> list[Problem]:
    problems = []
    for where, r in samples:
        what = _not_planned(r, plan)
        if what:
            problems.append(Problem(where, f"sample {r.id} {what}"))
    if summary.samples_planned != plan.requests:
        problems.append(Problem(str(folder / "summary.json"), f"samples_planned is {summary.samples_planned}, "
                                f"plan.json has {plan.requests} requests"))
    if len(samples) > plan.requests:
        problems.append(Problem(str(folder / "samples.jsonl"), f"{len(samples)} samples, plan.json has "
                                f"{plan.requests} requests"))
    for s in summary.suites:
        if s.suite not in plan.suites:
            problems.append(Problem(str(folder / "summary.json"), f"suite '{s.suite}' is not in plan.json"))
        elif plan.suites[s.suite] != s.prompt_set_hash:
            problems.append(Problem(str(folder / "summary.json"), f"suite '{s.suite}': prompt-set hash differs "
                                    "from plan.json's"))
    return problems


def _not_planned(r: SampleRecord, plan: Plan) -> str | None:
    """Why a record is not one the plan makes, or None."""
    if r.suite not in plan.suites:
        return f"is of suite '{r.suite}', which is not in the plan"
    recorded = plan.options()
    if not 0 <= r.sample < recorded.samples:
        return f"is sample {r.sample}, but plan.json has {recorded.samples} sample(s) per item"
    if r.id != f"{r.suite}/{r.item_id}#{r.sample}":
        return f"does not match its suite, item and sample ({r.suite}/{r.item_id}#{r.sample})"
    if r.seed != sample_seed(recorded.seed, r.item_id, r.sample):
        return "is not in the plan (its seed is not the one the plan gives this item and sample)"
    return None


def _counts(folder: Path, summary: RunSummary, records: list[SampleRecord]) -> list[Problem]:
    """The summary's counts against the samples: equal in a finished run; in one that is running or was
    interrupted, the samples may be ahead (each is written before the summary that counts it)."""
    done = summary.status == "complete"
    samples_file, summary_file = str(folder / "samples.jsonl"), str(folder / "summary.json")
    problems = []
    if len(records) < summary.samples_done or (done and len(records) != summary.samples_done):
        problems.append(Problem(samples_file, f"{len(records)} samples, but summary.json says "
                                f"{summary.samples_done} were done"))
    errors = sum(r.status == "error" for r in records)
    if done and errors != summary.errors:
        problems.append(Problem(summary_file, f"errors is {summary.errors}, the samples hold {errors}"))
    by_suite: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        by_suite[r.suite].append(r)
    named = {s.suite for s in summary.suites}
    for name in by_suite.keys() - named if done else ():
        problems.append(Problem(samples_file, f"samples of suite '{name}', which summary.json does not have"))
    for s in summary.suites:
        mine = by_suite.get(s.suite, [])
        if len(mine) < s.samples or (done and len(mine) != s.samples):
            problems.append(Problem(samples_file, f"{len(mine)} samples of suite '{s.suite}', but summary.json "
                                    f"says {s.samples}"))
        elif done and mine:
            problems += _figures(summary_file, s, mine, summary.provenance.samples_per_item)
    return problems


def _figures(where: str, s: SuiteSummary, mine: list[SampleRecord], per_item: int) -> list[Problem]:
    """A finished suite's figures as its samples give them."""
    fresh = summarize_suite(s.suite, s.kind, mine, per_item, s.prompt_set_hash)
    problems = []
    for name in ("items", "scored", "errors"):
        if getattr(fresh, name) != getattr(s, name):
            problems.append(Problem(where, f"suite '{s.suite}': {name} is {getattr(s, name)}, the samples give "
                                    f"{getattr(fresh, name)}"))
    said, given = s.accuracy.value, fresh.accuracy.value
    if (said is None) != (given is None) or (said is not None and given is not None
                                             and not math.isclose(said, given, abs_tol=1e-9)):
        problems.append(Problem(where, f"suite '{s.suite}': accuracy is {said}, the samples give {given}"))
    if s.grader_version != fresh.grader_version:
        problems.append(Problem(where, f"suite '{s.suite}': grader version is {s.grader_version}, the samples "
                                f"were graded by {fresh.grader_version}"))
    return problems


def _grader_mix(folder: Path, records: list[SampleRecord]) -> list[Problem]:
    by_suite: dict[str, list[SampleRecord]] = defaultdict(list)
    for r in records:
        by_suite[r.suite].append(r)
    problems = []
    for name, mine in by_suite.items():
        version = graded_with(mine)
        if version and version.startswith("mixed: "):
            problems.append(Problem(str(folder / "samples.jsonl"), f"suite '{name}' was graded by more than one "
                                    f"grader version ({version[7:]}); regrade the whole run: orbench regrade {folder}"))
    return problems


def refuse(problems: list[Problem], folder: Path) -> None:
    """Raise the first problem as the one-line error (exit 2), naming how many more there are."""
    if not problems:
        return
    more = f"; {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
    raise OrbenchError(f"{problems[0]}{more}", hint=f"orbench check {folder} lists them")

"""What the viewer shows, gathered from run folders: a small index row per sample (filtered and
sorted in the page) and a body per sample (prompt, reference, each run's reply), which the page
loads only when it is opened or searched.

A sample is keyed by its record id (`suite/item#k`), so the runs of one plan line up item by item.
Suites whose dataset terms ask that items are not published (`quote_items` false, e.g. GPQA) keep
their index rows (verdict, extracted letter, tokens) but not their text, unless asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ..run.loader import LoadedRun, pick_reference
from ..errors import OrbenchError
from ..grading.extract import split_thinking
from ..run.records import SampleRecord
from ..suites import Suite
from ..suites.items import Item

log = logging.getLogger(__name__)

VERDICTS = ("correct", "wrong", "error")
CHANGES = ("lost", "gained", "flipped", "differs")
SHOWN_ELSEWHERE = {"schema_version", "id", "suite", "item_id", "sample", "category", "difficulty", "prompt", "output",
                   "thinking"}
EXTRACTED_IN_INDEX = 120  # characters of the extracted answer shown in the list


@dataclass
class ViewOptions:
    reference: str | None = None  # label of the reference run (default: most bits per weight, as compare)
    focus: str | None = None  # the run whose verdicts the list filters on (default: first non-reference)
    filter: str = "all"  # initial filter: all, correct, wrong, error, lost, gained, flipped, differs
    include_restricted: bool = False  # embed the text of suites whose terms ask that items are not published
    extra_suites: list[Suite] = field(default_factory=list)  # user suites by file, for reference answers
    title: str | None = None
    chart: str = ""  # inline SVG drawn above the list (an adaptive ladder's running intervals, view/chart.py)


@dataclass
class Collected:
    meta: dict[str, Any]
    rows: list[list[Any]]
    bodies: list[dict[str, Any]]


class _Table:
    """Strings as small integers, for compact index rows."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
        return self._index[name]


def collect(runs: list[LoadedRun], opts: ViewOptions) -> Collected:
    """Index rows and bodies for every sample of `runs`, in the order the runs recorded them."""
    restricted = {s.suite for run in runs for s in run.summary.suites if not s.quote_items or not _quotable(s.suite)}
    hidden = set() if opts.include_restricted else restricted
    keys: dict[str, list[SampleRecord | None]] = {}
    for position, run in enumerate(runs):
        for record in run.records:
            keys.setdefault(record.id, [None] * len(runs))[position] = record
    references, notes = _references(runs, keys, hidden, opts.extra_suites)
    suites, cats, diffs, flags = _Table(), _Table(), _Table(), _Table()
    rows, bodies = [], []
    for key, per_run in keys.items():
        first = next(r for r in per_run if r is not None)
        hide = first.suite in hidden
        rows.append([key, suites(first.suite), first.item_id, first.sample, cats(first.category),
                     diffs(first.difficulty), [_index_entry(r, flags) for r in per_run]])
        bodies.append(_body(first, per_run, references.get(key), hide))
    if hidden:
        notes.insert(0, f"Text of {', '.join(sorted(hidden))} is not included: the dataset's terms ask that its "
                     "items are not published. `orbench view --include-restricted` includes it (keep such a page "
                     "private).")
    elif restricted:
        notes.insert(0, f"This page quotes items of {', '.join(sorted(restricted))}, whose dataset terms ask that "
                     "they are not published: keep it private.")
    meta = _meta(runs, opts, notes, hidden)
    meta.update(suites=suites.names, categories=cats.names, difficulties=diffs.names, flags=flags.names,
                verdicts=list(VERDICTS))
    return Collected(meta, rows, bodies)


def _quotable(name: str) -> bool:
    """What orbench knows of a suite's terms today (a summary written before `quote_items` existed
    says nothing)."""
    from ..suites import all_suites

    known = all_suites().get(name)
    return known is None or known.quote_items


def _index_entry(record: SampleRecord | None, flags: _Table) -> list[Any] | None:
    if record is None:
        return None
    bits = 0
    for flag in record.flags:
        bits |= 1 << flags(flag)
    extracted = (record.extracted or "")[:EXTRACTED_IN_INDEX]
    return [VERDICTS.index(record.verdict), bits, extracted, record.completion_tokens, round(record.seconds, 3)]


def _body(first: SampleRecord, per_run: list[SampleRecord | None], reference: dict[str, Any] | None,
          hide: bool) -> dict[str, Any]:
    runs: list[dict[str, Any] | None] = []
    for record in per_run:
        if record is None:
            runs.append(None)
            continue
        details = record.model_dump(mode="json", exclude=SHOWN_ELSEWHERE)
        if hide:
            runs.append({"rec": details})
            continue
        answer = split_thinking(record.output, "unterminated_thinking" in record.flags).answer
        runs.append({"rec": details, "thinking": record.thinking, "answer": answer})
    if hide:
        return {"withheld": True, "runs": runs}
    return {"prompt": first.prompt, "reference": reference, "runs": runs}


def _meta(runs: list[LoadedRun], opts: ViewOptions, notes: list[str], hidden: set[str]) -> dict[str, Any]:
    from ..run.grader_mix import find_mismatches

    labels = [run.label for run in runs]
    if len(runs) == 1 and opts.filter in CHANGES:
        raise OrbenchError(f"--filter {opts.filter} compares runs, and only one was given",
                           hint="name several run folders, or a ladder folder")
    reference = pick_reference(runs, opts.reference).label if len(runs) > 1 else labels[0]
    focus = next((label for label in labels if label != reference), reference)
    if opts.focus:
        hits = [run.label for run in runs if run.matches(opts.focus)]
        if len(hits) != 1:
            raise OrbenchError(f"--focus '{opts.focus}' {'is ambiguous' if hits else 'matches no run'}",
                               hint=f"runs: {', '.join(labels)}")
        focus = hits[0]
    notes += [f"Grader versions differ: {m.describe()} (`orbench regrade` the older runs)" for m in find_mismatches(runs)]
    hashes: dict[str, set[str]] = {}
    for run in runs:
        for s in run.summary.suites:
            hashes.setdefault(s.suite, set()).add(s.prompt_set_hash)
    notes += [f"The runs answered different item sets of {name}; samples are matched by item id and sample number."
              for name, found in hashes.items() if len(found) > 1]
    from .. import __version__

    return {
        "title": opts.title or _title(runs), "orbench_version": __version__, "notes": notes, "hidden": sorted(hidden),
        "reference": reference, "focus": focus, "filter": opts.filter,
        "runs": [_run_meta(run) for run in runs],
    }


def _title(runs: list[LoadedRun]) -> str:
    models = list(dict.fromkeys(run.summary.provenance.model for run in runs))
    if len(runs) > 1:
        return f"{', '.join(models)}: {len(runs)} runs"
    label = runs[0].label  # usually model:quant, which names the model already
    return label if label.startswith(models[0]) else f"{models[0]} {label}"


def _run_meta(run: LoadedRun) -> dict[str, Any]:
    p = run.summary.provenance
    return {
        "label": run.label, "folder": str(run.folder), "model": p.model, "quant": p.quant,
        "status": run.summary.status, "seed": p.seed, "samples": len(run.records), "grading": p.grading,
        "suites": [{"suite": s.suite, "accuracy": s.accuracy.value, "scored": s.scored, "errors": s.errors,
                    "grader_version": s.grader_version, "limit_failures": s.limit_failures}
                   for s in run.summary.suites],
    }


def _references(runs: list[LoadedRun], keys: dict[str, list[SampleRecord | None]], hidden: set[str],
                extra: list[Suite]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The reference answer or tests of each sample's item, from the suite's items on disk."""
    wanted: dict[str, tuple[LoadedRun, set[str]]] = {}
    for key, per_run in keys.items():
        position, record = next((i, r) for i, r in enumerate(per_run) if r is not None)
        if record.suite not in hidden:
            wanted.setdefault(record.suite, (runs[position], set()))[1].add(record.item_id)
    found: dict[str, dict[str, Any]] = {}
    notes = []
    for name, (run, ids) in wanted.items():
        items, why = _items(name, run, extra)
        if items is None:
            notes.append(f"Reference answers of {name} are not shown: {why}.")
            continue
        for key, per_run in keys.items():
            record = next(r for r in per_run if r is not None)
            if record.suite == name and record.item_id in items:
                found[key] = reference_of(items[record.item_id])
    return found, notes


def _items(name: str, run: LoadedRun, extra: list[Suite]) -> tuple[dict[str, Item] | None, str]:
    from ..suites.data import availability
    from ..run.regrade import suite_for_run

    suite = suite_for_run(name, run.summary, extra)
    if suite is None:
        return None, "a user's suite (pass its file with --suite PATH)"
    if suite.data is not None and availability(suite.data) is None:
        return None, f"its data is not on this machine (orbench pull --suite {name})"
    try:
        return {item.id: item for item in suite.load(run.summary.provenance.seed)}, ""
    except (OrbenchError, OSError) as exc:
        log.debug("items of %s not loaded: %s", name, exc)
        return None, str(exc)


PUBLIC_TESTS_CHARS = 20_000


def reference_of(item: Item) -> dict[str, Any]:
    """What a grader compares a reply with: the answer (and the lettered options), or the tests."""
    ref: dict[str, Any] = {}
    if item.choices:
        ref["choices"] = item.choices
    if item.answer is not None:
        ref["answer"] = item.answer
    if item.entry_point:
        ref["entry point"] = item.entry_point
    if item.tests:
        ref["tests"] = item.tests
    if item.reference:
        ref["reference solution"] = item.reference
    public = (item.extra or {}).get("public")
    if public:
        import json

        ref["public tests"] = json.dumps(public, indent=1)[:PUBLIC_TESTS_CHARS]
    return ref

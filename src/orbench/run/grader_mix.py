"""Refuse to compare runs whose samples were graded by different grader versions.

Each suite of `summary.json` records the grader version of its samples (`orbench.grading.versions`).
Two runs compared on a suite must agree on it, or a grader fix would show up as a model's
regression. Results written before grader versions were recorded have none (`None`): two such
runs compare with each other as before, since nothing says their graders differed; such a run
against one with a recorded version is a mismatch, because it cannot be known whether the graders
agreed. `orbench regrade RUN` re-scores a run with the current graders and records their versions.
"""

from __future__ import annotations

import logging
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import OrbenchError

if TYPE_CHECKING:
    from .loader import LoadedRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mismatch:
    suite: str
    versions: list[tuple["LoadedRun", str | None]]  # each run that has the suite, and its grader version
    current: str | None  # the version orbench's grader has today (None: unknown or unversioned suite)
    stale: list["LoadedRun"]  # the runs to regrade

    def describe(self) -> str:
        labels = [run.label for run, _ in self.versions]
        named = [run.label if labels.count(run.label) == 1 else str(run.folder) for run, _ in self.versions]
        seen = ", ".join(f"{name} {_name(v)}" for name, (_, v) in zip(named, self.versions))
        now = f"; current grader {self.current}" if self.current else ""
        return f"{self.suite}: {seen}{now}"


def _name(version: str | None) -> str:
    return version or "(before grader versions)"


def _current(suite: str) -> str | None:
    from ..suites import all_suites

    known = all_suites().get(suite)
    return known.grader_version if known else None


def find_mismatches(runs: list["LoadedRun"]) -> list[Mismatch]:
    """Suites on which the runs' grader versions differ, with the runs that need a regrade: those
    not at the current grader's version (for a suite orbench does not know by name, a user's file:
    all of them, so that one orbench grades them all)."""
    suites = list(dict.fromkeys(s.suite for run in runs for s in run.summary.suites))
    found = []
    for suite in suites:
        versions = [(run, s.grader_version) for run in runs for s in run.summary.suites if s.suite == suite]
        if len({v for _, v in versions}) <= 1:
            continue
        current = _current(suite)
        stale = [run for run, v in versions if current is None or v != current]
        found.append(Mismatch(suite, versions, current, stale))
    return found


def regrade_command(runs: list["LoadedRun"]) -> str:
    folders = list(dict.fromkeys(str(run.folder) for run in runs))
    return "orbench regrade " + " ".join(shlex.quote(f) for f in folders)


def check_grader_versions(runs: list["LoadedRun"], allow: bool = False) -> list[str]:
    """Raise (exit 2) when grader versions differ, naming the runs to regrade; with `allow`, return
    the mismatches as notes instead (each also logged as a warning)."""
    mismatches = find_mismatches(runs)
    if not mismatches:
        return []
    stale = list({id(run): run for m in mismatches for run in m.stale}.values())
    what = "; ".join(m.describe() for m in mismatches)
    protocols = {run.summary.provenance.grading for run in runs}
    if not allow and len(protocols) > 1:  # a lenient run beside a reference one: regrade under one protocol
        lenient = [run for run in runs if run.summary.provenance.grading != "reference"]
        raise OrbenchError(f"runs graded under different grading protocols ({', '.join(sorted(protocols))}: {what}); "
                           f"regrade with: {regrade_command(lenient)} --grading reference (or pass "
                           "--allow-grader-mismatch)")
    if not allow:
        raise OrbenchError(f"runs graded by different grader versions ({what}); regrade with: "
                           f"{regrade_command(stale)} (or pass --allow-grader-mismatch)")
    notes = [f"grader versions differ, compared anyway (--allow-grader-mismatch): {m.describe()}" for m in mismatches]
    for note in notes:
        log.warning(note)
    return notes

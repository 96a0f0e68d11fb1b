"""`orbench check RUN`: every problem of a run folder (or each run of a ladder or matrix folder),
not only the first; and `--repair` of the one kind of damage that can be mended without losing or
inventing anything: a sample line that is an exact copy of an earlier one is dropped. Everything
else is reported and left as it is, since no file says which of two disagreeing ones is right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OrbenchError
from ..files import write_atomic
from .consistency import Problem, run_problems
from .folder import FolderLock
from .loader import indexed_runs, read_run
from .records import INDEX_FILE


@dataclass
class RunCheck:
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    repaired: list[Problem] = field(default_factory=list)


def check_runs(folder: Path, repair: bool = False) -> list[RunCheck]:
    """The problems of each run under `folder`; with `repair`, exact duplicate lines dropped first."""
    if (folder / INDEX_FILE).is_file():
        try:
            subs = indexed_runs(folder)
        except OrbenchError as exc:
            return [RunCheck(folder, [Problem(str(folder / INDEX_FILE), _after_file(exc))])]
    elif (folder / "summary.json").is_file():
        subs = [folder]
    else:
        raise OrbenchError(f"{folder} holds no results (no summary.json or {INDEX_FILE})")
    return [_check_one(sub, repair) for sub in subs]


def _after_file(exc: OrbenchError) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def _problems(folder: Path) -> list[Problem]:
    try:
        summary, samples, plan = read_run(folder)
    except OrbenchError as exc:  # a file that cannot be read on its own: that is the problem
        where, _, what = str(exc).partition(": ")
        return [Problem(where, what)]
    return run_problems(folder, summary, samples, plan)


def _check_one(folder: Path, repair: bool) -> RunCheck:
    problems = _problems(folder)
    fixable = [p for p in problems if p.repairable]
    if not repair or not fixable:
        return RunCheck(folder, problems)
    with FolderLock(folder):
        _drop_lines(folder / "samples.jsonl", {int(p.where.rsplit(":", 1)[1]) for p in fixable})
    return RunCheck(folder, _problems(folder), fixable)


def _drop_lines(path: Path, numbers: set[int]) -> None:
    """Rewrite `path` without the given lines (1-based), in one step; every other byte as it was."""
    kept = [line for n, line in enumerate(path.read_bytes().splitlines(keepends=True), start=1) if n not in numbers]
    try:
        write_atomic(path, (line.decode("utf-8") for line in kept))
    except OSError as exc:
        raise OrbenchError(f"cannot rewrite {path}: {exc.strerror}") from None

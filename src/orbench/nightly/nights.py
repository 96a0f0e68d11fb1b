"""Nightly runs of a config: one dated folder per night under the config's output, which night a
run resumes, the baseline a night is gated against, and how many nights are kept.

    OUTPUT/
      20260115-023000/        one night: index.json (started, finished, settings, exit code),
        MODEL/QUANT/          a run folder per model and quant; junit.xml and summary.md of the gate
      baseline.json           the pinned baseline (`orbench baseline set`)
      history.md, history.html

A night is *unfinished* until its exit code is recorded, after the gate. `orbench run --config`
resumes the newest night only when it is unfinished, started less than RESUME_HOURS ago and has
the same settings (models, suites, limit, samples, seed, sampler overrides, backend, shard);
otherwise it starts a new folder named by the local start time. Last night's finished run is never
resumed, so every night evaluates again.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import OrbenchError
from ..files import read_model, write_json_atomic
from ..run.loader import list_nights
from ..run.records import INDEX_FILE, RunIndex

log = logging.getLogger(__name__)

RESUME_HOURS = 12
BASELINE_FILE = "baseline.json"
KEYWORDS = ("pinned", "latest", "latest-passing")


class BaselinePointer(BaseModel):
    """`baseline.json` in a nightly output folder: the night every later night is gated against."""

    schema_version: int = Field(default=1, description="version of this file's layout")
    run: str = Field(description="the baseline's folder, relative to this file's folder when inside it")
    set_at: str = Field(description="when it was set (UTC, ISO 8601)")


def read_index(night: Path) -> RunIndex:
    return read_model(night / INDEX_FILE, RunIndex)


def _started(index: RunIndex) -> datetime | None:
    try:
        return datetime.fromisoformat(index.started_at) if index.started_at else None
    except ValueError:
        return None


def open_night(base: Path, settings: dict[str, Any], now: datetime | None = None) -> tuple[Path, RunIndex | None]:
    """The folder tonight's run writes into, and the index of the night it resumes (None: a new one)."""
    now = now or datetime.now(timezone.utc)
    nights = list_nights(base)
    if nights:
        index = read_index(nights[-1])
        started = _started(index)
        recent = started is not None and now - started < timedelta(hours=RESUME_HOURS)
        if index.exit_code is None and recent and index.settings == settings:
            return nights[-1], index
    name = now.astimezone().strftime("%Y%m%d-%H%M%S")
    folder, n = base / name, 1
    while folder.exists():
        n += 1
        folder = base / f"{name}-{n}"
    return folder, None


def finish_night(night: Path, exit_code: int) -> None:
    """Record the night's exit code: from now on it is finished and never resumed."""
    from ..run.loop import now

    index = read_index(night)
    write_json_atomic(night / INDEX_FILE, index.model_copy(update=dict(finished_at=now(), exit_code=exit_code)))


def latest(base: Path, passing: bool, before: Path | None = None) -> Path | None:
    """The newest finished night (with exit code 0 if `passing`), older than `before` when given."""
    for night in reversed(list_nights(base)):
        if before is not None and night.name >= before.name:
            continue
        code = read_index(night).exit_code
        if code is not None and (code == 0 or not passing):
            return night
    return None


def read_baseline(base: Path) -> Path | None:
    path = base / BASELINE_FILE
    if not path.is_file():
        return None
    pointer = read_model(path, BaselinePointer)
    run = Path(pointer.run)
    return run if run.is_absolute() else base / run


def resolve_baseline(base: Path, spec: str | None, tonight: Path | None = None) -> tuple[Path | None, str | None]:
    """The baseline folder for `spec` (a path, `pinned`, `latest` or `latest-passing`), or None and why."""
    if not spec:
        return None, None
    if spec == "pinned":
        found = read_baseline(base)
        if found is None:
            return None, f"no baseline pinned yet in {base}: the gate is skipped (orbench baseline set RUN)"
        if not found.is_dir():
            raise OrbenchError(f"the pinned baseline {found} is gone", hint="pin another with `orbench baseline set`")
        return found, None
    if spec in ("latest", "latest-passing"):
        found = latest(base, spec == "latest-passing", before=tonight)
        kind = "passing " if spec == "latest-passing" else ""
        return found, None if found else f"no earlier {kind}night in {base} yet: the gate is skipped"
    path = Path(spec)
    if not path.exists():
        raise OrbenchError(f"baseline {path} does not exist",
                           hint=f"give a results folder or one of: {', '.join(KEYWORDS)}")
    return path, None


def set_baseline(base: Path, run: str) -> Path:
    """Pin `run` (a folder, a night's name under `base`, `latest` or `latest-passing`) as the baseline."""
    from ..run.loop import now

    if run in ("latest", "latest-passing"):
        target = latest(base, run == "latest-passing")
        if target is None:
            raise OrbenchError(f"no {'passing ' if run == 'latest-passing' else ''}finished night in {base}")
    else:
        target = Path(run) if Path(run).is_dir() else base / run
    if not ((target / INDEX_FILE).is_file() or (target / "summary.json").is_file()):
        raise OrbenchError(f"{target} holds no results (no summary.json or {INDEX_FILE})")
    target = target.resolve()
    try:
        stored = str(target.relative_to(base.resolve()))
    except ValueError:
        stored = str(target)
    base.mkdir(parents=True, exist_ok=True)
    write_json_atomic(base / BASELINE_FILE, BaselinePointer(run=stored, set_at=now()))
    return target


def prune(base: Path, keep: int | None, protect: list[Path | None]) -> list[Path]:
    """Delete all but the newest `keep` nights, never a protected one (tonight, the baselines)."""
    if not keep:
        return []
    kept = {p.resolve() for p in protect if p is not None}
    pinned = read_baseline(base)
    if pinned is not None:
        kept.add(pinned.resolve())
    removed = []
    for night in list_nights(base)[:-keep]:
        if night.resolve() in kept or read_index(night).kind != "matrix":
            continue
        shutil.rmtree(night)
        removed.append(night)
        log.info("removed night %s (keeping the newest %d)", night.name, keep)
    return removed

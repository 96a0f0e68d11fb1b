"""A run folder: `plan.json`, `samples.jsonl`, `summary.json` and `run.log`, and how a run resumes.

Running a plan into a folder that already holds some of its samples resumes it: the plan on
disk must match, the samples on disk are kept (a half-written last line is repaired), and the
machine time of earlier sessions is carried over from their last summary. One run at a time holds a
folder (`FolderLock`): a second process is refused at once, naming the first; the lock of a process
that died is taken over with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from ..errors import OrbenchError
from ..files import read_model, write_json_atomic
from .plan import Plan
from .records import RunSummary, SampleLog, SampleRecord, read_summary

log = logging.getLogger(__name__)


def prepare_output_dir(path: Path) -> Path:
    """Create the results folder and prove it is writable, before any model work starts."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise OrbenchError(f"output folder is not writable: {path} ({exc.strerror})") from None
    return path


class FolderLock:
    """An exclusive lock on a run folder (`.orbench.lock`, flock'ed): released when the run ends or its
    process dies, so a lock left by a killed run never blocks the next one."""

    def __init__(self, folder: Path):
        self.path = folder / ".orbench.lock"
        self._fd: int | None = None

    def __enter__(self) -> "FolderLock":
        try:
            import fcntl
        except ImportError:  # no flock (Windows): runs are not guarded against each other
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OrbenchError(f"cannot lock {self.path.parent} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise OrbenchError(f"another orbench run ({holder}) is using {self.path.parent}",
                               hint="wait for it to finish, or use another --output") from None
        previous = _holder(fd, quiet=True)
        if previous:
            log.warning("took over %s from a run that ended without releasing it (%s)", self.path.parent, previous)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started_at": datetime.now(timezone.utc)
                                 .isoformat(timespec="seconds")}).encode())
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
                self.path.unlink(missing_ok=True)
            except OSError:
                pass
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def _holder(fd: int, quiet: bool = False) -> str:
    """'pid N, started at T' of whoever wrote the lock file last ('' / 'unknown' when empty or unreadable)."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {data['pid']}, started at {data['started_at']}" if data else ""
    except (OSError, ValueError, KeyError, TypeError):
        return "" if quiet else "pid unknown"


class RunFolder:
    def __init__(self, path: Path):
        self.path = prepare_output_dir(path)
        self.plan_file = self.path / "plan.json"
        self.samples_file = self.path / "samples.jsonl"
        self.summary_file = self.path / "summary.json"
        self.log_file = self.path / "run.log"

    def claim(self, plan: Plan) -> bool:
        """Record `plan` here, or check it against the plan already here; True when resuming."""
        if self.plan_file.exists():
            on_disk = read_model(self.plan_file, Plan)
            changed = plan.differences(on_disk)
            if changed:
                raise OrbenchError(f"{self.path} holds a different plan (changed: {', '.join(changed)})",
                                   hint="use another --output, or the same settings to resume")
            return True
        if self.samples_file.exists():
            raise OrbenchError(f"{self.path} holds samples of an unknown plan (no plan.json)",
                               hint="use another --output")
        write_json_atomic(self.plan_file, plan)
        return False

    def kept_samples(self, planned: set[str]) -> tuple[dict[str, SampleRecord], str | None]:
        """The planned samples already on disk (first copy of each), and a warning if a line was repaired."""
        records, warning = load_for_resume(self.samples_file)
        kept: dict[str, SampleRecord] = {}
        for record in records:
            if record.id in planned and record.id not in kept:
                kept[record.id] = record
        return kept, warning

    def before(self) -> tuple[float, dict[str, float], int]:
        """What earlier sessions of this plan recorded in their last summary.json: machine time in all
        and per suite (a hard kill loses the time since that summary was written), and the most
        sequences decoded together (N), so a resumed run reports the N of the whole run."""
        if not self.summary_file.exists():
            return 0.0, {}, 0
        try:
            before = read_summary(self.summary_file)
        except OrbenchError as exc:
            log.warning("earlier machine time not carried over: %s", exc)
            return 0.0, {}, 0
        perf = before.performance
        total = (perf.wall_seconds or 0.0) if perf else 0.0
        return total, {s.suite: s.wall_seconds for s in before.suites if s.wall_seconds}, (perf.parallel or 0) if perf else 0

    def lock(self) -> FolderLock:
        return FolderLock(self.path)

    def sample_log(self) -> SampleLog:
        return SampleLog(self.samples_file)

    def write_summary(self, summary: RunSummary) -> None:
        write_json_atomic(self.summary_file, summary)


def load_for_resume(path: Path) -> tuple[list[SampleRecord], str | None]:
    """The samples already in `path`, repairing a half-written last line (the mark of a run killed
    mid-write). Returns the records and a warning when something was repaired."""
    if not path.exists():
        return [], None
    data = path.read_bytes()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    records: list[SampleRecord] = []
    for lineno, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            records.append(SampleRecord.model_validate_json(line))
        except ValueError:
            if lineno == len(complete) and not tail:
                tail = line  # the last line was cut right after a newline-less write: treat as the tail
                complete = complete[:-1]
                break
            raise OrbenchError(f"{path}:{lineno}: corrupt sample record; move the file away to start over") from None
    if not tail.strip():
        return records, None
    keep = b"".join(line + b"\n" for line in complete)
    with open(path, "wb") as fh:
        fh.write(keep)
        fh.flush()
        os.fsync(fh.fileno())
    return records, f"{path}: dropped a half-written last line ({len(tail)} bytes); that sample will run again"

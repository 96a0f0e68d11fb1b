"""A run folder: `plan.json`, `samples.jsonl`, `summary.json` and `run.log`, and how a run resumes.

Running a plan into a folder that already holds some of its samples resumes it: the plan on
disk must match, the samples on disk are kept (a half-written last line is repaired), and the
machine time of earlier sessions is carried over from their last summary.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from .errors import OrbenchError
from .files import read_model, write_json_atomic
from .plan import Plan
from .results import RunSummary, SampleLog, SampleRecord, read_summary

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

    def time_before(self) -> tuple[float, dict[str, float]]:
        """Machine time already spent by earlier sessions of this plan, in all and per suite, from their
        last summary.json (a hard kill loses the time since that summary was written)."""
        if not self.summary_file.exists():
            return 0.0, {}
        try:
            before = read_summary(self.summary_file)
        except OrbenchError as exc:
            log.warning("earlier machine time not carried over: %s", exc)
            return 0.0, {}
        total = (before.performance.wall_seconds or 0.0) if before.performance else 0.0
        return total, {s.suite: s.wall_seconds for s in before.suites if s.wall_seconds}

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

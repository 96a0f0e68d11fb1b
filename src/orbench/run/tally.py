"""The tally of a run as it goes: samples done and failed, tokens and timings, machine time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .records import SampleRecord
from ..units import tokens_per_s


@dataclass
class SuiteCount:
    """One suite's progress: samples recorded, scored (not errors) and correct."""

    done: int = 0
    scored: int = 0
    correct: int = 0

    def add(self, record: SampleRecord) -> None:
        self.done += 1
        self.scored += record.status == "ok"
        self.correct += record.status == "ok" and bool(record.correct)


@dataclass
class Tally:
    planned: int
    done: int = 0
    errors: int = 0
    resumed: int = 0
    completion_tokens: int = 0
    generation_seconds: float = 0.0
    prompt_tokens: int = 0  # prompt tokens the backend evaluated itself
    prompt_seconds: float = 0.0
    parallel: int = 0  # the most sequences decoded together
    wall_before: float = 0.0  # machine time of earlier sessions of this run (resume)
    suite_wall_before: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def add(self, record: SampleRecord) -> None:
        self.done += 1
        self.errors += record.status == "error"
        if record.status != "ok":
            return
        if record.generation_seconds:
            self.completion_tokens += record.completion_tokens
            self.generation_seconds += record.generation_seconds
        if record.prompt_seconds:
            self.prompt_tokens += record.prompt_eval_tokens or 0
            self.prompt_seconds += record.prompt_seconds

    @property
    def generation_tokens_per_s(self) -> float | None:
        return tokens_per_s(self.completion_tokens, self.generation_seconds)

    @property
    def prompt_tokens_per_s(self) -> float | None:
        return tokens_per_s(self.prompt_tokens, self.prompt_seconds)

    def wall_seconds(self) -> float:
        """Machine time of this run so far, earlier sessions included."""
        return round(self.wall_before + time.perf_counter() - self.started, 2)

    def suite_wall(self, suite: str, since: float) -> float:
        """Machine time of one suite: earlier sessions' plus this session's since `since`."""
        return round(self.suite_wall_before.get(suite, 0.0) + time.perf_counter() - since, 3)

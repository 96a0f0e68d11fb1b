"""What the gate decides with: its rules (`METRIC<THRESHOLD`), one finding per rule, run and suite,
and the result that sets the exit code. The gate (`gate.py`) makes them; `gate_report.py` writes them
for people and CI."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from ..errors import OrbenchError

METRICS = ("accuracy", "tokens_per_s")


@dataclass(frozen=True)
class Rule:
    metric: str
    threshold: float
    unit: str  # "pp" or "%"

    def __str__(self) -> str:
        return f"{self.metric}<{self.threshold:g}{self.unit}"


def parse_rule(text: str) -> Rule:
    m = re.fullmatch(r"\s*(\w+)\s*<\s*(-?\d+(?:\.\d+)?)\s*(pp|%)\s*", text)
    if not m or m.group(1) not in METRICS or (m.group(1) == "tokens_per_s" and m.group(3) == "pp"):
        raise OrbenchError(f"cannot read --fail-on '{text}'",
                           hint="write METRIC<THRESHOLD with METRIC accuracy (pp or %) or tokens_per_s (%), "
                                "e.g. accuracy<-2pp")
    return Rule(m.group(1), float(m.group(2)), m.group(3))


class Finding(BaseModel):
    label: str
    suite: str
    rule: str
    baseline: float | None
    current: float | None
    change: float | None
    low: float | None = None  # the change's 95% interval, in the rule's unit
    high: float | None = None
    n: int | None = None  # paired items (accuracy) or timed samples of the current run (speed)
    p_value: float | None = None
    significant: bool | None = None
    detectable: float | None = None  # smallest drop the run detects with 80% power, in the rule's unit
    underpowered: bool = False
    regression: bool
    seconds: float | None = None  # machine time of the current run's suite (or of the run, for speed)
    note: str | None = None

    @property
    def status(self) -> Literal["regression", "underpowered", "ok"]:
        return "regression" if self.regression else "underpowered" if self.underpowered else "ok"


class GateResult(BaseModel):
    exit_code: int
    regressions: int
    underpowered: int = 0
    fail_underpowered: bool = False
    findings: list[Finding]
    error_rate: float
    max_error_rate: float
    notes: list[str]
    timestamp: str | None = None
    seconds: float | None = None
    run: str | None = None
    baseline: str | None = None

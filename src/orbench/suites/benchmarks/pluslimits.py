"""EvalPlus's limits for HumanEval+ and MBPP+: per input, not per program, and from the item.

EvalPlus (`evalplus/evaluate.py`, `evalplus/eval/__init__.py`) gives each test input
max(4 s, 4 x the reference solution's measured time on that input) and 4 GiB of memory, so a heavy
input does not fail a solution for the machine's sake. Here the reference solution is graded once
per item and process through the call channel, which times every call (the tests' side measures
each round trip); the limits are made from those times. Where the reference cannot be timed (it
fails, the sandbox errs) every input gets the 4 s floor. A test over its limit fails with
"time limit: a call ran over N s" in the score's detail, so check-suite lists it as a limit failure.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Callable

from ...grading import GradeContext, Score
from ...grading.graders import score
from ...grading.sandboxtypes import Limits, SandboxResult
from ..items import Item

MIN_SECONDS = 4.0
FACTOR = 4.0
MEMORY_BYTES = 4 << 30
MAX_WALL_SECONDS = 600.0
MARK = "orbench-call-seconds "

Runner = Callable[[Item, str, Limits, dict], SandboxResult]  # (item, program, limits, tests' config) -> result

_lock = threading.Lock()
_cache: dict[tuple[str, str], list[float] | None] = {}


def plus_context(context: GradeContext | None) -> GradeContext:
    """EvalPlus's memory (4 GiB a process and for the whole program)."""
    limits = (context or GradeContext()).sandbox
    return GradeContext(sandbox=replace(limits, memory_bytes=max(limits.memory_bytes, MEMORY_BYTES),
                                        program_memory_bytes=max(limits.program_memory_bytes, MEMORY_BYTES)))


def input_limits(item: Item, context: GradeContext, run: Runner) -> list[float] | None:
    """Each input's limit, from the reference solution's times (measured once per item)."""
    key = (item.suite, item.id)
    with _lock:
        if key in _cache:
            return _cache[key]
    times = _measure(item, context, run)
    limits = None if times is None else [max(MIN_SECONDS, FACTOR * t) for t in times]
    with _lock:
        _cache[key] = limits
    return limits


def _measure(item: Item, context: GradeContext, run: Runner) -> list[float] | None:
    if not item.reference:
        return None
    generous = replace(context.sandbox, wall_seconds=MAX_WALL_SECONDS, cpu_seconds=int(MAX_WALL_SECONDS))
    result = run(item, item.reference, generous, {"report_durations": True})
    return durations(result.stderr) if result.passed else None


def durations(stderr: str) -> list[float] | None:
    """The call times the tests' side reported on its standard error."""
    for line in reversed(stderr.splitlines()):
        if line.startswith(MARK):
            return [float(x) for x in line[len(MARK):].split()]
    return None


def grade_with_limits(item: Item, code: str, context: GradeContext | None, run: Runner) -> Score:
    """Grade `code` with EvalPlus's per-input limits and memory."""
    context = plus_context(context)
    limits = input_limits(item, context, run)
    wall = min(MAX_WALL_SECONDS, max(context.sandbox.wall_seconds, sum(limits) if limits else 120.0))
    sandbox: Limits = replace(context.sandbox, wall_seconds=wall, cpu_seconds=int(wall))
    return score(code, run(item, code, sandbox, {"call_limits": limits or [], "call_seconds": MIN_SECONDS}))

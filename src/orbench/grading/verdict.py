"""The verdict on one program: what the harness's evidence says, and the reason for a failure."""

from __future__ import annotations

import hmac
import re
import signal
import time
from dataclasses import dataclass

from .sandboxtypes import SandboxResult

SIGNAL_CAUSES = {signal.SIGXCPU: "CPU time limit", signal.SIGXFSZ: "file size limit"}


@dataclass
class Evidence:
    layers: tuple[str, ...] | None = None  # None: the harness never started
    setup_error: str | None = None
    outcome: str | None = None  # "passed", "exception" or "exit", only when the token matched
    reason: str = ""


def parse_evidence(raw: bytes, token: str) -> Evidence:
    """The harness's first line (its layers, written before the script ran) and the last line
    that carries the token; anything else the script may have written is ignored."""
    evidence = Evidence()
    for number, line in enumerate(raw.decode("utf-8", "replace").splitlines()):
        kind, _, rest = line.partition(" ")
        if number == 0 and kind == "layers":
            evidence.layers = tuple(rest.split())
        elif number == 0 and kind == "setup_error":
            evidence.setup_error = rest
        elif kind == "outcome":
            mark, outcome, reason = (rest.split(" ", 2) + ["", ""])[:3]
            if hmac.compare_digest(mark.encode(), token.encode()):
                evidence.outcome, evidence.reason = outcome, reason
    return evidence


def verdict(evidence: Evidence, returncode: int, timed_out: bool, stdout: str, stderr: str, engine: str,
            started: float, oom_killed: bool = False) -> SandboxResult:
    seconds = time.monotonic() - started
    if evidence.layers is None:
        problem = evidence.setup_error or _tail(stderr) or f"exit code {returncode}"
        return infra_result(f"the sandbox did not start ({problem})", engine, started)
    label = "+".join((engine, *evidence.layers))
    passed = evidence.outcome == "passed" and not timed_out
    common = dict(returncode=returncode, timed_out=timed_out, stdout=stdout, stderr=stderr, seconds=seconds,
                  isolation=label, layers=evidence.layers)
    reason = "passed" if passed else _reason(evidence, returncode, timed_out)
    limit = None if passed else limit_of(reason, timed_out, oom_killed)
    return SandboxResult(passed=passed, reason=reason, limit=limit, **common)  # type: ignore[arg-type]


def limit_of(reason: str, timed_out: bool = False, oom_killed: bool = False) -> str | None:
    """"time" or "memory" when a failure was a limit stopping the program, else None: the whole
    program's wall time, a call's time limit (per input: EvalPlus's and LCB's), the CPU-time rlimit;
    the memory cgroup's OOM kill, or a MemoryError (the address-space rlimit)."""
    if timed_out or reason == "timeout" or reason.startswith("time limit") or "(CPU time limit)" in reason:
        return "time"
    if oom_killed or re.search(r"\bMemoryError\b", reason):
        return "memory"
    return None


def _reason(evidence: Evidence, returncode: int, timed_out: bool) -> str:
    if timed_out:
        return "timeout"
    if evidence.outcome is not None:
        return evidence.reason
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum:
        try:
            sig = signal.Signals(signum)
        except ValueError:
            return f"killed by signal {signum}"
        cause = SIGNAL_CAUSES.get(sig)
        return f"killed by {sig.name}" + (f" ({cause})" if cause else "")
    return "exited before the tests finished" + (f" (exit code {returncode})" if returncode else "")


def infra_result(message: str, engine: str, started: float) -> SandboxResult:
    return SandboxResult(False, None, False, "", "", time.monotonic() - started, engine, f"sandbox error: {message}",
                         infra_error=message)


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-2:])[:300]

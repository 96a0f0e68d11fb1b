"""Run untrusted, model-written Python away from orbench, and decide whether it passed.

`run_python(source, limits)` is the one entry point every code grader uses: `source` is the
candidate program followed by its tests, and the result says `passed` only when the program
demonstrably ran to its end. A harness runs the script inside the sandbox and, only after its
last line has run without an exception or an exit, hands back a one-time token that the script
never sees; an exit 0 without it ("exited before the tests finished"), an exception, a timeout
or a signal is a failure with its reason. How the program is isolated (bubblewrap, `unshare`,
orbench's own namespaces, or process limits only) is chosen once per process by `isolation.py`
from what the machine allows, and the layers really in force are reported with every result.
"""

from __future__ import annotations

import sys
from typing import Any

from .execute import cancel_all, run_program
from .engines import CONTAINERS
from .isolation import CONTAINER_REFUSAL, SandboxUnavailable, choose
from .pair import run_pair
from .sandboxtypes import SAFE_ENV, SANDBOX_MODES, Limits, SandboxMode, SandboxResult

__all__ = ["SAFE_ENV", "SANDBOX_MODES", "Limits", "SandboxMode", "SandboxResult", "run_python", "run_calls", "cancel_running"]


def run_python(source: str, limits: Limits = Limits(), python: str | None = None) -> SandboxResult:
    """Run `source` as a script in the sandbox; passed only if it ran to its end."""
    interpreter = python or sys.executable
    try:
        choice = choose(limits.isolation, interpreter)
    except SandboxUnavailable as exc:
        return SandboxResult(False, None, False, "", "", 0.0, "none", f"sandbox error: {exc}", infra_error=str(exc))
    return run_program(choice, source, limits, interpreter)


def run_calls(program: str, tests: str, limits: Limits = Limits(), prelude: str = "", entry: str | None = None,
              call_seconds: float | None = None, python: str | None = None,
              stdin_preamble: str | None = None, tests_config: dict[str, Any] | None = None) -> SandboxResult:
    """Run `tests` against `program` with the two in separate sandboxes: the tests call the
    program's functions through the call channel (`pair.py`) and compare plain values. `prelude`
    (the task's helpers and imports) runs before the tests on their side; `entry` is always the
    program's. Container engines, which cannot pass the channel's pipes, are refused."""
    interpreter = python or sys.executable
    try:
        choice = choose(limits.isolation, interpreter)
    except SandboxUnavailable as exc:
        return SandboxResult(False, None, False, "", "", 0.0, "none", f"sandbox error: {exc}", infra_error=str(exc))
    if choice.engine in CONTAINERS:  # no descriptors into a container, and one script could forge its verdict
        why = f"the {choice.engine} engine {CONTAINER_REFUSAL}"
        return SandboxResult(False, None, False, "", "", 0.0, choice.engine, f"sandbox error: {why}", infra_error=why)
    return run_pair(choice, program, tests, limits, interpreter, prelude, entry, call_seconds, stdin_preamble,
                    tests_config)


def cancel_running() -> None:
    """Kill every sandboxed program still running (on Ctrl-C); their results are infra errors."""
    cancel_all()

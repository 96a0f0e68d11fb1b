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
from dataclasses import dataclass
from typing import Literal

SAFE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
SandboxMode = Literal["auto", "strict", "none", "bwrap", "unshare", "python", "process", "docker", "podman"]
SANDBOX_MODES: tuple[str, ...] = ("auto", "strict", "none", "bwrap", "unshare", "python", "process", "docker", "podman")


@dataclass(frozen=True)
class Limits:
    """Per-program limits, and which isolation to use (`auto`: the best this machine has)."""

    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_bytes: int = 1 << 30  # address space per process
    file_bytes: int = 8 << 20  # largest file, stdout and stderr included
    open_files: int = 64
    output_bytes: int = 64 << 10  # stdout/stderr kept in the result
    processes: int = 64  # processes and threads of the program together
    disk_bytes: int = 64 << 20  # size of each of its private /tmp and /work
    isolation: SandboxMode = "auto"


@dataclass(frozen=True)
class SandboxResult:
    passed: bool
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    seconds: float
    isolation: str  # engine and verified layers, e.g. "bwrap+user-ns+pid-ns+...+rlimits"
    reason: str  # "passed", "timeout", "killed by SIGKILL", "exited before the tests finished", ...
    infra_error: str | None = None  # the sandbox failed, not the program: not a wrong answer
    layers: tuple[str, ...] = ()


def run_python(source: str, limits: Limits = Limits(), python: str | None = None) -> SandboxResult:
    """Run `source` as a script in the sandbox; passed only if it ran to its end."""
    from .execute import run_program
    from .isolation import SandboxUnavailable, choose

    interpreter = python or sys.executable
    try:
        choice = choose(limits.isolation, interpreter)
    except SandboxUnavailable as exc:
        return SandboxResult(False, None, False, "", "", 0.0, "none", f"sandbox error: {exc}", infra_error=str(exc))
    return run_program(choice, source, limits, interpreter)


def cancel_running() -> None:
    """Kill every sandboxed program still running (on Ctrl-C); their results are infra errors."""
    from .execute import cancel_all

    cancel_all()

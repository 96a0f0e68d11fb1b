"""The sandbox's shared vocabulary: the limits a program runs under, the modes `--sandbox` takes,
the result of one program, and the engine choice `isolation.py` makes. Plain data only; every other
sandbox module imports from here, and this imports none of them, so imports run one way:
sandboxtypes <- engines, verdict, cgroups <- execute <- isolation <- sandbox <- graders.
"""

from __future__ import annotations

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
    program_memory_bytes: int = 2 << 30  # all its processes together, where a memory cgroup can be made
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
    limit: str | None = None  # "time" or "memory": a failed program was stopped by that limit (verdict.limit_of)


REQUIRED = {"pid-ns": "a pid namespace", "mount-ns": "a mount namespace", "net-ns": "a network namespace",
            "ipc-ns": "an IPC namespace", "read-only-system": "a read-only system view",
            "private-tmp": "a private /tmp"}
PROCESS_CAPS = ("pids-cgroup", "nproc-limit")


@dataclass(frozen=True)
class Choice:
    """The engine programs run under, as `isolation.py` found it by probing this machine."""

    engine: str
    drop_uid: bool = False  # started as the sandbox uid (orbench runs as root)
    cgroup: bool = True  # a pids (and memory) cgroup per program, where one is writable
    layers: tuple[str, ...] = ()  # what the probe found in force
    unavailable: tuple[tuple[str, str], ...] = ()  # engines tried first, and why they were not used

    @property
    def namespaced(self) -> bool:
        return all(layer in self.layers for layer in ("pid-ns", "mount-ns", "net-ns"))

    @property
    def graded_layers(self) -> tuple[str, ...]:
        """The layers code graders get: the probe's, and the call channel (tests apart from the
        program); container engines, which cannot pass its pipes, are refused before any grading."""
        return (*self.layers, "call-channel")

    @property
    def missing(self) -> list[str]:
        """What a security reviewer would want and this sandbox lacks."""
        missing = [text for layer, text in REQUIRED.items() if layer not in self.layers]
        if "uid-0" in self.layers or "uid-unknown" in self.layers:
            missing.append("an unprivileged uid")
        if not set(PROCESS_CAPS) & set(self.layers):
            missing.append("a process cap (pids cgroup or RLIMIT_NPROC)")
        return missing

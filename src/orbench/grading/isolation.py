"""Which sandbox this machine gives model-written code, found once per process by trying.

For `auto` and `strict`, the first of bubblewrap, the `unshare` tool and orbench's own
namespaces whose probe (a harmless program run through the whole sandbox) comes back with pid,
mount and network namespaces in force. Otherwise `auto` falls back to process limits (and the run
says so once); `strict` refuses, naming what is missing and how to get it. `none` is process
limits only, for debugging; an engine's name forces that engine.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from dataclasses import replace

from . import cgroups
from .engines import CONTAINERS, NAMESPACED
from .execute import run_program
from .sandboxtypes import Choice, Limits

HOW_TO_GET = ("install bubblewrap (e.g. apt-get install bubblewrap) or allow unprivileged user namespaces "
              "(sysctl kernel.unprivileged_userns_clone=1 / kernel.apparmor_restrict_unprivileged_userns=0)")
PROBE_SOURCE = "import sys\nassert sys.flags.isolated\n"
PROBE_LIMITS = Limits(wall_seconds=30, cpu_seconds=10)


class SandboxUnavailable(Exception):
    """The isolation asked for cannot be had on this machine."""


_lock = threading.Lock()
_cache: dict[tuple[str, str], Choice | SandboxUnavailable] = {}


def choose(mode: str, python: str) -> Choice:
    """The engine for `mode` with this interpreter (probed once per process), or SandboxUnavailable."""
    with _lock:
        if (mode, python) not in _cache:
            try:
                _cache[mode, python] = _choose(mode, python)
            except SandboxUnavailable as exc:
                _cache[mode, python] = exc
        found = _cache[mode, python]
    if isinstance(found, SandboxUnavailable):
        raise found
    return found


def forget() -> None:
    """Probe again next time (tests; a machine whose setup changed)."""
    with _lock:
        _cache.clear()


def _choose(mode: str, python: str) -> Choice:
    if mode in ("none", "process"):
        return _process(python)
    if mode not in ("auto", "strict"):
        choice, why = probe(mode, python)
        if choice is None:
            raise SandboxUnavailable(f"--sandbox {mode}: {why}")
        return choice
    tried: list[tuple[str, str]] = []
    for engine in NAMESPACED:
        choice, why = probe(engine, python)
        if choice is not None and choice.namespaced:
            choice = replace(choice, unavailable=tuple(tried))
            if mode == "strict" and choice.missing:
                raise SandboxUnavailable(strict_message(choice.missing, tried))
            return choice
        tried.append((engine, why or "no namespaces in force"))
    if mode == "strict":
        raise SandboxUnavailable(strict_message(["namespace isolation"], tried))
    return replace(_process(python), unavailable=tuple(tried))


CONTAINER_REFUSAL = ("cannot run a benchmark's tests apart from the program (no call channel into a container: "
                     "in one process the program could forge its own verdict); use --sandbox auto, bwrap, unshare "
                     "or python")


def probe(engine: str, python: str) -> tuple[Choice | None, str | None]:
    """Run a harmless program through `engine`; the choice it makes, or why it cannot be used.
    The container engines are refused: every code benchmark runs its tests apart from the program,
    which they cannot do (their one-script path is kept, untested here, for no grader)."""
    if engine in CONTAINERS:
        return None, f"the {engine} engine {CONTAINER_REFUSAL}"
    tool = {"bwrap": "bwrap", "unshare": "unshare"}.get(engine)
    if tool and not shutil.which(tool):
        return None, f"{tool} is not installed"
    if engine in NAMESPACED and not sys.platform.startswith("linux"):
        return None, "needs Linux"
    drop = os.geteuid() == 0 and engine in ("bwrap", "process")
    # A pid namespace already takes every process with it, and RLIMIT_NPROC counts per user
    # namespace: the cgroup (whose join costs a few ms a program) only where that cap is missing,
    # or where it can also cap the whole program's memory.
    found: Choice | None = None
    for cgroup in ((False, True) if engine in NAMESPACED else (True,)):
        result = run_program(Choice(engine, drop, cgroup), PROBE_SOURCE, PROBE_LIMITS, python)
        if not result.passed:  # with a cgroup that could not be joined: the engine without one
            return (found, None) if found is not None else (None, _short(result.infra_error or result.reason))
        found = Choice(engine, drop, cgroup, result.layers)
        if cgroup or ("nproc-limit" in result.layers and not cgroups.can_cap_memory()):
            break
    return found, None


def _process(python: str) -> Choice:
    """Process limits only: as the sandbox uid when orbench is root and the interpreter allows it."""
    for drop in ((True, False) if os.geteuid() == 0 else (False,)):
        result = run_program(Choice("process", drop), PROBE_SOURCE, PROBE_LIMITS, python)
        if result.passed:
            return Choice("process", drop, True, result.layers)
        why = result.infra_error or result.reason
    raise SandboxUnavailable(f"cannot run Python at all: {_short(why)}")


def strict_message(missing: list[str], tried: list[tuple[str, str]]) -> str:
    why = "; ".join(f"{engine}: {reason}" for engine, reason in tried)
    return f"--sandbox strict: no {', no '.join(missing)}" + (f" ({why})" if why else "") + f"; {HOW_TO_GET}"


def fallback_warning(choice: Choice, mode: str) -> str | None:
    """The one warning a run prints about its sandbox, or None when nothing is missing."""
    if mode == "none":
        return ("--sandbox none: model-written code runs with process limits only (no namespaces); "
                "use it for debugging, never on code you do not trust")
    if not choice.namespaced:
        why = "; ".join(f"{engine}: {reason}" for engine, reason in choice.unavailable)
        return (f"no namespace sandbox on this machine ({why}); model-written code runs with process limits only "
                f"and can see the network, other processes and the filesystem; {HOW_TO_GET}, or use --sandbox strict")
    if choice.missing:
        return f"the {choice.engine} sandbox lacks {', '.join(choice.missing)}"
    return None


def _short(text: str) -> str:
    return " ".join(text.split())[:160]

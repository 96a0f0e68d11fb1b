"""A pids cgroup per sandboxed program: a process cap that holds for root too, and a list of
every process the program started, however it detached itself, to kill at the end; and, where one
can be made, a memory cgroup that caps the whole program (all its processes together), which
per-process limits cannot do (six children of 400 MiB each stay under a 1 GiB RLIMIT_AS).

Used where a cgroup that can hold the `pids` controller is writable: cgroup v2 (a delegated
subtree, or the root hierarchy when orbench runs as root) or the v1 `pids` hierarchy. The memory
cap lives in the same v2 group when its parent delegates `memory`, or in a group of the v1
`memory` hierarchy. orbench moves the sandbox's first process into the groups while its
interpreter starts (`execute.Sandboxed.join_cgroup`); the harness starts nothing before orbench
says it did.
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "orbench-"
_counter = itertools.count()
_probe_lock = threading.Lock()


@dataclass(frozen=True)
class PidsCgroup:
    path: Path
    memory: Path | None = None  # a v1 memory group beside the pids group (v2: the same group)
    kinds: tuple[str, ...] = ("pids",)

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.path,) if self.memory is None else (self.path, self.memory)

    def add(self, pid: int) -> bool:
        """Move process `pid` into each group (its children from then on are born there)."""
        try:
            for path in self.paths:
                (path / "cgroup.procs").write_text(str(pid))
        except OSError:
            return False
        return True

    def oom_killed(self) -> bool:
        """True once the memory cap killed a process of the group (v2 `memory.events`, v1
        `memory.oom_control`: their `oom_kill` count); False where there is no memory cap or no count."""
        if "memory" not in self.kinds and self.memory is None:
            return False
        where = self.memory / "memory.oom_control" if self.memory is not None else self.path / "memory.events"
        try:
            counts = dict(line.split()[:2] for line in where.read_text().splitlines() if len(line.split()) >= 2)
        except OSError:
            return False
        return counts.get("oom_kill", "0") not in ("0", "")

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.paths:
            try:
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return sorted(found)

    def destroy(self, grace_s: float = 2.0) -> list[int]:
        """Kill everything in the group, wait for it to empty, remove it; the pids that were left."""
        left = self.pids()
        deadline = time.monotonic() + grace_s
        while True:
            pids = self.pids()
            if not pids or time.monotonic() > deadline:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.005)
        for path in self.paths:
            try:
                path.rmdir()
            except OSError:
                pass
        return left


def create(max_pids: int, memory_bytes: int | None = None) -> PidsCgroup | None:
    """A new group with `pids.max` (and the memory cap, where one can be set), or None where no
    pids cgroup is writable."""
    parent = writable_parent()
    if parent is None:
        return None
    name = f"{PREFIX}{os.getpid()}-{next(_counter)}"
    path = parent / name
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(max_pids))
    except OSError:
        _rmdir(path)
        return None
    if memory_bytes is None:
        return PidsCgroup(path)
    if _write_all(path, (("memory.max", memory_bytes), ("memory.swap.max", 0))):
        return PidsCgroup(path, kinds=("pids", "memory"))
    memory_parent = writable_memory_parent()
    if memory_parent is not None:
        memory = memory_parent / name
        try:
            memory.mkdir()
            if _write_all(memory, (("memory.limit_in_bytes", memory_bytes), ("memory.memsw.limit_in_bytes", memory_bytes))):
                return PidsCgroup(path, memory, ("pids", "memory"))
        except OSError:
            pass
        _rmdir(memory)
    return PidsCgroup(path)


def can_cap_memory() -> bool:
    """Whether programs here can get a memory cgroup (a trial group, made and removed)."""
    group = create(1, 1 << 30)
    if group is None:
        return False
    group.destroy()
    return "memory" in group.kinds


def _write_all(path: Path, settings: tuple[tuple[str, int], ...]) -> bool:
    """Write the first setting (required) and the others where the kernel has them."""
    first, *others = settings
    try:
        (path / first[0]).write_text(str(first[1]))
    except OSError:
        return False
    for name, value in others:
        try:
            (path / name).write_text(str(value))
        except OSError:
            pass  # no swap accounting: the memory limit alone
    return True


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def writable_parent() -> Path | None:
    """The nearest cgroup (ours or an ancestor) where orbench may create pids-limited groups."""
    with _probe_lock:
        return _find_parent()


@functools.lru_cache(maxsize=1)
def _find_parent() -> Path | None:
    return _probe(_candidates(), "pids.max")


def writable_memory_parent() -> Path | None:
    """The v1 memory hierarchy's group where orbench may create memory-capped groups."""
    with _probe_lock:
        return _find_memory_parent()


@functools.lru_cache(maxsize=1)
def _find_memory_parent() -> Path | None:
    mounts = _cgroup_mounts()
    if "memory" not in mounts:
        return None
    for line in _read("/proc/self/cgroup").splitlines():
        ident, controllers, rel = line.split(":", 2)
        if "memory" in controllers.split(","):
            return _probe(_ancestors(mounts["memory"], rel), "memory.limit_in_bytes")
    return None


def _probe(candidates: list[Path], control: str) -> Path | None:
    for candidate in candidates:
        probe = candidate / f"{PREFIX}{os.getpid()}-probe"
        try:
            probe.mkdir()
            ok = (probe / control).exists() and os.access(candidate / "cgroup.procs", os.W_OK)
            probe.rmdir()
        except OSError:
            continue
        if ok:
            _remove_stale(candidate)
            return candidate
    return None


def _candidates() -> list[Path]:
    """v2 ancestors whose children get the pids controller, then the v1 pids hierarchy's."""
    mounts = _cgroup_mounts()
    v2: list[Path] = []
    v1: list[Path] = []
    for line in _read("/proc/self/cgroup").splitlines():
        ident, controllers, rel = line.split(":", 2)
        if ident == "0" and "cgroup2" in mounts:
            v2.extend(p for p in _ancestors(mounts["cgroup2"], rel)
                      if "pids" in _read(str(p / "cgroup.subtree_control")).split())
        elif "pids" in controllers.split(",") and "pids" in mounts:
            v1.extend(_ancestors(mounts["pids"], rel))
    return v2 + v1


def _ancestors(mount: Path, rel: str) -> list[Path]:
    parts = [p for p in rel.strip("/").split("/") if p and p != ".."]
    return [mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _cgroup_mounts() -> dict[str, Path]:
    mounts: dict[str, Path] = {}
    for line in _read("/proc/self/mountinfo").splitlines():
        left, _, right = line.partition(" - ")
        fields, more = left.split(), right.split()
        if len(fields) < 5 or len(more) < 3:
            continue
        if more[0] == "cgroup2":
            mounts.setdefault("cgroup2", Path(fields[4]))
        elif more[0] == "cgroup":
            for kind in ("pids", "memory"):
                if kind in more[2].split(","):
                    mounts.setdefault(kind, Path(fields[4]))
    return mounts


def _remove_stale(parent: Path) -> None:
    """Groups left by orbench processes that no longer exist (empty ones only)."""
    for path in parent.glob(f"{PREFIX}*-*"):
        pid = path.name[len(PREFIX):].split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            try:
                path.rmdir()
            except OSError:
                pass


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""

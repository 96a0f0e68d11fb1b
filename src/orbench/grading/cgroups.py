"""A pids cgroup per sandboxed program: a process cap that holds for root too, and a list of
every process the program started, however it detached itself, to kill at the end.

Used where a cgroup that can hold the `pids` controller is writable: cgroup v2 (a delegated
subtree, or the root hierarchy when orbench runs as root) or the v1 `pids` hierarchy. The
sandboxed harness joins the group itself, first thing, by writing to a `cgroup.procs` descriptor
that orbench opened (the kernel checks the opener's rights, so an unprivileged sandbox can).
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

    def open_procs(self) -> int:
        """A write descriptor on `cgroup.procs`, for the sandbox to join the group with."""
        return os.open(self.path / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

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
        try:
            self.path.rmdir()
        except OSError:
            pass
        return left


def create(max_pids: int) -> PidsCgroup | None:
    """A new group with `pids.max`, or None where no pids cgroup is writable."""
    parent = writable_parent()
    if parent is None:
        return None
    path = parent / f"{PREFIX}{os.getpid()}-{next(_counter)}"
    try:
        path.mkdir()
        (path / "pids.max").write_text(str(max_pids))
    except OSError:
        try:
            path.rmdir()
        except OSError:
            pass
        return None
    return PidsCgroup(path)


def writable_parent() -> Path | None:
    """The nearest cgroup (ours or an ancestor) where orbench may create pids-limited groups."""
    with _probe_lock:
        return _find_parent()


@functools.lru_cache(maxsize=1)
def _find_parent() -> Path | None:
    for candidate in _candidates():
        probe = candidate / f"{PREFIX}{os.getpid()}-probe"
        try:
            probe.mkdir()
            ok = (probe / "pids.max").exists() and os.access(candidate / "cgroup.procs", os.W_OK)
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
        elif more[0] == "cgroup" and "pids" in more[2].split(","):
            mounts.setdefault("pids", Path(fields[4]))
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

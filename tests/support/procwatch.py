"""Test helpers that watch the machine from outside the sandbox: processes left behind, the peak
number of processes under the test, and a loopback listener that records what reaches it."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path


def _ppid_and_comm(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    return int(stat[stat.rindex(")") + 2:].split()[1]), comm


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def descendants(root: int) -> list[int]:
    """Every live process below `root` (zombies included: they are not gone yet)."""
    parent = {pid: info[0] for pid in _pids() if (info := _ppid_and_comm(pid))}
    found = []
    for pid in parent:
        up = parent.get(pid)
        while up and up != root and up in parent:
            up = parent[up]
        if up == root and pid != root:
            found.append(pid)
    return found


def with_marker(marker: str) -> list[int]:
    """Processes whose command line or name carries `marker` (how test programs tag what they start)."""
    found = []
    for pid in _pids():
        info = _ppid_and_comm(pid)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if info and (marker in info[1] or marker in cmdline) and pid != os.getpid():
            found.append(pid)
    return found


def leftovers(marker: str) -> list[str]:
    """What a sandboxed program left running: children of this test process, or tagged processes."""
    pids = sorted(set(descendants(os.getpid())) | set(with_marker(marker)))
    return [f"{pid} {(_ppid_and_comm(pid) or (0, '?'))[1]}" for pid in pids]


class PeakCounter:
    """Samples the number of processes under the test process every few milliseconds."""

    def __init__(self, every_s: float = 0.01):
        self.peak, self._every, self._stop = 0, every_s, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, len(descendants(me)))
            time.sleep(self._every)

    def __enter__(self) -> "PeakCounter":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Listener:
    """TCP and UDP on 127.0.0.1 (ports chosen by the kernel), recording connections and bytes."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.tcp.settimeout(0.05)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.05)
        self.port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        self.connections, self.received = 0, b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.tcp.accept()
                self.connections += 1
                conn.settimeout(0.2)
                try:
                    self.received += conn.recv(1024)
                except OSError:
                    pass
                conn.close()
            except OSError:
                pass
            try:
                self.received += self.udp.recv(1024)
            except OSError:
                pass

    def __enter__(self) -> "Listener":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.3)  # anything in flight arrives
        self._stop.set()
        self._thread.join()
        self.tcp.close()
        self.udp.close()

"""One sandboxed program, start to verdict: its folder, token, cgroup and pipes; the launch; the
deadline; killing and waiting for everything it left; reading the evidence (`verdict.py`)."""

from __future__ import annotations

import marshal
import os
import secrets
import select
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from . import cgroups
from .engines import (COMPILED, NAMESPACED, SANDBOX_GID, SANDBOX_UID, Folder, Launch, compiled_harness, launch,
                      site_path)
from .sandboxtypes import SAFE_ENV, Choice, Limits, SandboxResult
from .verdict import infra_result, parse_evidence, verdict

_live: set[subprocess.Popen[bytes]] = set()  # programs running now, for cancel_all
_cancelled: set[int] = set()  # pids of launchers that cancel_all killed
_live_lock = threading.Lock()
_epoch = [0]  # bumped by cancel_all: a program prepared before it does not start


def run_program(choice: Choice, source: str, limits: Limits, python: str) -> SandboxResult:
    """Run `source` under `choice`'s engine; never raises, always cleans up."""
    started, epoch = time.monotonic(), _epoch[0]
    run = Sandboxed(choice, limits, python)
    try:
        run.start(source, epoch)
        run.join_cgroup()
        timed_out, cancelled = _wait_and_kill(run.proc, limits.wall_seconds)
        return run.collect(timed_out, cancelled, started)
    except _Failed as exc:
        return infra_result(str(exc), choice.engine, started)
    finally:
        run.cleanup()


class _Failed(Exception):
    """The sandbox could not be prepared or started (an infrastructure error)."""


class Sandboxed:
    """One program in its sandbox: its folder, cgroup, token and evidence pipe, and its process.
    `extra` goes into the harness's configuration; `call_fds` are passed to it as they are."""

    def __init__(self, choice: Choice, limits: Limits, python: str, extra: dict[str, Any] | None = None,
                 call_fds: tuple[int, ...] = ()):
        self.choice, self.limits, self.python = choice, limits, python
        self.extra, self.call_fds = extra or {}, call_fds
        self.folder: Folder | None = None
        self.cgroup: cgroups.PidsCgroup | None = None
        self.evidence_r = self.joined_w = self.info_r = -1
        self.token = secrets.token_hex(16)
        self.config: dict[str, Any] = {}
        self.proc: subprocess.Popen[bytes]

    def start(self, source: str, epoch: int, files: dict[str, str] | None = None) -> None:
        choice = self.choice
        try:
            compiled = compiled_harness(self.python) if choice.engine in (*NAMESPACED, "process") else None
            self.folder = Folder.create(source, SANDBOX_UID if choice.drop_uid else None, choice.engine, files,
                                        compiled)
        except OSError as exc:
            raise _Failed(f"cannot prepare the sandbox folder: {exc}") from None
        if choice.cgroup and choice.engine in (*NAMESPACED, "process"):
            self.cgroup = cgroups.create(self.limits.processes, self.limits.program_memory_bytes)
        try:
            token_r, self.evidence_r, evidence_w = _pipes(self.token)
            passed = [token_r, evidence_w]
            try:
                if self.cgroup is not None:  # the harness waits on `joined` until orbench has moved it
                    joined_r, self.joined_w = os.pipe()
                    passed.append(joined_r)
                    if choice.engine == "bwrap":  # bubblewrap says its child's pid on --info-fd
                        self.info_r, info_w = os.pipe()
                        passed.append(info_w)
                plan, self.config = _prepare(choice, self.folder, self.limits, self.python, passed,
                                             self.extra.get("role") == "tests")
                kinds = list(self.cgroup.kinds) if self.cgroup is not None else []
                self.config.update(self.extra, call_fds=list(self.call_fds), cgroup_kinds=kinds)
                self.proc = _spawn(plan, self.config, self.folder, choice, epoch)
            finally:
                for fd in passed:  # the sandbox has its copies
                    os.close(fd)
        except OSError as exc:
            raise _Failed(f"cannot start the sandbox: {exc}") from None

    def join_cgroup(self) -> None:
        """Move the sandbox's first process into its cgroup(s) from here, while its interpreter
        starts, and tell its harness, which starts nothing before it hears: a move waits for an RCU
        grace period (~10 ms) that the harness would otherwise spend waiting itself."""
        if self.joined_w < 0:
            return
        assert self.cgroup is not None
        pid = self._first_pid()
        moved = pid is not None and self.cgroup.add(pid)
        try:
            os.write(self.joined_w, b"1" if moved else b"0")
        except OSError:  # the sandbox is gone already
            pass
        self._close_join()

    def _first_pid(self) -> int | None:
        """The host pid of the process that runs the harness: the launcher's own (python,
        process), the child of `unshare`, the child that bubblewrap names on --info-fd."""
        if self.choice.engine == "bwrap":
            return _bwrap_child(self.info_r, self.limits.wall_seconds)
        if self.choice.engine == "unshare":
            deadline = time.monotonic() + self.limits.wall_seconds
            while time.monotonic() < deadline and self.proc.poll() is None:
                children = _children(self.proc.pid)
                if children:  # `unshare --fork` forks once; anything else is not moved (a setup error)
                    return children[0] if len(children) == 1 else None
                time.sleep(0.0005)
            return None
        return self.proc.pid

    def _close_join(self) -> None:
        for name in ("joined_w", "info_r"):
            if getattr(self, name) >= 0:
                os.close(getattr(self, name))
                setattr(self, name, -1)

    def collect(self, timed_out: bool, cancelled: bool, started: float) -> SandboxResult:
        """The verdict, from the evidence, exit status and output of a program that has ended."""
        assert self.folder is not None
        if cancelled:
            return infra_result("cancelled", self.choice.engine, started)
        try:
            raw = _read_available(self.evidence_r) + _read_container_evidence(self.folder, self.config)
            stdout, stderr = (_read_capped(self.folder.base / name, self.limits.output_bytes)
                              for name in ("stdout", "stderr"))
        except OSError as exc:
            return infra_result(f"cannot read the sandbox's results: {exc}", self.choice.engine, started)
        oom = self.cgroup is not None and self.cgroup.oom_killed()
        return verdict(parse_evidence(raw, self.token), self.proc.returncode, timed_out, stdout, stderr,
                       self.choice.engine, started, oom_killed=oom)

    def cleanup(self) -> None:
        self._close_join()
        if self.evidence_r >= 0:
            os.close(self.evidence_r)
            self.evidence_r = -1
        if self.cgroup is not None:
            self.cgroup.destroy()
        if self.folder is not None:
            self.folder.remove()


def _prepare(choice: Choice, folder: Folder, limits: Limits, python: str, fds: list[int],
             tests: bool = False) -> tuple[Launch, dict[str, Any]]:
    """The launch command and the harness's configuration (descriptors, limits, host facts). The
    tests' side starts without `site` (its .pth files and sitecustomize run no test's code), with
    the `sys.path` that `site` would have made; the program's side starts as any script would."""
    path = site_path(python) if tests else None
    plan = launch(choice.engine, folder, python, limits.disk_bytes, limits.processes, limits.memory_bytes,
                  (folder.input / COMPILED).exists(), site=path is None)
    if len(fds) > 3:  # bubblewrap's --info-fd
        plan = Launch([plan.argv[0], "--info-fd", str(fds[3]), *plan.argv[1:]], plan.config, plan.env)
    config = {**plan.config, "token_fd": fds[0], "evidence_fd": fds[1], "joined_fd": fds[2] if len(fds) > 2 else None,
              "passed_fds": fds,
              "limits": _harness_limits(limits), "env": sorted(plan.env), "host": _host_facts(limits)}
    if path is not None:
        config["sys_path"] = list(path)
    if choice.engine in ("bwrap", "process"):  # the kernel uid cannot change after the start
        config["launch_uid"] = SANDBOX_UID if choice.drop_uid else os.geteuid()
    if "channel_dir" in config:
        token = os.read(fds[0], 64).decode()  # containers get the token as a file instead
        _container_channel(folder, token)
    return plan, config


def _bwrap_child(info_r: int, limit_s: float) -> int | None:
    """The `child-pid` in bubblewrap's --info-fd JSON (written, then closed, before its child
    builds the sandbox), or None if bubblewrap ended or said nothing in time."""
    import json

    data, deadline = b"", time.monotonic() + limit_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([info_r], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(info_r, 4096) if ready else b""
        data += chunk
        if not chunk or data.rstrip().endswith(b"}"):
            break
    try:
        pid = json.loads(data)["child-pid"]
    except (ValueError, KeyError, TypeError):
        return None
    return pid if isinstance(pid, int) and pid > 0 else None


def _pipes(token: str) -> tuple[int, int, int]:
    """The token pipe, filled and closed for writing, and the evidence pipe."""
    token_r, token_w = os.pipe()
    os.write(token_w, token.encode())
    os.close(token_w)
    evidence_r, evidence_w = os.pipe()
    return token_r, evidence_r, evidence_w


def _spawn(plan: Launch, config: dict[str, Any], folder: Folder, choice: Choice,
           epoch: int) -> subprocess.Popen[bytes]:
    if epoch != _epoch[0]:
        raise OSError("cancelled")
    drop: dict[str, Any] = dict(user=SANDBOX_UID, group=SANDBOX_GID, extra_groups=[]) if choice.drop_uid else {}
    launcher_env = plan.env if choice.engine in ("unshare", "python", "process") else dict(SAFE_ENV)
    cwd = folder.work if choice.engine == "process" else folder.base
    fds = [*config.pop("passed_fds"), *config.get("call_fds", [])]
    argv = [*plan.argv, marshal.dumps(config, 4).hex()]
    with open(folder.base / "stdout", "wb") as out, open(folder.base / "stderr", "wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=launcher_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                pass_fds=fds, start_new_session=True, **drop)
    with _live_lock:
        _live.add(proc)
    return proc


def _wait_and_kill(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bool, bool]:
    """Wait up to `deadline` seconds, then kill the sandbox's pid 1 (which takes its whole pid
    namespace with it) and the launcher's process group, and wait until they are gone.
    (timed out, cancelled by cancel_all)."""
    try:
        timed_out = not _exits_within(proc, deadline)
        if timed_out:
            for pid in _children(proc.pid):
                _kill(lambda: os.kill(pid, signal.SIGKILL))
        _kill(lambda: os.killpg(proc.pid, signal.SIGKILL))  # a finished launcher may have left its group
        proc.wait()
        _wait_until_gone(proc.pid)
    finally:
        with _live_lock:
            _live.discard(proc)
            cancelled = proc.pid in _cancelled
            _cancelled.discard(proc.pid)
    return timed_out, cancelled


def _exits_within(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait for the exit without polling (a pidfd, where there is one; Popen.wait sleeps in steps
    of up to 50 ms, which would be most of a short program's time)."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        try:
            proc.wait(timeout=seconds)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        ready, _, _ = select.select([pidfd], [], [], seconds)
        return bool(ready)
    finally:
        os.close(pidfd)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc, readable even where bwrap hides its own files)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append(int(entry))
    return found


def _wait_until_gone(group: int, limit_s: float = 2.0) -> None:
    """Signals are delivered at once but processes die a moment later: wait for the group to empty."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except OSError:
            return
        time.sleep(0.002)


def _kill(action: Any) -> None:
    try:
        action()
    except (ProcessLookupError, PermissionError):
        pass


def cancel_all() -> None:
    with _live_lock:
        _epoch[0] += 1
        procs = list(_live)
        _cancelled.update(p.pid for p in procs)
    for proc in procs:
        for pid in _children(proc.pid):
            _kill(lambda: os.kill(pid, signal.SIGKILL))
        _kill(lambda: os.killpg(proc.pid, signal.SIGKILL))


def _harness_limits(limits: Limits) -> dict[str, int]:
    return dict(cpu=limits.cpu_seconds, memory=limits.memory_bytes, file=limits.file_bytes,
                nofile=limits.open_files, nproc=limits.processes)


def _host_facts(limits: Limits) -> dict[str, Any]:
    """What the harness compares itself with: orbench's namespaces and temporary folder."""
    kinds = ("user", "pid", "mnt", "net", "ipc", "uts", "cgroup")
    ns = {k: os.readlink(f"/proc/self/ns/{k}") for k in kinds if os.path.exists(f"/proc/self/ns/{k}")}
    return {"ns": ns, "tmp_dev": os.stat(tempfile.gettempdir()).st_dev, "disk_bytes": limits.disk_bytes}


def _container_channel(folder: Folder, token: str) -> None:
    (folder.channel / "token").write_text(token)
    (folder.channel / "evidence").touch()
    if os.geteuid() == 0:
        for name in ("token", "evidence"):
            os.chown(folder.channel / name, SANDBOX_UID, SANDBOX_GID)


def _read_container_evidence(folder: Folder, config: dict[str, Any]) -> bytes:
    if "channel_dir" not in config:
        return b""
    try:
        return (folder.channel / "evidence").read_bytes()[: 1 << 20]
    except OSError:
        return b""


def _read_available(fd: int) -> bytes:
    """What is in the pipe now (a process that escaped may still hold its other end open)."""
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    try:
        while (chunk := os.read(fd, 1 << 16)) and sum(map(len, chunks)) < 1 << 20:
            chunks.append(chunk)
    except BlockingIOError:
        pass
    return b"".join(chunks)


def _read_capped(path: Path, cap: int) -> str:
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > cap else "")

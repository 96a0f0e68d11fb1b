"""One sandboxed program, start to verdict: its folder, token, cgroup and pipes; the launch;
the deadline; killing everything it left; reading the evidence; the reason."""

from __future__ import annotations

import hmac
import marshal
import os
import secrets
import select
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cgroups
from .engines import NAMESPACED, SANDBOX_GID, SANDBOX_UID, Folder, launch
from .harness import SETUP_FAILED
from .sandbox import SAFE_ENV, Limits, SandboxResult

if TYPE_CHECKING:
    from .isolation import Choice

_live: set[subprocess.Popen[bytes]] = set()  # programs running now, for cancel_all
_cancelled: set[int] = set()  # pids of launchers that cancel_all killed
_live_lock = threading.Lock()
_epoch = [0]  # bumped by cancel_all: a program prepared before it does not start
SIGNAL_CAUSES = {signal.SIGXCPU: "CPU time limit", signal.SIGXFSZ: "file size limit"}


@dataclass
class Evidence:
    layers: tuple[str, ...] | None = None  # None: the harness never started
    setup_error: str | None = None
    outcome: str | None = None  # "passed", "exception" or "exit", only when the token matched
    reason: str = ""


def run_program(choice: "Choice", source: str, limits: Limits, python: str) -> SandboxResult:
    started, epoch = time.monotonic(), _epoch[0]
    label = choice.engine
    try:
        folder = Folder.create(source, SANDBOX_UID if choice.drop_uid else None, choice.engine)
    except OSError as exc:
        return _infra(f"cannot prepare the sandbox folder: {exc}", label, started)
    wants_cgroup = choice.cgroup and choice.engine in (*NAMESPACED, "process")
    cgroup = cgroups.create(limits.processes) if wants_cgroup else None
    try:
        return _run(choice, folder, cgroup, limits, python, (started, epoch))
    except OSError as exc:
        return _infra(f"cannot start the sandbox: {exc}", label, started)
    finally:
        if cgroup is not None:
            cgroup.destroy()
        folder.remove()


def _run(choice: "Choice", folder: Folder, cgroup: cgroups.PidsCgroup | None, limits: Limits, python: str,
         clock: tuple[float, int]) -> SandboxResult:
    started, epoch = clock
    token = secrets.token_hex(16)
    plan = launch(choice.engine, folder, python, limits.disk_bytes, limits.processes, limits.memory_bytes)
    env = plan.env
    token_r, evidence_r, evidence_w = _pipes(token)
    passed_fds = [token_r, evidence_w]
    if cgroup is not None:
        passed_fds.append(cgroup.open_procs())
    config = {**plan.config, "token_fd": token_r, "evidence_fd": evidence_w, "cgroup_fds": passed_fds[2:],
              "limits": _harness_limits(limits), "env": sorted(env), "host": _host_facts(limits)}
    if choice.engine in ("bwrap", "process"):  # the kernel uid cannot change after the start
        config["launch_uid"] = SANDBOX_UID if choice.drop_uid else os.geteuid()
    if "channel_dir" in config:
        _container_channel(folder, token)
    try:
        proc = _spawn([*plan.argv, marshal.dumps(config, 4).hex()], folder, env, passed_fds, choice, epoch)
    finally:
        for fd in passed_fds:
            os.close(fd)
    try:
        timed_out = _wait_and_kill(proc, limits.wall_seconds)
    finally:
        with _live_lock:
            _live.discard(proc)
            cancelled = proc.pid in _cancelled
            _cancelled.discard(proc.pid)
    if cancelled:
        return _infra("cancelled", choice.engine, started)
    raw = _read_all(evidence_r) + _read_container_evidence(folder, config)
    evidence = parse_evidence(raw, token)
    stdout, stderr = (_read_capped(folder.base / name, limits.output_bytes) for name in ("stdout", "stderr"))
    return verdict(evidence, proc.returncode, timed_out, stdout, stderr, choice.engine, started)


def _pipes(token: str) -> tuple[int, int, int]:
    """The token pipe, filled and closed for writing, and the evidence pipe."""
    token_r, token_w = os.pipe()
    os.write(token_w, token.encode())
    os.close(token_w)
    evidence_r, evidence_w = os.pipe()
    return token_r, evidence_r, evidence_w


def _spawn(argv: list[str], folder: Folder, env: dict[str, str], fds: list[int], choice: "Choice",
           epoch: int) -> subprocess.Popen[bytes]:
    if epoch != _epoch[0]:
        raise OSError("cancelled")
    drop: dict[str, Any] = dict(user=SANDBOX_UID, group=SANDBOX_GID, extra_groups=[]) if choice.drop_uid else {}
    launcher_env = env if choice.engine in ("unshare", "python", "process") else dict(SAFE_ENV)
    cwd = folder.work if choice.engine == "process" else folder.base
    with open(folder.base / "stdout", "wb") as out, open(folder.base / "stderr", "wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=launcher_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                pass_fds=fds, start_new_session=True, **drop)
    with _live_lock:
        _live.add(proc)
    return proc


def _wait_and_kill(proc: subprocess.Popen[bytes], deadline: float) -> bool:
    """Wait up to `deadline` seconds, then kill the sandbox's pid 1 (which takes its whole pid
    namespace with it) and the launcher's process group, and wait until they are gone. True if
    it timed out."""
    timed_out = not _exits_within(proc, deadline)
    if timed_out:
        for pid in _children(proc.pid):
            _kill(lambda: os.kill(pid, signal.SIGKILL))
    _kill(lambda: os.killpg(proc.pid, signal.SIGKILL))  # a finished launcher may have left its group behind
    proc.wait()
    _wait_until_gone(proc.pid)
    return timed_out


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
            started: float) -> SandboxResult:
    seconds = time.monotonic() - started
    if evidence.layers is None:
        problem = evidence.setup_error or _tail(stderr) or f"exit code {returncode}"
        return _infra(f"the sandbox did not start ({problem})", engine, started)
    label = "+".join((engine, *evidence.layers))
    passed = evidence.outcome == "passed" and not timed_out
    common = dict(returncode=returncode, timed_out=timed_out, stdout=stdout, stderr=stderr, seconds=seconds,
                  isolation=label, layers=evidence.layers)
    return SandboxResult(passed=passed, reason="passed" if passed else _reason(evidence, returncode, timed_out),
                         **common)  # type: ignore[arg-type]


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


def _infra(message: str, engine: str, started: float) -> SandboxResult:
    return SandboxResult(False, None, False, "", "", time.monotonic() - started, engine, f"sandbox error: {message}",
                         infra_error=message)


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


def _read_all(fd: int) -> bytes:
    """What is in the pipe now; a process that escaped may still hold its other end open."""
    os.set_blocking(fd, False)
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            if sum(map(len, chunks)) > 1 << 20:
                break
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks)


def _read_capped(path: Path, cap: int) -> str:
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > cap else "")


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-2:])[:300]

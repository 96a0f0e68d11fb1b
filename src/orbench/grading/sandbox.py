"""Run untrusted, model-written Python outside the orbench process.

Each program runs in a fresh `python -I` subprocess, in its own process session and a temporary
working directory, with a scrubbed environment (no tokens, no proxies), no stdin, and limits on
CPU seconds, address space, file size and open files. Output goes to files in the temporary
directory, so the file-size limit also caps what a program can print. A wall-clock deadline
kills the whole process group. Where `unshare` can give the child an empty network namespace,
it gets one. Which isolation was used is reported with every result.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SAFE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_bytes: int = 1 << 30
    file_bytes: int = 8 << 20
    open_files: int = 64
    output_bytes: int = 64 << 10


@dataclass(frozen=True)
class SandboxResult:
    passed: bool
    returncode: int | None
    timed_out: bool
    stdout: str
    stderr: str
    seconds: float
    isolation: str
    infra_error: str | None = None

    @property
    def reason(self) -> str:
        if self.infra_error:
            return f"sandbox error: {self.infra_error}"
        if self.timed_out:
            return "timeout"
        if self.returncode is not None and self.returncode < 0:
            return f"killed by {signal.Signals(-self.returncode).name}"
        if self.returncode:
            tail = self.stderr.strip().splitlines()[-1:] or [f"exit code {self.returncode}"]
            return tail[0][:300]
        return "passed"


def _set_limits(limits: Limits) -> None:  # runs in the child, before exec
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@functools.lru_cache(maxsize=1)
def network_isolation_prefix() -> tuple[str, ...]:
    """`unshare` arguments that give the child no network, if this machine allows it."""
    unshare = shutil.which("unshare")
    if not unshare:
        return ()
    for args in ((unshare, "--net", "--"), (unshare, "--user", "--map-root-user", "--net", "--")):
        try:
            probe = subprocess.run([*args, "true"], capture_output=True, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return args
    return ()


def isolation_label() -> str:
    parts = ["subprocess", "python -I", "setsid", "rlimits", "scrubbed-env", "tmpdir"]
    if network_isolation_prefix():
        parts.append("no-network")
    return "+".join(parts)


def run_python(source: str, limits: Limits = Limits(), python: str | None = None) -> SandboxResult:
    """Run `source` as a script; passed means it exited 0 within the limits."""
    started = time.monotonic()
    label = isolation_label()
    try:
        with tempfile.TemporaryDirectory(prefix="orbench-sandbox-") as tmp:
            workdir = Path(tmp)
            (workdir / "main.py").write_text(source, encoding="utf-8")
            cmd = [*network_isolation_prefix(), python or sys.executable, "-I", "-B", "main.py"]
            with open(workdir / "stdout", "wb") as out, open(workdir / "stderr", "wb") as err:
                proc = subprocess.Popen(
                    cmd, cwd=workdir, env=SAFE_ENV, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                    preexec_fn=lambda: _set_limits(limits), close_fds=True,
                )
                timed_out = _wait_or_kill(proc, limits.wall_seconds)
            stdout = _read_capped(workdir / "stdout", limits.output_bytes)
            stderr = _read_capped(workdir / "stderr", limits.output_bytes)
    except OSError as exc:
        return SandboxResult(False, None, False, "", "", time.monotonic() - started, label, infra_error=str(exc))
    returncode = proc.returncode
    return SandboxResult(
        passed=(returncode == 0 and not timed_out), returncode=returncode, timed_out=timed_out,
        stdout=stdout, stderr=stderr, seconds=time.monotonic() - started, isolation=label,
    )


def _wait_or_kill(proc: subprocess.Popen, deadline: float) -> bool:
    """Wait up to `deadline` seconds; then kill the whole process group. True if it timed out."""
    try:
        proc.wait(timeout=deadline)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    # Kill the group either way: a finished parent may have left children behind.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    return timed_out


def _read_capped(path: Path, cap: int) -> str:
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    text = data[:cap].decode("utf-8", errors="replace")
    return text + ("\n[output truncated]" if len(data) > cap else "")

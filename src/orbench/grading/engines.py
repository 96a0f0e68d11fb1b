"""How each sandbox engine starts the harness, and the folder one program runs from.

- `bwrap`: bubblewrap builds the namespaces and the filesystem view, and the harness is its pid 1;
  as root it is started as the sandbox uid (65534), so the kernel counts and limits the program as
  an ordinary user.
- `unshare`: the util-linux tool makes the namespaces; the harness (`nsroot.py`) builds the view
  and gives up its privileges.
- `python`: the harness makes the namespaces itself with unshare(2), then as above.
- `process`: no namespaces: process limits, its own session, a temporary folder, the sandbox uid
  when orbench runs as root; `sandbox-exec` with a no-network, no-writes profile on macOS.
- `docker` / `podman`: a throwaway container (no network, read-only image, tmpfs work folder);
  refused by `isolation.probe`, since the call channel's pipes cannot be passed into a container.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sandboxtypes import SAFE_ENV

SANDBOX_UID = SANDBOX_GID = 65534  # nobody / nogroup
INSIDE_INPUT, INSIDE_WORK = "/run/orbench", "/work"
WORK_CHOICES = (INSIDE_WORK, "/sandbox", "/orbench-work")  # the first that hides no exposed folder
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
NAMESPACED = ("bwrap", "unshare", "python")
CONTAINERS = ("docker", "podman")  # refused by isolation.probe: no call channel into a container
ENGINES = (*NAMESPACED, "process", *CONTAINERS)
HARNESS_FILES = ("harness.py", "libc.py", "nsroot.py", "seccomp.py", "calls.py", "callends.py")
COMPILED = "harness.bin"  # the harness files compiled once per orbench process: {module name: code}
# loads the compiled harness (no compiling ~300 lines per file, per program, in each sandbox); argv[1] is its path
BOOT = ("import marshal, sys\nwith open(sys.argv[1], 'rb') as fh:\n    __orbench_code__ = marshal.loads(fh.read())\n"
        "__file__ = sys.argv[1][:-4] + '.py'\nexec(__orbench_code__['harness'])\n")
CONTAINER_IMAGE = os.environ.get("ORBENCH_SANDBOX_IMAGE", f"python:{sys.version_info[0]}.{sys.version_info[1]}-slim")


@dataclass
class Folder:
    """One program's temporary folder: `in/` (harness and script, read-only inside), `work/`
    (the process engine's working folder), `root/` (mount point of a new root), `channel/`."""

    base: Path

    @property
    def input(self) -> Path:
        return self.base / "in"

    @property
    def work(self) -> Path:
        return self.base / "work"

    @property
    def root(self) -> Path:
        return self.base / "root"

    @property
    def channel(self) -> Path:
        return self.base / "channel"

    @classmethod
    def create(cls, source: str, sandbox_uid: int | None, engine: str,
               files: dict[str, str] | None = None, compiled: bytes | None = None) -> "Folder":
        folder = cls(Path(tempfile.mkdtemp(prefix="orbench-sandbox-")))
        needed = {"process": [folder.work], "unshare": [folder.root], "python": [folder.root],
                  "docker": [folder.channel], "podman": [folder.channel]}.get(engine, [])
        for sub in (folder.input, *needed):
            sub.mkdir()
        here = Path(__file__).parent
        if compiled is not None:
            (folder.input / COMPILED).write_bytes(compiled)
        else:
            for name in HARNESS_FILES:
                shutil.copyfile(here / name, folder.input / name)
        (folder.input / "main.py").write_text(source, encoding="utf-8")
        for name, text in (files or {}).items():
            (folder.input / name).write_text(text, encoding="utf-8")
        if sandbox_uid is not None:  # readable, and the work folders writable, by the sandbox uid
            for path in (folder.base, folder.input):
                path.chmod(0o755)
            for path in needed:
                os.chown(path, sandbox_uid, SANDBOX_GID)
        return folder

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    config: dict[str, Any]  # what the harness needs to know of the layout
    env: dict[str, str]  # the program's whole environment


def launch(engine: str, folder: Folder, python: str, disk_bytes: int, max_pids: int, memory: int,
           compiled: bool = False, site: bool = True) -> Launch:
    """The command that starts the harness under `engine`, the layout it will find, its environment
    (`compiled`: the folder holds the compiled harness, not its source; `site=False`: no `site`
    module, whose .pth files and sitecustomize cost each interpreter ~3 ms: the harness sets
    `sys.path` to the one `site_path` found instead)."""
    work = INSIDE_WORK if engine in ("docker", "podman") else inside_work(python)
    if engine == "process":
        work = str(folder.work)
    env = {**SAFE_ENV, "HOME": work, "TMPDIR": work if engine == "process" else "/tmp"}
    config_inside = {"source": f"{INSIDE_INPUT}/main.py", "workdir": work}
    inside = INSIDE_INPUT if engine == "bwrap" else str(folder.input)
    harness = [python, "-I", "-B", *([] if site else ["-S"]),
               *(["-c", BOOT, f"{inside}/{COMPILED}"] if compiled else [f"{inside}/harness.py"])]
    if engine == "bwrap":
        return Launch([*bwrap_args(folder, python, disk_bytes, env, work), *harness], config_inside, env)
    if engine in ("unshare", "python"):
        ns = dict(unshare=engine == "python", userns=os.geteuid() != 0, root=str(folder.root),
                  system=exposed_paths(python), input=str(folder.input), disk=disk_bytes, work=work,
                  host_mnt=os.readlink("/proc/self/ns/mnt"))
        if os.geteuid() == 0:
            ns.update(uid=SANDBOX_UID, gid=SANDBOX_GID)
        prefix = unshare_args() if engine == "unshare" else []
        return Launch([*prefix, *harness], {**config_inside, "namespaces": ns}, env)
    if engine in ("docker", "podman"):
        return Launch(container_args(engine, folder, disk_bytes, max_pids, memory, env),
                      {**config_inside, "channel_dir": "/run/orbench-channel"}, env)
    return Launch([*macos_profile(folder), *harness], {"source": str(folder.input / "main.py"), "workdir": work}, env)


def bwrap_args(folder: Folder, python: str, disk_bytes: int, env: dict[str, str], work: str) -> list[str]:
    # --as-pid-1: the harness is the sandbox's pid 1 (not bubblewrap's own init, which the program
    # could trace): it makes itself undumpable and reaps, as with the other engines
    args = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user", "--disable-userns",
            "--die-with-parent", "--new-session", "--as-pid-1", "--hostname", "sandbox"]
    # the private /tmp first, so an interpreter installed under /tmp (a venv in a temporary checkout)
    # is bound on top of it rather than hidden by it
    args += ["--size", str(disk_bytes), "--tmpfs", "/tmp"]
    for path in exposed_paths(python):
        args += ["--symlink", os.readlink(path), path] if os.path.islink(path) else ["--ro-bind", path, path]
    args += ["--ro-bind", str(folder.input), INSIDE_INPUT, "--proc", "/proc", "--dev", "/dev"]
    for place in (work, "/dev/shm"):
        args += ["--size", str(disk_bytes), "--tmpfs", place]
    args += ["--remount-ro", "/", "--chdir", work, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return [*args, "--"]


def unshare_args() -> list[str]:
    user = ["--user", "--map-root-user"] if os.geteuid() != 0 else []
    return [shutil.which("unshare") or "unshare", *user, "--pid", "--fork", "--kill-child", "--mount", "--net",
            "--ipc", "--uts", "--cgroup", "--propagation", "private", "--"]


def container_args(runtime: str, folder: Folder, disk_bytes: int, max_pids: int, memory: int,
                   env: dict[str, str]) -> list[str]:
    args = [shutil.which(runtime) or runtime, "run", "--rm", "--network", "none", "--read-only",
            "--user", f"{SANDBOX_UID}:{SANDBOX_GID}", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--pids-limit", str(max_pids), "--memory", str(memory),
            "--tmpfs", f"/tmp:size={disk_bytes}", "--tmpfs", f"{INSIDE_WORK}:size={disk_bytes},uid={SANDBOX_UID}",
            "-v", f"{folder.input}:{INSIDE_INPUT}:ro", "-v", f"{folder.channel}:/run/orbench-channel",
            "-w", INSIDE_WORK]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    return [*args, CONTAINER_IMAGE, "python", "-I", "-B", f"{INSIDE_INPUT}/harness.py"]


def macos_profile(folder: Folder) -> list[str]:
    """`sandbox-exec` on macOS: no network, no writes outside the work folder."""
    tool = "/usr/bin/sandbox-exec"
    if sys.platform != "darwin" or not os.path.exists(tool):
        return []
    profile = ("(version 1)(allow default)(deny network*)(deny file-write*)"
               f'(allow file-write* (subpath "{folder.work}") (subpath "{folder.channel}") (literal "/dev/null"))')
    return [tool, "-p", profile]


def inside_work(python: str) -> str:
    """The sandbox's working folder: /work, unless the interpreter lives there (as in a checkout
    under /work), since the folder's tmpfs would hide it."""
    exposed = exposed_paths(python)
    for work in WORK_CHOICES:
        if not any(p == work or p.startswith(work + "/") or work.startswith(p + "/") for p in exposed):
            return work
    raise RuntimeError("no free place for the sandbox's working folder")


def exposed_paths(python: str) -> list[str]:
    """System folders and the interpreter's installation, each once (nested ones dropped)."""
    paths = [p for p in SYSTEM_PATHS if os.path.lexists(p)]
    for extra in python_dirs(python):
        covered = any(extra == p or extra.startswith(p.rstrip("/") + "/") for p in paths
                      if not os.path.islink(p))
        if not covered:
            paths.append(extra)
    return paths


@functools.lru_cache(maxsize=8)
def site_path(python: str) -> tuple[str, ...] | None:
    """`python -I`'s `sys.path` once `site` has run (its .pth files included), or None."""
    code = "import json, sys; print(json.dumps(sys.path))"
    try:
        out = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=30, env={})
        return tuple(json.loads(out.stdout)) if out.returncode == 0 else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


@functools.lru_cache(maxsize=8)
def python_dirs(python: str) -> tuple[str, ...]:
    """Where `python` keeps its standard library, site-packages and executable (real paths)."""
    code = ("import json, os, sys; print(json.dumps(sorted({os.path.realpath(p) for p in (sys.prefix, "
            "sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable), "
            "os.path.dirname(os.path.realpath(sys.executable)))})))")  # with site: a venv's prefix is set there
    out = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=30, env={})
    dirs = json.loads(out.stdout) if out.returncode == 0 else []
    return tuple(d for d in dirs if not any(d != o and d.startswith(o + "/") for o in dirs))


@functools.lru_cache(maxsize=8)
def compiled_harness(python: str) -> bytes | None:
    """The harness's modules compiled here, once, for an interpreter that runs this one's bytecode
    (the same magic number); None for any other (it then compiles the copied sources itself)."""
    code = "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"
    try:
        out = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=30, env={})
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or out.stdout.strip() != importlib.util.MAGIC_NUMBER.hex():
        return None
    here = Path(__file__).parent
    modules = {name[:-3]: compile((here / name).read_text(encoding="utf-8"), name, "exec", dont_inherit=True,
                                  optimize=0) for name in HARNESS_FILES}
    return marshal.dumps(modules)

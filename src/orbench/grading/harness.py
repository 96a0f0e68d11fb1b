"""The program that runs inside the sandbox, in front of the model's script.

orbench copies this file (and its siblings) next to the script and starts `python -I harness.py
CONFIG` (a marshalled dict, in hex), or, where the interpreter runs orbench's own bytecode, the
same files compiled once by orbench (`engines.COMPILED`, loaded by `engines.BOOT`). In order, it:
waits until orbench has moved it into the run's cgroup (where there is one); sets up namespaces
and the filesystem view when orbench asked it to (`nsroot.py`; bubblewrap and `unshare` do part
of that themselves); sets the resource limits; checks which isolation layers are really in force
and reports them on the evidence channel; runs the script as `__main__`; and only when the script
has run to its end without an exception or an exit, reads the run's one-time token and writes it
back as the evidence of a pass.

The token is not in this process until the script has finished: it waits unread in a pipe that
orbench filled before the start, so it is in no variable, file, argument or environment the
script could look at. What this does not stop (code that deliberately reads the harness's file
descriptors) is said in docs/sandbox.md. Standard library only; nothing here imports orbench.
"""

from __future__ import annotations

import marshal
import os
import resource
import sys

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs every program ~5 ms
if TYPE_CHECKING:
    from typing import Any, NoReturn

SETUP_FAILED = 125  # exit status when the sandbox could not be set up (an infrastructure error)
NAMESPACES = (("user", "user-ns"), ("pid", "pid-ns"), ("mnt", "mount-ns"), ("net", "net-ns"),
              ("ipc", "ipc-ns"), ("uts", "uts-ns"), ("cgroup", "cgroup-ns"))


def main(argv: list[str]) -> NoReturn:
    cfg = marshal.loads(bytes.fromhex(argv[-1]))
    if "sys_path" in cfg:  # started without `site` (the tests' side): its path, and exit() and quit()
        sys.path[:] = cfg["sys_path"]
        import _sitebuiltins
        import builtins

        builtins.exit, builtins.quit = (_sitebuiltins.Quitter(name, "Ctrl-D (i.e. EOF)") for name in ("exit", "quit"))
    channel = Channel(cfg)
    try:
        if cfg.get("joined_fd") is not None:  # first: nothing starts before orbench has moved this
            joined = os.read(cfg["joined_fd"], 1)  # process into the run's pids (and memory) cgroup
            os.close(cfg["joined_fd"])
            if joined != b"1":
                raise RuntimeError("orbench could not move the sandbox into its cgroup")
            cfg["joined_cgroup"] = True
        _sibling("libc")  # before the view changes: nsroot and seccomp call the C library through it
        if cfg.get("namespaces"):
            _sibling("nsroot").enter(cfg["namespaces"])  # returns as pid 1 of the new namespaces
        if os.getpid() == 1:  # (bubblewrap's --as-pid-1 too) no ptrace of pid 1, no reading its memory
            cfg["pid1_undumpable"] = set_dumpable(False)
        set_limits(cfg["limits"])
        seccomp = _sibling("seccomp", cfg)
        cfg["seccomp"] = seccomp.install(os.uname().machine)
        cfg["no_tracing"] = cfg["seccomp"] and seccomp.tracing_refused()
        channel.send("layers", *observed_layers(cfg))
        if cfg.get("role") == "program":  # the program under test gets no evidence channel at all
            channel.close()
    except Exception as exc:  # noqa: BLE001 - anything here is the sandbox's fault, not the script's
        channel.send("setup_error", f"{type(exc).__name__}: {exc}")
        os._exit(SETUP_FAILED)
    if os.getpid() == 1:
        supervise(cfg, channel)
    run_script(cfg, channel)


class Channel:
    """The evidence channel back to orbench, and where the run's token waits: two inherited pipes,
    or two files in a shared folder for container engines, which cannot pass descriptors."""

    def __init__(self, cfg: dict[str, Any]):
        folder = cfg.get("channel_dir")
        self.token_path = os.path.join(folder, "token") if folder else None
        self.evidence_fd: int = (os.open(os.path.join(folder, "evidence"), os.O_WRONLY | os.O_APPEND)
                                 if folder else cfg["evidence_fd"])
        self.token_fd: int | None = None if folder else cfg["token_fd"]
        for fd in (self.evidence_fd, self.token_fd):
            if fd is not None:
                os.set_inheritable(fd, False)  # programs the script starts do not get them

    def send(self, kind: str, *words: str) -> None:
        """One line: `layers L1 L2 ...`, `setup_error TEXT` or `outcome TOKEN OUTCOME REASON`."""
        line = " ".join((kind, *words)).replace("\n", " ")
        os.write(self.evidence_fd, (line + "\n").encode("utf-8", "replace"))

    def close(self) -> None:
        for fd in (self.evidence_fd, self.token_fd):
            if fd is not None:
                os.close(fd)

    def token(self) -> str:
        """The one-time token, read only now that the script has finished ("" if it is gone)."""
        try:
            if self.token_path is not None:
                with open(self.token_path, encoding="ascii") as fh:
                    return fh.read().strip()
            assert self.token_fd is not None
            return os.read(self.token_fd, 256).decode("ascii", "replace").strip()
        except (OSError, UnicodeDecodeError):
            return ""


def set_limits(limits: dict[str, int]) -> None:
    """Hard limits the script cannot raise: CPU seconds, address space, file size, open files,
    processes (counted per user namespace, so per sandbox where there is one) and no core files."""
    for name, value in (("RLIMIT_CPU", limits["cpu"]), ("RLIMIT_AS", limits["memory"]),
                        ("RLIMIT_FSIZE", limits["file"]), ("RLIMIT_NOFILE", limits["nofile"]),
                        ("RLIMIT_NPROC", limits["nproc"]), ("RLIMIT_CORE", 0)):
        hard = value + 1 if name == "RLIMIT_CPU" else value  # SIGXCPU first, then SIGKILL
        resource.setrlimit(getattr(resource, name), (value, hard))


def supervise(cfg: dict[str, Any], channel: Channel) -> NoReturn:
    """As pid 1 of the sandbox: run the script in a child, reap everything, exit as the script did.
    When pid 1 exits, the kernel kills whatever else is left in the namespace."""
    import _signal  # the C module: `signal` would import enum, at a cost to every program

    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    child = os.fork()
    if child == 0:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        set_dumpable(True)  # the script's own /proc files stay its own
        run_script(cfg, channel)
    while True:
        pid, status = os.wait()
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(128 - code if code < 0 else code)


def set_dumpable(on: bool) -> bool:
    """Set this process's dumpable flag; True if it now reads as asked. Pid 1 is made undumpable
    after setup, so the program (same uid, no capabilities) cannot ptrace it or open its memory."""
    libc = sys.modules["_orbench_libc"].libc
    libc.prctl(4, int(on), 0, 0, 0)  # PR_SET_DUMPABLE
    return libc.prctl(3, 0, 0, 0, 0) == int(on)  # PR_GET_DUMPABLE


def run_script(cfg: dict[str, Any], channel: Channel) -> NoReturn:
    """Run the script as `__main__` and report how it ended; never returns."""
    import builtins

    workdir = cfg["workdir"]
    os.chdir(workdir)
    with open(cfg["source"], encoding="utf-8") as fh:
        text = fh.read()
    path = os.path.join(workdir, "main.py")
    if os.path.abspath(cfg["source"]) != path:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    sys.argv = [path]
    module = type(sys)("__main__")
    module.__dict__.update(__file__=path, __builtins__=builtins, __cached__=None)
    sys.modules["__main__"] = module
    if cfg.get("role") == "program":
        _sibling("calls", cfg)
        ends = _sibling("callends", cfg)
        runner = ends.StdinRunner(text, path, cfg["stdin_preamble"]) if "stdin_preamble" in cfg else None
        ends.serve(cfg["call_fds"], text, path, module.__dict__, runner)
    if cfg.get("role") == "tests":
        outcome, reason = run_tests(cfg, text, path, module.__dict__)
    else:
        outcome, reason = execute(text, path, module.__dict__)
    report(channel, outcome, reason)


def run_tests(cfg: dict[str, Any], text: str, path: str, namespace: dict[str, Any]) -> tuple[str, str]:
    """The tests, with the program reached through the call channel: the prelude (the task's own
    helpers) first, then every name the tests use that the program defines bound to a proxy."""
    _sibling("calls", cfg)
    program = _sibling("callends", cfg).Program(cfg["call_fds"], namespace, cfg.get("call_seconds"),
                                                cfg.get("call_limits"))
    try:
        if cfg.get("prelude"):
            with open(os.path.join(os.path.dirname(cfg["source"]), "prelude.py"), encoding="utf-8") as fh:
                exec(compile(fh.read(), "prelude.py", "exec", dont_inherit=True), namespace)
        namespace["__orbench_program__"] = program  # for harnesses that drive the program themselves
        code = compile(text, path, "exec", dont_inherit=True)
        if cfg.get("bind", True):
            program.bind(code, cfg.get("entry"))
    except BaseException as exc:  # noqa: BLE001 - the program failed to load: every test fails
        return ("exit", program.broken) if program.broken else ("exception", _describe(exc, path))
    outcome, reason = execute(text, path, namespace, code)
    if cfg.get("report_durations"):  # the reference solution's times, from which per-input limits are made
        sys.stderr.write("orbench-call-seconds " + " ".join(f"{d:.6f}" for d in program.durations) + "\n")
    if program.broken:  # the program exited or ran over a limit: that is the reason, caught by a test or not
        return "exit" if program.broken.startswith("exited") else "exception", program.broken
    return outcome, reason


def execute(text: str, path: str, namespace: dict[str, Any], code: Any = None) -> tuple[str, str]:
    """("passed", ...) only if the script ran to its last line; else how and where it stopped.
    Compiled without this file's `from __future__` flags, as the script would be on its own."""
    try:
        exec(code or compile(text, path, "exec", dont_inherit=True), namespace)
    except SystemExit as exc:
        return "exit", f"exited before the tests finished: {_describe(exc, path)}"
    except BaseException as exc:  # noqa: BLE001 - every way a script can fail is a verdict
        _print_traceback(exc)
        return "exception", _describe(exc, path)
    return "passed", "passed"


def report(channel: Channel, outcome: str, reason: str) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a script may have replaced or broken its streams
            pass
    try:
        channel.send("outcome", channel.token() or "-", outcome, reason[:500])
    except BaseException:  # noqa: BLE001
        os._exit(3)
    os._exit(0 if outcome == "passed" else 1)  # no atexit handlers, no waiting for the script's threads


def _describe(exc: BaseException, path: str) -> str:
    """`AssertionError at line 12: assert f(2) == 4`, or `ValueError: bad input (line 3)`."""
    try:
        name = type(exc).__name__
        message = f"{name}({exc.code!r})" if isinstance(exc, SystemExit) else f"{name}: {exc}".rstrip(": ")
        line = _last_line_in(exc.__traceback__, path)
        if line is None:
            return message[:300]
        number, code = line
        if isinstance(exc, AssertionError) and not str(exc):
            return f"{name} at line {number}: {code}"[:300]
        return f"{message} (line {number}: {code})"[:300]
    except BaseException:  # noqa: BLE001 - an exception whose str() fails still fails the test
        return "the script raised an exception"


def _last_line_in(tb: Any, path: str) -> tuple[int, str] | None:
    import linecache

    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            found = tb.tb_lineno
        tb = tb.tb_next
    return None if found is None else (found, linecache.getline(path, found).strip())


def _print_traceback(exc: BaseException) -> None:
    """The traceback as Python would print it, without the harness's own frame."""
    try:
        import traceback

        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        traceback.print_exception(type(exc), exc, tb)
    except BaseException:  # noqa: BLE001
        pass


def observed_layers(cfg: dict[str, Any]) -> list[str]:
    """The isolation really in force, checked from inside rather than assumed."""
    host = cfg["host"]
    layers = [label for kind, label in NAMESPACES if _ns(kind) not in (None, host["ns"].get(kind))]
    if _read_only("/") and _read_only("/usr"):
        layers.append("read-only-system")
    if _private_dir("/tmp", host) and _private_dir(cfg["workdir"], host):
        layers.append("private-tmp")
    uid = cfg.get("launch_uid", _outside_uid())  # bwrap nests user namespaces; orbench knows its uid
    layers.append(f"uid-{uid}" if uid is not None else "uid-unknown")
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    if uid not in (None, 0) and nproc != resource.RLIM_INFINITY:
        layers.append("nproc-limit")
    if cfg.get("joined_cgroup"):
        layers.extend(f"{kind}-cgroup" for kind in cfg.get("cgroup_kinds", ["pids"]))
    if cfg.get("seccomp"):
        layers.append("no-unix-sockets")
    if cfg.get("pid1_undumpable"):
        layers.append("pid1-undumpable")
    if cfg.get("no_tracing"):
        layers.append("no-ptrace")
    status = _read("/proc/self/status")
    if "CapEff:\t0000000000000000" in status:
        layers.append("no-capabilities")
    if "NoNewPrivs:\t1" in status:
        layers.append("no-new-privileges")
    if set(os.environ) <= set(cfg["env"]) | {"LC_CTYPE", "PWD"}:
        layers.append("empty-env")
    layers.append("rlimits")
    return layers


def _ns(kind: str) -> str | None:
    try:
        return os.readlink(f"/proc/self/ns/{kind}")
    except OSError:
        return None


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def _read_only(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _private_dir(path: str, host: dict[str, Any]) -> bool:
    """A folder on its own small filesystem, not the host's temporary folder."""
    try:
        st, fs = os.stat(path), os.statvfs(path)
    except OSError:
        return False
    return st.st_dev != host["tmp_dev"] and fs.f_blocks * fs.f_frsize <= host["disk_bytes"] + (1 << 20)


def _outside_uid() -> int | None:
    """The uid this process has outside every user namespace (what the kernel's limits see)."""
    euid = os.geteuid()
    for line in _read("/proc/self/uid_map").splitlines():
        inside, outside, count = (int(x) for x in line.split())
        if inside <= euid < inside + count:
            return outside + euid - inside
    return None


def _sibling(name: str, cfg: dict[str, Any] | None = None) -> Any:
    """A module copied beside this file (found beside the script once the view has changed), or
    compiled by orbench; loaded without importlib's machinery (its import costs every program a few ms)."""
    folder = os.path.dirname(cfg["source"]) if cfg else os.path.dirname(__file__)
    path = os.path.join(folder, f"{name}.py")
    module = type(sys)(f"_orbench_{name}")  # types.ModuleType, without importing types
    module.__file__ = path
    sys.modules[module.__name__] = module  # so that the siblings find each other
    compiled = globals().get("__orbench_code__")
    if compiled is not None:
        exec(compiled[name], module.__dict__)
        return module
    with open(path, encoding="utf-8") as fh:
        exec(compile(fh.read(), path, "exec", dont_inherit=True), module.__dict__)
    return module


if __name__ == "__main__":
    main(sys.argv)

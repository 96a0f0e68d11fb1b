"""The two ends of the call channel (`calls.py` has the data format): `serve`, in the program's
sandbox, and `Program`, in the tests' sandbox. Standard library only; copied into both sandboxes.

`serve` loads the program, then answers requests until the tests' side closes the channel:
  {"op": "names", "names": [...]}          -> {"names": {name: "fn" | ["v", value]}} or {"error": [type, message]}
  {"op": "call", "name", "args", "kwargs"} -> {"value", "args": {index: value}} | {"raise": [type, message]}
                                              | {"exit": type}  (SystemExit and the like: the program stopped)
  {"op": "stdin", "input"}                 -> {"stdout", "raise"?}  (the program run as a script, fd 0 = input)
"""

from __future__ import annotations

import builtins
import os
import sys
import time

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs every program ~5 ms
if TYPE_CHECKING:
    from typing import Any, NoReturn

try:
    from . import calls
except ImportError:  # loaded by path inside the sandbox, where harness.py loaded calls.py first
    calls = sys.modules["_orbench_calls"]




# --- the program's side -----------------------------------------------------------------------

def serve(fds: list[int], text: str, path: str, namespace: dict[str, Any], stdin_runner: Any = None) -> NoReturn:
    """Load the program, then answer the tests' requests; exit when they close the channel."""
    error = None
    if stdin_runner is None:
        try:
            exec(compile(text, path, "exec", dont_inherit=True), namespace)
        except BaseException as exc:  # noqa: BLE001 - a program that fails to load fails every test
            error = [type(exc).__name__, calls._text(exc)]
            _print_traceback(exc)
    requests, replies = fds
    while True:
        _flush()  # the program is killed when the tests end: what it printed is kept for the record
        try:
            request = calls.receive(requests)
        except (calls.CallChannelError, OSError):
            os._exit(0)
        try:
            reply = _answer(request, namespace, error, stdin_runner)
        except (ValueError, TypeError, RecursionError, calls.CallChannelError) as exc:
            reply = {"raise": ["TypeError", f"the value cannot be sent: {exc}"]}
        try:
            calls.send(replies, reply)
        except OSError:
            os._exit(0)


def _answer(request: dict[str, Any], namespace: dict[str, Any], error: Any, stdin_runner: Any) -> Any:
    op = request.get("op")
    if op == "names":
        if error is not None:
            return {"error": error}
        found: dict[str, Any] = {}
        for name in request["names"]:
            if name in namespace and name not in ("__builtins__", "__name__", "__file__"):
                value = namespace[name]
                found[name] = "fn" if callable(value) else ["v", _safe_encode(value)]
        return {"names": found}
    if op == "stdin":
        return stdin_runner(request["input"])
    args = [calls.decode(a, namespace) for a in request["args"]]
    kwargs = {str(k): calls.decode(v, namespace) for k, v in request["kwargs"].items()}
    try:
        function = _resolve(request["name"], namespace)
        result = function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the tests' side decides what an exception means
        name = type(exc).__name__
        return {"exit": name} if not isinstance(exc, Exception) else {"raise": [name, calls._text(exc)]}
    changed = {str(i): calls.encode(a) for i, a in enumerate(args) if calls._mutable(a)}
    return {"value": calls.encode(result, tuple(args)), "args": changed}


def _resolve(name: str, namespace: dict[str, Any]) -> Any:
    """A function of the program, or `Class.method` of one instance made on first use (LeetCode's
    `Solution`, as LiveCodeBench's harness makes it once for all tests)."""
    owner, _, method = name.partition(".")
    if owner not in namespace:
        raise NameError(f"name {owner!r} is not defined")
    if not method:
        return namespace[owner]
    instances = namespace.setdefault("__orbench_instances__", {})
    if owner not in instances:
        instances[owner] = namespace[owner]()
    return getattr(instances[owner], method)


class StdinRunner:
    """Runs the program as a script once per input, as LiveCodeBench's harness does: the input as
    a real file on descriptor 0 (so `open(0).read()`, `sys.stdin` and `input()` all see it), the
    output captured from descriptor 1, SystemExit ending the run normally. `preamble` (LCB's
    imports and recursion limit) runs first in each fresh namespace."""

    def __init__(self, text: str, path: str, preamble: str):
        self.text, self.path, self.preamble = text, path, preamble
        self.code: Any = None

    def __call__(self, given: str) -> dict[str, Any]:
        import builtins

        saved = _high(os.dup(1))
        stdin = _memfd("stdin", given.encode("utf-8"))
        os.dup2(stdin, 0)  # works whether or not an earlier run closed descriptor 0
        os.close(stdin)
        out = _memfd("stdout", b"")
        try:
            os.dup2(out, 1)
            sys.stdin = open(0, encoding="utf-8", closefd=False)
            sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
            error = self._run({"__name__": "__main__", "__builtins__": builtins})
            _flush()
            os.lseek(out, 0, 0)
            chunks = []
            while chunk := os.read(out, 1 << 20):
                chunks.append(chunk)
        finally:
            sys.stdout = sys.__stdout__
            os.dup2(saved, 1)
            for fd in (saved, out):
                os.close(fd)
        reply: dict[str, Any] = {"stdout": b"".join(chunks).decode("utf-8", "replace")}
        if error is not None:
            reply["raise"] = error
        return reply

    def _run(self, namespace: dict[str, Any]) -> Any:
        try:
            if self.code is None:
                self.code = compile(self.text, self.path, "exec", dont_inherit=True)
            exec(compile(self.preamble, "<preamble>", "exec", dont_inherit=True), namespace)
            exec(self.code, namespace)
        except SystemExit:
            pass
        except BaseException as exc:  # noqa: BLE001 - a runtime error fails this test
            _print_traceback(exc)
            return [type(exc).__name__, calls._text(exc)]
        return None


def _memfd(name: str, data: bytes) -> int:
    """An in-memory file holding `data`, rewound, on a descriptor above 2."""
    fd = _high(os.memfd_create(name))
    os.write(fd, data)
    os.lseek(fd, 0, 0)
    return fd


def _high(fd: int) -> int:
    """`fd` moved above the standard descriptors (a program may have closed 0 or 1)."""
    if fd > 2:
        return fd
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    os.close(fd)
    return moved


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - a program may have replaced or broken its streams
            pass


def _safe_encode(value: Any) -> Any:
    try:
        return calls.encode(value)
    except (ValueError, TypeError, RecursionError):
        return ["X", type(value).__name__]


def _print_traceback(exc: BaseException) -> None:
    try:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__)
    except BaseException:  # noqa: BLE001
        pass


# --- the tests' side --------------------------------------------------------------------------

class Program:
    """The program under test, as the tests see it: proxies that send calls and decode replies."""

    def __init__(self, fds: list[int], namespace: dict[str, Any], call_seconds: float | None = None,
                 call_limits: list[float] | None = None):
        self.requests, self.replies = fds
        self.namespace = namespace
        self.call_seconds = call_seconds  # each call's time limit, where `call_limits` names none
        self.call_limits = call_limits or []  # the limit of the first, second, ... call (EvalPlus's per input)
        self.broken: str | None = None  # why the channel stopped (the program exited, a limit, ...)
        self.calls = 0
        self.durations: list[float] = []  # each call's round trip, in seconds

    def bind(self, code: Any, entry: str | None) -> None:
        """Bind every global name the tests read that the program defines (and the entry point,
        even where the tests' prelude defines it) to the program's version."""
        wanted = sorted(n for n in global_names(code) if n not in self.namespace and not hasattr(builtins, n))
        if entry and entry not in wanted:
            wanted.append(entry)
        reply = self._request({"op": "names", "names": wanted}, None)
        if "error" in reply:
            name, message = reply["error"]
            if name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit"):
                self.broken = f"exited before the tests finished: {name}({message}) while the program loaded"
                raise calls.CallChannelError(self.broken)
            raise calls.CandidateError(f"the program failed to load: {name}: {message}".rstrip(": "))
        for name, kind in reply["names"].items():
            self.namespace[name] = self.proxy(name) if kind == "fn" else calls.decode(kind[1], self.namespace)

    def proxy(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, args, kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    def call(self, name: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        try:
            request = {"op": "call", "name": name, "args": [calls.encode(a) for a in args],
                       "kwargs": {k: calls.encode(v) for k, v in kwargs.items()}}
        except (ValueError, RecursionError) as exc:
            raise TypeError(f"an argument for {name}() cannot be sent to the program: {exc}") from None
        index, started = self.calls, time.monotonic()
        self.calls += 1
        limit = self.call_limits[index] if index < len(self.call_limits) else self.call_seconds
        reply = self._request(request, limit)
        self.durations.append(time.monotonic() - started)
        if "exit" in reply:
            self.broken = f"exited before the tests finished: {reply['exit']} during a call to {name}()"
            raise calls.CallChannelError(self.broken)
        if "raise" in reply:
            raise calls.exception(*reply["raise"])
        for index, value in reply.get("args", {}).items():
            if 0 <= int(index) < len(args):
                calls.update_in_place(args[int(index)], calls.decode(value, self.namespace))
        value = reply["value"]
        if isinstance(value, list) and value[:1] == ["P"] and 0 <= int(value[1]) < len(args):
            return args[int(value[1])]
        return calls.decode(value, self.namespace)

    def run_stdin(self, given: str) -> dict[str, Any]:
        return self._request({"op": "stdin", "input": given}, self.call_seconds)

    def _request(self, request: dict[str, Any], seconds: float | None) -> Any:
        if self.broken:
            raise calls.CallChannelError(self.broken)
        try:
            calls.send(self.requests, request)
            reply = calls.receive(self.replies, None if seconds is None else time.monotonic() + seconds)
            if not isinstance(reply, dict):
                raise calls.CallChannelError("a malformed reply")
            return reply
        except (calls.CallChannelError, OSError) as exc:
            what = str(exc) if isinstance(exc, calls.CallChannelError) else "the program exited"
            if what == "time limit":
                what = f"time limit: a call ran over {seconds:g} s"
            elif what == "the program exited":
                what = "exited before the tests finished (the program's process ended)"
            else:
                what = f"the program broke the call channel: {what}"
            self.broken = what
            raise calls.CallChannelError(what) from None


def global_names(code: Any) -> set[str]:
    """Every name `code` (and the functions in it) may read as a global (over-approximated)."""
    names, stack = set(), [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    return names

"""Tests and the program they judge, in two sandboxes joined only by the call channel (`calls.py`).

The program's sandbox runs the program and then serves calls; it gets no token, no evidence pipe,
no test source and no expected value. The tests' sandbox runs the tests (themselves untrusted
data from a dataset, so sandboxed too, but apart from the program) with the program's functions
bound to proxies, and alone holds the evidence channel: the verdict is the tests' sandbox's.
Both start together (their start-up overlaps); when the tests end, the program exits (or is killed).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

from .execute import Sandboxed, _Failed, _epoch, _wait_and_kill
from .sandboxtypes import Choice, Limits, SandboxResult
from .verdict import infra_result

CALL_CHANNEL = "call-channel"
EXIT_GRACE_S = 1.0  # for the program to see the channel close and exit


def run_pair(choice: Choice, program: str, tests: str, limits: Limits, python: str, prelude: str = "",
             entry: str | None = None, call_seconds: float | None = None,
             stdin_preamble: str | None = None, extra: dict[str, Any] | None = None) -> SandboxResult:
    """The tests' verdict on `program`; isolation names the program's layers and the call channel.
    With `stdin_preamble`, the program is a script run once per input (`callends.StdinRunner`) and
    the tests drive it themselves (`__orbench_program__.run_stdin`), with no names bound."""
    started, epoch = time.monotonic(), _epoch[0]
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    mine = [requests_r, requests_w, replies_r, replies_w]
    config: dict[str, Any] = {"role": "tests", "entry": entry, "call_seconds": call_seconds, "prelude": bool(prelude),
                              "bind": stdin_preamble is None, **(extra or {})}
    serving: dict[str, Any] = {"role": "program"}
    if stdin_preamble is not None:
        serving["stdin_preamble"] = stdin_preamble
    served = Sandboxed(choice, limits, python, serving, (requests_r, replies_w))
    # the tests' side needs no cgroup where the pid namespace and RLIMIT_NPROC already contain it
    # (a few ms a program); the memory cap is for the program
    light = replace(choice, cgroup=False) if "nproc-limit" in choice.layers and choice.namespaced else choice
    judged = Sandboxed(light, limits, python, config, (requests_w, replies_r))
    try:
        served.start(program, epoch)
        judged.start(tests, epoch, {"prelude.py": prelude} if prelude else None)
        served.join_cgroup()  # while both interpreters start
        judged.join_cgroup()
        for fd in mine:  # each sandbox has its ends; orbench keeps none, so an exit is seen as EOF
            os.close(fd)
        mine = []
        timed_out, cancelled = _wait_and_kill(judged.proc, limits.wall_seconds)
        # the tests' end closed the channel: the program exits by itself (a killed launcher leaves
        # orphans for init to reap, which can take seconds); one that does not is killed
        _, program_cancelled = _wait_and_kill(served.proc, EXIT_GRACE_S)
        program_result = served.collect(False, program_cancelled, started)
        result = judged.collect(timed_out, cancelled, started)
    except _Failed as exc:
        return infra_result(str(exc), choice.engine, started)
    finally:
        for fd in mine:
            os.close(fd)
        served.cleanup()
        judged.cleanup()
    return combine(result, program_result, choice)


def combine(tests: SandboxResult, program: SandboxResult, choice: Choice) -> SandboxResult:
    """The tests' verdict, the program's output and isolation (the program is what is confined).
    A program killed before its harness reported (the tests failed first) is labelled with the
    layers the engine's probe found."""
    if tests.infra_error:
        return tests
    if program.infra_error and tests.passed:
        return replace(program, seconds=tests.seconds)
    layers = (*(program.layers or choice.layers), CALL_CHANNEL)
    limit = None if tests.passed else tests.limit or program.limit  # the program's OOM kill ends its calls
    return replace(tests, stdout=program.stdout, stderr=_join(tests.stderr, program.stderr), layers=layers,
                   isolation="+".join((choice.engine, *layers)), limit=limit)


def _join(tests: str, program: str) -> str:
    parts = [f"[program]\n{program}" if program.strip() else "", f"[tests]\n{tests}" if tests.strip() else ""]
    return "\n".join(p for p in parts if p)

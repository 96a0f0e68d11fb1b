"""A program that fails because a time or memory limit stopped it is a limit failure (issue 22): the
sandbox says which limit (`verdict.limit_of`), the grader's Score carries it, and the sample is flagged
time_limit or memory_limit, so the summary, the printed table and the viewer show it."""

from __future__ import annotations

from orbench.grading.graders import score
from orbench.grading.sandboxtypes import SandboxResult
from orbench.grading.verdict import limit_of


def test_limit_of_names_time_and_memory_limits_only():
    assert limit_of("timeout", timed_out=True) == "time"
    assert limit_of("time limit: a call ran over 4 s") == "time"
    assert limit_of("killed by SIGXCPU (CPU time limit)") == "time"
    assert limit_of("MemoryError during a call to f()") == "memory"
    assert limit_of("killed by SIGKILL", oom_killed=True) == "memory"
    for reason in ("AssertionError at line 3: assert f(1) == 2", "killed by SIGKILL", "killed by SIGXFSZ (file size "
                   "limit)", "exited before the tests finished", "NameError: name 'MemoryErrorX' is not defined"):
        assert limit_of(reason) is None, reason


def _result(passed: bool, reason: str, limit: str | None) -> SandboxResult:
    return SandboxResult(passed, 1, False, "", "", 0.1, "process", reason, limit=limit)


def test_a_score_carries_the_limit_of_a_failure_and_never_of_a_pass():
    assert score("code", _result(False, "time limit: a call ran over 4 s", "time")).limit == "time"
    assert score("code", _result(False, "MemoryError", "memory")).limit == "memory"
    assert score("code", _result(False, "AssertionError", None)).limit is None
    assert score("code", _result(True, "passed", "time")).limit is None

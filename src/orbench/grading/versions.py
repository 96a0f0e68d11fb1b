"""Grader versions: which grading code produced a verdict, so runs graded differently are not compared.

Each grader function carries a version string, set where it is defined with `@versioned("math-1")`;
a code grader adds the sandbox's version (`@versioned("code-1", sandbox=True)` gives
"code-1+sandbox-1"). `Suite.grader_version` reads it, every sample record stores it, and each
suite of `summary.json` records the version its samples were graded with. `orbench compare` and
the gate refuse runs whose versions differ (`orbench regrade` brings a run up to date).

When to bump (the number after the name, never the name):

- Bump a grader's number when a change could turn any stored reply's verdict, extracted answer or
  status into a different one: extraction rules, the checker, normalisation, the harness around
  generated code, the tests a benchmark's grader runs. When in doubt, bump: a needless bump costs
  one `orbench regrade`, a missed one makes comparisons silently unfair.
- A change shared by several graders (say `extract_math_answer`) bumps every grader that calls it.
- Bump `SANDBOX_VERSION` when the sandbox could pass or fail a program differently (limits,
  isolation, how exit status or timeouts are judged); every code grader follows automatically.
- Do not bump for refactors, messages or speed-ups that cannot change a verdict.

A grader without a version (a test's lambda, say) grades as `None`: such runs compare with each
other as runs written before grader versions existed do (see `orbench.run.grader_mix`).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

# 2: a pass needs the harness's evidence token; namespaces (issue 12). 3: no unix sockets, a memory
# cgroup for the whole program, pid 1 undumpable, scripts compiled without the harness's own
# `from __future__` flags (issues 22, 23)
SANDBOX_VERSION = "sandbox-3"

G = TypeVar("G", bound=Callable[..., Any])


def versioned(version: str, sandbox: bool = False) -> Callable[[G], G]:
    """Mark a grader with its version; `sandbox=True` appends the sandbox's version."""
    full = f"{version}+{SANDBOX_VERSION}" if sandbox else version

    def mark(grader: G) -> G:
        setattr(grader, "grader_version", full)
        return grader

    return mark


def version_of(grader: Callable[..., Any]) -> str | None:
    """The version a grader was marked with, None for an unmarked one."""
    value = getattr(grader, "grader_version", None)
    return value if isinstance(value, str) else None

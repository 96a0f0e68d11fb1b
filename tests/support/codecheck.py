"""Test helper: which constant answers a code item's tests accept, checked in one sandbox process."""

from __future__ import annotations

import json

from orbench.grading.sandbox import Limits, run_python

CONSTANTS = ("None", "0", "[]", "''")


def accepted_constants(entry_point: str, tests: str, limits: Limits) -> list[str]:
    """The constants among CONSTANTS that pass `tests` when `entry_point` returns them: one process tries all."""
    program = (
        f"TESTS = {tests!r}\naccepted = []\n"
        f"for text in {list(CONSTANTS)!r}:\n"
        f"    value = eval(text)\n"
        f"    namespace = {{{entry_point!r}: lambda *args, _v=value, **kwargs: _v}}\n"
        "    try:\n        exec(TESTS, namespace)\n    except BaseException:\n        continue\n"
        "    accepted.append(text)\n"
        "print('ACCEPTED', __import__('json').dumps(accepted))\n"
    )
    result = run_python(program, limits)
    lines = [line for line in result.stdout.splitlines() if line.startswith("ACCEPTED ")]
    assert result.passed and lines, f"the constant check did not run: {result.reason}"
    return json.loads(lines[-1][len("ACCEPTED "):])


def first_few_fast(items: list, keep: int = 3) -> list:
    """Parameters for a check that runs each item's programs in the sandbox: the first `keep` items
    stay in `make test-fast`, the rest are marked `sandbox` (run by `make test`)."""
    import pytest

    return [pytest.param(item, id=item.id, marks=() if i < keep else pytest.mark.sandbox)
            for i, item in enumerate(items)]

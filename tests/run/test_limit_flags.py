"""A sample that fails because a time or memory limit stopped its program is flagged time_limit or
memory_limit (run/loop.py), counted per suite in summary.json (`limit_failures`) and printed under
the run's tables (issue 22)."""

from __future__ import annotations

from orbench.grading import GradeContext


def test_a_limit_failure_is_flagged_counted_and_printed():
    """grade_sample flags it; the suite's summary counts it (summary.json); the table's reading prints it."""
    import dataclasses

    from orbench.backends import Completion
    from orbench.cli.explain import limit_lines
    from orbench.grading import Score
    from orbench.run.loop import grade_sample
    from orbench.run.plan import RunSpec, build_requests
    from orbench.run.summarize import summarize_suite
    from orbench.store.catalog import Generation
    from orbench.suites import get_suite

    verdicts = {"slow": Score(extracted="x", correct=False, detail="time limit: a call ran over 4 s", limit="time"),
                "big": Score(extracted="x", correct=False, detail="MemoryError", limit="memory"),
                "wrong": Score(extracted="x", correct=False, detail="AssertionError"),
                "right": Score(extracted="x", correct=True, detail="passed")}
    base = get_suite("code")
    suite = dataclasses.replace(base, grade=lambda item, text, context=None: verdicts[text])
    items = base.load(0)[:4]
    spec = RunSpec(suites=[suite], generation=Generation())
    records = []
    for request, item, reply in zip(build_requests(suite, items, spec), items, verdicts):
        completion = Completion(request_id=request.id, text=reply, finish_reason="stop", prompt_tokens=1,
                                completion_tokens=1, seconds=0.1)
        records.append(grade_sample(suite, item, request, completion, spec, GradeContext()))
    assert [r.flags for r in records] == [["time_limit"], ["memory_limit"], [], []]
    summary = summarize_suite("code", "code", records, 1, "hash")
    assert summary.limit_failures == 2 and summary.flags == {"memory_limit": 1, "time_limit": 1}

    class Run:
        suites = [summary]

    assert limit_lines(Run()) == ["code: 2 of 4 sample(s) failed because a time or memory limit stopped the program "
                                  "(time_limit 1, memory_limit 1); they count as wrong, as in the reference harness "
                                  "(orbench view: filter by flag)"]

"""`orbench check-suite` reports each gold solution that failed because a time or memory limit stopped
it, apart from the other failures (issue 22): a limit too tight for the item, or a machine too loaded,
is not a broken loader or grader."""

from __future__ import annotations

import dataclasses
import json

from orbench.cli.check_suite_cmd import _table
from orbench.grading import Score
from orbench.suites import get_suite
from orbench.suites.gold_check import check_suite


def test_check_suite_counts_and_names_gold_solutions_that_failed_at_a_limit(capsys):
    base = get_suite("code")
    items = base.load(0)
    verdicts = {items[0].id: Score(extracted="x", correct=False, detail="time limit: a call ran over 4 s", limit="time"),
                items[1].id: Score(extracted="x", correct=False, detail="MemoryError during a call", limit="memory"),
                items[2].id: Score(extracted="x", correct=False, detail="AssertionError at line 2")}
    passing = Score(extracted="x", correct=True, detail="passed")
    suite = dataclasses.replace(base, grade=lambda item, text, context=None: verdicts.get(item.id, passing))
    result = check_suite(suite, workers=1)
    assert not result.passed and result.limit_failures == 2
    assert [(f.item_id, f.limit) for f in result.failures] == [(items[0].id, "time"), (items[1].id, "memory"),
                                                                (items[2].id, None)]
    assert json.loads(result.model_dump_json())["failures"][0]["limit"] == "time"
    _table([result])
    out = capsys.readouterr().out
    assert "failed at a limit" in out and "2 gold solution(s) failed because a time or memory limit" in out
    assert f"{items[0].id} [time limit]: time limit: a call ran over 4 s" in out

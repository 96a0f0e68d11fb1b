"""Agreement with the reference harnesses (issue 22): each text benchmark's grader and its reference
rule (tests/support/reference_rules.py re-implements them and names the files they come from) grade the same
replies (orbench.suites.replysets: right and wrong ones in chat formatting). The default protocol
agrees on every reply; under `--grading lenient` every disagreement must be one listed there with its
reason, and every listed one must still disagree. `python benchmarks/grading_agreement.py` prints the table."""

from __future__ import annotations

import pytest

from orbench.suites.replysets import SETS, ReplySet
from orbench.suites.benchmarks import aime, amc23, arc, bbh, gpqa, gsm8k, math500
from orbench.suites.items import Item
from support.reference_rules import RULES, disagreements

SUITES = [math500.SUITE, aime.AIME24_SUITE, aime.AIME25_SUITE, amc23.SUITE, gsm8k.SUITE, bbh.SUITE, gpqa.SUITE,
          arc.SUITE]


def grader_of(suite, replies: ReplySet):
    def grade(gold: str, text: str) -> bool:
        item = Item(id="r", suite=suite.name, category="c", difficulty="hard", prompt="?", answer=gold,
                    **replies.item_fields)
        return suite.grade(item, text).correct
    return grade


@pytest.mark.parametrize("name", sorted(SETS))
def test_stored_reference_verdicts_are_the_reference_rules(name):
    """The verdicts check-suite --strict relies on are what the re-implemented reference rule says."""
    wrong = [r.key for r in SETS[name].replies if RULES[name](r.gold, r.text) != r.reference]
    assert not wrong


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_default_grader_agrees_with_its_reference_on_every_reply(suite):
    """The default protocol is the reference harness's behaviour: no disagreement at all."""
    assert suite.grading == "reference"
    replies = SETS[suite.reply_set]
    assert disagreements(replies.replies, grader_of(suite, replies), RULES[suite.reply_set]) == {}


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_lenient_grader_differs_only_where_listed(suite):
    """--grading lenient: every disagreement is one listed with its reason, and every listed one
    still disagrees, so the list stays the true account of what the lenient protocol changes."""
    lenient = suite.graded_as("lenient")
    assert lenient.grading == "lenient" and lenient.grader_version != suite.grader_version
    replies = SETS[suite.reply_set]
    found = disagreements(replies.replies, grader_of(lenient, replies), RULES[suite.reply_set])
    assert set(found) == set(replies.differences), found
    if suite.reply_set in ("bbh", "choice"):  # formatting only: orbench never rejects what the reference accepts
        assert all(mine and not theirs for mine, theirs in found.values())


@pytest.mark.parametrize("suite", SUITES, ids=lambda s: s.name)
def test_graded_as_swaps_back(suite):
    lenient = suite.graded_as("lenient")
    assert lenient.graded_as("reference").grade is suite.grade
    assert suite.graded_as("reference") is suite


def test_reply_sets_hold_right_and_wrong_replies():
    """Agreement on gold answers alone proves nothing: each set has both verdicts, by the reference."""
    for replies in SETS.values():
        verdicts = [r.reference for r in replies.replies]
        assert verdicts.count(True) >= 4 and verdicts.count(False) >= 4


def test_math_verify_grader_works_off_the_main_thread():
    """math-verify's own time limit needs SIGALRM (main thread only); the reference grader must still
    grade in a worker thread (check-suite's and regrade's pools), not raise."""
    from concurrent.futures import ThreadPoolExecutor

    from orbench.grading.reference import grade_math_verify

    item = Item(id="r", suite="math500", category="c", difficulty="hard", prompt="?", answer=r"(3,4]")
    with ThreadPoolExecutor(1) as pool:
        right = pool.submit(grade_math_verify, item, "So $\\boxed{(3, 4]}$.").result()
        wrong = pool.submit(grade_math_verify, item, "So $\\boxed{[3, 4)}$.").result()
    assert right.correct and not wrong.correct and right.status == wrong.status == "ok"

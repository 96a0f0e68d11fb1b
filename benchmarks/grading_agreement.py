"""Agreement of orbench's text graders with the reference harnesses' answer rules (issue 22).

Grades the reply sets of orbench.suites.replysets (right and wrong answers in chat formatting: bold,
boxed, backticks, trailing prose, units, interval ends) with each benchmark's grader and with its
reference rule (math-verify alone; lm-eval's bbh_cot_zeroshot strict-match; simple-evals' answer
pattern), under each grading protocol: the default ("reference") must agree on every reply; for
`--grading lenient` it prints every disagreement with its documented reason.

    .venv/bin/python -m benchmarks.grading_agreement      # from the top of the checkout
"""

from __future__ import annotations

import sys

from orbench.suites.replysets import SETS
from orbench.suites.benchmarks import aime, amc23, arc, bbh, gpqa, gsm8k, math500
from orbench.suites.items import Item
from tests.support.reference_rules import RULES, disagreements

SUITES = [math500.SUITE, aime.AIME24_SUITE, aime.AIME25_SUITE, amc23.SUITE, gsm8k.SUITE, bbh.SUITE, gpqa.SUITE,
          arc.SUITE]


def grader(suite, fields):
    def grade(gold: str, text: str) -> bool:
        item = Item(id="r", suite=suite.name, category="c", difficulty="hard", prompt="?", answer=gold, **fields)
        return suite.grade(item, text).correct
    return grade


def table(protocol: str) -> int:
    """Print the agreement of every suite graded under `protocol`; the count of unexplained disagreements
    (under "reference" every disagreement is one; under "lenient" those not listed, or listed but gone)."""
    print(f"\n--grading {protocol}" + (" (the default)" if protocol == "reference" else ""))
    print(f"{'benchmark':<15} {'grader':<24} {'reference':<40} {'replies':>7} {'agree':>6} {'rate':>7}  unexplained")
    notes, unexplained_total = [], 0
    for suite in (s.graded_as(protocol) for s in SUITES):
        reply_set = SETS[suite.reply_set]
        replies, name = reply_set.replies, reply_set.reference
        known = reply_set.differences if protocol == "lenient" else {}
        found = disagreements(replies, grader(suite, reply_set.item_fields), RULES[suite.reply_set])
        unexplained = sorted(set(found) - set(known))
        unexplained_total += len(unexplained) + len(set(known) - set(found))
        agree = len(replies) - len(found)
        print(f"{suite.name:<15} {suite.grader_version or '-':<24} {name:<40} {len(replies):>7} {agree:>6} "
              f"{agree / len(replies):>7.1%}  {', '.join(unexplained) or '-'}")
        notes += [f"  {suite.name} / {key}: orbench {'right' if mine else 'wrong'}, reference "
                  f"{'right' if theirs else 'wrong'}: {known.get(key, 'NOT EXPLAINED')}"
                  for key, (mine, theirs) in found.items()]
    print("Disagreements and their reasons:" if notes else "No disagreement.")
    print("\n".join(notes))
    return unexplained_total


def main() -> int:
    unexplained = sum(table(protocol) for protocol in ("reference", "lenient"))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())

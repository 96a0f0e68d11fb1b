"""The reference harnesses' answer rules, re-implemented from their documented sources for the
agreement checks (tests/grading/test_reference_agreement.py, benchmarks/grading_agreement.py), and
the reply sets they are compared on: right and wrong answers in the formatting chat models use.

- math: math-verify alone, as open-r1's accuracy reward and lighteval use it: the gold parsed as
  LaTeX, the whole reply parsed with math-verify's default extraction, `verify(gold, reply)`.
- BBH: lm-eval's bbh_cot_zeroshot "get-answer" filter
  (EleutherAI/lm-evaluation-harness, lm_eval/tasks/bbh/cot_zeroshot/_cot_zeroshot_template_yaml):
  the first match of "The answer is X" / "the answer is X" / "The answer: X" / "The final answer: X"
  up to the line's last character (which the pattern drops, meant for the period), then exact match
  with the target. The BBH paper's repo (suzgunmirac/BIG-Bench-Hard) publishes outputs, no scorer.
- GPQA and ARC: simple-evals (openai/simple-evals, gpqa_eval.py with common.py's
  ANSWER_PATTERN_MULTICHOICE): the first "Answer: X" (case-insensitive, `$X$` allowed), X compared
  with the correct letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    key: str
    gold: str
    text: str


def math_verify_alone(gold: str, reply: str) -> bool:
    from math_verify import parse, verify

    gold_parsed, reply_parsed = parse(f"${gold}$"), parse(reply)
    return bool(gold_parsed and reply_parsed and verify(gold_parsed, reply_parsed))


_LM_EVAL_BBH = re.compile(r"((?<=The answer is )(.*)(?=.)|(?<=the answer is )(.*)(?=.)"
                          r"|(?<=The answer: )(.*)(?=.)|(?<=The final answer: )(.*)(?=.))")


def lm_eval_bbh(target: str, reply: str) -> bool:
    found = _LM_EVAL_BBH.findall(reply)
    if not found:
        return False
    first = [group for group in found[0] if group][0].strip()
    return first == target


_SIMPLE_EVALS_CHOICE = re.compile(r"(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?")


def simple_evals_choice(correct: str, reply: str) -> bool:
    match = _SIMPLE_EVALS_CHOICE.search(reply)
    return (match.group(1) if match else None) == correct


MATH = [
    Reply("interval-right", r"(-\infty, 0]", "Both ends checked.\nSo the answer is $\\boxed{(-\\infty, 0]}$."),
    Reply("interval-open-end", r"(-\infty, 0]", "So the answer is $\\boxed{(-\\infty, 0)}$."),
    Reply("interval-swapped-ends", r"(3,4]", "**Final answer:** $\\boxed{[3,4)}$"),
    Reply("interval-bold-right", r"(3,4]", "**Final answer:** $\\boxed{(3, 4]}$"),
    Reply("fraction-dfrac", r"\frac{3}{8}", "The final answer is $\\boxed{\\dfrac{3}{8}}$."),
    Reply("fraction-decimal", r"\frac{3}{8}", "That is \\boxed{0.375}."),
    Reply("fraction-rounded", r"\frac{3}{8}", "About \\boxed{0.38}."),
    Reply("radical", r"2\sqrt{5}", "Simplify: $\\boxed{\\sqrt{20}}$"),
    Reply("radical-wrong", r"2\sqrt{5}", "Simplify: $\\boxed{\\sqrt{10}}$"),
    Reply("text-name", r"\text{Evelyn}", "The fastest is \\boxed{\\text{Evelyn}}."),
    Reply("text-name-wrong", r"\text{Evelyn}", "The fastest is \\boxed{\\text{Bob}}."),
    Reply("changed-mind", "42", "First guess: \\boxed{41}. Checking again, the count is \\boxed{42}."),
    Reply("changed-mind-wrong", "42", "First guess: \\boxed{42}. Checking again, the count is \\boxed{41}."),
    Reply("trailing-prose", "42", "$\\boxed{42}$\n\nCheck: 6 * 7 = 42, and 17 was a red herring."),
    Reply("percent", "10", "The rate is \\boxed{10\\%}."),
    Reply("dollars-latex", "18", "She pays $\\boxed{\\$18}$."),
    Reply("bold-no-box", "42", "The answer is **42**."),
    Reply("backticks-no-box", "42", "Result: `42`"),
    Reply("units-words", "70000", "So the total is $\\boxed{70,000 \\text{ dollars}}$."),
    Reply("units-plain", "70000", "So the total is \\boxed{70,000 dollars}."),
    Reply("units-wrong", "70000", "So the total is \\boxed{7,000 dollars}."),
    Reply("no-answer", "42", "I could not finish this one."),
]

BBH = [
    Reply("plain", "(A)", "Step by step.\nSo the answer is (A)."),
    Reply("plain-wrong", "(A)", "Step by step.\nSo the answer is (B)."),
    Reply("bold", "(A)", "Step by step.\nSo the answer is **(A)**."),
    Reply("bold-wrong", "(A)", "Step by step.\nSo the answer is **(C)**."),
    Reply("backticks", "(A)", "Step by step.\nSo the answer is `(A)`."),
    Reply("boxed-only", "(A)", "Step by step.\n$\\boxed{(A)}$"),
    Reply("no-period", "(A)", "Step by step.\nSo the answer is (A)"),
    Reply("bare-letter", "(A)", "Step by step.\nSo the answer is A."),
    Reply("trailing-prose", "(A)", "So the answer is (A), since (B) is a day too early."),
    Reply("changed-mind", "(A)", "At first the answer is (B). Rechecking the dates.\nSo the answer is (A)."),
    Reply("true", "True", "not ( True ) is False, so the whole is True.\nSo the answer is True."),
    Reply("true-lowercase", "True", "So the answer is true."),
    Reply("dyck", "] ) }", "We close in reverse order.\nSo the answer is ] ) }."),
    Reply("number-wrong", "24", "Counting them.\nSo the answer is 23."),
    Reply("final-answer-colon", "valid", "The final answer: valid."),
]

CHOICE = [
    Reply("answer-line", "B", "The energy is conserved here.\nAnswer: B"),
    Reply("answer-line-wrong", "B", "The energy is conserved here.\nAnswer: C"),
    Reply("bold-line", "B", "**Answer: B**"),
    Reply("bold-letter", "B", "Answer: **B**"),
    Reply("parenthesised", "B", "Answer: (B)"),
    Reply("dollar-letter", "B", "Answer: $B$"),
    Reply("answer-is", "B", "Weighing both, the answer is B."),
    Reply("boxed", "B", "So we pick $\\boxed{B}$."),
    Reply("changed-mind", "B", "Answer: A\nWait, A ignores the spin term.\nAnswer: B"),
    Reply("trailing-prose", "B", "Answer: B, because the reaction is exothermic."),
    Reply("lowercase", "B", "answer: b"),
    Reply("two-letters", "B", "Answer: A or B"),
    Reply("no-answer", "B", "This needs more data than given."),
]


# Where orbench deliberately grades differently from the reference rule, reply by reply, and why.
MATH_DIFFERENCES = {
    "changed-mind": "orbench grades the last \\boxed{} (the reply's final answer, as MATH's own "
                    "last_boxed_only_string does); math-verify joins every \\boxed{} into one set {41, 42}",
    "backticks-no-box": "orbench's last-number fallback (lm-eval's flexible-extract style) reads `42`; "
                        "math-verify finds no anchored answer",
}
GSM8K_DIFFERENCES = {
    **MATH_DIFFERENCES,
    "units-plain": "unit words around one number are dropped, as lm-eval's gsm8k flexible-extract reads "
                   "the number; math-verify parses 'dollars' as a product of symbols",
}
BBH_DIFFERENCES = {
    "bold": "markup around the answer is dropped; lm-eval compares '**(A)**' with '(A)'",
    "backticks": "markup around the answer is dropped; lm-eval compares '`(A)`' with '(A)'",
    "boxed-only": "orbench reads a \\boxed{} answer when no 'the answer is' phrase is present",
    "no-period": "lm-eval's pattern drops the line's last character, meant for the period, and reads '(A'",
    "bare-letter": "orbench takes 'A' for the option '(A)'",
    "changed-mind": "orbench reads the last 'the answer is'; lm-eval the first (its generation stops at a "
                    "blank line, chat replies do not)",
    "true-lowercase": "orbench folds case; lm-eval's exact_match does not",
}
CHOICE_DIFFERENCES = {
    "bold-letter": "markup around the letter is dropped; simple-evals needs the letter right after 'Answer:'",
    "parenthesised": "orbench reads '(B)'; simple-evals' pattern allows only '$' around the letter",
    "answer-is": "orbench also reads 'the answer is B'; simple-evals only 'Answer: B'",
    "boxed": "orbench reads a \\boxed{} letter; simple-evals does not",
    "changed-mind": "orbench reads the last 'Answer:' line; simple-evals the first",
}


def disagreements(replies: list[Reply], ours, reference) -> dict[str, tuple[bool, bool]]:
    """Reply key -> (orbench's verdict, the reference's) for every reply where the two differ."""
    found = {}
    for reply in replies:
        mine, theirs = ours(reply.gold, reply.text), reference(reply.gold, reply.text)
        if mine != theirs:
            found[reply.key] = (mine, theirs)
    return found

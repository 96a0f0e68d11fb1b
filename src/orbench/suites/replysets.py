"""Reply sets for checking the answer-text graders against the reference harnesses (issue 22): right
and wrong answers in the formatting chat models use (bold, boxed, backticks, trailing prose, units,
interval ends), each with the verdict of the benchmark's reference rule, and the replies where orbench's
lenient protocol (`--grading lenient`) deliberately grades differently, with the reason. The default
protocol ("reference") must agree with the reference rule on every reply.

The reference verdicts are those of:

- math (MATH-500, AIME, AMC, GSM8K): math-verify alone, as open-r1 and lighteval use it (the gold
  parsed as LaTeX, the whole reply parsed with math-verify's default extraction, `verify`);
- BBH: lm-eval's bbh_cot_zeroshot "strict-match" filter (EleutherAI/lm-evaluation-harness,
  lm_eval/tasks/bbh/cot_zeroshot/): the text after the first "the answer is", then its exact_match
  (case ignored, a final period, commas and quotes dropped);
- GPQA and ARC: simple-evals (openai/simple-evals, gpqa_eval.py and common.py's
  ANSWER_PATTERN_MULTICHOICE): the first "Answer: X", compared with the correct letter.

tests/support/reference_rules.py re-implements those rules and checks every verdict stored here against
them; tests/grading/test_reference_agreement.py checks orbench's graders against the verdicts (and the
lenient graders against the listed differences); `orbench check-suite --strict` grades the set of each suite with its grader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    key: str
    gold: str
    text: str
    reference: bool  # the reference rule's verdict


MATH = [
    Reply("interval-right", r"(-\infty, 0]", "Both ends checked.\nSo the answer is $\\boxed{(-\\infty, 0]}$.", True),
    Reply("interval-open-end", r"(-\infty, 0]", "So the answer is $\\boxed{(-\\infty, 0)}$.", False),
    Reply("interval-swapped-ends", r"(3,4]", "**Final answer:** $\\boxed{[3,4)}$", False),
    Reply("interval-bold-right", r"(3,4]", "**Final answer:** $\\boxed{(3, 4]}$", True),
    Reply("fraction-dfrac", r"\frac{3}{8}", "The final answer is $\\boxed{\\dfrac{3}{8}}$.", True),
    Reply("fraction-decimal", r"\frac{3}{8}", "That is \\boxed{0.375}.", True),
    Reply("fraction-rounded", r"\frac{3}{8}", "About \\boxed{0.38}.", False),
    Reply("radical", r"2\sqrt{5}", "Simplify: $\\boxed{\\sqrt{20}}$", True),
    Reply("radical-wrong", r"2\sqrt{5}", "Simplify: $\\boxed{\\sqrt{10}}$", False),
    Reply("text-name", r"\text{Evelyn}", "The fastest is \\boxed{\\text{Evelyn}}.", True),
    Reply("text-name-wrong", r"\text{Evelyn}", "The fastest is \\boxed{\\text{Bob}}.", False),
    Reply("changed-mind", "42", "First guess: \\boxed{41}. Checking again, the count is \\boxed{42}.", False),
    Reply("changed-mind-wrong", "42", "First guess: \\boxed{42}. Checking again, the count is \\boxed{41}.", False),
    Reply("trailing-prose", "42", "$\\boxed{42}$\n\nCheck: 6 * 7 = 42, and 17 was a red herring.", True),
    Reply("percent", "10", "The rate is \\boxed{10\\%}.", True),
    Reply("dollars-latex", "18", "She pays $\\boxed{\\$18}$.", True),
    Reply("bold-no-box", "42", "The answer is **42**.", True),
    Reply("backticks-no-box", "42", "Result: `42`", False),
    Reply("units-words", "70000", "So the total is $\\boxed{70,000 \\text{ dollars}}$.", True),
    Reply("units-plain", "70000", "So the total is \\boxed{70,000 dollars}.", False),
    Reply("units-wrong", "70000", "So the total is \\boxed{7,000 dollars}.", False),
    Reply("no-answer", "42", "I could not finish this one.", False),
    Reply("union-right", r"(-\infty, -2) \cup (3, \infty)",
          "So $x \\in \\boxed{(-\\infty,-2)\\cup(3,\\infty)}$.", True),
    Reply("union-closed-end", r"(-\infty, -2) \cup (3, \infty)",
          "So $x \\in \\boxed{(-\\infty,-2]\\cup(3,\\infty)}$.", False),
    Reply("matrix-swapped", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}",
          "$\\boxed{\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}}$", False),
    Reply("equation-form", "5", "Solving gives $\\boxed{x = 5}$.", True),
    Reply("degrees", "90", "The angle is $\\boxed{90^\\circ}$.", True),
    Reply("thousands-braces", "1000", "There are $\\boxed{1{,}000}$ of them.", True),
]

BBH = [
    Reply("plain", "(A)", "Step by step.\nSo the answer is (A).", True),
    Reply("plain-wrong", "(A)", "Step by step.\nSo the answer is (B).", False),
    Reply("bold", "(A)", "Step by step.\nSo the answer is **(A)**.", False),
    Reply("bold-wrong", "(A)", "Step by step.\nSo the answer is **(C)**.", False),
    Reply("backticks", "(A)", "Step by step.\nSo the answer is `(A)`.", False),
    Reply("boxed-only", "(A)", "Step by step.\n$\\boxed{(A)}$", False),
    Reply("no-period", "(A)", "Step by step.\nSo the answer is (A)", False),
    Reply("bare-letter", "(A)", "Step by step.\nSo the answer is A.", False),
    Reply("trailing-prose", "(A)", "So the answer is (A), since (B) is a day too early.", False),
    Reply("changed-mind", "(A)", "At first the answer is (B). Rechecking the dates.\nSo the answer is (A).", False),
    Reply("true", "True", "not ( True ) is False, so the whole is True.\nSo the answer is True.", True),
    Reply("true-lowercase", "True", "So the answer is true.", True),
    Reply("dyck", "] ) }", "We close in reverse order.\nSo the answer is ] ) }.", True),
    Reply("number-wrong", "24", "Counting them.\nSo the answer is 23.", False),
    Reply("final-answer-colon", "valid", "The final answer: valid.", True),
]

CHOICE = [
    Reply("answer-line", "B", "The energy is conserved here.\nAnswer: B", True),
    Reply("answer-line-wrong", "B", "The energy is conserved here.\nAnswer: C", False),
    Reply("bold-line", "B", "**Answer: B**", True),
    Reply("bold-letter", "B", "Answer: **B**", False),
    Reply("parenthesised", "B", "Answer: (B)", False),
    Reply("dollar-letter", "B", "Answer: $B$", True),
    Reply("answer-is", "B", "Weighing both, the answer is B.", False),
    Reply("boxed", "B", "So we pick $\\boxed{B}$.", False),
    Reply("changed-mind", "B", "Answer: A\nWait, A ignores the spin term.\nAnswer: B", False),
    Reply("trailing-prose", "B", "Answer: B, because the reaction is exothermic.", True),
    Reply("lowercase", "B", "answer: b", False),
    Reply("two-letters", "B", "Answer: A or B", False),
    Reply("no-answer", "B", "This needs more data than given.", False),
]


# Where orbench's lenient protocol deliberately grades differently from the reference rule, reply by reply, and why.
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
    "changed-mind": "orbench reads the last 'the answer is' (the reply's final answer); lm-eval's strict-match "
                    "the first",
}
CHOICE_DIFFERENCES = {
    "bold-letter": "markup around the letter is dropped; simple-evals needs the letter right after 'Answer:'",
    "parenthesised": "orbench reads '(B)'; simple-evals' pattern allows only '$' around the letter",
    "answer-is": "orbench also reads 'the answer is B'; simple-evals only 'Answer: B'",
    "boxed": "orbench reads a \\boxed{} letter; simple-evals does not",
    "changed-mind": "orbench reads the last 'Answer:' line; simple-evals the first",
}


@dataclass(frozen=True)
class ReplySet:
    """Replies for one kind of benchmark, the reference they were judged by, and orbench's differences."""

    name: str
    reference: str
    replies: list[Reply]
    differences: dict[str, str]  # reply key -> why the lenient protocol's verdict differs from the reference's
    item_fields: dict[str, Any] = field(default_factory=dict)  # what a synthetic item needs (kind, choices)

    def expected(self, reply: Reply, grading: str = "reference") -> bool:
        """orbench's intended verdict under a grading protocol: the reference's, and under "lenient"
        flipped where a difference is listed."""
        return reply.reference != (grading == "lenient" and reply.key in self.differences)


OPTIONS = ["first option", "second option", "third option", "fourth option"]
SETS = {
    "math": ReplySet("math", "math-verify alone", MATH, MATH_DIFFERENCES),
    "gsm8k": ReplySet("gsm8k", "math-verify alone", MATH, GSM8K_DIFFERENCES),
    "bbh": ReplySet("bbh", "lm-eval bbh_cot_zeroshot strict-match", BBH, BBH_DIFFERENCES, {"kind": "reasoning"}),
    "choice": ReplySet("choice", "simple-evals ANSWER_PATTERN_MULTICHOICE", CHOICE, CHOICE_DIFFERENCES,
                       {"choices": OPTIONS}),
}

# The item's own gold answer in the formatting chat models use, per protocol: each must be graded correct
# (the lenient protocol also reads every reference one).
_FORMATTED_GOLD = {
    "math": ("**Final answer:** $\\boxed{{{gold}}}$", "The answer is $\\boxed{{{gold}}}$.\n\nEverything checks out."),
    "gsm8k": ("**Final answer:** $\\boxed{{{gold}}}$", "The answer is $\\boxed{{{gold}}}$.\n\nEverything checks out."),
    "bbh": ("Step by step.\nSo the answer is {gold}.", "Step by step.\nSo the answer is {gold}.\n\nDone."),
    "choice": ("Weighing the options.\n**Answer: {gold}**", "Weighing the options.\nAnswer: ${gold}$"),
}
_FORMATTED_GOLD_LENIENT = {
    "bbh": ("Step by step.\nSo the answer is **{gold}**.", "Step by step.\nSo the answer is `{gold}`."),
    "choice": ("Weighing the options.\nAnswer: **{gold}**",),
}


def formatted_golds(set_name: str, gold: str, grading: str = "reference") -> list[str]:
    """Replies that state `gold` with chat markup around it, for a suite whose reply set is `set_name`,
    in the formatting its grading protocol reads."""
    templates = _FORMATTED_GOLD.get(set_name, ()) + (_FORMATTED_GOLD_LENIENT.get(set_name, ())
                                                     if grading == "lenient" else ())
    return [template.format(gold=gold) for template in templates]


def reply_set_failures(suite: Any) -> list[tuple[str, str]]:
    """(reply key, what happened) for each reply of the suite's set that its grader judges otherwise
    than intended (the reference's verdict, or the listed difference)."""
    from ..suites.items import Item

    if suite.reply_set is None:
        return []
    replies = SETS[suite.reply_set]
    failures = []
    for reply in replies.replies:
        item = Item(id=f"reply-{reply.key}", suite=suite.name, category="reply-set", difficulty="hard",
                    prompt="(reply set)", answer=reply.gold, **replies.item_fields)
        got, intended = suite.grade(item, reply.text).correct, replies.expected(reply, suite.grading)
        if got != intended:
            verdicts = f"graded {'right' if got else 'wrong'}, intended {'right' if intended else 'wrong'}"
            failures.append((reply.key, f"{verdicts} ({suite.grading} protocol; reference: {replies.reference})"))
    return failures

"""The reference harnesses' answer rules, re-implemented from their documented sources for the
agreement checks (tests/grading/test_reference_agreement.py, benchmarks/grading_agreement.py) on the
reply sets of orbench.suites.replysets.

- math: math-verify alone, as open-r1's accuracy reward and lighteval use it: the gold parsed as
  LaTeX, the whole reply parsed with math-verify's default extraction, `verify(gold, reply)`.
- BBH: lm-eval's bbh_cot_zeroshot "strict-match" filter (EleutherAI/lm-evaluation-harness,
  lm_eval/tasks/bbh/cot_zeroshot/*.yaml, main of August 2026): the first match of "The answer is X" /
  "the answer is X" / "The answer: X" / "The final answer: X" up to the line's last character (which
  the pattern drops, meant for the period), then its exact_match metric as
  _cot_zeroshot_template_yaml sets it (case ignored; a final period, commas, backslashes, newlines
  and double quotes removed from both sides). The BBH paper's repo (suzgunmirac/BIG-Bench-Hard)
  publishes outputs, no scorer.
- GPQA and ARC: simple-evals (openai/simple-evals, gpqa_eval.py with common.py's
  ANSWER_PATTERN_MULTICHOICE): the first "Answer: X" (case-insensitive, `$X$` allowed), X compared
  with the correct letter.
"""

from __future__ import annotations

import re
from typing import Callable

from orbench.suites.replysets import Reply


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
    return _lm_eval_exact_match_form(first) == _lm_eval_exact_match_form(target)


def _lm_eval_exact_match_form(text: str) -> str:
    for ignored in (r"\.$", ",", r"\\", "\n", '"'):  # regexes_to_ignore, then ignore_case
        text = re.sub(ignored, "", text)
    return text.lower()


_SIMPLE_EVALS_CHOICE = re.compile(r"(?i)Answer[ \t]*:[ \t]*\$?([A-D])\$?")


def simple_evals_choice(correct: str, reply: str) -> bool:
    match = _SIMPLE_EVALS_CHOICE.search(reply)
    return (match.group(1) if match else None) == correct


def disagreements(replies: list[Reply], ours: Callable[[str, str], bool],
                  reference: Callable[[str, str], bool]) -> dict[str, tuple[bool, bool]]:
    """Reply key -> (orbench's verdict, the reference's) for every reply where the two differ."""
    found = {}
    for reply in replies:
        mine, theirs = ours(reply.gold, reply.text), reference(reply.gold, reply.text)
        if mine != theirs:
            found[reply.key] = (mine, theirs)
    return found


RULES = {"math": math_verify_alone, "gsm8k": math_verify_alone, "bbh": lm_eval_bbh, "choice": simple_evals_choice}

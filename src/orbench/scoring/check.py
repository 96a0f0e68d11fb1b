"""Answer checks: pure functions that say whether an extracted answer is right."""

from __future__ import annotations

import re

from .extract import normalize_text


def math_equal(gold: str, predicted: str) -> bool:
    """True if `predicted` is mathematically equal to `gold` (math-verify, plus exact text)."""
    if normalize_text(gold) == normalize_text(predicted):
        return True
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    configs = [LatexExtractionConfig(), ExprExtractionConfig()]
    gold_parsed = parse(f"${gold}$", extraction_config=configs)
    pred_parsed = parse(f"${predicted}$", extraction_config=configs)
    if not gold_parsed or not pred_parsed:
        return False
    return bool(verify(gold_parsed, pred_parsed))


def short_answer_equal(gold: str, predicted: str) -> bool:
    """Exact match after normalisation; numbers compare by value; 'Answer: Tuesday.' matches 'Tuesday'."""
    g, p = normalize_text(gold), normalize_text(predicted)
    if g == p:
        return True
    if _is_number(g) and _is_number(p):
        return float(g) == float(p)
    # A short sentence that states the gold answer as its first or last word ("Tuesday is the day").
    words = p.split()
    return len(words) <= 6 and bool(words) and g in (words[0], words[-1]) and " " not in g


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(?:\.\d+)?", text) is not None

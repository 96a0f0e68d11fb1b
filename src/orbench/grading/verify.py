"""Answer checks: pure functions that say whether an extracted answer is right."""

from __future__ import annotations

import re

from .extract import normalize_text


def math_equal(gold: str, predicted: str) -> bool:
    """True if `predicted` is mathematically equal to `gold`: math-verify, as the reference harnesses
    (open-r1, lighteval) check answers, plus identical text and plain calculator expressions.

    There is no looser text comparison before math-verify: one that drops brackets would make
    `(-\\infty, 0]` equal `(-\\infty, 0)` and `(3,4]` equal `[3,4)` (issue 22); math-verify keeps
    interval ends apart and already matches `\\text{}` words, case and `(C)` against `C`.
    """
    if "".join(gold.split()) == "".join(predicted.split()):
        return True
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    configs = [LatexExtractionConfig(), ExprExtractionConfig()]
    gold_parsed = parse(f"${gold}$", extraction_config=configs)
    pred_parsed = parse(f"${predicted}$", extraction_config=configs)
    if gold_parsed and pred_parsed and verify(gold_parsed, pred_parsed):
        return True
    plain = _plain_expression(predicted)
    return bool(gold_parsed and plain is not None and _sympy_equal(gold_parsed[0], plain))


_PLAIN = re.compile(r"(?:[0-9.+\-*/^() ]|sqrt|pi)+")


def _plain_expression(text: str):
    """A calculator-style answer such as `sqrt(2) + 3/4` as a sympy value, else None.

    Only digits, operators, parentheses, `sqrt` and `pi` are accepted, so nothing else reaches
    sympy's parser (which evaluates its input).
    """
    text = text.strip().rstrip(".")
    if not text or len(text) > 100 or not _PLAIN.fullmatch(text):
        return None
    from sympy.parsing.sympy_parser import parse_expr

    try:
        return parse_expr(text.replace("^", "**"), evaluate=True)
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError):
        return None


def _sympy_equal(a, b) -> bool:
    import sympy

    try:
        return bool(sympy.simplify(a - b) == 0)
    except (TypeError, ValueError, AttributeError):
        return False


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

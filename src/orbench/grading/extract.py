"""Answer extraction: pure functions from a model's reply text to the part that is graded."""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?")


@dataclass(frozen=True)
class Split:
    thinking: str
    answer: str
    unterminated: bool


def split_thinking(text: str, thinking_model: bool = False) -> Split:
    """Separate `<think>...</think>` from the answer.

    Templates of thinking models often open `<think>` in the prompt, so the reply may hold only the
    closing tag. A thinking model's reply without `</think>` is all thinking and no answer.
    """
    if THINK_CLOSE in text:
        head, _, tail = text.rpartition(THINK_CLOSE)
        return Split(head.replace(THINK_OPEN, "", 1).strip(), tail.strip(), False)
    stripped = text.lstrip()
    if stripped.startswith(THINK_OPEN) or thinking_model:
        return Split(stripped.removeprefix(THINK_OPEN).strip(), "", True)
    return Split("", text.strip(), False)


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced."""
    starts = [m.end() for m in re.finditer(r"\\(?:boxed|fbox)\s*\{", text)]
    for start in reversed(starts):
        depth, i = 1, start
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            return text[start : i - 1].strip()
    return None


def extract_math_answer(text: str) -> str | None:
    """Last `\\boxed{}`, then `#### x`, then "answer is x", then the last number."""
    if (boxed := last_boxed(text)) is not None:
        return boxed
    if hashes := re.findall(r"####\s*(.+)", text):
        return hashes[-1].strip()
    if said := re.findall(r"answer is[:\s]*\$?([^\n$]+?)\$?\s*(?:\.\s|\.?$)", text, flags=re.I | re.M):
        return said[-1].strip().strip("*`").strip()  # "The answer is **42**.": bold is not part of it
    if numbers := _NUMBER.findall(text):
        return numbers[-1].replace(",", "")
    return None


def extract_code(text: str, entry_point: str | None = None) -> str | None:
    """The program in a reply: the fenced block that defines `entry_point`, else the last block."""
    blocks = re.findall(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", text, flags=re.S | re.I)
    if not blocks:
        unclosed = re.search(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*)$", text, flags=re.S | re.I)
        blocks = [unclosed.group(1)] if unclosed else []
    if entry_point:
        defining = [b for b in blocks if re.search(rf"\bdef\s+{re.escape(entry_point)}\s*\(", b)]
        if defining:
            return defining[-1].strip("\n")
    if blocks:
        return blocks[-1].strip("\n")
    bare = re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", text, flags=re.M) if entry_point else None
    return text[bare.start():] if bare else None


def _final_line_answer(text: str) -> str | None:
    hits = re.findall(r"(?:final answer|answer)[ \t]*(?:is)?[ \t]*[:：][ \t]*(\S.*)", text, flags=re.I)
    if hits:
        return hits[-1].strip()
    said = re.findall(r"answer is[ \t]+(\S.*)", text, flags=re.I)
    return said[-1].strip() if said else None


def extract_choice(text: str, choices: list[str]) -> str | None:
    """A choice letter: from 'Answer: X', a boxed letter, a lone '(X)' or 'X)' line, or the one
    choice whose text the last line names."""
    letters = "".join(chr(ord("A") + i) for i in range(len(choices)))
    pattern = rf"(?<![A-Za-z])\(?([{letters}])\)?(?![A-Za-z])"
    for candidate in (_final_line_answer(text), last_boxed(text)):
        if candidate and (m := re.search(pattern, candidate.replace("\\text{", ""))):
            return m.group(1)
    # A reply that names exactly one option, as "(B)" or as a line starting "B)" / "B." / a lone "B".
    stated = {a or b for a, b in re.findall(rf"\(([{letters}])\)|^\s*([{letters}])(?:[).:]|\s*$)", text, flags=re.M)}
    if stated:
        return stated.pop() if len(stated) == 1 else None
    return _choice_named_last(text, choices)


def _choice_named_last(text: str, choices: list[str]) -> str | None:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    last = f" {normalize_text(lines[-1])} "
    named = [i for i, c in enumerate(choices) if normalize_text(c) and f" {normalize_text(c)} " in last]
    return chr(ord("A") + named[0]) if len(named) == 1 else None


def extract_short_answer(text: str) -> str | None:
    """The short final answer: 'Answer: x', else a boxed value, else the last non-empty line."""
    for candidate in (_final_line_answer(text), last_boxed(text)):
        if candidate:
            return candidate
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


def repetition_loop(text: str, min_repeats: int = 4, min_span: int = 60) -> bool:
    """True if the text ends in the same chunk repeated (a generation stuck in a loop)."""
    tail = text[-600:].rstrip()
    for period in range(1, 151):
        unit = tail[-period:]
        if len(unit) < period:
            break
        repeats = 1
        while tail[: len(tail) - repeats * period].endswith(unit):
            repeats += 1
        if repeats >= min_repeats and repeats * period >= min_span:
            return True
    return False


def normalize_text(answer: str) -> str:
    """Case-, punctuation- and article-insensitive form of a short answer."""
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", answer).lower()
    text = re.sub(r"[*_`$\\]", "", text)
    text = re.sub(r"[^\w\s./-]", " ", text)
    words = [w for w in text.split() if w not in {"a", "an", "the"}]
    return " ".join(words).strip(" .")

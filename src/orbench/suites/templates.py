"""How an item is put to a model: chat messages built from the item and the model's settings."""

from __future__ import annotations

from ..store.catalog import Generation
from .items import Item

CODE_INSTRUCTION = "Write the complete Python function in a single ```python code block."
CHOICE_INSTRUCTION = "Think it through, then give your final answer on the last line as 'Answer: X', where X is the letter of your choice."
SHORT_INSTRUCTION = "Think it through, then give your final answer on the last line as 'Answer: <answer>', using a single word or number."


def _messages(generation: Generation, user: str) -> list[dict[str, str]]:
    messages = []
    if generation.system_prompt:
        messages.append({"role": "system", "content": generation.system_prompt})
    messages.append({"role": "user", "content": user})
    return messages


def render_math(item: Item, generation: Generation) -> list[dict[str, str]]:
    return _messages(generation, f"{item.prompt}\n\n{generation.math_instruction}")


def render_code(item: Item, generation: Generation) -> list[dict[str, str]]:
    return _messages(generation, f"{item.prompt}\n\n{CODE_INSTRUCTION}")


def render_reasoning(item: Item, generation: Generation) -> list[dict[str, str]]:
    if item.choices:
        options = "\n".join(f"{chr(ord('A') + i)}) {choice}" for i, choice in enumerate(item.choices))
        return _messages(generation, f"{item.prompt}\n\n{options}\n\n{CHOICE_INSTRUCTION}")
    return _messages(generation, f"{item.prompt}\n\n{SHORT_INSTRUCTION}")

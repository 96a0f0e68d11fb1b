"""The prompts the reference harnesses put to chat models, built from a task's own text (issue 22).

- HumanEval, HumanEval+ and MBPP+: EvalPlus's prompt for chat endpoints (evalplus/codegen.py's
  instruction line; evalplus/provider/openai.py `OpenAIChatDecoder.codegen`): one user turn, the
  instruction line, then the task prompt (stripped) in a ```python fence. MBPP+'s task prompt is
  EvalPlus's: the task text and its first test assert inside a docstring (evalplus/data/mbpp.py's
  data format). EvalPlus's local backends (vllm, hf: provider/utility.py `make_raw_chat_prompt`)
  put the task in a plain ``` fence and also open the assistant turn with a fixed sentence and a
  ```python fence for the model to continue; orbench's backends are chat endpoints like
  EvalPlus's OpenAI one (llama.cpp's chat completion, OpenAI-compatible servers), which send whole
  turns and cannot continue an assistant turn, so orbench follows the chat-endpoint form.
- GPQA (and ARC, which follows it): simple-evals' multiple-choice query (openai/simple-evals, common.py
  QUERY_TEMPLATE_MULTICHOICE, used by gpqa_eval.py as one user turn): the instruction to end with
  "Answer: $LETTER", the question, then the options as "A) ...". simple-evals has four options (ABCD);
  an item with another number of options (ARC has 3 to 5) names its own letters.
- LiveCodeBench: lcb_runner's OpenAI-chat prompt (lcb_runner/prompts/code_generation.py, as on its
  main branch in July 2025): its system message, then "### Question:", "### Format:" (the starter
  code, or stdin/stdout and an empty code block) and "### Answer:" in the user turn.
"""

from __future__ import annotations

from typing import Any

from ..suite import Messages
from ..items import Item

EVALPLUS_INSTRUCTION = ("Please provide a self-contained Python script that solves the following problem in a "
                        "markdown code block:")

LCB_SYSTEM = ("You are an expert Python programmer. You will be given a question (problem specification) and will "
              "generate a correct Python program that matches the specification and passes all tests.")
LCB_WITH_STARTER = ("You will use the following starter code to write the solution to the problem and enclose your "
                    "code within delimiters.")
LCB_WITHOUT_STARTER = ("Read the inputs from stdin solve the problem and write the answer to stdout (do not directly "
                       "test on the sample inputs). Enclose your code within delimiters as follows. Ensure that when "
                       "the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.")


def evalplus_user(task_prompt: str) -> str:
    """EvalPlus's user turn on a chat endpoint for a task prompt (a HumanEval stub, or an MBPP+ docstring)."""
    return f"{EVALPLUS_INSTRUCTION}\n```python\n{task_prompt.strip()}\n```"


def mbpp_plus_task(text: str, first_test: str) -> str:
    """MBPP+'s task prompt as EvalPlus ships it: the task text and one test assert in a docstring
    (a text that is already such a docstring is kept)."""
    if text.lstrip().startswith('"""'):
        return text
    return f'"""\n{text.strip()}\n{first_test.strip()}\n"""\n'


def multichoice_query(question: str, choices: list[str]) -> str:
    """simple-evals' multiple-choice user turn for a question and its options (in the order given)."""
    letters = "ABCDEFGHIJ"[:len(choices)]
    instruction = ("Answer the following multiple choice question. The last line of your response should be of the "
                   f"following format: 'Answer: $LETTER' (without quotes) where LETTER is one of {letters}. Think "
                   "step by step before answering.")
    options = "\n".join(f"{letter}) {choice}" for letter, choice in zip(letters, choices))
    return f"{instruction}\n\n{question}\n\n{options}"


def lcb_user(question: str, starter: str) -> str:
    """lcb_runner's user turn for a problem: question, format (starter code or stdin/stdout), answer."""
    if starter:
        form = f"### Format: {LCB_WITH_STARTER}\n```python\n{starter}\n```\n\n"
    else:
        form = f"### Format: {LCB_WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"
    return f"### Question:\n{question}\n\n{form}### Answer: (use the provided format with backticks)\n\n"


def render_as_given(item: Item, generation: Any) -> Messages:
    """The item's prompt is the whole user turn; the model's own system prompt, if it has one, first."""
    system = getattr(generation, "system_prompt", None)
    return [*([{"role": "system", "content": system}] if system else []), {"role": "user", "content": item.prompt}]


def render_lcb(item: Item, generation: Any) -> Messages:
    """LCB's system message (after the model's own system prompt, if it has one), then the user turn."""
    system = getattr(generation, "system_prompt", None)
    content = f"{system}\n\n{LCB_SYSTEM}" if system else LCB_SYSTEM
    return [{"role": "system", "content": content}, {"role": "user", "content": item.prompt}]

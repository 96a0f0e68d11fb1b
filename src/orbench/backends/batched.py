"""Continuous batching on llama.cpp's low-level API: many sequences decode together in one context.

Up to N sequences decode in one `llama_decode` call per step, and the prompts of arriving requests
ride in the same steps (`engine.py` schedules them); a finished sequence frees its slot and the next
request is admitted at once. The K samples of one item share their prompt: it is prefilled once and
its KV cache copied to the other sequences (`llama_memory_seq_cp`). Sampling stays in llama.cpp's C
sampler chains, one per sequence, built exactly like llama-cpp-python's (`Llama._init_sampler`) and
seeded per request. Requests are admitted in plan order (longest prompt first measured no better:
benchmarks/admission.py).
The chat template's fixed opening (system turn, user header), the same for every item, is prefilled
once into a spare sequence and copied into each new one. A request whose prompt plus max tokens does
not fit a sequence's share of the context is an error for that sample, never a crash. Only the
engine's context is allocated: `Llama`'s own (the sequential backend's) is made at llama.cpp's
smallest size, and N = 1 makes one with the sequential backend's parameters.

With N = 1 every decode call is the same as the sequential backend's, so the tokens are the same;
with N > 1 llama.cpp's kernels are not batch-invariant and sequences may drift (benchmarks/engine.py
measures how much).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Literal, Sequence

from ..errors import OrbenchError
from ..llama import Context, Sampler
from .base import BackendInfo, Completion, GenerationRequest, error_completion
from .engine import MIN_CHUNK, Engine, Prepared, StepTally
from .llamacpp import LlamaCppBackend

MAX_AUTO_PARALLEL = 16
PENALTY_LAST_N = 64  # llama-cpp-python's default last_n_tokens_size
MIN_SHARED_PREFIX = 16  # shorter template openings are cheaper to prefill than to copy
STEP_TOKENS = 512  # tokens per decode step: llama.cpp's micro-batch (see benchmarks/mixed_steps.py)
Order = Literal["longest", "fifo"]


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def auto_parallel(n_ctx: int, need: int, requests: int) -> int:
    """Sequences to run at once: as many as fit four sequence-contexts of KV cells, at most 16."""
    return max(1, min(MAX_AUTO_PARALLEL, requests, (4 * n_ctx) // max(1, need)))


def admission_order(prepared: list[Prepared], order: Order) -> list[Prepared]:
    """Longest prompt first (stable, so the samples of one item stay together), or as given."""
    return sorted(prepared, key=lambda p: -len(p.prompt)) if order == "longest" else list(prepared)


class BatchedBackend(LlamaCppBackend):
    name = "llama.cpp-batched"
    own_context = False  # the engine makes its contexts; `Llama`'s own stays at the smallest size

    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None, n_gpu_layers: int = 0,
                 seed: int = 0, parallel: int | None = None, chat_template: str | None = None,
                 step_tokens: int = STEP_TOKENS, mixed: bool = True, order: Order = "fifo",
                 kv_unified: bool = False):
        """`step_tokens`: the most tokens one decode step carries (running sequences' tokens plus prompt
        chunks); `mixed=False`: each prompt evaluated in steps of its own while the others wait (the
        earlier engine); `order`: admission order; `kv_unified`: one KV cache shared by all sequences
        instead of one stream each (measured slower on CPU: attention then spans every sequence)."""
        super().__init__(model_path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers, seed=seed,
                         chat_template=chat_template)
        self.n_ctx = n_ctx
        self.parallel = parallel
        self.step_tokens, self.mixed, self.order, self.kv_unified = step_tokens, mixed, order, kv_unified
        self._contexts: dict[tuple[int, int], Context] = {}
        self._formatter = self.model.chat_formatter()
        self._openings: dict[str, tuple[int, ...]] = {}
        self._last_parallel = 1
        self.steps = StepTally()  # where the last generate call's decode time went

    @property
    def last_parallel(self) -> int:
        return self._last_parallel

    def close(self) -> None:
        for ctx in self._contexts.values():
            ctx.close()
        self._contexts.clear()
        super().close()

    def info(self) -> BackendInfo:
        engine = "continuous batching, " + (f"prompts mixed into decode steps of up to {self.step_tokens} tokens"
                                            if self.mixed else "prompts evaluated in steps of their own")
        return super().info().model_copy(update=dict(backend=self.name, engine=engine,
                                                     parallel=self.parallel or "auto"))

    # ------------------------------------------------------------ setup

    def _prompt(self, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
        if self._formatter is None:
            raise OrbenchError(f"{self.model_path.name} has no chat template; use --parallel 1")
        return self.model.chat_prompt(self._formatter, messages)

    def _opening(self, messages: list[dict[str, str]]) -> tuple[int, ...]:
        """The tokens every prompt with these earlier messages starts with, whatever the last message
        says: the common start of the template rendered around two different texts."""
        key = json.dumps([messages[:-1], messages[-1]["role"]])
        if key not in self._openings:
            role = messages[-1]["role"]
            a = self._prompt([*messages[:-1], {"role": role, "content": "\u00a7 one"}])[0]
            b = self._prompt([*messages[:-1], {"role": role, "content": "\u00b6 two"}])[0]
            self._openings[key] = tuple(a[:common_prefix_len(a, b)])
        return self._openings[key]

    def context(self, n: int, need: int, spare: bool = False) -> Context:
        """A context for n sequences (plus a spare one holding the shared opening) with `need` KV cells
        each, one KV stream per sequence unless `kv_unified` (n = 1: one with the sequential backend's
        parameters, so that N = 1 reproduces it exactly)."""
        if n == 1:
            return self.model.base_context()
        streams = n + 1 if spare else n
        cells = streams * min(self.n_ctx, -(-need // 256) * 256)
        key = (streams, cells)
        if key not in self._contexts:
            for old in list(self._contexts):  # keep one context alive at a time
                self._contexts.pop(old).close()
            self._contexts[key] = self.model.new_context(cells, streams, max(n, self.step_tokens),
                                                         unified=self.kv_unified)
        return self._contexts[key]

    def _sampler(self, r: GenerationRequest) -> Sampler:
        return self.model.sampler(r.temperature, r.top_k, r.top_p, r.min_p, r.repeat_penalty, r.seed,
                                  penalty_last_n=PENALTY_LAST_N)

    # ------------------------------------------------------------ generation

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]:
        prepared = []
        for r in requests:
            try:
                prompt, stop = self._prompt(r.messages)
            except (ValueError, RuntimeError) as exc:
                yield error_completion(r, f"chat template: {exc}")
                continue
            if len(prompt) + r.max_tokens > self.n_ctx:
                yield error_completion(r, f"prompt ({len(prompt)} tokens) + max_tokens ({r.max_tokens}) exceeds the "
                                          f"context of {self.n_ctx} tokens per sequence")
                continue
            prepared.append(Prepared(r, prompt, stop))
        if not prepared:
            return
        need = max(len(p.prompt) + p.request.max_tokens for p in prepared)
        n = self.parallel or auto_parallel(self.n_ctx, need, len(prepared))
        self._last_parallel = n = max(1, min(n, len(prepared)))
        if n > 1:  # N = 1 stays the exact reference: whole prompts, like the sequential backend
            for p in prepared:
                p.opening = self._opening(p.request.messages)
                shared = min(common_prefix_len(p.opening, p.prompt), len(p.prompt) - MIN_CHUNK)
                p.shared = shared if shared >= MIN_SHARED_PREFIX else 0
            prepared = admission_order(prepared, self.order)
        spare = any(p.shared for p in prepared)
        engine = Engine(self, self.context(n, need, spare), n, prepared, spare, step_tokens=self.step_tokens,
                        mixed=self.mixed, split=not self.kv_unified or n == 1)
        self.steps = engine.tally
        yield from engine.run()

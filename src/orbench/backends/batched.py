"""Continuous batching on llama.cpp's low-level API: many sequences decode together in one context.

Up to N sequences decode in one `llama_decode` call per step; a finished sequence frees its slot
and the next request is admitted at once. The K samples of one item share their prompt: it is
prefilled once and its KV cache copied to the other sequences (`llama_memory_seq_cp`). Sampling
stays in llama.cpp's C sampler chains, one per sequence, built exactly like llama-cpp-python's
(`Llama._init_sampler`) and seeded per request. Scheduling is deterministic: requests are
admitted in order into the lowest free slots, and active sequences are kept on consecutive ids (see
`_Engine._compact`). The chat template's fixed opening (system turn, user header), the same for every
item, is prefilled once into a spare sequence and copied into each new one. A request whose prompt plus
max tokens does not fit a sequence's share of the context is an error for that sample, never a crash.

With N = 1 and the same context settings, every decode call is the same as the sequential
backend's, so the tokens are the same; with N > 1 llama.cpp's kernels are not batch-invariant
and sequences may drift (benchmarks/engine.py measures how much).
"""

from __future__ import annotations

import codecs
import json
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import OrbenchError
from ..llama import Batch, Context, Entry, Sampler
from . import BackendInfo, Completion, GenerationRequest, error_completion
from .llamacpp import LlamaCppBackend

MAX_AUTO_PARALLEL = 16
PENALTY_LAST_N = 64  # llama-cpp-python's default last_n_tokens_size
MIN_SHARED_PREFIX = 16  # shorter template openings are cheaper to prefill than to copy


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


@dataclass
class Prepared:
    request: GenerationRequest
    prompt: list[int]
    stop: list[str]
    opening: tuple[int, ...] = ()  # the template's fixed opening for these messages
    shared: int = 0  # how many of the prompt's first tokens come from `opening`


@dataclass
class Slot:
    request: GenerationRequest
    seq: int
    prompt: list[int]
    sampler: Sampler
    stop: list[str]
    tokens: list[int] = field(default_factory=list)
    started: float = 0.0
    prompt_seconds: float = 0.0
    prompt_eval: int = 0  # prompt tokens this sequence evaluated itself (0 when its KV was copied)
    gen_seconds: float = 0.0  # this sequence's share of each decode step it took part in
    n_past: int = 0
    text: str = ""  # the reply so far, kept only when there are stop strings to look for
    decoder: Any = None

    def stopped(self, piece: bytes) -> bool:
        """Add a token's bytes to the text; True once a stop string has appeared in it."""
        if self.decoder is None:
            self.decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        added = self.decoder.decode(piece)
        self.text += added
        return any(s in self.text[-(len(s) + len(added)):] for s in self.stop if s)


class BatchedBackend(LlamaCppBackend):
    name = "llama.cpp-batched"

    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None, n_gpu_layers: int = 0,
                 seed: int = 0, parallel: int | None = None, chat_template: str | None = None):
        super().__init__(model_path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers, seed=seed,
                         chat_template=chat_template)
        self.n_ctx = n_ctx
        self.parallel = parallel
        self._contexts: dict[tuple[int, int], Context] = {}
        self._formatter = self.model.chat_formatter()
        self._openings: dict[str, tuple[int, ...]] = {}
        self._last_parallel = 1
        self.step_seconds: dict[int, list[float]] = {}  # sequences in a step -> [steps, seconds] (last generate)

    @property
    def last_parallel(self) -> int:
        return self._last_parallel

    def close(self) -> None:
        for ctx in self._contexts.values():
            ctx.close()
        self._contexts.clear()
        super().close()

    def info(self) -> BackendInfo:
        return super().info().model_copy(update=dict(backend=self.name, engine="continuous batching",
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
        each, one KV stream per sequence (n = 1: the sequential backend's own context, so that N = 1
        reproduces it exactly)."""
        if n == 1:
            return self.model.base_context()
        streams = n + 1 if spare else n
        cells = streams * min(self.n_ctx, -(-need // 256) * 256)
        key = (streams, cells)
        if key not in self._contexts:
            for old in list(self._contexts):  # keep one extra context alive at a time
                self._contexts.pop(old).close()
            self._contexts[key] = self.model.new_context(cells, streams, n)
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
        self.step_seconds = {}
        if n > 1:  # N = 1 stays the exact reference: whole prompts, like the sequential backend
            for p in prepared:
                p.opening = self._opening(p.request.messages)
                shared = min(common_prefix_len(p.opening, p.prompt), len(p.prompt) - 1)
                p.shared = shared if shared >= MIN_SHARED_PREFIX else 0
        spare = any(p.shared for p in prepared)
        yield from _Engine(self, self.context(n, need, spare), n, prepared, spare).run()


class _Engine:
    """One pass over a list of prepared requests with N slots."""

    def __init__(self, backend: BatchedBackend, ctx: Context, n: int, prepared: list[Prepared], spare: bool = False):
        self.backend, self.model, self.ctx, self.n = backend, backend.model, ctx, n
        self.spare = n if spare else None  # the sequence id holding the shared template opening
        self.cached: tuple[int, ...] = ()  # what it holds
        self.queue = deque(prepared)
        self.slots: list[Slot | None] = [None] * n
        self.batch = Batch(max(ctx.n_batch, n))

    def run(self) -> Iterator[Completion]:
        self.ctx.clear()
        try:
            while self.queue or any(self.slots):
                yield from self._admit()
                self._compact()
                active = [s for s in self.slots if s is not None]
                if not active:
                    continue
                self.batch.fill([(s.tokens[-1], s.n_past, s.seq, True) for s in active])
                step = time.perf_counter()
                if not self.ctx.decode(self.batch):
                    for s in active:
                        yield self._finish(s, error="llama_decode failed")
                    continue
                elapsed = time.perf_counter() - step
                share = elapsed / len(active)
                tally = self.backend.step_seconds.setdefault(len(active), [0, 0.0])
                tally[0] += 1
                tally[1] += elapsed
                for i, s in enumerate(active):
                    s.n_past += 1
                    s.gen_seconds += share
                    if self._sample(s, i):
                        yield self._finish(s)
        finally:
            for slot in self.slots:
                if slot is not None:
                    slot.sampler.close()
            self.batch.close()

    def _admit(self) -> Iterator[Completion]:
        """Fill free slots in order; the samples of one item that enter together share one prefill."""
        while self.queue and None in self.slots:
            free = [i for i, s in enumerate(self.slots) if s is None]
            head = self.queue[0]
            group: list[Prepared] = []
            while self.queue and len(group) < len(free) and self.queue[0].prompt == head.prompt:
                group.append(self.queue.popleft())
            started = time.perf_counter()
            slots = []
            for p, seq in zip(group, free):
                slot = Slot(request=p.request, seq=seq, prompt=p.prompt, sampler=self.backend._sampler(p.request),
                            stop=p.stop, started=started)
                self.slots[seq] = slot
                slots.append(slot)
            lead = slots[0]
            reused = self._reuse_opening(head, lead.seq)
            last_index = self._prefill(lead, reused)
            if last_index is None:
                for s in slots:
                    yield self._finish(s, error="llama_decode failed during prefill")
                continue
            for s in slots[1:]:
                self.ctx.seq_cp(lead.seq, s.seq)
            lead.prompt_seconds, lead.prompt_eval = time.perf_counter() - started, len(lead.prompt) - reused
            for s in slots:
                s.n_past = len(s.prompt)
                if self._sample(s, last_index):
                    yield self._finish(s)

    def _reuse_opening(self, p: Prepared, seq: int) -> int:
        """Copy the shared template opening into `seq` (prefilling it first if the spare sequence holds
        another one); returns how many prompt tokens are already in place."""
        if not p.shared or self.spare is None:
            return 0
        if self.cached != p.opening:
            self.ctx.seq_rm(self.spare)
            self.cached = ()
            if self._decode_tokens(list(p.opening), 0, self.spare) is None:
                return 0
            self.cached = p.opening
        self.ctx.seq_cp(self.spare, seq)
        if p.shared < len(p.opening):
            self.ctx.seq_rm(seq, p.shared, -1)
        return p.shared

    def _compact(self) -> None:
        """Keep the active sequences on consecutive ids 0..k-1. With one KV stream per sequence,
        llama.cpp puts only consecutive sequence ids into one micro-batch, so a gap left by a finished
        sequence would split every later step into several decodes (each reading all the weights).
        The highest active sequence moves into the lowest gap: a copy of its KV stream."""
        while True:
            free = next((i for i, s in enumerate(self.slots) if s is None), None)
            last = next((i for i in range(len(self.slots) - 1, -1, -1) if self.slots[i] is not None), None)
            if free is None or last is None or last < free:
                return
            slot = self.slots[last]
            assert slot is not None
            self.ctx.seq_cp(last, free)
            self.ctx.seq_rm(last)
            self.slots[free], self.slots[last], slot.seq = slot, None, free

    def _prefill(self, slot: Slot, start: int = 0) -> int | None:
        """Evaluate the prompt from `start` on the slot's sequence; the batch row of the last token's
        logits, or None if llama_decode failed."""
        return self._decode_tokens(slot.prompt[start:], start, slot.seq)

    def _decode_tokens(self, tokens: list[int], pos: int, seq: int) -> int | None:
        """Decode `tokens` at positions pos.. on one sequence in chunks of the batch size, logits for the
        last only; the batch row of the last token's logits, or None if llama_decode failed."""
        index = None
        size = self.batch.size
        for start in range(0, len(tokens), size):
            chunk = tokens[start:start + size]
            last = start + len(chunk) == len(tokens)
            entries: list[Entry] = [(t, pos + start + j, seq, last and j == len(chunk) - 1) for j, t in enumerate(chunk)]
            self.batch.fill(entries)
            if not self.ctx.decode(self.batch):
                return None
            index = len(chunk) - 1
        return index

    def _sample(self, slot: Slot, index: int) -> bool:
        """Sample the slot's next token from batch row `index`; True when the sequence is done: an
        end-of-generation token, a stop string in the text, max tokens, or a full context."""
        token = slot.sampler.sample(self.ctx, index)
        if self.model.is_eog(token):
            return True
        slot.tokens.append(token)
        if slot.stop and slot.stopped(self.model.detokenize([token])):
            return True
        return len(slot.tokens) >= slot.request.max_tokens or slot.n_past + 1 >= self.backend.n_ctx

    def _finish(self, slot: Slot, error: str | None = None) -> Completion:
        self.ctx.seq_rm(slot.seq)
        slot.sampler.close()
        self.slots[slot.seq] = None
        seconds = time.perf_counter() - slot.started
        if error:
            return error_completion(slot.request, error, seconds)
        text = self.model.detokenize(slot.tokens, prev_tokens=slot.prompt).decode("utf-8", errors="ignore")
        cut = min((text.find(s) for s in slot.stop if s and s in text), default=-1)
        if cut >= 0:
            text = text[:cut]
        length = len(slot.tokens) >= slot.request.max_tokens and cut < 0
        return Completion(
            request_id=slot.request.id, text=text, finish_reason="length" if length else "stop",
            prompt_tokens=len(slot.prompt), completion_tokens=len(slot.tokens), seconds=seconds,
            prompt_seconds=slot.prompt_seconds, prompt_eval_tokens=slot.prompt_eval,
            generation_seconds=slot.gen_seconds or None,
        )

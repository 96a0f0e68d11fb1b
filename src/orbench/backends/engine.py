"""The batched backend's scheduler: one pass over prepared requests with N sequence slots.

Each `llama_decode` step carries one token for every running sequence and, within a token budget
per step (`step_tokens`), the prompt tokens of sequences being admitted, like llama-server's and
vLLM's continuous batching: running sequences first, then the rest of a prompt begun in an earlier
step, then new requests in queue order while the budget lasts (a prompt longer than the budget is
split over several steps). The samples of one item enter together and share one prefill: the first
sample's sequence evaluates the prompt, the others wait without tokens and get a copy of its KV
cache once it is done (a sample admitted later, when fewer slots were free than samples, copies it
from a running sample of its item). The chat template's fixed opening sits in a spare sequence and is copied into
each new one. `mixed=False` gives the earlier schedule: each prompt in steps of its own while the
running sequences wait.

With one KV stream per sequence llama.cpp cuts a batch into micro-batches of consecutive sequence
ids with equal token counts (`llama_batch_allocr::split_equal`), so the sequences that have tokens
in a step are kept on ids 0..k-1 and put in the batch in id order: one micro-batch takes a token of
each of them, the rest of the prompt chunks follow. Scheduling is deterministic.
"""

from __future__ import annotations

import codecs
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol

from ..llama import Batch, Context, Entry, Model, Sampler
from .base import Completion, GenerationRequest, error_completion

MIN_ADMIT_CHUNK = 64  # a new prompt starts only with at least this many tokens of budget (smaller chunks prefill slower)
MIN_CHUNK = 2  # prompt tokens evaluated together at least (see Engine._take)


class Host(Protocol):
    """What the engine needs of the backend that runs it (`BatchedBackend`): the model, the context
    size, and a seeded sampler chain per request."""

    model: Model
    n_ctx: int

    def _sampler(self, r: GenerationRequest) -> Sampler: ...


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
    lead: Slot | None = None  # the sample of the same item whose prefill this one waits for
    followers: list[Slot] = field(default_factory=list)  # the samples waiting for this one's prefill
    tokens: list[int] = field(default_factory=list)
    started: float = 0.0
    prompt_seconds: float = 0.0
    prompt_eval: int = 0  # prompt tokens this sequence evaluated itself (0 when its KV was copied)
    gen_seconds: float = 0.0  # this sequence's share of each decode step it took part in
    n_past: int = 0  # tokens in this sequence's KV cache
    text: str = ""  # the reply so far, kept only when there are stop strings to look for
    decoder: Any = None

    @property
    def prompt_left(self) -> int:
        return 0 if self.lead is not None else len(self.prompt) - self.n_past

    @property
    def decoding(self) -> bool:
        return self.lead is None and self.n_past >= len(self.prompt)

    def stopped(self, piece: bytes) -> bool:
        """Add a token's bytes to the text; True once a stop string has appeared in it."""
        if self.decoder is None:
            self.decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        added = self.decoder.decode(piece)
        self.text += added
        return any(s in self.text[-(len(s) + len(added)):] for s in self.stop if s)


@dataclass
class Step:
    """What one llama_decode call carries: a token of each running sequence, prompt chunks of others."""

    decode: list[Slot] = field(default_factory=list)
    chunks: list[tuple[Slot, int]] = field(default_factory=list)

    def slots(self) -> list[Slot]:
        return self.decode + [s for s, _ in self.chunks]

    @property
    def prompt_tokens(self) -> int:
        return sum(n for _, n in self.chunks)


@dataclass
class StepTally:
    """Where the engine's decode time went (the last generate call): steps with running sequences
    only, steps that also carried prompt tokens ("mixed"), and prompt-only steps, split into those
    while other sequences were running (they waited: a stall) and those with nothing running; and,
    across them, the tail: steps once the queue was empty with fewer than N sequences left."""

    decode: dict[int, list[float]] = field(default_factory=dict)  # running sequences -> [steps, seconds]
    mixed: dict[int, list[float]] = field(default_factory=dict)  # running sequences -> [steps, seconds, prompt tokens]
    stall: list[float] = field(default_factory=lambda: [0, 0.0, 0])  # steps, seconds, prompt tokens
    idle_prefill: list[float] = field(default_factory=lambda: [0, 0.0, 0])  # steps, seconds, prompt tokens
    tail: list[float] = field(default_factory=lambda: [0, 0.0, 0])  # queue empty, fewer than N left: steps, seconds, tokens

    def add(self, running: int, decode_tokens: int, prompt_tokens: int, seconds: float) -> None:
        if decode_tokens:
            row = (self.mixed if prompt_tokens else self.decode).setdefault(decode_tokens, [0, 0.0, 0])
        else:
            row = self.stall if running else self.idle_prefill
        row[0] += 1
        row[1] += seconds
        row[2] += prompt_tokens

    @property
    def seconds(self) -> float:
        return sum(r[1] for r in [*self.decode.values(), *self.mixed.values(), self.stall, self.idle_prefill])

    @property
    def mixed_steps(self) -> int:
        return int(sum(r[0] for r in self.mixed.values()))

    def prompt_in_mixed(self) -> float:
        """Seconds the prompt tokens added to the mixed steps: their time beyond that of decode-only
        steps with as many running sequences (the mean of those; mixed steps without one are left out)."""
        extra = 0.0
        for n, (steps, seconds, _) in self.mixed.items():
            if n in self.decode:
                k, t, _ = self.decode[n]
                extra += seconds - steps * t / k
        return max(0.0, extra)


class Engine:
    """One pass over a list of prepared requests with N slots."""

    def __init__(self, backend: Host, ctx: Context, n: int, prepared: list[Prepared], spare: bool = False,
                 step_tokens: int = 512, mixed: bool = True, split: bool = True):
        self.backend, self.model, self.ctx, self.n = backend, backend.model, ctx, n
        self.spare = n if spare else None  # the sequence id holding the shared template opening
        self.cached: tuple[int, ...] = ()  # what it holds
        self.queue = deque(prepared)
        self.slots: list[Slot | None] = [None] * n
        self.budget = max(n + MIN_CHUNK, min(step_tokens, ctx.n_batch))
        self.mixed, self.split = mixed, split
        self.batch = Batch(max(ctx.n_batch, n))
        self.tally = StepTally()

    def run(self) -> Iterator[Completion]:
        self.ctx.clear()
        try:
            while self.queue or any(self.slots):
                if self.split:
                    self._compact()
                step = self._plan()
                if step.decode or step.chunks:
                    yield from self._run_step(step)
        finally:
            for slot in self.slots:
                if slot is not None:
                    slot.sampler.close()
            self.batch.close()

    # ------------------------------------------------------------ planning a step

    def _plan(self) -> Step:
        """Running sequences first, then the prompt begun in an earlier step, then new requests."""
        decode = [s for s in self.slots if s is not None and s.decoding]
        step = Step(decode=decode if self.mixed or not self._prompt_work() else [])
        budget = self.budget - len(step.decode)
        for slot in sorted((s for s in self.slots if s is not None and s.prompt_left > 0), key=lambda s: s.started):
            take = self._take(slot.prompt_left, budget)
            if not take or (step.chunks and not self.mixed):
                break
            step.chunks.append((slot, take))
            budget -= take
        least = min(MIN_ADMIT_CHUNK, self.budget // 2)
        while self.queue and None in self.slots and budget >= min(least, len(self.queue[0].prompt)) and \
                (self.mixed or not step.chunks):
            lead = self._admit()
            take = self._take(lead.prompt_left, budget)
            if take:
                step.chunks.append((lead, take))
                budget -= take
        return step

    def _take(self, left: int, budget: int) -> int:
        """How many of `left` prompt tokens to evaluate in this step. With N > 1 a prompt token is never
        evaluated as the only token of its sequence in a micro-batch: llama.cpp's CPU kernels compute a
        lone token's attention another way (the decode path) and its logits differ slightly from a whole
        prompt's, so a chunk never leaves one token behind. N = 1 splits like the sequential backend."""
        if left <= budget or self.n == 1:
            return min(left, budget)
        take = min(budget, left - MIN_CHUNK)
        return take if take >= MIN_CHUNK else 0

    def _prompt_work(self) -> bool:
        return bool(self.queue and None in self.slots) or any(s is not None and s.prompt_left > 0 for s in self.slots)

    def _admit(self) -> Slot:
        """Give the next item's samples free slots (as many as are free); the first of them evaluates
        the prompt (after the copied template opening), the others wait for a copy of its cache."""
        free = [i for i, s in enumerate(self.slots) if s is None]
        head = self.queue[0]
        group: list[Prepared] = []
        while self.queue and len(group) < len(free) and self.queue[0].prompt == head.prompt:
            group.append(self.queue.popleft())
        started = time.perf_counter()
        slots = [Slot(request=p.request, seq=seq, prompt=p.prompt, sampler=self.backend._sampler(p.request),
                      stop=p.stop, started=started) for p, seq in zip(group, free)]
        lead = slots[0]
        for s in slots:
            self.slots[s.seq] = s
        for s in slots[1:]:
            s.lead = lead
            lead.followers.append(s)
        lead.n_past = self._reuse_sibling(lead) or self._reuse_opening(head, lead.seq)
        lead.prompt_eval = len(lead.prompt) - lead.n_past
        return lead

    def _reuse_sibling(self, slot: Slot) -> int:
        """Copy the prompt's cache from a running sample of the same item (its group was split because
        fewer slots were free than samples), all but the last prompt tokens (whose logits are needed
        again; two, so that they are evaluated like a prompt); returns how many prompt tokens are in
        place (0: no such sample)."""
        donor = next((s for s in self.slots if s is not None and s is not slot and s.prompt == slot.prompt
                      and s.decoding), None)
        if donor is None or len(slot.prompt) <= MIN_CHUNK:
            return 0
        self.ctx.seq_cp(donor.seq, slot.seq)
        self.ctx.seq_rm(slot.seq, len(slot.prompt) - MIN_CHUNK, -1)
        return len(slot.prompt) - MIN_CHUNK

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
        """Keep the running sequences on ids 0..r-1. With one KV stream per sequence, llama.cpp puts
        only consecutive sequence ids into one micro-batch, so a gap left by a finished sequence would
        split every later step into several decodes, each reading all the weights. The highest
        running sequence moves into the lowest gap: a copy of its KV stream; a sample waiting there
        for its item's prefill (its cache still empty) takes its old id."""
        running = [s for s in self.slots if s is not None and s.decoding]
        r = len(running)

        def gap(i: int) -> bool:
            s = self.slots[i]
            return s is None or (not s.decoding and s.n_past == 0)

        gaps = [i for i in range(r) if gap(i)]
        movers = sorted((s for s in running if s.seq >= r), key=lambda s: -s.seq)
        for free, slot in zip(gaps, movers):
            old, waiting = slot.seq, self.slots[free]
            self.ctx.seq_cp(old, free)
            self.ctx.seq_rm(old)
            self.slots[free], self.slots[old], slot.seq = slot, waiting, free
            if waiting is not None:
                waiting.seq = old

    # ------------------------------------------------------------ running a step

    def _entries(self, step: Step) -> tuple[list[Entry], dict[int, int]]:
        """The batch: prompt chunks first, highest sequence id first, then one token of each running
        sequence in id order. llama.cpp's split for separate KV streams starts a micro-batch at the
        first unused token and adds only the next higher sequence id, so each chunk becomes a
        micro-batch of its own (a chunk's tokens all evaluated together, as in a whole prompt) and
        the running sequences one more. Also the batch row of each slot's logits."""
        entries: list[Entry] = []
        rows: dict[int, int] = {}  # id(slot) -> row of its logits (a decode token, or a prompt's last token)
        for slot, take in sorted(step.chunks, key=lambda c: -c[0].seq):
            ends = take == slot.prompt_left
            for j in range(take):
                entries.append((slot.prompt[slot.n_past + j], slot.n_past + j, slot.seq, ends and j == take - 1))
            if ends:
                rows[id(slot)] = len(entries) - 1
        for slot in sorted(step.decode, key=lambda s: s.seq):
            rows[id(slot)] = len(entries)
            entries.append((slot.tokens[-1], slot.n_past, slot.seq, True))
        return entries, rows

    def _parts(self, step: Step) -> list[Step]:
        """The step as one llama_decode call, or as two (chunks, then running sequences) where a chunk's
        sequence id is right below a running one's, which llama.cpp would put into the running
        sequences' micro-batch (the compaction and admission to the lowest free ids avoid that)."""
        running = {s.seq for s in step.decode}
        if self.split and any(s.seq + 1 in running for s, _ in step.chunks):
            return [Step(chunks=step.chunks), Step(decode=step.decode)]
        return [step]

    def _run_step(self, step: Step) -> Iterator[Completion]:
        for part in self._parts(step):
            yield from self._run_part(part)

    def _run_part(self, step: Step) -> Iterator[Completion]:
        entries, rows = self._entries(step)
        self.batch.fill(entries)
        running = sum(1 for s in self.slots if s is not None and s.decoding)
        started = time.perf_counter()
        ok = self.ctx.decode(self.batch)
        elapsed = time.perf_counter() - started
        if not ok:
            for slot in step.slots():
                for s in [slot, *slot.followers]:
                    yield self._finish(s, error="llama_decode failed")
            return
        self.tally.add(running, len(step.decode), step.prompt_tokens, elapsed)
        if not self.queue and len(step.decode) < self.n:
            self.tally.tail[0] += 1
            self.tally.tail[1] += elapsed
            self.tally.tail[2] += len(step.decode)
        share = elapsed / len(entries)
        for slot in step.decode:
            slot.n_past += 1
            slot.gen_seconds += share
            if self._sample(slot, rows[id(slot)]):
                yield self._finish(slot)
        for slot, take in step.chunks:
            slot.n_past += take
            slot.prompt_seconds += take * share
            if slot.prompt_left == 0:
                yield from self._prompt_done(slot, rows[id(slot)])

    def _prompt_done(self, lead: Slot, row: int) -> Iterator[Completion]:
        """The lead's prompt is evaluated: its waiting samples get a copy of its cache, and each
        samples its first token from the same logits with its own sampler."""
        for s in lead.followers:
            self.ctx.seq_cp(lead.seq, s.seq)
            s.lead, s.n_past = None, lead.n_past
        group, lead.followers = [lead, *lead.followers], []
        for s in group:
            if self._sample(s, row):
                yield self._finish(s)

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
            started = time.perf_counter()
            if not self.ctx.decode(self.batch):
                return None
            running = sum(1 for s in self.slots if s is not None and s.decoding)
            self.tally.add(running, 0, len(chunk), time.perf_counter() - started)
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

"""The continuous-batching engine on the real embedded model: exactness at N = 1, determinism,
shared prefill, prompts mixed into decode steps, one context, and no context overflow."""

from __future__ import annotations

import pytest

from orbench.backends import GenerationRequest, create_backend
from orbench.backends import batched
from orbench.backends.batched import BatchedBackend, admission_order, auto_parallel
from orbench.backends.engine import Engine, Prepared
from orbench.store.catalog import load_catalog
from orbench.suites import get_suite, select

pytestmark = pytest.mark.e2e


def requests(samples=2, max_tokens=40, temperature=0.7):
    g = load_catalog().get("smollm2-135m").generation
    out = []
    for name in ("math", "reasoning"):
        suite = get_suite(name)
        for item in select(suite.load(0), 3, 0):
            for k in range(samples):
                out.append(GenerationRequest(
                    id=f"{item.id}#{k}", item_id=item.id, sample=k, messages=suite.render(item, g),
                    max_tokens=max_tokens, temperature=temperature, top_p=0.9, top_k=40, min_p=0.0,
                    repeat_penalty=1.0, seed=100 + len(out)))
    return out


def texts(backend, reqs):
    try:
        return {c.request_id: (c.text, c.completion_tokens, c.finish_reason) for c in backend.generate(reqs)}
    finally:
        backend.close()


@pytest.fixture(scope="module")
def sequential(embedded_model):
    return texts(create_backend("llama.cpp", model_path=embedded_model, n_ctx=1024, n_threads=2, parallel=1),
                 requests())


def test_n1_matches_the_sequential_backend_token_for_token(embedded_model, sequential):
    batched = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), requests())
    assert batched == sequential
    assert all(tokens > 0 for _, tokens, _ in batched.values())


def test_n4_is_deterministic_run_to_run(embedded_model, sequential):
    first = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4), requests())
    second = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4), requests())
    assert first == second and set(first) == set(sequential)
    assert all(reason in ("stop", "length") for _, _, reason in first.values())


def test_samples_of_one_item_share_one_prefill(embedded_model):
    reqs = requests(samples=4, max_tokens=8)
    out = {c.request_id: c for c in BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4).generate(reqs)}
    # 6 items x 4 samples: one prefill per item; a sample that found fewer free slots than its item's
    # samples copies the prompt's cache from a running sample of its item and evaluates only the last
    # two prompt tokens again; without sharing there would be 24 whole prefills
    whole = [c for c in out.values() if c.prompt_eval_tokens and c.prompt_eval_tokens > 2]
    assert len(out) == 24 and len(whole) == 6
    assert {c.prompt_eval_tokens for c in out.values() if c not in whole} == {0, 2}
    assert all(c.completion_tokens > 0 for c in out.values())
    by_item = {}
    for key, c in out.items():
        by_item.setdefault(key.split("#")[0], set()).add(c.text)
    assert any(len(v) > 1 for v in by_item.values())  # different seeds, different samples


def test_an_over_long_request_is_an_error_for_that_sample_only(embedded_model):
    reqs = requests(samples=1, max_tokens=16)
    too_long = reqs[0].model_copy(update={"id": "too-long", "max_tokens": 1000})
    out = {c.request_id: c for c in BatchedBackend(embedded_model, n_ctx=512, n_threads=2, parallel=2)
           .generate([too_long, *reqs[1:]])}
    assert out["too-long"].finish_reason == "error" and "exceeds the context" in out["too-long"].error
    assert all(c.finish_reason in ("stop", "length") for k, c in out.items() if k != "too-long")


def test_auto_parallel_follows_context_and_request_sizes():
    assert auto_parallel(2048, 512, 100) == 16
    assert auto_parallel(8192, 4400, 100) == 7
    assert auto_parallel(2048, 512, 3) == 3
    assert auto_parallel(1024, 5000, 50) == 1


def decode_spy(monkeypatch):
    """Record every llama_decode call's batch as (sequence id, position, wants logits) rows."""
    import llama_cpp

    calls, original = [], llama_cpp.llama_decode

    def spy(ctx, batch):
        calls.append([(batch.seq_id[i][0], batch.pos[i], bool(batch.logits[i])) for i in range(batch.n_tokens)])
        return original(ctx, batch)

    monkeypatch.setattr(llama_cpp, "llama_decode", spy)
    return calls


def test_prompts_ride_in_decode_steps_on_consecutive_ids_and_outputs_stay_those_of_n1(embedded_model, monkeypatch):
    # greedy, so each text depends only on its prompt; short and long requests alternate and there
    # are more requests than slots, so prompts arrive while others decode, and sequences behind a
    # finished one must move down into the gap
    reqs = [r.model_copy(update={"max_tokens": 3 if i % 2 == 0 else 24}) for i, r in
            enumerate(requests(samples=1, temperature=0.0))]
    alone = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), reqs)
    calls = decode_spy(monkeypatch)
    import llama_cpp

    moves, copy = [], llama_cpp.llama_memory_seq_cp
    monkeypatch.setattr(llama_cpp, "llama_memory_seq_cp",
                        lambda mem, src, dst, p0, p1: (moves.append((src, dst)), copy(mem, src, dst, p0, p1))[1])
    backend = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4)
    together = texts(backend, reqs)
    assert together == alone
    assert any(src < 4 and dst < src for src, dst in moves), "no sequence was moved into a gap"
    mixed = 0
    for rows in calls:
        if {seq for seq, _, _ in rows} == {4}:  # the spare sequence: the template opening
            continue
        chunks, decode = layout(rows)
        # running sequences on 0..r-1 after the prompt chunks, in id order, one micro-batch; each
        # chunk (highest id first, all above them) a micro-batch of its own, never a lone prompt token
        assert decode == list(range(len(decode)))
        assert [seq for seq, _ in chunks] == sorted((seq for seq, _ in chunks), reverse=True)
        assert all(seq >= len(decode) and n >= 2 for seq, n in chunks)
        mixed += bool(chunks and decode)
    assert mixed, "no step carried decode tokens and a prompt together"
    tally = backend.steps
    assert tally.mixed_steps == mixed and tally.stall[0] == 0 and sum(r[2] for r in tally.mixed.values()) > 0


def layout(rows):
    """A batch's prompt chunks [(sequence, tokens)] in batch order, and the sequences of its decode
    tokens (one token each, after the chunks)."""
    runs = []
    for seq, _, _ in rows:
        if runs and runs[-1][0] == seq:
            runs[-1][1] += 1
        else:
            runs.append([seq, 1])
    decode = [seq for seq, n in runs if n == 1]
    chunks = [(seq, n) for seq, n in runs if n > 1]
    assert runs == [[seq, n] for seq, n in chunks] + [[seq, 1] for seq in decode]
    return chunks, decode


def test_a_small_step_budget_splits_prompts_over_steps_and_changes_no_output(embedded_model, monkeypatch):
    reqs = [r.model_copy(update={"max_tokens": 3 if i % 2 == 0 else 16}) for i, r in
            enumerate(requests(samples=1, temperature=0.0))]
    alone = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), reqs)
    calls = decode_spy(monkeypatch)
    budget = 40  # below every prompt's length, so each prompt takes several steps
    backend = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4, step_tokens=budget)
    assert texts(backend, reqs) == alone
    steps = [rows for rows in calls if {seq for seq, _, _ in rows} != {4}]  # not the template opening
    assert steps and all(len(rows) <= budget for rows in steps)
    # some prompt was split: a chunk of 2+ prompt tokens none of which wants logits (more of it follows)
    partial = 0
    for rows in steps:
        chunks, _ = layout(rows)
        start = 0
        for _, n in chunks:
            partial += not any(wants for _, _, wants in rows[start:start + n])
            start += n
    assert partial > 0


def test_without_mixing_prompts_stall_the_running_sequences(embedded_model):
    reqs = requests(samples=1, max_tokens=12)
    mixed = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=2)
    apart = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=2, mixed=False)
    assert set(texts(mixed, reqs)) == set(texts(apart, reqs))
    assert mixed.steps.stall[0] == 0 and mixed.steps.mixed_steps > 0
    # apart: the opening and every prompt in a step of its own, most of them while the other sequence waits
    assert apart.steps.mixed_steps == 0 and apart.steps.stall[0] > 0
    assert apart.steps.stall[0] + apart.steps.idle_prefill[0] == len(reqs) + 1


def test_the_engine_allocates_no_sequential_context_for_n_above_1(embedded_model):
    from orbench.llama import STUB_CELLS

    backend = BatchedBackend(embedded_model, n_ctx=2048, n_threads=2, parallel=4)
    try:
        assert backend.model.llm.n_ctx() == STUB_CELLS  # `Llama`'s own context: llama.cpp's smallest
        assert backend.info().n_ctx == 2048
        out = list(backend.generate(requests(samples=1, max_tokens=4)))
        assert len(out) == 6 and all(c.finish_reason != "error" for c in out)
        assert backend.model._base is None  # N = 4 never made the sequential one
    finally:
        backend.close()


def test_admission_is_longest_prompt_first_with_an_items_samples_together():
    def prepared(item, k, length):
        r = GenerationRequest(id=f"{item}#{k}", item_id=item, sample=k, messages=[], max_tokens=1, temperature=0,
                              top_p=1, top_k=1, min_p=0, repeat_penalty=1, seed=k)
        return Prepared(r, [7] * length + [ord(item)], [])

    queue = [prepared("a", 0, 3), prepared("a", 1, 3), prepared("b", 0, 9), prepared("c", 0, 3),
             prepared("b", 1, 9), prepared("c", 1, 3)]
    assert [p.request.id for p in admission_order(queue, "longest")] == ["b#0", "b#1", "a#0", "a#1", "c#0", "c#1"]
    assert admission_order(queue, "fifo") == queue


def test_a_unified_kv_cache_gives_complete_answers(embedded_model):
    reqs = requests(samples=2, max_tokens=16, temperature=0.0)
    out = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4, kv_unified=True), reqs)
    alone = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), reqs)
    assert set(out) == set(alone) and all(tokens > 0 for _, tokens, _ in out.values())
    # attention over a shared cache sums in another order: most greedy texts still agree
    assert sum(out[k] == alone[k] for k in out) >= len(out) // 2


def test_the_template_opening_is_prefilled_once_and_copied(embedded_model, monkeypatch):
    calls = decode_spy(monkeypatch)
    reqs = requests(samples=1, temperature=0.0, max_tokens=12)
    backend = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=3)
    opening = backend._opening(reqs[0].messages)
    out = {c.request_id: c for c in backend.generate(reqs)}
    backend.close()
    spare = [rows for rows in calls if any(seq == 3 for seq, _, _ in rows)]
    assert len(spare) == 1 and [pos for _, pos, _ in spare[0]] == list(range(len(opening))) and len(opening) >= 16
    assert all(c.prompt_eval_tokens == c.prompt_tokens - len(opening) for c in out.values())
    first_positions = [min(pos for seq, pos, logits in rows if not logits) for rows in calls
                       if all(seq != 3 for seq, _, _ in rows) and any(not logits for _, _, logits in rows)]
    assert first_positions and min(first_positions) >= len(opening)  # no prompt evaluated its opening again
    got = {k: (c.text, c.completion_tokens, c.finish_reason) for k, c in out.items()}
    assert got == texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), reqs)


def test_a_copied_opening_gives_the_logits_of_a_whole_prompt(embedded_model):
    """The last prompt token's logits after (opening copied from the spare sequence + rest of the
    prompt) against a whole-prompt evaluation: the same numbers (without flash attention llama.cpp's
    CPU kernels do not depend on how the prompt is split). Without the copy they differ by 2-5."""
    import numpy as np

    backend = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=2)
    try:
        reqs = requests(samples=1)[:2]
        prepared = []
        for r in reqs:
            prompt, stop = backend._prompt(r.messages)
            opening = backend._opening(r.messages)
            prepared.append(Prepared(r, prompt, stop, opening, batched.common_prefix_len(opening, prompt)))
        assert all(p.shared >= 16 for p in prepared)
        engine = Engine(backend, backend.context(2, 512, spare=True), 2, prepared, spare=True)
        llm = backend.model.llm
        n_vocab = llm.n_vocab()
        got = []
        for seq, p in enumerate(prepared):
            start = engine._reuse_opening(p, seq)
            index = engine._decode_tokens(p.prompt[start:], start, seq)
            got.append(engine.ctx.logits(index, n_vocab))
        reference = backend.context(1, 512)  # the sequential backend's parameters
        for p, logits in zip(prepared, got):
            reference.clear()
            engine.batch.fill([(t, i, 0, i == len(p.prompt) - 1) for i, t in enumerate(p.prompt)])
            assert reference.decode(engine.batch)
            whole = reference.logits(len(p.prompt) - 1, n_vocab)
            assert int(np.argmax(logits)) == int(np.argmax(whole))
            assert np.max(np.abs(logits - whole)) < 1e-3, np.max(np.abs(logits - whole))
    finally:
        backend.close()

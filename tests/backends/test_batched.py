"""The continuous-batching engine on the real embedded model: exactness at N = 1, determinism,
shared prefill, and no context overflow."""

from __future__ import annotations

import pytest

from orbench.backends import GenerationRequest, create_backend
from orbench.backends import batched
from orbench.backends.batched import BatchedBackend, _Engine, auto_parallel
from orbench.catalog import load_catalog
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


def test_samples_of_one_item_share_one_prefill(embedded_model, monkeypatch):
    calls = []
    original = _Engine._prefill

    def counting(self, slot, start=0):
        calls.append(slot.request.item_id)
        return original(self, slot, start)

    monkeypatch.setattr(_Engine, "_prefill", counting)
    reqs = requests(samples=4, max_tokens=8)
    backend = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=4)
    out = texts(backend, reqs)
    # 6 items x 4 samples: one prefill per item, plus one whenever a group had to be split because
    # only some slots were free (its late members are prefilled again); without sharing it would be 24
    assert len(out) == 24 and 6 <= len(calls) <= 9
    by_item = {}
    for key, (text, _, _) in out.items():
        by_item.setdefault(key.split("#")[0], set()).add(text)
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
    """Record the sequence ids of every generation step (a batch whose rows all want logits)."""
    import llama_cpp

    steps, original = [], llama_cpp.llama_decode

    def spy(ctx, batch):
        rows = range(batch.n_tokens)
        if all(batch.logits[i] for i in rows):
            steps.append([batch.seq_id[i][0] for i in rows])
        return original(ctx, batch)

    monkeypatch.setattr(llama_cpp, "llama_decode", spy)
    return steps


def test_finished_sequences_leave_no_gaps_and_moved_ones_continue_unchanged(embedded_model, monkeypatch):
    # greedy, so each text depends only on its prompt; short and long requests alternate, so the
    # short ones finish first and the long ones behind them must move down into the gaps
    reqs = [r.model_copy(update={"max_tokens": 3 if i % 2 == 0 else 24}) for i, r in
            enumerate(requests(samples=1, temperature=0.0))]
    alone = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), reqs)
    steps = decode_spy(monkeypatch)
    import llama_cpp

    moves, copy = [], llama_cpp.llama_memory_seq_cp
    monkeypatch.setattr(llama_cpp, "llama_memory_seq_cp",
                        lambda mem, src, dst, p0, p1: (moves.append((src, dst)), copy(mem, src, dst, p0, p1))[1])
    together = texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=6), reqs)
    assert any(src < 6 and dst < src for src, dst in moves), "no sequence was moved into a gap"
    assert steps and all(sorted(ids) == list(range(len(ids))) for ids in steps)
    assert {len(ids) for ids in steps} >= {6, 3}
    assert together == alone


def test_the_template_opening_is_prefilled_once_and_copied(embedded_model, monkeypatch):
    calls = []
    original = _Engine._decode_tokens

    def spy(self, tokens, pos, seq):
        calls.append((seq, pos, len(tokens)))
        return original(self, tokens, pos, seq)

    monkeypatch.setattr(_Engine, "_decode_tokens", spy)
    reqs = requests(samples=1, temperature=0.0, max_tokens=12)
    backend = BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=3)
    opening = backend._opening(reqs[0].messages)
    out = texts(backend, reqs)
    spare = [c for c in calls if c[0] == 3]
    assert spare == [(3, 0, len(opening))] and len(opening) >= 16
    prompts = [c for c in calls if c[0] != 3]
    assert len(prompts) == len(reqs) and all(pos == len(opening) for _, pos, _ in prompts)
    assert out == texts(BatchedBackend(embedded_model, n_ctx=1024, n_threads=2, parallel=1), reqs)


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
            prepared.append(batched.Prepared(r, prompt, stop, opening, batched.common_prefix_len(opening, prompt)))
        assert all(p.shared >= 16 for p in prepared)
        engine = _Engine(backend, backend.context(2, 512, spare=True), 2, prepared, spare=True)
        llm = backend.model.llm
        n_vocab = llm.n_vocab()
        got = []
        for seq, p in enumerate(prepared):
            index = engine._prefill(batched.Slot(p.request, seq, p.prompt, None, []), engine._reuse_opening(p, seq))
            got.append(engine.ctx.logits(index, n_vocab))
        for p, logits in zip(prepared, got):
            llm.reset()
            llm.eval(p.prompt)
            whole = backend.model.base_context().logits(-1, n_vocab)
            assert int(np.argmax(logits)) == int(np.argmax(whole))
            assert np.max(np.abs(logits - whole)) < 1e-3, np.max(np.abs(logits - whole))
    finally:
        backend.close()

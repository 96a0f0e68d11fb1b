"""KL divergence of a quant's next-token distribution from a reference quant's, as llama.cpp defines it.

Like `llama-perplexity --kl-divergence`: the text is tokenized with BOS, cut into chunks of
`n_ctx` tokens whose first token becomes BOS, each chunk is evaluated from an empty cache, and
the positions from n_ctx/2 to n_ctx-2 are scored against the next token. Per position:
KL(P_ref || P_q), whether both put the same token on top, the change in the probability of the
actual next token (Δp), and both models' negative log-likelihoods (for perplexity).

Unlike llama.cpp, the reference keeps only its top-k log-probabilities per position (bounded
memory); the rest of its mass is one bucket, compared with the quant's mass outside those k
tokens. That is the exact KL divergence of the two distributions over k+1 outcomes, a lower
bound of the full one that tightens as k grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from .errors import OrbenchError

TAIL_FLOOR = 1e-12


@dataclass
class Chunk:
    tokens: list[int]
    score_from: int  # first position whose next-token distribution is scored


@dataclass
class ReferenceChunk:
    top_ids: np.ndarray  # (positions, k) token ids
    top_logp: np.ndarray  # (positions, k) reference log-probabilities
    argmax: np.ndarray  # (positions,)
    target_logp: np.ndarray  # (positions,) log-probability of the actual next token


class KldStats(BaseModel):
    label: str
    reference: str
    positions: int
    top_k: int
    mean_kld: float
    kld_stderr: float
    median_kld: float
    p99_kld: float
    max_kld: float
    top1_agreement: float
    mean_delta_p: float
    rms_delta_p: float
    ppl: float
    ppl_reference: float
    ln_ppl_ratio: float


def load_model(path: Path, n_ctx: int, threads: int | None):
    import llama_cpp

    try:
        return llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_batch=n_ctx, logits_all=True,
                               n_threads=threads, n_threads_batch=threads, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise OrbenchError(f"llama.cpp could not load {path.name}: {exc}") from None


def text_chunks(llm, text: str, n_ctx: int) -> list[Chunk]:
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)  # BOS only if the vocab adds one
    add_bos, bos = llm._model.add_bos_token(), llm.token_bos()
    chunks = []
    for start in range(0, len(tokens) - n_ctx + 1, n_ctx):
        piece = tokens[start:start + n_ctx]
        if add_bos and bos >= 0:
            piece[0] = bos
        chunks.append(Chunk(piece, n_ctx // 2))
    if not chunks:
        raise OrbenchError(f"the text has {len(tokens)} tokens, fewer than one chunk of {n_ctx}",
                           hint="use a longer --text or a smaller --ctx")
    return chunks


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted, dtype=np.float64).sum(axis=-1, keepdims=True)).astype(np.float32)


def chunk_logprobs(llm, chunk: Chunk) -> np.ndarray:
    """Log-probabilities at the scored positions, shape (positions, vocab)."""
    llm.reset()
    llm.eval(chunk.tokens)
    logits = np.asarray(llm.scores[chunk.score_from:len(chunk.tokens) - 1])
    return log_softmax(logits)


def reference_pass(llm, chunks: list[Chunk], top_k: int) -> list[ReferenceChunk]:
    kept = []
    for chunk in chunks:
        logp = chunk_logprobs(llm, chunk)
        ids = np.argpartition(-logp, top_k - 1, axis=-1)[:, :top_k]
        targets = np.asarray(chunk.tokens[chunk.score_from + 1:])
        rows = np.arange(len(logp))
        kept.append(ReferenceChunk(top_ids=ids.astype(np.int32), top_logp=np.take_along_axis(logp, ids, -1),
                                   argmax=logp.argmax(-1), target_logp=logp[rows, targets]))
    return kept


def compare_pass(llm, chunks: list[Chunk], reference: list[ReferenceChunk], label: str, ref_label: str) -> KldStats:
    klds, same, dps, nll, nll_ref = [], [], [], [], []
    for chunk, ref in zip(chunks, reference):
        logq = chunk_logprobs(llm, chunk)
        rows = np.arange(len(logq))
        targets = np.asarray(chunk.tokens[chunk.score_from + 1:])
        p_top = np.exp(ref.top_logp)
        q_top_logp = np.take_along_axis(logq, ref.top_ids, -1)
        p_tail = np.clip(1.0 - p_top.sum(-1), TAIL_FLOOR, 1.0)
        q_tail = np.clip(1.0 - np.exp(q_top_logp).sum(-1), TAIL_FLOOR, 1.0)
        kld = (p_top * (ref.top_logp - q_top_logp)).sum(-1) + p_tail * (np.log(p_tail) - np.log(q_tail))
        klds.append(kld)
        same.append(logq.argmax(-1) == ref.argmax)
        q_target = logq[rows, targets]
        dps.append(np.exp(q_target) - np.exp(ref.target_logp))
        nll.append(-q_target)
        nll_ref.append(-ref.target_logp)
    kld, dp = np.concatenate(klds), np.concatenate(dps)
    nll_all, nll_ref_all = np.concatenate(nll), np.concatenate(nll_ref)
    return KldStats(
        label=label, reference=ref_label, positions=len(kld), top_k=reference[0].top_ids.shape[1],
        mean_kld=float(kld.mean()), kld_stderr=float(kld.std(ddof=1) / math.sqrt(len(kld))) if len(kld) > 1 else 0.0,
        median_kld=float(np.median(kld)), p99_kld=float(np.percentile(kld, 99)), max_kld=float(kld.max()),
        top1_agreement=float(np.concatenate(same).mean()), mean_delta_p=float(dp.mean()),
        rms_delta_p=float(np.sqrt((dp ** 2).mean())), ppl=float(np.exp(nll_all.mean())),
        ppl_reference=float(np.exp(nll_ref_all.mean())), ln_ppl_ratio=float(nll_all.mean() - nll_ref_all.mean()),
    )


def transcript_chunks(llm, conversations: list[list[dict[str, str]]], max_tokens: int, n_ctx: int) -> list[Chunk]:
    """The reference model's own greedy replies to benchmark prompts; the reply tokens are scored."""
    import llama_cpp

    from .backends.llamacpp import chat_formatter, chat_prompt

    formatter = chat_formatter(llm)
    if formatter is None:
        raise OrbenchError("the model has no chat template; transcripts need one", hint="use --transcripts 0")
    vocab = llm._model.vocab
    chunks = []
    for messages in conversations:
        prompt = chat_prompt(llm, formatter, messages)[0][: n_ctx - max_tokens - 1]
        reply: list[int] = []
        for token in llm.generate(prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
            if llama_cpp.llama_vocab_is_eog(vocab, token) or len(reply) >= max_tokens:
                break
            reply.append(token)
        if reply:
            chunks.append(Chunk(prompt + reply, len(prompt) - 1))
    return chunks

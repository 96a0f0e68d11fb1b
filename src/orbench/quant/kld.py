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

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from pydantic import BaseModel, Field

from ..errors import OrbenchError
from ..units import Eta

if TYPE_CHECKING:
    import numpy as np

    from ..store.catalog import Generation
    from ..llama import Model

log = logging.getLogger(__name__)
KLD_VERSION = 1

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
    """One quant against the reference on one set of chunks."""

    label: str = Field(description="the quant measured")
    reference: str = Field(description="the reference quant")
    positions: int = Field(description="token positions scored")
    top_k: int = Field(description="reference log-probabilities kept per position")
    mean_kld: float = Field(description="mean KL(P_ref || P_quant) over positions, nats")
    kld_stderr: float = Field(description="standard error of the mean KLD")
    median_kld: float
    p99_kld: float = Field(description="99th percentile of per-position KLD")
    max_kld: float
    top1_agreement: float = Field(description="share of positions where both put the same token on top")
    mean_delta_p: float = Field(description="mean change in the probability of the actual next token")
    rms_delta_p: float
    ppl: float = Field(description="the quant's perplexity on the scored positions")
    ppl_reference: float
    ln_ppl_ratio: float = Field(description="ln(ppl / ppl_reference)")


def load_model(path: Path, n_ctx: int, threads: int | None) -> "Model":
    from ..llama import Model

    return Model(path, n_ctx=n_ctx, n_threads=threads, n_batch=n_ctx, logits_all=True)


def text_chunks(model: "Model", text: str, n_ctx: int) -> list[Chunk]:
    llm = model.llm
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)  # BOS only if the vocab adds one
    add_bos, bos = model.adds_bos(), llm.token_bos()
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


def log_softmax(logits: "np.ndarray") -> "np.ndarray":
    import numpy as np

    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted, dtype=np.float64).sum(axis=-1, keepdims=True)).astype(np.float32)


def chunk_logprobs(model: "Model", chunk: Chunk) -> "np.ndarray":
    """Log-probabilities at the scored positions, shape (positions, vocab)."""
    import numpy as np

    llm = model.llm
    llm.reset()
    llm.eval(chunk.tokens)
    logits = np.asarray(llm.scores[chunk.score_from:len(chunk.tokens) - 1])
    return log_softmax(logits)


def reference_pass(model: "Model", chunks: list[Chunk], top_k: int,
                   tick: Callable[[], None] = lambda: None) -> list[ReferenceChunk]:
    import numpy as np

    kept = []
    for chunk in chunks:
        logp = chunk_logprobs(model, chunk)
        tick()
        ids = np.argpartition(-logp, top_k - 1, axis=-1)[:, :top_k]
        targets = np.asarray(chunk.tokens[chunk.score_from + 1:])
        rows = np.arange(len(logp))
        kept.append(ReferenceChunk(top_ids=ids.astype(np.int32), top_logp=np.take_along_axis(logp, ids, -1),
                                   argmax=logp.argmax(-1), target_logp=logp[rows, targets]))
    return kept


def compare_pass(model: "Model", chunks: list[Chunk], reference: list[ReferenceChunk], label: str,
                 ref_label: str, tick: Callable[[], None] = lambda: None) -> KldStats:
    import numpy as np

    klds, same, dps, nll, nll_ref = [], [], [], [], []
    for chunk, ref in zip(chunks, reference):
        logq = chunk_logprobs(model, chunk)
        tick()
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


def transcript_chunks(model: "Model", conversations: list[list[dict[str, str]]], max_tokens: int,
                      n_ctx: int) -> list[Chunk]:
    """The reference model's own greedy replies to benchmark prompts; the reply tokens are scored."""
    formatter = model.chat_formatter()
    if formatter is None:
        raise OrbenchError("the model has no chat template; transcripts need one", hint="use --transcripts 0")
    chunks = []
    for messages in conversations:
        prompt = model.chat_prompt(formatter, messages)[0][: n_ctx - max_tokens - 1]
        reply: list[int] = []
        for token in model.llm.generate(prompt, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
            if model.is_eog(token) or len(reply) >= max_tokens:
                break
            reply.append(token)
        if reply:
            chunks.append(Chunk(prompt + reply, len(prompt) - 1))
    return chunks


# ---------------------------------------------------------------- the measurement and its file


class KldFile(BaseModel):
    """The facts of one quant file measured (`files` in kld.json)."""

    sha256: str = Field(description="sha256 of the quant's file")
    derived_from: str | None = Field(default=None, description="the file it was derived from locally, if any")


class KldReport(BaseModel):
    """`kld.json`: KL divergence of quants from a reference quant, per set of chunks."""

    schema_version: int = Field(default=KLD_VERSION, description="version of this file's layout")
    model: str = Field(description="catalog model name")
    reference: str = Field(description="the reference quant")
    reference_sha256: str = Field(description="sha256 of the reference file")
    files: dict[str, KldFile] = Field(description="quant -> its file")
    text: str = Field(description="the text corpus the 'text' set was cut from")
    n_ctx: int = Field(description="chunk size in tokens")
    top_k: int = Field(description="reference log-probabilities kept per position")
    transcripts: int = Field(description="benchmark prompts answered greedily by the reference")
    results: dict[str, list[KldStats]] = Field(description="set ('text', 'transcripts') -> one row per quant")


@dataclass
class KldOptions:
    text: Path
    transcripts: int = 8
    transcript_tokens: int = 128
    ctx: int = 512
    chunks: int | None = None
    top_k: int = 256
    threads: int | None = None
    seed: int = 0


def measure_kld(model: str, quants: list[str], reference: str, opts: KldOptions) -> KldReport:
    """Pull the reference and each quant, score the reference once, then each quant against it."""
    from ..store.catalog import load_catalog
    from ..store.pull import pull

    catalog = load_catalog()
    try:
        corpus = opts.text.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OrbenchError(f"cannot read text file {opts.text}: {getattr(exc, 'strerror', None) or exc}") from None
    ref_local = pull(catalog.resolve(f"{model}:{reference}"))
    local = {q: pull(catalog.resolve(f"{model}:{q}")) for q in quants}
    ref_model = load_model(ref_local.path, opts.ctx, opts.threads)
    sets = {"text": text_chunks(ref_model, corpus, opts.ctx)[:opts.chunks]}
    if opts.transcripts:
        conversations = benchmark_conversations(catalog.get(model).generation, opts.transcripts, opts.seed)
        sets["transcripts"] = transcript_chunks(ref_model, conversations, opts.transcript_tokens, opts.ctx)
    chunks = sum(len(c) for c in sets.values())
    log.info("kld: %d chunks of %d tokens, scored by the reference %s and by %d quant(s): %d passes in all "
             "(--chunks and --transcripts make it shorter)", chunks, opts.ctx, reference, len(quants),
             chunks * (1 + len(quants)))
    eta = Eta("kld", chunks * (1 + len(quants)), "chunks")

    def tick() -> None:
        if (line := eta.tick()) is not None:
            log.info(line)

    refs = {name: reference_pass(ref_model, cs, opts.top_k, tick) for name, cs in sets.items() if cs}
    ref_model.close()
    results: dict[str, list[KldStats]] = {name: [] for name in refs}
    for q in quants:
        log.info("kld: measuring %s", q)
        quant_model = load_model(local[q].path, opts.ctx, opts.threads)
        for name in refs:
            results[name].append(compare_pass(quant_model, sets[name], refs[name], q, reference, tick))
        quant_model.close()
    return KldReport(model=model, reference=reference, reference_sha256=ref_local.sha256,
                     files={q: KldFile(sha256=m.sha256, derived_from=m.derived_from) for q, m in local.items()},
                     text=str(opts.text), n_ctx=opts.ctx, top_k=opts.top_k, transcripts=opts.transcripts,
                     results=results)


def benchmark_conversations(generation: "Generation", count: int, seed: int) -> list[list[dict[str, str]]]:
    """`count` prompts from the math, code and reasoning suites, rendered as the model would get them."""
    from ..suites import get_suite, select

    convs = []
    for name in ("math", "code", "reasoning"):
        suite = get_suite(name)
        for item in select(suite.load(seed), max(1, count // 3 + (name == "math") * (count % 3)), seed):
            convs.append(suite.render(item, generation))
    return convs[:count]

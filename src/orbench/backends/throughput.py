"""Raw speed of a model file at several batch sizes, measured like llama-batched-bench: N sequences
each prefill P tokens, then decode G tokens together. No sampling and no text: kernel speed only."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..errors import OrbenchError
from .memory import peak_rss_mb, reset_peak_rss
from ..units import split_csv, tokens_per_s

if TYPE_CHECKING:
    from ..llama import Batch, Context


class BenchRow(BaseModel):
    parallel: int
    prompt_tokens: int
    gen_tokens: int
    pp_seconds: float
    pp_tokens_per_s: float
    tg_seconds: float
    tg_tokens_per_s: float


class BenchResult(BaseModel):
    model: str
    file_bytes: int
    load_seconds: float
    peak_rss_mb: float | None
    threads: int
    n_gpu_layers: int
    rows: list[BenchRow]


def parse_sizes(text: str) -> list[int]:
    """`"1,4,8"` -> [1, 4, 8]: batch sizes, sorted, each at least 1."""
    try:
        sizes = sorted({int(x) for x in split_csv(text)})
    except ValueError:
        raise OrbenchError(f"--parallel takes numbers like 1,4,8, got '{text}'") from None
    if not sizes or sizes[0] < 1:
        raise OrbenchError("--parallel needs positive batch sizes")
    return sizes


def run_bench(path: Path, parallel: list[int], prompt_tokens: int, gen_tokens: int, threads: int | None,
              n_gpu_layers: int = 0) -> BenchResult:
    from .batched import BatchedBackend
    from ..llama import Batch

    reset_peak_rss()
    need = prompt_tokens + gen_tokens + 1
    backend = BatchedBackend(path, n_ctx=max(need, 256), n_threads=threads, n_gpu_layers=n_gpu_layers)
    rows = []
    try:
        token = backend.model.llm.tokenize(b" the", add_bos=False, special=False)[0]
        for n in parallel:
            ctx = backend.context(n, need)
            ctx.clear()
            with Batch(max(prompt_tokens, n)) as batch:
                started = time.perf_counter()
                for seq in range(n):  # prefill each sequence (llama-batched-bench batches them; same total work)
                    batch.fill([(token, p, seq, p == prompt_tokens - 1) for p in range(prompt_tokens)])
                    _decode(ctx, batch)
                pp = time.perf_counter() - started
                started = time.perf_counter()
                for step in range(gen_tokens):
                    batch.fill([(token, prompt_tokens + step, seq, True) for seq in range(n)])
                    _decode(ctx, batch)
                ctx.synchronize()
                tg = time.perf_counter() - started
            rows.append(BenchRow(parallel=n, prompt_tokens=prompt_tokens, gen_tokens=gen_tokens, pp_seconds=round(pp, 4),
                                 pp_tokens_per_s=tokens_per_s(n * prompt_tokens, pp) or 0.0, tg_seconds=round(tg, 4),
                                 tg_tokens_per_s=tokens_per_s(n * gen_tokens, tg) or 0.0))
        return BenchResult(model=path.name, file_bytes=path.stat().st_size, load_seconds=round(backend.load_seconds, 3),
                           peak_rss_mb=peak_rss_mb(), threads=backend.n_threads, n_gpu_layers=n_gpu_layers, rows=rows)
    finally:
        backend.close()


def _decode(ctx: "Context", batch: "Batch") -> None:
    if not ctx.decode(batch):
        raise OrbenchError("llama_decode failed during the benchmark")

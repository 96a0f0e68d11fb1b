"""Raw speed of a model file at several batch sizes, measured like llama-batched-bench: N sequences
each prefill P tokens, then decode G tokens together. No sampling and no text: kernel speed only."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel

from .perf import peak_rss_mb, reset_peak_rss


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


def run_bench(path: Path, parallel: list[int], prompt_tokens: int, gen_tokens: int, threads: int | None,
              n_gpu_layers: int = 0) -> BenchResult:
    import llama_cpp

    from .backends.batched import BatchedBackend, fill_batch as _fill

    reset_peak_rss()
    need = prompt_tokens + gen_tokens + 1
    backend = BatchedBackend(path, n_ctx=max(need, 256), n_threads=threads, n_gpu_layers=n_gpu_layers)
    rows = []
    try:
        token = backend.llm.tokenize(b" the", add_bos=False, special=False)[0]
        for n in parallel:
            ctx = backend._context(n, need)
            memory = llama_cpp.llama_get_memory(ctx.ctx)
            llama_cpp.llama_memory_clear(memory, True)
            batch = llama_cpp.llama_batch_init(max(prompt_tokens, n), 0, 1)
            try:
                started = time.perf_counter()
                for seq in range(n):  # prefill each sequence (llama-batched-bench batches them; same total work)
                    _fill(batch, [(token, p, seq, p == prompt_tokens - 1) for p in range(prompt_tokens)])
                    _decode(llama_cpp, ctx, batch)
                pp = time.perf_counter() - started
                started = time.perf_counter()
                for step in range(gen_tokens):
                    _fill(batch, [(token, prompt_tokens + step, seq, True) for seq in range(n)])
                    _decode(llama_cpp, ctx, batch)
                llama_cpp.llama_synchronize(ctx.ctx)
                tg = time.perf_counter() - started
            finally:
                llama_cpp.llama_batch_free(batch)
            rows.append(BenchRow(parallel=n, prompt_tokens=prompt_tokens, gen_tokens=gen_tokens, pp_seconds=round(pp, 4),
                                 pp_tokens_per_s=round(n * prompt_tokens / pp, 2), tg_seconds=round(tg, 4),
                                 tg_tokens_per_s=round(n * gen_tokens / tg, 2)))
        return BenchResult(model=path.name, file_bytes=path.stat().st_size, load_seconds=round(backend.load_seconds, 3),
                           peak_rss_mb=peak_rss_mb(), threads=backend.n_threads, n_gpu_layers=n_gpu_layers, rows=rows)
    finally:
        backend.close()


def _decode(lib, ctx, batch) -> None:
    if lib.llama_decode(ctx.ctx, batch) != 0:
        raise RuntimeError("llama_decode failed")

"""`orbench bench`: prompt-processing and generation speed at several batch sizes."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import GpuLayersOpt, JsonOpt, ThreadsOpt


@handled
def bench(
    model: Annotated[Optional[str], typer.Argument(help="MODEL[:QUANT] or a .gguf path (default: the embedded model).")] = None,
    parallel: Annotated[str, typer.Option(help="Batch sizes: sequences decoded together.")] = "1,2,4,8,16",
    prompt_tokens: Annotated[int, typer.Option(help="Prompt tokens per sequence.", min=1)] = 128,
    gen_tokens: Annotated[int, typer.Option(help="Generated tokens per sequence.", min=1)] = 128,
    threads: ThreadsOpt = None,
    n_gpu_layers: GpuLayersOpt = 0,
    json_out: JsonOpt = False,
) -> None:
    """Prompt-processing and generation tokens/s at batch sizes 1…N, load time and peak memory,
    measured like llama-batched-bench (N sequences prefill, then decode together).

    Examples:

        orbench bench

        orbench bench deepseek-r1-distill-qwen-1.5b:Q4_K_M --parallel 1,4,8 --json
    """
    from ..backends.throughput import parse_sizes, run_bench
    from ..store.catalog import load_catalog
    from ..store.pull import pull

    catalog = load_catalog()
    sizes = parse_sizes(parallel)
    local = pull(catalog.resolve(model or catalog.embedded_model))
    result = run_bench(local.path, sizes, prompt_tokens, gen_tokens, threads, n_gpu_layers)
    if json_out:
        print_json(result.model_dump(mode="json"))
        return
    from rich.table import Table

    table = Table(title=f"{result.model}: load {result.load_seconds:.2f} s, peak RSS {result.peak_rss_mb} MB, "
                        f"{result.threads} threads", title_justify="left")
    for col in ("N", "PP", "TG", "prompt tok/s", "gen tok/s", "gen tok/s per sequence"):
        table.add_column(col, justify="right")
    for r in result.rows:
        table.add_row(str(r.parallel), str(r.prompt_tokens), str(r.gen_tokens), f"{r.pp_tokens_per_s:.1f}",
                      f"{r.tg_tokens_per_s:.1f}", f"{r.tg_tokens_per_s / r.parallel:.1f}")
    console().print(table)

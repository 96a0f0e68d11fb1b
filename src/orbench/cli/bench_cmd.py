"""`orbench bench`: prompt-processing and generation speed at several batch sizes."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..bench import run_bench
from ..catalog import load_catalog
from ..errors import OrbenchError
from ..store import pull
from .common import JsonOpt, console, handled, print_json


@handled
def bench(
    model: Annotated[Optional[str], typer.Argument(help="MODEL[:QUANT] or a .gguf path (default: the embedded model).")] = None,
    parallel: Annotated[str, typer.Option(help="Batch sizes: sequences decoded together.")] = "1,2,4,8,16",
    prompt_tokens: Annotated[int, typer.Option(help="Prompt tokens per sequence.", min=1)] = 128,
    gen_tokens: Annotated[int, typer.Option(help="Generated tokens per sequence.", min=1)] = 128,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (default: all cores).", min=1)] = None,
    n_gpu_layers: Annotated[int, typer.Option(help="Layers to offload to the GPU; -1 offloads all.")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Prompt-processing and generation tokens/s at batch sizes 1…N, load time and peak memory,
    measured like llama-batched-bench (N sequences prefill, then decode together).

    Examples:

        orbench bench

        orbench bench deepseek-r1-distill-qwen-1.5b:Q4_K_M --parallel 1,4,8 --json
    """
    catalog = load_catalog()
    local = pull(catalog.resolve(model or catalog.embedded_model))
    try:
        sizes = sorted({int(x) for x in parallel.split(",") if x.strip()})
    except ValueError:
        raise OrbenchError(f"--parallel takes numbers like 1,4,8, got '{parallel}'") from None
    if not sizes or sizes[0] < 1:
        raise OrbenchError("--parallel needs positive batch sizes")
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

"""`orbench kld`: KL divergence of quants from a reference quant, on text and on transcripts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import JsonOpt, SeedOpt, ThreadsOpt

if TYPE_CHECKING:
    from ..quant.kld import KldStats


@handled
def kld(
    model: Annotated[str, typer.Argument(help="Catalog model name (without :QUANT).")],
    quant: Annotated[str, typer.Option("--quant", help="Comma-separated quants to measure.")],
    reference: Annotated[str, typer.Option(help="The reference quant (ideally the highest precision).")],
    text: Annotated[Optional[Path], typer.Option(help="A UTF-8 text file (default: orbench's own corpus).")] = None,
    transcripts: Annotated[int, typer.Option(help="Benchmark prompts the reference answers greedily; its replies are scored too (0: none).", min=0)] = 8,
    transcript_tokens: Annotated[int, typer.Option(help="Longest reply per transcript.", min=8)] = 128,
    ctx: Annotated[int, typer.Option(help="Chunk size in tokens (llama-perplexity's -c).", min=64)] = 512,
    chunks: Annotated[Optional[int], typer.Option(help="Use at most N chunks of the text.", min=1)] = None,
    top_k: Annotated[int, typer.Option(help="Reference log-probabilities kept per position.", min=1)] = 256,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Folder to write kld.json into (e.g. a ladder run, for `orbench report`).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """KL divergence of each quant's next-token distribution from the reference's (llama-perplexity's
    definition), top-1 agreement, Δp and perplexity ratio, on a text corpus and on the reference's
    own transcripts of benchmark prompts.

    Examples:

        orbench kld smollm2-135m --quant Q8_0,Q4_0 --reference Q4_1

        orbench kld deepseek-r1-distill-qwen-1.5b --quant Q2_K,Q4_K_M --reference Q8_0 -o results/ladder
    """
    from ..errors import OrbenchError
    from ..files import writable_dir, write_failure, write_json_atomic
    from ..quant.kld import KldOptions, measure_kld
    from ..paths import prompts_dir
    from ..units import split_csv

    quants = split_csv(quant)
    if not quants:
        raise OrbenchError("--quant needs at least one quant")
    opts = KldOptions(text=text or prompts_dir() / "corpus" / "default.txt", transcripts=transcripts,
                      transcript_tokens=transcript_tokens, ctx=ctx, chunks=chunks, top_k=top_k, threads=threads,
                      seed=seed)
    if output:
        writable_dir(output)  # before the measurement, not after it
    report = measure_kld(model, quants, reference, opts)
    if output:
        try:
            write_json_atomic(output / "kld.json", report)
        except OSError as exc:
            raise OrbenchError(f"cannot write the KL divergence: {write_failure(output / 'kld.json', exc)}") from None
    if json_out:
        print_json(report.model_dump(mode="json"))
        return
    _table(report.results, reference)


def _table(results: dict[str, list[KldStats]], reference: str) -> None:
    from rich.table import Table

    table = Table(title=f"KL divergence from {reference}", title_justify="left")
    for col in ("set", "quant", "positions", "mean KLD", "99% KLD", "top-1 agree", "mean Δp", "ln PPL ratio"):
        table.add_column(col)
    for name, rows in results.items():
        for r in rows:
            table.add_row(name, r.label, str(r.positions), f"{r.mean_kld:.5f} ± {r.kld_stderr:.5f}", f"{r.p99_kld:.4f}",
                          f"{r.top1_agreement:.2%}", f"{r.mean_delta_p:+.4f}", f"{r.ln_ppl_ratio:+.5f}")
    console().print(table)

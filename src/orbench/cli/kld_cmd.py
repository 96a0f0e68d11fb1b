"""`orbench kld`: KL divergence of quants from a reference quant, on text and on transcripts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..catalog import load_catalog
from ..errors import OrbenchError
from ..paths import prompts_dir
from ..results import SCHEMA_VERSION, write_json_atomic
from ..suites import SUITES, select
from ..store import pull
from .common import JsonOpt, console, handled, print_json

DEFAULT_TEXT = "corpus/default.txt"


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
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (default: all cores).", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed for picking the transcript prompts.")] = 0,
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
    from .. import kld as K  # numpy and llama.cpp load only when the command runs

    catalog = load_catalog()
    text_path = text or prompts_dir() / DEFAULT_TEXT
    try:
        corpus = text_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OrbenchError(f"cannot read text file {text_path}: {exc.strerror}") from None
    quants = [q.strip() for q in quant.split(",") if q.strip()]
    ref_local = pull(catalog.resolve(f"{model}:{reference}"))
    local = {q: pull(catalog.resolve(f"{model}:{q}")) for q in quants}
    llm = K.load_model(ref_local.path, ctx, threads)
    text_chunks = K.text_chunks(llm, corpus, ctx)[:chunks]
    sets = {"text": text_chunks}
    if transcripts:
        entry = catalog.get(model)
        sets["transcripts"] = K.transcript_chunks(llm, _conversations(entry.generation, transcripts, seed),
                                                  transcript_tokens, ctx)
    _say(f"reference {reference}: {sum(len(c) for c in sets.values())} chunks")
    refs = {name: K.reference_pass(llm, cs, top_k) for name, cs in sets.items() if cs}
    llm.close()
    results: dict[str, list] = {name: [] for name in refs}
    for q in quants:
        _say(f"measuring {q}")
        qllm = K.load_model(local[q].path, ctx, threads)
        for name in refs:
            results[name].append(K.compare_pass(qllm, sets[name], refs[name], q, reference))
        qllm.close()
    report = {
        "schema_version": SCHEMA_VERSION, "model": model, "reference": reference, "reference_sha256": ref_local.sha256,
        "files": {q: {"sha256": m.sha256, "derived_from": m.derived_from} for q, m in local.items()},
        "text": str(text_path), "n_ctx": ctx, "top_k": top_k, "transcripts": transcripts,
        "results": {name: [r.model_dump() for r in rs] for name, rs in results.items()},
    }
    if output:
        output.mkdir(parents=True, exist_ok=True)
        write_json_atomic(output / "kld.json", report)
    if json_out:
        print_json(report)
        return
    _table(results, reference)


def _conversations(generation, count: int, seed: int) -> list[list[dict[str, str]]]:
    convs = []
    for name in ("math", "code", "reasoning"):
        suite = SUITES[name]
        for item in select(suite.load(seed), max(1, count // 3 + (name == "math") * (count % 3)), seed):
            convs.append(suite.render(item, generation))
    return convs[:count]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _table(results: dict[str, list], reference: str) -> None:
    from rich.table import Table

    table = Table(title=f"KL divergence from {reference}", title_justify="left")
    for col in ("set", "quant", "positions", "mean KLD", "99% KLD", "top-1 agree", "mean Δp", "ln PPL ratio"):
        table.add_column(col)
    for name, rows in results.items():
        for r in rows:
            table.add_row(name, r.label, str(r.positions), f"{r.mean_kld:.5f} ± {r.kld_stderr:.5f}", f"{r.p99_kld:.4f}",
                          f"{r.top1_agreement:.2%}", f"{r.mean_delta_p:+.4f}", f"{r.ln_ppl_ratio:+.5f}")
    console().print(table)

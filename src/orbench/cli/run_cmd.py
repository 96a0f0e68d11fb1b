"""`orbench run`: one model, a quant ladder, or a whole config matrix; pull, generate, grade, write."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..backends import BACKENDS
from ..catalog import ModelRef, load_catalog
from ..errors import EXIT_INTERRUPTED, OrbenchError
from ..evaluate import RunOptions, run_model, write_index
from ..results import RunSummary
from ..suites import parse_suites
from .common import JsonOpt, handled, print_json
from .tables import print_summary


@handled
def run(
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL[:QUANT] or a .gguf path; default: the catalog's default model.")] = None,
    quant: Annotated[Optional[str], typer.Option("--quant", help="Comma-separated quants of MODEL to run on the identical plan, one sub-result each.")] = None,
    suite: Annotated[str, typer.Option("--suite", "-s", help="Comma-separated suites (see `orbench suites`).")] = "math,code,reasoning",
    limit: Annotated[Optional[int], typer.Option(help="At most N items per suite (a seeded subset).", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Completions per item (pass@k, majority vote).", min=1)] = 1,
    seed: Annotated[int, typer.Option(help="Seed for item subsets and sampling.")] = 0,
    max_tokens: Annotated[Optional[int], typer.Option(help="Generation limit per sample (default: the model's).", min=1)] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature (default: the model's).", min=0.0)] = None,
    n_gpu_layers: Annotated[int, typer.Option(help="Layers to offload to the GPU; -1 offloads all.")] = 0,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (default: all cores).", min=1)] = None,
    ctx: Annotated[Optional[int], typer.Option(help="Context size per sequence in tokens (default: the model's).", min=256)] = None,
    parallel: Annotated[Optional[int], typer.Option(help="Sequences decoded together (default: chosen from --ctx and the requests); 1: the sequential reference backend.", min=1)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Results folder (default: results/<time>-<model>). Running again into the same folder resumes.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Run the matrix of an orbench.toml (see `orbench init`).")] = None,
    shard: Annotated[Optional[str], typer.Option(help="Run only slice I of N of the plan, as I/N (combine with `orbench merge`).")] = None,
    backend: Annotated[str, typer.Option(help=f"Backend: {', '.join(BACKENDS)}.", hidden=True)] = "llama.cpp",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run suites on a model and grade them; writes summary.json, samples.jsonl, plan.json and run.log.

    Interrupted runs (Ctrl-C, kill, power loss) resume when run again with the same settings and
    folder: finished samples are kept and only the missing ones run. With --quant, each quant runs
    the identical plan and gets its own sub-folder; with --config, every model and quant of the
    config does, and the gate of the config decides the exit code.

    Examples:

        orbench run --model smollm2-135m --limit 5

        orbench run -m deepseek-r1-distill-qwen-1.5b:Q4_K_M -s math --samples 4 --n-gpu-layers -1

        orbench run -m deepseek-r1-distill-qwen-1.5b --quant Q2_K,Q4_K_M,Q8_0 -s math,code,reasoning

        orbench run --config orbench.toml

        orbench run -m smollm2-135m -o results/part1 --shard 1/2
    """
    opts = RunOptions(seed=seed, samples=samples, limit=limit, temperature=temperature, max_tokens=max_tokens,
                      ctx=ctx, threads=threads, n_gpu_layers=n_gpu_layers, parallel=parallel, backend=backend, quiet=quiet,
                      shard=parse_shard(shard))
    try:
        if config is not None:
            from .matrix import run_config

            raise typer.Exit(run_config(config, opts, output, json_out))
        catalog = load_catalog()
        suites = parse_suites(suite)
        if quant is None:
            ref = catalog.resolve(model)
            out = output or default_output(ref.label)
            _report(run_model(ref, suites, out, opts), out, json_out)
            return
        _run_ladder(ladder_refs(catalog, model, quant), suites, output, opts, json_out)
    except KeyboardInterrupt:
        print("interrupted: finished samples are kept; run the same command again to resume", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def parse_shard(text: str | None) -> tuple[int, int]:
    if text is None:
        return (1, 1)
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise OrbenchError(f"--shard takes I/N with 1 <= I <= N, got '{text}'")
    return int(m.group(1)), int(m.group(2))


def ladder_refs(catalog, model: str | None, quant: str) -> list[ModelRef]:
    if model and (":" in model or model.lower().endswith(".gguf")):
        raise OrbenchError("--quant takes a catalog model name without ':QUANT' and not a file path")
    name = (model or catalog.default_model).split(":")[0]
    quants = [q.strip() for q in quant.split(",") if q.strip()]
    if not quants:
        raise OrbenchError("--quant needs at least one quant")
    return [catalog.resolve(f"{name}:{q}") for q in dict.fromkeys(quants)]


def _run_ladder(refs: list[ModelRef], suites, output: Path | None, opts: RunOptions, json_out: bool) -> None:
    base = output or default_output(f"{refs[0].name}-ladder")
    runs = {r.quant: r.quant for r in refs}
    summaries: dict[str, RunSummary] = {}
    for ref in refs:
        write_index(base, "ladder", runs, list(summaries), model=refs[0].name)
        summaries[ref.quant] = run_model(ref, suites, base / ref.quant, opts)
    write_index(base, "ladder", runs, list(summaries), model=refs[0].name)
    if json_out:
        print_json({q: s.model_dump(mode="json") for q, s in summaries.items()})
        return
    for summary in summaries.values():
        print_summary(summary)
    print(f"results: {base} (compare them with: orbench compare {base})")


def default_output(label: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{stamp}-{label.replace(':', '-')}"


def _report(summary: RunSummary, output: Path, json_out: bool) -> None:
    if json_out:
        print_json(summary.model_dump(mode="json"))
        return
    print_summary(summary)
    print(f"results: {output}/summary.json, {output}/samples.jsonl")

"""`orbench run`: pull if needed, generate, grade, write results, print a table per suite."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..backends import BACKENDS, create_backend
from ..catalog import Generation, ModelRef, load_catalog
from ..errors import EXIT_INTERRUPTED, OrbenchError
from ..progress import make_progress
from ..results import RunSummary, prepare_output_dir
from ..runner import Run, RunSpec, base_provenance
from ..store import LocalModel, pull
from ..suites import parse_suites
from .common import JsonOpt, handled, print_json
from .tables import print_summary


@handled
def run(
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL[:QUANT] or a .gguf path; default: the catalog's default model.")] = None,
    suite: Annotated[str, typer.Option("--suite", "-s", help="Comma-separated suites (see `orbench suites`).")] = "math,code,reasoning",
    limit: Annotated[Optional[int], typer.Option(help="At most N items per suite (a seeded subset).", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Completions per item (pass@k, majority vote).", min=1)] = 1,
    seed: Annotated[int, typer.Option(help="Seed for item subsets and sampling.")] = 0,
    max_tokens: Annotated[Optional[int], typer.Option(help="Generation limit per sample (default: the model's).", min=1)] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature (default: the model's).", min=0.0)] = None,
    n_gpu_layers: Annotated[int, typer.Option(help="Layers to offload to the GPU; -1 offloads all.")] = 0,
    threads: Annotated[Optional[int], typer.Option(help="CPU threads (default: all cores).", min=1)] = None,
    ctx: Annotated[Optional[int], typer.Option(help="Context size in tokens (default: the model's).", min=256)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Results folder (default: results/<time>-<model>).")] = None,
    backend: Annotated[str, typer.Option(help=f"Backend: {', '.join(BACKENDS)}.", hidden=True)] = "llama.cpp",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run suites on a model and grade them; writes summary.json and samples.jsonl.

    Examples:

        orbench run --model smollm2-135m --limit 5

        orbench run -m deepseek-r1-distill-qwen-1.5b:Q4_K_M -s math --samples 4 --n-gpu-layers -1

        orbench run -m ./my-model.Q8_0.gguf -s reasoning --json > summary.json
    """
    ref = load_catalog().resolve(model)
    generation = _generation(ref, temperature, max_tokens, ctx)
    spec = RunSpec(suites=parse_suites(suite), generation=generation, seed=seed, samples=samples, limit=limit,
                   output=prepare_output_dir(output or _default_output(ref)))
    local = None if backend == "mock" else pull(ref)
    engine = create_backend(backend, **({} if local is None else dict(
        model_path=local.path, n_ctx=generation.context, n_threads=threads, n_gpu_layers=n_gpu_layers, seed=seed)))
    provenance = base_provenance(ref.name, ref.quant, spec, engine.info())
    if local is not None:
        _add_file(provenance, local)
    job = Run(engine, spec, provenance, make_progress(sys.stderr, quiet=quiet))
    try:
        summary = job.execute()
    except KeyboardInterrupt:
        print(f"interrupted: partial results kept in {spec.output}", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        engine.close()
    _report(summary, spec.output, json_out)


def _generation(ref: ModelRef, temperature: float | None, max_tokens: int | None, ctx: int | None) -> Generation:
    base = ref.entry.generation if ref.entry else Generation()
    overrides = {k: v for k, v in dict(temperature=temperature, max_tokens=max_tokens, context=ctx).items()
                 if v is not None}
    generation = base.model_copy(update=overrides)
    if generation.max_tokens >= generation.context:
        raise OrbenchError(f"--max-tokens {generation.max_tokens} does not fit in a context of "
                           f"{generation.context} tokens", hint="raise --ctx or lower --max-tokens")
    return generation


def _default_output(ref: ModelRef) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{stamp}-{ref.label.replace(':', '-')}"


def _add_file(provenance, local: LocalModel) -> None:
    provenance.file, provenance.sha256, provenance.size = str(local.path), local.sha256, local.size
    provenance.source, provenance.repo, provenance.revision = local.source, local.repo, local.revision
    provenance.derived_from = local.derived_from


def _report(summary: RunSummary, output: Path, json_out: bool) -> None:
    if json_out:
        print_json(summary.model_dump(mode="json"))
        return
    print_summary(summary)
    print(f"results: {output}/summary.json, {output}/samples.jsonl")

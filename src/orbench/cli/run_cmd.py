"""`orbench run`: one model, a quant ladder, or a whole config matrix; pull, generate, grade, write."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .common import handled, print_json
from .options import GpuLayersOpt, JsonOpt, SeedOpt, ThreadsOpt


@handled
def run(
    context: typer.Context,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL[:QUANT] or a .gguf path; default: the catalog's default model.")] = None,
    quant: Annotated[Optional[str], typer.Option("--quant", help="Comma-separated quants of MODEL to run on the identical plan, one sub-result each.")] = None,
    suite: Annotated[str, typer.Option("--suite", "-s", help="Comma-separated suites (see `orbench suites`), or paths to your own .jsonl files or folders.")] = "math,code,reasoning",
    limit: Annotated[Optional[int], typer.Option(help="At most N items per suite (a seeded subset).", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Completions per item (pass@k, majority vote).", min=1)] = 1,
    seed: SeedOpt = 0,
    max_tokens: Annotated[Optional[int], typer.Option(help="Generation limit per sample (default: the model's).", min=1)] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature (default: the model's).", min=0.0)] = None,
    n_gpu_layers: GpuLayersOpt = 0,
    threads: ThreadsOpt = None,
    ctx: Annotated[Optional[int], typer.Option(help="Context size per sequence in tokens (default: the model's).", min=256)] = None,
    parallel: Annotated[Optional[int], typer.Option(help="Sequences decoded together (default: chosen from --ctx and the requests); 1: the sequential reference backend.", min=1)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Results folder (default: results/TIME-MODEL). Running again into the same folder resumes.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Run the matrix of an orbench.toml (see `orbench init`).")] = None,
    shard: Annotated[Optional[str], typer.Option(help="Run only slice I of N of the plan, as I/N (combine with `orbench merge`).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Dated suites (livecodebench): only items dated on or after YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Dated suites: only items dated on or before YYYY-MM-DD.")] = None,
    keep: Annotated[Optional[int], typer.Option(help="With --config: keep the newest N nights under the output, delete older ones (never the baseline).", min=1)] = None,
    backend: Annotated[str, typer.Option(help="Backend: llama.cpp or mock.", hidden=True)] = "llama.cpp",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Run suites on a model and grade them; writes summary.json, samples.jsonl, plan.json and run.log.

    Interrupted runs (Ctrl-C, kill, power loss) resume when run again with the same settings and
    folder: finished samples are kept and only the missing ones run. With --quant, each quant runs
    the identical plan and gets its own sub-folder; with --config, every model and quant of the
    config does, into a new dated night folder under the config's output (an unfinished night of
    the last 12 hours with the same settings is resumed instead), and the gate of the config
    decides the exit code. With --config, --suite, --limit, --samples, --seed, --max-tokens,
    --temperature, --ctx, --threads, --n-gpu-layers, --parallel, --output and --keep override the
    config (recorded in plan.json and summary.json); --model and --quant are refused.

    Examples:

        orbench run --model smollm2-135m --limit 5

        orbench run -m deepseek-r1-distill-qwen-1.5b:Q4_K_M -s math --samples 4 --n-gpu-layers -1

        orbench run -m deepseek-r1-distill-qwen-1.5b --quant Q2_K,Q4_K_M,Q8_0 -s math,code,reasoning

        orbench run -s my-items.jsonl --limit 20

        orbench run --config orbench.toml

        orbench run --config orbench.toml --limit 5 --seed 7

        orbench run -m smollm2-135m -o results/part1 --shard 1/2

        orbench run -m deepseek-r1-distill-qwen-1.5b -s math500,aime24,gpqa-diamond --samples 4 --max-tokens 32768

        orbench run -m deepseek-r1-distill-qwen-1.5b -s livecodebench --since 2024-08-01 --until 2025-01-31
    """
    from ..errors import EXIT_INTERRUPTED
    from ..evaluate import RunOptions, parse_day, parse_shard

    opts = RunOptions(seed=seed, samples=samples, limit=limit, temperature=temperature, max_tokens=max_tokens,
                      ctx=ctx, threads=threads, n_gpu_layers=n_gpu_layers, parallel=parallel, backend=backend,
                      quiet=quiet, shard=parse_shard(shard), since=parse_day(since, "--since"),
                      until=parse_day(until, "--until"))
    try:
        if config is not None:
            raise typer.Exit(_run_config(config, opts, _overrides(context), json_out))
        if keep is not None:
            from ..errors import OrbenchError

            raise OrbenchError("--keep applies to nightly runs: use it with --config")
        _run(model, quant, suite, output, opts, json_out)
    except KeyboardInterrupt:
        print("interrupted: finished samples are kept; run the same command again to resume", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _run(model: str | None, quant: str | None, suite: str, output: Path | None, opts: Any, json_out: bool) -> None:
    from ..catalog import load_catalog
    from ..evaluate import Batch, default_output, ladder_refs, run_many, run_model
    from ..suites import parse_suites
    from .tables import print_summary

    catalog = load_catalog()
    suites = parse_suites(suite)
    if quant is None:
        ref = catalog.resolve(model)
        out = output or default_output(ref.label)
        summary = run_model(ref, suites, out, opts)
        if json_out:
            print_json(summary.model_dump(mode="json"))
            return
        print_summary(summary)
        print(f"results: {out}/summary.json, {out}/samples.jsonl")
        return
    refs = ladder_refs(catalog, model, quant)
    base = output or default_output(f"{refs[0].name}-ladder")
    summaries = run_many(Batch("ladder", refs, base, model=refs[0].name), suites, opts)
    if json_out:
        print_json({q: s.model_dump(mode="json") for q, s in summaries.items()})
        return
    for s in summaries.values():
        print_summary(s)
    print(f"results: {base} (compare them with: orbench compare {base})")


CONFIG_FLAGS = {"suite": "suites", "limit": "limit", "samples": "samples", "seed": "seed", "max_tokens": "max_tokens",
                "temperature": "temperature", "ctx": "ctx", "threads": "threads", "n_gpu_layers": "n_gpu_layers",
                "parallel": "parallel", "output": "output", "keep": "keep"}


def _overrides(context: typer.Context) -> dict[str, Any]:
    """The flags given on the command line, as config keys: they override the config's.
    --model and --quant are refused: the config's [[models]] decide what runs."""
    from ..errors import OrbenchError
    from ..units import split_csv

    def given(name: str) -> bool:
        source = context.get_parameter_source(name)
        return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")

    refused = [f"--{name}" for name in ("model", "quant") if given(name)]
    if refused:
        raise OrbenchError(f"{' and '.join(refused)} cannot be combined with --config",
                           hint="the config's [[models]] decide what runs; edit it, or run without --config")
    windowed = [f"--{name}" for name in ("since", "until") if given(name)]
    if windowed:
        raise OrbenchError(f"{' and '.join(windowed)} cannot be combined with --config",
                           hint="a config has no date window yet; run the dated suite without --config")
    out = {key: context.params[name] for name, key in CONFIG_FLAGS.items() if given(name)}
    if "suites" in out:
        out["suites"] = split_csv(out["suites"])
    return out


def _run_config(config: Path, opts: Any, overrides: dict[str, Any], json_out: bool) -> int:
    from ..nightly import run_config
    from .compare_cmd import print_gate
    from .tables import print_summary

    result = run_config(config, opts, overrides=overrides)
    if json_out:
        print_json({"night": str(result.folder), "resumed": result.resumed, "exit_code": result.exit_code,
                    "baseline": None if result.baseline is None else str(result.baseline), "notes": result.notes,
                    "summaries": {label: s.model_dump(mode="json") for label, s in result.summaries.items()},
                    "gate": None if result.gate is None else result.gate.model_dump(mode="json"),
                    "history": None if result.history is None else str(result.history),
                    "removed": [str(p) for p in result.removed]})
        return result.exit_code
    for summary in result.summaries.values():
        print_summary(summary)
    if result.gate is not None:
        print_gate(result.gate, False)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for removed in result.removed:
        print(f"removed old night {removed}", file=sys.stderr)
    history = f"; history: {result.history}" if result.history else ""
    print(f"night: {result.folder}{' (resumed)' if result.resumed else ''}{history}")
    return result.exit_code

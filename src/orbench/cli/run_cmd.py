"""`orbench run`: one model, a quant ladder, or a whole config matrix; pull, generate, grade, write."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .common import handled, print_json
from .options import GpuLayersOpt, JsonOpt, SeedOpt, ThreadsOpt

SERVER = "Server (--backend openai)"


@handled
def run(
    context: typer.Context,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL[:QUANT] from the catalog, any Hub GGUF repo as org/repo[:QUANT] or hf.co/org/repo[:QUANT], or a .gguf path; default: the catalog's default model (with a server: the model it serves).")] = None,
    quant: Annotated[Optional[str], typer.Option("--quant", help="Comma-separated quants of MODEL (catalog or Hub repo) to run on the identical plan, one sub-result each.")] = None,
    suite: Annotated[str, typer.Option("--suite", "-s", help="Comma-separated suites (see `orbench suites`), or paths to your own .jsonl files or folders.")] = "math,code,reasoning",
    limit: Annotated[Optional[int], typer.Option(help="At most N items per suite (a seeded subset).", min=1)] = None,
    samples: Annotated[int, typer.Option(help="Completions per item (pass@k, majority vote).", min=1)] = 1,
    seed: SeedOpt = 0,
    max_tokens: Annotated[Optional[int], typer.Option(help="Generation limit per sample (default: the model's).", min=1)] = None,
    temperature: Annotated[Optional[float], typer.Option(help="Sampling temperature (default: the model's).", min=0.0)] = None,
    top_p: Annotated[Optional[float], typer.Option(help="Top-p (default: the model's).", min=0.0, max=1.0)] = None,
    system_prompt: Annotated[Optional[str], typer.Option(help="System prompt for every item (default: the model's; '' for none).")] = None,
    chat_template: Annotated[Optional[str], typer.Option(help="A Jinja chat template, or a file holding one, in place of the GGUF's (in-process llama.cpp only).")] = None,
    n_gpu_layers: GpuLayersOpt = 0,
    threads: ThreadsOpt = None,
    ctx: Annotated[Optional[int], typer.Option(help="Context size per sequence in tokens, at least 256 (default: the model's).", min=256)] = None,
    parallel: Annotated[Optional[int], typer.Option(help="Sequences decoded together (default: chosen from --ctx and the requests); 1: the sequential reference backend.", min=1)] = None,
    step_tokens: Annotated[int, typer.Option(help="Most tokens one decode step of the batched engine carries: a token of each running sequence plus prompt chunks of arriving ones.", min=32)] = 512,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Results folder (default: results/TIME-MODEL). Running again into the same folder resumes.")] = None,
    config: Annotated[Optional[Path], typer.Option("--config", "-c", help="Run the matrix of an orbench.toml (see `orbench init`).")] = None,
    shard: Annotated[Optional[str], typer.Option(help="Run only slice I of N of the plan, as I/N (combine with `orbench merge`).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Dated suites (livecodebench): only items dated on or after YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Dated suites: only items dated on or before YYYY-MM-DD.")] = None,
    keep: Annotated[Optional[int], typer.Option(help="With --config: keep the newest N nights under the output, delete older ones (never the baseline).", min=1)] = None,
    max_error_rate: Annotated[float, typer.Option(help="Exit 3 when more than this share of samples failed with infrastructure errors (with --config: [gate] max_error_rate).", min=0.0, max=1.0)] = 0.05,
    backend: Annotated[str, typer.Option(help="llama.cpp (in-process), or openai: an OpenAI-compatible server at --base-url.")] = "llama.cpp",
    base_url: Annotated[Optional[str], typer.Option(help="The server's API root, e.g. http://127.0.0.1:8080/v1 (implies --backend openai).", rich_help_panel=SERVER)] = None,
    api_key_env: Annotated[Optional[str], typer.Option(help="Environment variable that holds the server's API key (the key is never printed or stored).", rich_help_panel=SERVER)] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once (match the server's parallel slots).", min=1, rich_help_panel=SERVER)] = 1,
    server_model: Annotated[Optional[str], typer.Option(help="The model id to request (default: the only model the server lists).", rich_help_panel=SERVER)] = None,
    request_timeout: Annotated[float, typer.Option(help="Seconds to wait for the server's answer to one request.", min=0.1, rich_help_panel=SERVER)] = 600.0,
    retry_budget: Annotated[float, typer.Option(help="Seconds to keep retrying a sample after its first connection error, 429 or 5xx; then it counts as an infrastructure error.", min=0.0, rich_help_panel=SERVER)] = 120.0,
    sandbox: Annotated[str, typer.Option(help="How model-written code is isolated: auto (the best this machine has; warns when it falls back to process limits), strict (refuse without namespaces), none (process limits only, for debugging), or an engine: bwrap, unshare, python, process, docker, podman.")] = "auto",
    graders: Annotated[Optional[int], typer.Option(help="Programs graded at once beside generation (default: half the cores).", min=1)] = None,
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

        orbench run -m unsloth/gemma-3-270m-it-GGUF:Q4_K_M -s math --limit 20

        orbench run --base-url http://127.0.0.1:8080/v1 -s math --limit 5 --concurrency 4

        orbench run -s code --sandbox strict
    """
    from ..errors import EXIT_INTERRUPTED, OrbenchError
    from ..run.evaluate import RunOptions, parse_day, parse_shard
    from ..grading.sandbox import SANDBOX_MODES

    if sandbox not in SANDBOX_MODES:
        raise OrbenchError(f"--sandbox takes one of {', '.join(SANDBOX_MODES)}, got '{sandbox}'")
    server = _server_options(backend, base_url, api_key_env, concurrency, server_model, request_timeout, retry_budget)
    opts = RunOptions(seed=seed, samples=samples, limit=limit, temperature=temperature, top_p=top_p,
                      system_prompt=system_prompt, chat_template=chat_template, max_tokens=max_tokens,
                      ctx=ctx, threads=threads, n_gpu_layers=n_gpu_layers, parallel=parallel, step_tokens=step_tokens,
                      backend="openai" if server else backend, server=server, quiet=quiet, shard=parse_shard(shard),
                      since=parse_day(since, "--since"), until=parse_day(until, "--until"),
                      sandbox=sandbox, graders=graders)  # type: ignore[arg-type]
    try:
        if config is not None:
            raise typer.Exit(_run_config(config, opts, _overrides(context), json_out))
        if keep is not None:
            from ..errors import OrbenchError

            raise OrbenchError("--keep applies to nightly runs: use it with --config")
        raise typer.Exit(_run(model, quant, suite, output, opts, json_out, max_error_rate))
    except KeyboardInterrupt:
        print("interrupted: finished samples are kept; run the same command again to resume", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _run(model: str | None, quant: str | None, suite: str, output: Path | None, opts: Any, json_out: bool,
         max_error_rate: float) -> int:
    from ..store.catalog import load_catalog
    from ..errors import OrbenchError
    from ..errors import EXIT_INFRA, EXIT_OK
    from ..run.evaluate import Batch, default_output, ladder_refs, resolve_ref, run_many, run_model, too_many_errors
    from ..suites import parse_suites
    from .tables import print_summary

    catalog = load_catalog()
    suites = parse_suites(suite)
    if quant is not None and opts.server is not None:
        raise OrbenchError("--quant runs several model files; a server serves one", hint="run each quant's server in turn")
    if quant is None:
        ref, opts = resolve_ref(catalog, model, opts)
        out = output or default_output(ref.label)
        summary = run_model(ref, suites, out, opts)
        if json_out:  # the summary, and the folder that holds it (and samples.jsonl)
            print_json({**summary.model_dump(mode="json"), "results": str(out)})
        else:
            print_summary(summary)
            print(f"results: {out}/summary.json, {out}/samples.jsonl")
        summaries = [summary]
    else:
        refs = ladder_refs(catalog, model, quant)
        base = output or default_output(f"{refs[0].name}-ladder")
        batch = Batch("ladder", refs, base, model=refs[0].name)
        by_quant = run_many(batch, suites, opts)
        if json_out:
            folders = {batch.label(ref): str(base / batch.folder(ref)) for ref in refs}
            print_json({q: {**s.model_dump(mode="json"), "results": folders[q]} for q, s in by_quant.items()})
        else:
            for s in by_quant.values():
                print_summary(s)
            print(f"results: {base} (compare them with: orbench compare {base})")
        summaries = list(by_quant.values())
    too_many = too_many_errors(summaries, max_error_rate)
    if too_many:
        print(f"error: {too_many} (exit 3; --max-error-rate sets the limit)", file=sys.stderr)
        return EXIT_INFRA
    return EXIT_OK


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
    if given("max_error_rate"):
        raise OrbenchError("--max-error-rate cannot be combined with --config", hint="set [gate] max_error_rate in it")
    out = {key: context.params[name] for name, key in CONFIG_FLAGS.items() if given(name)}
    if "suites" in out:
        out["suites"] = split_csv(out["suites"])
    return out


def _run_config(config: Path, opts: Any, overrides: dict[str, Any], json_out: bool) -> int:
    from ..nightly.matrix import run_config
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


def _server_options(backend: str, base_url: str | None, api_key_env: str | None, concurrency: int,
                    server_model: str | None, timeout: float, retry_budget: float) -> Any:
    """The server to use (None for the in-process backends); --base-url alone implies --backend openai."""
    from ..errors import OrbenchError

    if base_url is None:
        if backend == "openai":
            raise OrbenchError("--backend openai needs --base-url URL", hint="e.g. --base-url http://127.0.0.1:8080/v1")
        return None
    if backend not in ("openai", "llama.cpp"):
        raise OrbenchError(f"--base-url goes with --backend openai, not '{backend}'")
    from ..backends.openai import ServerOptions

    return ServerOptions(base_url=base_url, api_key_env=api_key_env, concurrency=concurrency, timeout=timeout,
                         retry_budget=retry_budget, model=server_model)

"""`orbench run`: one model, a quant ladder, or a whole config matrix; pull, generate, grade, write.

The command's options are the settings of `run/settings.py` (declared there once), plus the few that
are the command's own: which model, which quants, which config, and JSON output."""

from __future__ import annotations

import dataclasses
import inspect
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..backends.server import ServerOptions, server_flags
from ..run.settings import CONFIG_KEYS, Flag, cli_default, cli_type, flags
from .common import handled, print_json
from .options import JsonOpt

if TYPE_CHECKING:
    from ..run.records import RunSummary
    from ..run.settings import RunOptions
    from ..store.catalog import Catalog, ModelRef
    from ..suites import Suite

SERVER = "Server (--backend openai)"

ModelOpt = Annotated[Optional[str], typer.Option("--model", "-m", help="MODEL[:QUANT] from the catalog, any Hub GGUF repo as org/repo[:QUANT] or hf.co/org/repo[:QUANT], or a .gguf path; default: the catalog's default model if on disk, else a model on disk, else the embedded one when the Hub cannot be reached (with a server: the model it serves).")]
QuantOpt = Annotated[Optional[str], typer.Option("--quant", help="Comma-separated quants of MODEL (catalog or Hub repo) to run on the identical plan, one sub-result each.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Run the matrix of an orbench.toml (see `orbench init`).")]


def keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def setting_option(f: dataclasses.Field, flag: Flag, panels: bool = True) -> inspect.Parameter:
    """A run setting's flag as a command parameter, all of it from the setting's declaration."""
    info = typer.Option(*flag.names, help=flag.help, min=flag.low, max=flag.high,
                        rich_help_panel=flag.panel if panels else None)
    return keyword(f.name, Annotated[cli_type(f, flag), info], cli_default(f, flag))


def _parameters() -> list[inspect.Parameter]:
    """The command's parameters: its own, and every setting's flag in declaration order."""
    params = [inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
              keyword("model", ModelOpt, None), keyword("quant", QuantOpt, None)]
    for f, flag in flags():
        params.append(setting_option(f, flag))
        if f.name == "output":
            params.append(keyword("config", ConfigOpt, None))
        if f.name == "backend":
            params += [_server_option(server_field) for server_field in server_flags()]
    params.append(keyword("json_out", JsonOpt, False))
    return params


def _server_option(f: dataclasses.Field) -> inspect.Parameter:
    """A flag of the server's options (backends/server.py declares them), as parameter `server_NAME`."""
    meta = f.metadata
    kind = Optional[str] if f.default is None else type(f.default)
    info = typer.Option(meta["flag"], help=meta["help"], min=meta["low"], rich_help_panel=SERVER)
    return inspect.Parameter(f"server_{f.name}", inspect.Parameter.KEYWORD_ONLY, default=f.default,
                             annotation=Annotated[kind, info])


@handled
def run(context: typer.Context, **values: Any) -> None:
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
    from ..run.settings import from_flags

    model, quant, config, json_out = (values.pop(k) for k in ("model", "quant", "config", "json_out"))
    server = _server_options(values["backend"], {f.name: values.pop(f"server_{f.name}") for f in server_flags()})
    opts = from_flags(values, server)
    try:
        _check_adaptive(opts, quant, config)
        if config is not None:
            raise typer.Exit(_run_config(config, opts, _overrides(context), json_out))
        if opts.keep is not None:
            raise OrbenchError("--keep applies to nightly runs: use it with --config")
        raise typer.Exit(_run(model, quant, opts, json_out))
    except KeyboardInterrupt:
        print("interrupted: finished samples are kept; run the same command again to resume", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None


run.__signature__ = inspect.Signature(_parameters())  # type: ignore[attr-defined]


def _run(model: str | None, quant: str | None, opts: RunOptions, json_out: bool) -> int:
    from ..store.catalog import load_catalog
    from ..errors import OrbenchError
    from ..errors import EXIT_INFRA, EXIT_OK
    from ..run.evaluate import Batch, default_output, ladder_refs, resolve_ref, run_many, run_model, too_many_errors
    from ..suites import parse_suites
    from .explain import next_commands
    from .tables import print_summary

    catalog = load_catalog()
    suites = parse_suites(opts.suites)
    output = opts.output
    if quant is not None and opts.server is not None:
        raise OrbenchError("--quant runs several model files; a server serves one", hint="run each quant's server in turn")
    if quant is None:
        if model is None and opts.backend == "llama.cpp" and opts.server is None:
            model = _default_model(catalog, json_out)
        ref, opts = resolve_ref(catalog, model, opts)
        out = output or default_output(ref.label)
        summary = run_model(ref, suites, out, opts)
        if json_out:  # the summary, and the folder that holds it (and samples.jsonl)
            print_json({**summary.model_dump(mode="json"), "results": str(out)})
        else:
            print_summary(summary)
            print(f"results: {out}/summary.json, {out}/samples.jsonl")
            print(next_commands(out)[0])
        summaries = [summary]
    elif opts.until_decided:
        refs = ladder_refs(catalog, model, quant)
        summaries = _run_adaptive(refs, suites, output or default_output(f"{refs[0].name}-ladder"), opts, json_out)
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
                print_summary(s, explain=s is next(iter(by_quant.values())))
            print(f"results: {base} (compare them with: orbench compare {base})")
            print(next_commands(base, ladder=True)[0])
        summaries = list(by_quant.values())
    too_many = too_many_errors(summaries, opts.max_error_rate)
    if too_many:
        print(f"error: {too_many} (exit 3; --max-error-rate sets the limit)", file=sys.stderr)
        return EXIT_INFRA
    return EXIT_OK


def _default_model(catalog: Catalog, json_out: bool) -> str:
    """Without -m: a model on disk, or the embedded one offline (store/default.py); says which."""
    from ..store.default import choose_default

    choice = choose_default(catalog)
    print(choice.reason, file=sys.stderr if json_out else sys.stdout)
    return choice.ref.label


def _check_adaptive(opts: RunOptions, quant: str | None, config: Path | None) -> None:
    """--until-decided needs a ladder; its own settings need --until-decided."""
    from ..errors import OrbenchError

    if not opts.until_decided:
        given = [flag for flag, on in (("--budget", opts.budget is not None),
                                       ("--budget-tokens", opts.budget_tokens is not None),
                                       ("--round-items", opts.round_items != 10)) if on]
        if given:
            raise OrbenchError(f"{', '.join(given)} applies to adaptive ladders", hint="add --until-decided")
        return
    if config is not None:
        return  # the night stops when its gate is decided against the baseline (nightly/rounds.py)
    if quant is None:
        raise OrbenchError("--until-decided compares quants: give them with --quant A,B,C")


def _run_adaptive(refs: list[ModelRef], suites: list[Suite], base: Path, opts: RunOptions,
                  json_out: bool) -> list[RunSummary]:
    """The adaptive ladder, printed: each quant's summary, then its verdict and why it stopped."""
    from ..quant.adaptive import run_adaptive
    from .tables import print_summary

    result = run_adaptive(refs, suites, base, opts)
    record = result.record
    if json_out:
        print_json({"adaptive": record.model_dump(mode="json"), "results": str(base),
                    "runs": {q: {**s.model_dump(mode="json"), "results": str(result.folders[q])}
                             for q, s in result.summaries.items()}})
        return list(result.summaries.values())
    for summary in result.summaries.values():
        print_summary(summary)
    taken = record.rounds[-1].items if record.rounds else 0
    print(f"adaptive ladder: {record.status} after {len(record.rounds)} round(s), {taken} of {len(record.order)} "
          f"items, {record.tokens} tokens, {record.seconds:.0f} s; reference {record.settings.reference}")
    for label, why in record.stopped.items():
        print(f"  {label}: {why}")
    print(f"results: {base} (recorded in {base}/adaptive.json; compare them with: orbench compare {base})")
    return list(result.summaries.values())


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
    out = {key: context.params[key] for key in CONFIG_KEYS if given(key)}
    if "suites" in out:
        out["suites"] = split_csv(out["suites"])
    return out


def _run_config(config: Path, opts: RunOptions, overrides: dict[str, Any], json_out: bool) -> int:
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
    for i, summary in enumerate(result.summaries.values()):
        print_summary(summary, explain=i == 0)
    if result.gate is not None:
        print_gate(result.gate, False)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    for removed in result.removed:
        print(f"removed old night {removed}", file=sys.stderr)
    history = f"; history: {result.history}" if result.history else ""
    print(f"night: {result.folder}{' (resumed)' if result.resumed else ''}{history}")
    return result.exit_code


def _server_options(backend: str, given: dict[str, Any]) -> ServerOptions | None:
    """The server to use (None for the in-process backends); --base-url alone implies --backend openai."""
    from ..errors import OrbenchError

    if given["base_url"] is None:
        if backend == "openai":
            raise OrbenchError("--backend openai needs --base-url URL", hint="e.g. --base-url http://127.0.0.1:8080/v1")
        return None
    if backend not in ("openai", "llama.cpp"):
        raise OrbenchError(f"--base-url goes with --backend openai, not '{backend}'")
    return ServerOptions(**given)

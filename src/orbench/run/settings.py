"""The settings of a run, each declared once: `RunOptions` is the one place that gives a setting its
name, type, default and help, says which flag sets it, whether `[run]` in orbench.toml may set it,
and whether it changes the plan. Everything else derives from it:

- `orbench run`'s options (`cli_parameters`), in declaration order;
- the `[run]` table of orbench.toml (`config_model`): the settings marked `config`, which the same
  flags override on the command line (`CONFIG_KEYS`);
- the settings a plan and a night are matched on, and recorded in plan.json's `overrides`
  (`PLAN_KEYS`);
- plan.json's own fields for the settings it records (`record=`; see `run.plan.Plan`).

This module imports only the standard library at import time, so `orbench --help` stays quick.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..errors import OrbenchError

if TYPE_CHECKING:
    from ..backends.server import ServerOptions
    from ..grading.sandbox import SandboxMode
    from ..store.lock import LockEntry

SEED_HELP = ("Seed for everything random the command does (item subsets, sampling, generated suites, bootstrap); "
             "recorded in the results.")
THREADS_HELP = "CPU threads (default: all cores)."
GPU_LAYERS_HELP = "Layers to offload to the GPU; -1 offloads all."
SANDBOX_HELP = ("How model-written code is isolated: auto (the best this machine has; warns when it falls back to "
                "process limits), strict (refuse without namespaces), none (process limits only, for debugging), "
                "or an engine: bwrap, unshare, python, process, docker, podman.")
ADAPTIVE = "Adaptive ladder (--until-decided)"


@dataclass(frozen=True)
class Flag:
    """How a setting is set from outside Python."""

    help: str
    names: tuple[str, ...] = ()  # the flag's names (default: --the-name-with-dashes)
    cli_type: Any = None  # its type on the command line, where that differs from the field's
    low: float | None = None  # bounds, for the flag and the config key alike
    high: float | None = None
    config: bool = False  # a key of [run] in orbench.toml; the flag overrides it there
    config_type: Any = None  # its type in the config, where that differs from the flag's
    config_default: Any = None  # a function giving its default in the config, where that differs
    plan: bool = False  # changes the plan: a resumed run or night must match it
    panel: str | None = None  # the help section it is listed in
    record: str | None = None  # a field of plan.json, with this description


def setting(default: Any, help: str, *, factory: Callable[[], Any] | None = None, **flag: Any) -> Any:
    """A field of `RunOptions` that a flag (and maybe the config) sets."""
    meta = {"flag": Flag(help=help, **flag)}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _suites_default() -> list[str]:
    return ["math", "code", "reasoning"]


@dataclass
class RunOptions:
    """How to run: every setting of `orbench run` that is not the model itself. A field made with
    `setting(...)` is a flag; the others are filled in by code (the server, the lock, the overrides)."""

    suites: str = setting("math,code,reasoning", "Comma-separated suites (see `orbench suites`), or paths to your "
                          "own .jsonl files or folders.", names=("--suite", "-s"), config=True,
                          config_type=list[str], config_default=_suites_default, plan=True)
    limit: Optional[int] = setting(None, "At most N items per suite (a seeded subset).", low=1, config=True, plan=True,
                                   record="items per suite (a seeded subset), None for all")
    samples: int = setting(1, "Completions per item (pass@k, majority vote).", low=1, config=True, plan=True,
                           record="completions per item")
    seed: int = setting(0, SEED_HELP, low=0, config=True, plan=True,
                       record="run seed: item subsets, sampling, generated suites")
    max_tokens: Optional[int] = setting(None, "Generation limit per sample (default: the model's).", low=1,
                                        config=True, plan=True)
    temperature: Optional[float] = setting(None, "Sampling temperature (default: the model's).", low=0.0,
                                           config=True, plan=True)
    top_p: Optional[float] = setting(None, "Top-p (default: the model's).", low=0.0, high=1.0)
    system_prompt: Optional[str] = setting(None, "System prompt for every item (default: the model's; '' for none).")
    chat_template: Optional[str] = setting(None, "A Jinja chat template, or a file holding one, in place of the "
                                           "GGUF's (in-process llama.cpp only).")
    n_gpu_layers: int = setting(0, GPU_LAYERS_HELP, config=True)
    threads: Optional[int] = setting(None, THREADS_HELP, low=1, config=True)
    ctx: Optional[int] = setting(None, "Context size per sequence in tokens, at least 256 (default: the model's).",
                                 low=256, config=True, plan=True)
    parallel: Optional[int] = setting(None, "Sequences decoded together (default: chosen from --ctx and the "
                                      "requests); 1: the sequential reference backend.", low=1, config=True)
    step_tokens: int = setting(512, "Most tokens one decode step of the batched engine carries: a token of each "
                               "running sequence plus prompt chunks of arriving ones.", low=32)
    output: Optional[Path] = setting(None, "Results folder (default: results/TIME-MODEL). Running again into the "
                                     "same folder resumes.", names=("--output", "-o"), config=True,
                                     config_type=Path, config_default=lambda: Path("results/nightly"))
    shard: tuple[int, int] = setting((1, 1), "Run only slice I of N of the plan, as I/N (combine with `orbench "
                                     "merge`).", cli_type=Optional[str],
                                     record="this run's shard I of N (1, 1: the whole plan)")
    since: Optional[date] = setting(None, "Dated suites (livecodebench): only items dated on or after YYYY-MM-DD.",
                                    cli_type=Optional[str])
    until: Optional[date] = setting(None, "Dated suites: only items dated on or before YYYY-MM-DD.",
                                    cli_type=Optional[str])
    keep: Optional[int] = setting(None, "With --config: keep the newest N nights under the output, delete older ones "
                                  "(never the baseline).", low=1, config=True)
    max_error_rate: float = setting(0.05, "Exit 3 when more than this share of samples failed with infrastructure "
                                    "errors (with --config: [gate] max_error_rate).", low=0.0, high=1.0)
    grading: str = setting("reference", "How the public benchmarks' replies are graded: reference (their reference "
                           "harness's answer rule as it is: math-verify alone, lm-eval's BBH strict-match, simple-evals' "
                           "'Answer: X') or lenient (orbench's reading of more chat formatting: bold, boxed, the last "
                           "answer line; see docs/benchmarks-grading.md). Recorded in plan.json and summary.json.",
                           config=True, plan=True, record="the grading protocol: reference (each benchmark's "
                           "reference harness's answer rule) or lenient (--grading lenient)")
    backend: str = setting("llama.cpp", "llama.cpp (in-process), or openai: an OpenAI-compatible server at --base-url.")
    sandbox: "SandboxMode" = setting("auto", SANDBOX_HELP, cli_type=str)
    graders: Optional[int] = setting(None, "Programs graded at once beside generation (default: half the cores).",
                                     low=1)
    quiet: bool = setting(False, "No progress output.", names=("--quiet", "-q"))
    until_decided: bool = setting(False, "With --quant: take items in a seeded random order in rounds and stop each "
                                  "quant once an anytime-valid test decides it (not worse / worse than the "
                                  "reference), or at the pool's end or the budget. In orbench.toml's [run]: the night "
                                  "stops when its gate is decided against the baseline.", names=("--until-decided",),
                                  panel=ADAPTIVE, config=True)
    round_items: int = setting(10, "--until-decided: items added per round (every undecided quant runs them).",
                               low=1, panel=ADAPTIVE, config=True)
    margin: float = setting(2.0, "--until-decided: non-inferiority margin in accuracy points.", low=0.0, high=99.0,
                            panel=ADAPTIVE)
    budget: Optional[str] = setting(None, "--until-decided: stop before a round would pass this much run time "
                                    "(e.g. 2h, 30m, 90s), with the verdicts reached so far.", panel=ADAPTIVE, config=True)
    budget_tokens: Optional[int] = setting(None, "--until-decided: stop before a round would pass this many "
                                           "generated tokens (all quants together).", low=1, panel=ADAPTIVE, config=True)
    server: "ServerOptions | None" = None  # for backend "openai"
    lock: "dict[str, LockEntry] | None" = None  # label -> locked file (see orbench.lock)
    overrides: dict[str, Any] = field(default_factory=dict)  # command-line settings over a config's, recorded
    items: "frozenset[str] | None" = None  # adaptive runs: only these items ("suite/item_id") of the plan run


def flags() -> list[tuple[dataclasses.Field, Flag]]:
    """Every setting a flag sets, with its flag, in declaration order."""
    return [(f, f.metadata["flag"]) for f in dataclasses.fields(RunOptions) if "flag" in f.metadata]


CONFIG_KEYS: tuple[str, ...] = tuple(f.name for f, flag in flags() if flag.config)
PLAN_KEYS: tuple[str, ...] = tuple(f.name for f, flag in flags() if flag.plan)

_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "Path": Path, "Optional[int]": Optional[int],
          "Optional[float]": Optional[float], "Optional[str]": Optional[str], "Optional[Path]": Optional[Path],
          "tuple[int, int]": tuple[int, int]}


def field_type(f: dataclasses.Field) -> Any:
    """A plain setting's type (the field's annotation, read without importing anything)."""
    return _TYPES[str(f.type)]


def cli_type(f: dataclasses.Field, flag: Flag) -> Any:
    """The type a flag is parsed as (the field's own, for the plain ones)."""
    return flag.cli_type if flag.cli_type is not None else field_type(f)


def cli_default(f: dataclasses.Field, flag: Flag) -> Any:
    """What the flag holds when it is not given: the field's default, or None where the flag is text
    that `from_flags` parses into something else (a shard, a date)."""
    if flag.cli_type is not None and not isinstance(f.default, str):
        return None
    return f.default


def from_flags(values: dict[str, Any], server: "ServerOptions | None" = None) -> RunOptions:
    """The options the flags give (`values`: each setting's flag value by field name), checked and
    parsed: the shard, the date window and the sandbox mode; `--base-url` makes the backend `openai`."""
    from ..grading.sandbox import SANDBOX_MODES

    if values["sandbox"] not in SANDBOX_MODES:
        raise OrbenchError(f"--sandbox takes one of {', '.join(SANDBOX_MODES)}, got '{values['sandbox']}'")
    check_grading(values.get("grading", "reference"))
    parsed = dict(values, shard=parse_shard(values["shard"]), since=parse_day(values["since"], "--since"),
                  until=parse_day(values["until"], "--until"), server=server)
    if server is not None:
        parsed["backend"] = "openai"
    return RunOptions(**parsed)


def check_grading(protocol: str) -> None:
    """--grading takes "reference" or "lenient" (suites.suite.GRADING_PROTOCOLS)."""
    from ..suites.suite import GRADING_PROTOCOLS

    if protocol not in GRADING_PROTOCOLS:
        raise OrbenchError(f"--grading takes one of {', '.join(GRADING_PROTOCOLS)}, got '{protocol}'")


def config_field(f: dataclasses.Field, flag: Flag) -> tuple[Any, Any]:
    """The type and default of a setting's [run] key in orbench.toml."""
    kind = flag.config_type if flag.config_type is not None else field_type(f)
    return kind, (flag.config_default() if flag.config_default is not None else f.default)


def parse_shard(text: str | None) -> tuple[int, int]:
    """`"2/4"` -> (2, 4); None -> the whole plan (1, 1)."""
    if text is None:
        return (1, 1)
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise OrbenchError(f"--shard takes I/N with 1 <= I <= N, got '{text}'")
    return int(m.group(1)), int(m.group(2))


def parse_day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OrbenchError(f"{flag} takes a date as YYYY-MM-DD, got '{text}'") from None

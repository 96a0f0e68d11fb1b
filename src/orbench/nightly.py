"""A config matrix run (`orbench run --config orbench.toml`): every model and quant of the config
on the same suites, then the gate against the config's baseline, which sets the exit code."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from .catalog import load_catalog
from .config import Config, load_config
from .errors import EXIT_INFRA, EXIT_OK
from .evaluate import Batch, RunOptions, run_many
from .gate import GateResult, run_gate
from .lockfile import LockFile, read_lock, write_lock
from .results import RunSummary
from .suites import parse_suites


@dataclass
class MatrixResult:
    folder: Path
    summaries: dict[str, RunSummary]
    gate: GateResult | None
    exit_code: int


def run_config(path: Path, base_options: RunOptions | None = None, output: Path | None = None) -> MatrixResult:
    """Run the matrix of the config at `path` (into `output`, else the config's folder) and gate it."""
    config = load_config(path)
    opts = options_for(config, base_options or RunOptions())
    base = output or config.run.output
    catalog = load_catalog()
    refs = [catalog.resolve(f"{m.name}:{q}") for m in config.models for q in m.quants]
    summaries = run_many(Batch("matrix", refs, base, config=str(path)), parse_suites(config.run.suites), opts)
    g = config.gate
    if g.baseline is not None:
        gate = run_gate(base, g.baseline, g.fail_on, g.alpha, g.max_error_rate, base / "junit.xml", base / "summary.md")
        return MatrixResult(base, summaries, gate, gate.exit_code)
    samples = sum(s.samples_done for s in summaries.values())
    errors = sum(s.errors for s in summaries.values())
    code = EXIT_INFRA if samples and errors / samples > config.gate.max_error_rate else EXIT_OK
    return MatrixResult(base, summaries, None, code)


def options_for(config: Config, cli: RunOptions) -> RunOptions:
    """The run options of a config: its [run] section, the lock beside it; the CLI's backend, quiet and shard."""
    r = config.run
    lock = read_lock(config.lock_path)
    return replace(cli, seed=r.seed, samples=r.samples, limit=r.limit, threads=r.threads, n_gpu_layers=r.n_gpu_layers,
                   max_tokens=r.max_tokens, temperature=r.temperature, ctx=r.ctx, parallel=r.parallel or cli.parallel,
                   lock=lock.files if lock else None)


def lock_config(path: Path) -> tuple[Path, LockFile]:
    """Pin every model and quant of the config at `path`; writes orbench.lock beside it."""
    from .store import lock_facts

    config = load_config(path)
    catalog = load_catalog()
    files = {}
    for model in config.models:
        for quant in model.quants:
            ref = catalog.resolve(f"{model.name}:{quant}")
            files[ref.label] = lock_facts(ref)
    return config.lock_path, write_lock(config.lock_path, path.name, files)

"""Evaluate model files into results folders: one model (`run_model`), a quant ladder or a config
matrix (`run_many`), each usable from Python as the CLI uses it."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from .backends import create_backend
from .catalog import Catalog, Generation, ModelRef
from .errors import OrbenchError
from .files import read_model, write_json_atomic
from .lockfile import LockEntry
from .perf import reset_peak_rss
from .plan import RunSpec
from .progress import make_progress
from .results import INDEX_FILE, Performance, Provenance, RunIndex, RunSummary
from .rundir import prepare_output_dir
from .runner import Run, base_provenance
from .store import LocalModel, pull
from .suites import Suite
from .units import split_csv


@dataclass
class RunOptions:
    seed: int = 0
    samples: int = 1
    limit: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    ctx: int | None = None
    threads: int | None = None
    n_gpu_layers: int = 0
    parallel: int | None = None  # sequences decoded together; None: chosen from context and request sizes
    backend: str = "llama.cpp"
    quiet: bool = False
    shard: tuple[int, int] = (1, 1)
    lock: dict[str, LockEntry] | None = None  # label -> locked file (see orbench.lock)
    since: date | None = None  # contest-date window for dated suites (LiveCodeBench)
    until: date | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # command-line settings over a config's, recorded


def parse_shard(text: str | None) -> tuple[int, int]:
    """`"2/4"` -> (2, 4); None -> the whole plan (1, 1)."""
    if text is None:
        return (1, 1)
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise OrbenchError(f"--shard takes I/N with 1 <= I <= N, got '{text}'")
    return int(m.group(1)), int(m.group(2))


def ladder_refs(catalog: Catalog, model: str | None, quant: str) -> list[ModelRef]:
    """The refs of a quant ladder: MODEL at each of the comma-separated quants."""
    if model and (":" in model or model.lower().endswith(".gguf")):
        raise OrbenchError("--quant takes a catalog model name without ':QUANT' and not a file path")
    name = (model or catalog.default_model).split(":")[0]
    quants = split_csv(quant)
    if not quants:
        raise OrbenchError("--quant needs at least one quant")
    return [catalog.resolve(f"{name}:{q}") for q in quants]


def default_output(label: str) -> Path:
    """results/TIME-LABEL in the current folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{stamp}-{label.replace(':', '-')}"


def windowed(suites: list[Suite], since: date | None, until: date | None) -> list[Suite]:
    """Dated suites restricted to [since, until]; a window with no dated suite to apply to is a mistake."""
    if since is None and until is None:
        return suites
    if since and until and since > until:
        raise OrbenchError(f"--since {since} is after --until {until}")
    if not any(s.dated for s in suites):
        raise OrbenchError("--since/--until pick a date window of a dated suite, and none was chosen",
                           hint="dated suites: livecodebench")
    return [s.windowed(since, until) if s.dated else s for s in suites]


def parse_day(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OrbenchError(f"{flag} takes a date as YYYY-MM-DD, got '{text}'") from None


def generation_for(ref: ModelRef, opts: RunOptions) -> Generation:
    base = ref.entry.generation if ref.entry else Generation()
    overrides = {k: v for k, v in dict(temperature=opts.temperature, max_tokens=opts.max_tokens,
                                          context=opts.ctx).items() if v is not None}
    generation = base.model_copy(update=overrides)
    if generation.max_tokens >= generation.context:
        raise OrbenchError(f"--max-tokens {generation.max_tokens} does not fit in a context of "
                           f"{generation.context} tokens", hint="raise --ctx or lower --max-tokens")
    return generation


def resolve_file(ref: ModelRef, opts: RunOptions) -> LocalModel | None:
    """The model file to run (None for the mock backend), checked against the lock when there is one."""
    if opts.backend == "mock":
        return None
    locked = (opts.lock or {}).get(ref.label)
    local = pull(ref, revision=locked.revision if locked and locked.source == "hub" else None)
    if locked and local.sha256 != locked.sha256:
        raise OrbenchError(f"{ref.label}: the file on disk ({local.sha256[:16]}…) differs from the lock "
                           f"({locked.sha256[:16]}…)", hint="run `orbench lock` again to accept the new file")
    return local


def run_model(ref: ModelRef, suites: list[Suite], out: Path, opts: RunOptions) -> RunSummary:
    """Pull (or check against the lock), load, run and grade; resumes if `out` holds this plan."""
    generation = generation_for(ref, opts)
    prepare_output_dir(out)  # before any model work starts
    spec = RunSpec(suites=windowed(suites, opts.since, opts.until), generation=generation, seed=opts.seed,
                   samples=opts.samples, limit=opts.limit, output=out, since=opts.since, until=opts.until,
                   overrides=opts.overrides)
    local = resolve_file(ref, opts)
    reset_peak_rss()
    engine = create_backend(opts.backend, **({} if local is None else dict(
        model_path=local.path, n_ctx=generation.context, n_threads=opts.threads, n_gpu_layers=opts.n_gpu_layers,
        seed=opts.seed, parallel=opts.parallel)))
    try:
        info = engine.info()
        provenance = base_provenance(ref.name, ref.quant, spec, info)
        provenance.locked = bool(opts.lock and ref.label in opts.lock)
        performance = None
        if local is not None:
            add_file(provenance, local)
            performance = Performance(file_bytes=local.size, n_params=info.n_params,
                                      bits_per_weight=info.bits_per_weight, load_seconds=info.load_seconds)
        job = Run(engine, spec, provenance, shard=opts.shard, performance=performance,
                  progress=make_progress(sys.stderr, quiet=opts.quiet, log_file=out / "run.log"))
        return job.execute()
    finally:
        engine.close()


def add_file(provenance: Provenance, local: LocalModel) -> None:
    provenance.file, provenance.sha256, provenance.size = str(local.path), local.sha256, local.size
    provenance.source, provenance.repo, provenance.revision = local.source, local.repo, local.revision
    provenance.derived_from = local.derived_from


@dataclass
class Batch:
    """Several runs that belong together: a quant ladder of one model, or a config matrix."""

    kind: Literal["ladder", "matrix"]
    refs: list[ModelRef]
    base: Path
    model: str | None = None
    config: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    started_at: str | None = None
    summaries: dict[str, RunSummary] = field(default_factory=dict)

    def label(self, ref: ModelRef) -> str:
        """`model:quant`, the label every command uses for a run."""
        return ref.label

    def folder(self, ref: ModelRef) -> str:
        return f"{ref.name}/{ref.quant}" if self.kind == "matrix" else str(ref.quant)

    def write_index(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.base / INDEX_FILE, RunIndex(
            kind=self.kind, runs={self.label(r): self.folder(r) for r in self.refs}, completed=list(self.summaries),
            model=self.model, config=self.config, started_at=self.started_at, settings=self.settings))


def run_many(batch: Batch, suites: list[Suite], opts: RunOptions) -> dict[str, RunSummary]:
    """Run every model of the batch on the identical plan, each into its own sub-folder, keeping
    `index.json` current; resumes like a single run."""
    if batch.started_at is None:
        from .runner import now

        earlier = batch.base / INDEX_FILE
        batch.started_at = (read_model(earlier, RunIndex).started_at if earlier.is_file() else None) or now()
    for ref in batch.refs:
        batch.write_index()
        batch.summaries[batch.label(ref)] = run_model(ref, suites, batch.base / batch.folder(ref), opts)
    batch.write_index()
    return batch.summaries

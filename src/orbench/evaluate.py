"""Evaluate one model file into one results folder; the CLI's `run` (single, ladder, matrix) uses it."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .backends import create_backend
from .catalog import Generation, ModelRef
from .errors import OrbenchError
from .perf import reset_peak_rss
from .progress import make_progress
from .results import SCHEMA_VERSION, Performance, RunSummary, prepare_output_dir, write_json_atomic
from .runner import Run, RunSpec, base_provenance
from .store import LocalModel, pull
from .suites import Suite

INDEX_FILE = "index.json"


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
    lock: dict | None = None  # label -> locked file facts (see orbench.lock)


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
    if opts.backend == "mock":
        return None
    locked = (opts.lock or {}).get(ref.label)
    local = pull(ref, revision=locked.get("revision") if locked and locked.get("source") == "hub" else None)
    if locked and local.sha256 != locked["sha256"]:
        raise OrbenchError(f"{ref.label}: the file on disk ({local.sha256[:16]}…) differs from the lock "
                           f"({locked['sha256'][:16]}…)", hint="run `orbench lock` again to accept the new file")
    return local


def run_model(ref: ModelRef, suites: list[Suite], out: Path, opts: RunOptions) -> RunSummary:
    """Pull (or check against the lock), load, run and grade; resumes if `out` holds this plan."""
    generation = generation_for(ref, opts)
    spec = RunSpec(suites=suites, generation=generation, seed=opts.seed, samples=opts.samples, limit=opts.limit,
                   output=prepare_output_dir(out))
    local = resolve_file(ref, opts)
    reset_peak_rss()
    engine = create_backend(opts.backend, **({} if local is None else dict(
        model_path=local.path, n_ctx=generation.context, n_threads=opts.threads, n_gpu_layers=opts.n_gpu_layers,
        seed=opts.seed, parallel=opts.parallel)))
    info = engine.info()
    provenance = base_provenance(ref.name, ref.quant, spec, info)
    provenance.locked = bool(opts.lock and ref.label in opts.lock)
    job = Run(engine, spec, provenance, make_progress(sys.stderr, quiet=opts.quiet, log_file=out / "run.log"),
              shard=opts.shard)
    if local is not None:
        add_file(provenance, local)
        job.performance = Performance(file_bytes=local.size, n_params=info.get("n_params"),
                                      bits_per_weight=info.get("bits_per_weight"), load_seconds=info.get("load_seconds"))
    try:
        return job.execute()
    finally:
        engine.close()


def add_file(provenance, local: LocalModel) -> None:
    provenance.file, provenance.sha256, provenance.size = str(local.path), local.sha256, local.size
    provenance.source, provenance.repo, provenance.revision = local.source, local.repo, local.revision
    provenance.derived_from = local.derived_from


def write_index(base: Path, kind: str, runs: dict[str, str], completed: list[str], **extra) -> None:
    """`index.json`: which sub-folder holds which run of a ladder or a matrix."""
    base.mkdir(parents=True, exist_ok=True)
    write_json_atomic(base / INDEX_FILE, {"schema_version": SCHEMA_VERSION, "kind": kind, "runs": runs,
                                          "completed": completed, **extra})

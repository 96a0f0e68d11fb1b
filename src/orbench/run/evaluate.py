"""Evaluate model files into results folders: one model (`run_model`), a quant ladder or a config
matrix (`run_many`), each usable from Python as the CLI uses it."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..backends import BackendInfo, create_backend
from ..store.catalog import Catalog, Generation, ModelRef, quant_from_filename
from ..errors import OrbenchError
from ..files import read_model, write_json_atomic
from ..backends.memory import reset_peak_rss
from ..grading.sandbox import Limits
from .plan import RunSpec
from .settings import RunOptions
from .progress import make_progress
from .records import INDEX_FILE, Performance, Provenance, RunIndex, RunSummary
from .folder import prepare_output_dir
from .loop import Run, base_provenance, sandbox_info
from ..store.local import LocalModel, verified_here
from ..store.pull import pull
from ..suites import Suite
from ..suites.published import load_scores
from ..units import split_csv

if TYPE_CHECKING:
    pass


def ladder_refs(catalog: Catalog, model: str | None, quant: str) -> list[ModelRef]:
    """The refs of a quant ladder: MODEL at each of the comma-separated quants."""
    if model and (":" in model or model.lower().endswith(".gguf")):
        raise OrbenchError("--quant takes a catalog model or Hub repo without ':QUANT', not a file path")
    name = (model or catalog.default_model).split(":")[0]
    quants = split_csv(quant)
    if not quants:
        raise OrbenchError("--quant needs at least one quant")
    return [catalog.resolve(f"{name}:{q}") for q in quants]


def resolve_ref(catalog: Catalog, text: str | None, opts: RunOptions) -> tuple[ModelRef, RunOptions]:
    """The model a run names, and the options to run it with. With a server (`--backend openai`), -m
    names a model the server serves, or a catalog model whose recommended settings to use; without
    -m, the server's only model."""
    if opts.backend != "openai" or opts.server is None:
        return catalog.resolve(text), opts
    from ..backends.openai import choose_model, served_models

    server = opts.server
    ids = served_models(server)
    names = {m.name.lower() for m in catalog.models}
    if text is not None and text not in ids and text.split(":")[0].lower() in names:
        ref = catalog.resolve(text)
        model = choose_model(ids, server.model, server.public_url)
    else:
        model = choose_model(ids, server.model or text, server.public_url)
        ref = served_ref(model)
    return ref, replace(opts, server=replace(server, model=model))


def served_ref(model_id: str) -> ModelRef:
    """A name and quant for what a server reports: `/models/X.Q4_K_M.gguf` -> X:Q4_K_M, `org/repo:Q8_0`
    -> org/repo:Q8_0, `qwen2.5:0.5b` as it is."""
    if model_id.lower().endswith(".gguf"):
        stem = model_id.replace("\\", "/").rsplit("/", 1)[-1][:-5]
        quant = quant_from_filename(stem + ".gguf")
        if quant and stem.upper().endswith(quant) and len(stem) > len(quant) + 1:
            stem = stem[:-len(quant) - 1]
        return ModelRef(name=stem, quant=quant)
    head, _, tail = model_id.rpartition(":")
    if head and quant_from_filename(tail + ".gguf") == tail.upper():
        return ModelRef(name=head, quant=tail.upper())
    return ModelRef(name=model_id)


def default_output(label: str) -> Path:
    """results/TIME-LABEL in the current folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("results") / f"{stamp}-{label.replace(':', '-').replace('/', '--')}"


def too_many_errors(summaries: list[RunSummary], max_error_rate: float) -> str | None:
    """Why the run cannot be trusted (more infrastructure errors than `max_error_rate`), else None."""
    samples = sum(s.samples_done for s in summaries)
    errors = sum(s.errors for s in summaries)
    if not samples or errors / samples <= max_error_rate:
        return None
    return (f"{errors} of {samples} samples failed with infrastructure errors ({errors / samples:.1%} > "
            f"{max_error_rate:.1%}); the results cannot be trusted")


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


def generation_for(ref: ModelRef, opts: RunOptions, metadata: dict[str, Any] | None = None) -> Generation:
    """The settings a run uses: the catalog's for a catalog model, else what the GGUF's metadata
    recommends (`metadata`, read once the file is on disk) over orbench's defaults; the flags last."""
    from ..store.gguf import sampling_defaults, trained_context

    base = ref.entry.generation if ref.entry else Generation()
    if ref.entry is None and metadata:
        update: dict[str, Any] = sampling_defaults(metadata)
        trained = trained_context(metadata)
        if trained is not None and trained < base.context:
            update.update(context=trained, max_tokens=min(base.max_tokens, trained // 2))
        base = base.model_copy(update=update)
    flags: dict[str, Any] = dict(temperature=opts.temperature, top_p=opts.top_p, max_tokens=opts.max_tokens,
                                 context=opts.ctx, chat_template=read_chat_template(opts.chat_template))
    overrides = {k: v for k, v in flags.items() if v is not None}
    if opts.system_prompt is not None:
        overrides["system_prompt"] = opts.system_prompt or None
    generation = base.model_copy(update=overrides)
    if generation.max_tokens >= generation.context:
        raise OrbenchError(f"--max-tokens {generation.max_tokens} does not fit in a context of "
                           f"{generation.context} tokens", hint="raise --ctx or lower --max-tokens")
    return generation


def read_chat_template(value: str | None) -> str | None:
    """--chat-template: a file holding a Jinja template, or the template itself."""
    if value is None:
        return None
    path = Path(value).expanduser()
    from ..llama import check_chat_template

    if len(value) < 4096 and "{" not in value and path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise OrbenchError(f"cannot read the chat template {path}: {exc}") from None
        check_chat_template(text, str(path))
        return text
    if "{{" not in value and "{%" not in value:
        raise OrbenchError(f"--chat-template takes a Jinja template or a file holding one, got '{value[:60]}'")
    check_chat_template(value)
    return value


def resolve_file(ref: ModelRef, opts: RunOptions) -> LocalModel | None:
    """The model file to run (None for the mock and server backends), checked against the lock when there is one."""
    if opts.backend in ("mock", "openai"):
        return None
    locked = (opts.lock or {}).get(ref.label)
    local = pull(ref, revision=locked.revision if locked and locked.source == "hub" else None)
    if locked and local.sha256 != locked.sha256:
        raise OrbenchError(f"{ref.label}: the file on disk ({local.sha256[:16]}…) differs from the lock "
                           f"({locked.sha256[:16]}…)", hint="run `orbench lock` again to accept the new file")
    return local


def run_model(ref: ModelRef, suites: list[Suite], out: Path, opts: RunOptions) -> RunSummary:
    """Pull (or check against the lock), load, run and grade; resumes if `out` holds this plan. A run
    that fails before writing any sample removes the folder it created."""
    generation = generation_for(ref, opts)  # the flags are checked before any download
    created = not out.exists()
    prepare_output_dir(out)  # before any model work starts
    try:
        return _run_model(ref, suites, out, opts, generation)
    except Exception:
        if created:
            remove_if_empty(out)
        raise


def remove_if_empty(folder: Path) -> None:
    """Delete a run folder that holds no sample: only the files a run writes first, nothing else."""
    samples = folder / "samples.jsonl"
    if samples.exists() and samples.stat().st_size:
        return
    ours = {"plan.json", "summary.json", "run.log", "samples.jsonl", ".orbench.lock"}
    try:
        if any(p.name not in ours for p in folder.iterdir()):
            return
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
    except OSError:
        pass


def _run_model(ref: ModelRef, suites: list[Suite], out: Path, opts: RunOptions, generation: Generation) -> RunSummary:
    sandbox_info(suites, Limits(isolation=opts.sandbox), 1)  # --sandbox strict refuses before any download
    load_scores()  # the published figures are read after generation: a broken file is refused before it
    local = resolve_file(ref, opts)
    if local is not None and ref.entry is None:
        from ..store.gguf import read_metadata

        generation = generation_for(ref, opts, read_metadata(local.path))
        ref = ref.model_copy(update=dict(quant=local.quant or ref.quant))
    graded = [suite.graded_as(opts.grading) for suite in suites]
    spec = RunSpec(suites=windowed(graded, opts.since, opts.until), generation=generation, options=opts, folder=out)
    reset_peak_rss()
    engine = create_backend(opts.backend, **backend_options(opts, local, generation))
    try:
        info = engine.info()
        provenance = base_provenance(ref.name, ref.quant, spec, info)
        provenance.locked = bool(opts.lock and ref.label in opts.lock)
        performance = None
        if local is not None:
            add_file(provenance, local)
            performance = Performance(file_bytes=local.size, n_params=info.n_params,
                                      bits_per_weight=info.bits_per_weight, load_seconds=info.load_seconds)
        elif info.base_url is not None:
            performance = Performance()  # speed as the server reports it (llama-server does), and machine time
        job = Run(engine, spec, provenance, shard=opts.shard, performance=performance, only=opts.items,
                  progress=make_progress(sys.stderr, quiet=opts.quiet, log_file=out / "run.log"))
        if info.base_url is not None:
            job.warnings.append(server_note(info))
        return job.execute()
    finally:
        engine.close()


def backend_options(opts: RunOptions, local: LocalModel | None, generation: Generation) -> dict[str, Any]:
    """What `create_backend` needs for this run."""
    if opts.backend == "openai":
        if opts.server is None:
            raise OrbenchError("--backend openai needs --base-url URL (e.g. http://127.0.0.1:8080/v1)")
        if generation.chat_template is not None:
            raise OrbenchError("--chat-template applies to in-process llama.cpp; a server applies its own template",
                               hint="set it on the server, e.g. llama-server --chat-template-file")
        return {"server": opts.server}
    if local is None:
        return {}
    return dict(model_path=local.path, n_ctx=generation.context, n_threads=opts.threads,
                n_gpu_layers=opts.n_gpu_layers, seed=opts.seed, parallel=opts.parallel, step_tokens=opts.step_tokens,
                chat_template=generation.chat_template)


def server_note(info: BackendInfo) -> str:
    return (f"generated by the OpenAI-compatible server at {info.base_url} (model {info.server_model}, "
            f"build {info.server_build or 'not reported'}), not by orbench's own llama.cpp; its times include the "
            "network")


def add_file(provenance: Provenance, local: LocalModel) -> None:
    provenance.file, provenance.sha256, provenance.size = str(local.path), local.sha256, local.size
    provenance.source, provenance.repo, provenance.revision = local.source, local.repo, local.revision
    provenance.derived_from, provenance.filename = local.derived_from, local.filename
    provenance.parts = [p.filename for p in local.parts]
    provenance.file_verified = verified_here(local)


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
        from .loop import now

        earlier = batch.base / INDEX_FILE
        batch.started_at = (read_model(earlier, RunIndex).started_at if earlier.is_file() else None) or now()
    for ref in batch.refs:
        batch.write_index()
        batch.summaries[batch.label(ref)] = run_model(ref, suites, batch.base / batch.folder(ref), opts)
    batch.write_index()
    return batch.summaries

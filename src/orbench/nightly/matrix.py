"""A config matrix run (`orbench run --config orbench.toml`): every model and quant of the config
on the same suites, into a new dated night folder (see `nights.py`), then the gate against the
config's baseline, which sets the exit code; then the history across nights and retention.

Command-line settings override the config's keys of the same name; the overrides are recorded in
each run's plan.json and summary.json."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..store.catalog import load_catalog
from .config import Config, RunSection, load_config
from ..errors import EXIT_INFRA, EXIT_OK, OrbenchError
from ..run.evaluate import Batch, run_many, too_many_errors
from ..run.folder import prepare_output_dir
from ..run.settings import CONFIG_KEYS, PLAN_KEYS, RunOptions
from .findings import GateResult
from .gate import GATE_FILE, run_gate
from ..store.lock import LockFile, read_lock, write_lock
from ..run.records import RunSummary
from ..suites import parse_suites



@dataclass
class MatrixResult:
    folder: Path
    summaries: dict[str, RunSummary]
    gate: GateResult | None
    exit_code: int
    resumed: bool = False
    baseline: Path | None = None
    notes: list[str] = field(default_factory=list)
    history: Path | None = None
    removed: list[Path] = field(default_factory=list)


def apply_overrides(config: Config, overrides: dict[str, Any]) -> dict[str, Any]:
    """Put command-line settings over the config's [run] keys; returns those that changed something."""
    unknown = set(overrides) - set(CONFIG_KEYS)
    if unknown:
        raise OrbenchError(f"cannot override {', '.join(sorted(unknown))} from the command line with --config",
                           hint="edit the config instead")
    current = config.run.model_dump()
    changed = {k: v for k, v in overrides.items() if current.get(k) != v}
    if changed:
        config.run = RunSection.model_validate({**current, **changed})
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in changed.items()}


def run_config(path: Path, base_options: RunOptions | None = None, output: Path | None = None,
               overrides: dict[str, Any] | None = None) -> MatrixResult:
    """Run the matrix of the config at `path` into a new night folder under its output (or `output`),
    gate it, record the night's outcome, update the history and prune old nights."""
    from . import history, nights

    config = load_config(path)
    changed = apply_overrides(config, dict(overrides or {}, **({"output": output} if output else {})))
    opts = options_for(config, base_options or RunOptions(), changed)
    base = config.run.output
    catalog = load_catalog()
    refs = [catalog.resolve(f"{m.name}:{q}") for m in config.models for q in m.quants]
    settings = _settings(config, refs, opts)
    night, earlier = nights.open_night(base, settings)
    prepare_output_dir(night)  # an output that is a file, or not writable: one line before any model work
    batch = Batch("matrix", refs, night, config=str(path), settings=settings,
                  started_at=earlier.started_at if earlier else None)
    g = config.gate
    summaries, baseline, why = _run_night(batch, config, opts, night)
    notes = [why] if why else []
    gate = None
    if baseline is not None:
        gate = run_gate(night, baseline, g.fail_on, g.alpha, g.max_error_rate, night / "junit.xml",
                        night / "summary.md", fail_underpowered=g.fail_underpowered, nights=g.nights,
                        json_file=night / GATE_FILE)
        code = gate.exit_code
    else:
        too_many = too_many_errors(list(summaries.values()), g.max_error_rate)
        code = EXIT_INFRA if too_many else EXIT_OK
        if too_many:
            notes.append(too_many)
        _write_ungated(night, why or "no baseline to gate against")
    nights.finish_night(night, code)
    removed: list[Path] = []
    history_md = None
    try:  # the night's outcome is recorded: housekeeping must not change its exit code
        removed = nights.prune(base, config.run.keep, protect=[night, baseline])
        history_md, _ = history.write_history(base)
    except (OrbenchError, OSError) as exc:
        notes.append(f"history or retention failed: {exc}")
    return MatrixResult(night, summaries, gate, code, resumed=earlier is not None, baseline=baseline, notes=notes,
                        history=history_md, removed=removed)


def _run_night(batch: Batch, config: Config, opts: RunOptions, night: Path) -> tuple[dict[str, RunSummary],
                                                                                   Path | None, str | None]:
    """Every run of the night (in rounds until the gate is decided, with until_decided), and the baseline."""
    from .nights import resolve_baseline

    suites, g = parse_suites(config.run.suites), config.gate
    if not opts.until_decided:
        summaries = run_many(batch, suites, opts)
        return (summaries, *resolve_baseline(config.run.output, g.baseline, tonight=night))
    from ..quant.family import night_alpha
    from .findings import parse_rule
    from .rounds import run_rounds

    baseline, why = resolve_baseline(config.run.output, g.baseline, tonight=night)
    if baseline is None:
        return run_many(batch, suites, opts), None, f"{why}; until_decided: nothing to decide against, the whole pool ran"
    summaries, record = run_rounds(batch, suites, opts, baseline, [parse_rule(r) for r in g.fail_on],
                                   night_alpha(g.alpha, g.nights))
    return summaries, baseline, None if record else "until_decided: no accuracy rule or nothing shared with the " \
        "baseline to decide; the whole pool ran"


def _write_ungated(night: Path, reason: str) -> None:
    """junit.xml (one skipped case) and summary.md of a night with no gate: CI always finds them."""
    from .gate_report import ungated_junit, ungated_markdown

    try:
        (night / "junit.xml").write_text(ungated_junit(reason), encoding="utf-8")
        (night / "summary.md").write_text(ungated_markdown(reason), encoding="utf-8")
    except OSError as exc:
        raise OrbenchError(f"cannot write the gate's report: {exc.filename}: {exc.strerror}") from None


def _settings(config: Config, refs: list[Any], opts: RunOptions) -> dict[str, Any]:
    run = config.run.model_dump(mode="json")
    return {"models": [r.label for r in refs], **{k: run[k] for k in PLAN_KEYS}, "backend": opts.backend,
            "shard": list(opts.shard)}


def options_for(config: Config, cli: RunOptions, overrides: dict[str, Any] | None = None) -> RunOptions:
    """The run options of a config: its [run] section (with any command-line overrides applied), the
    lock beside it; the CLI's backend, quiet and shard."""
    run = {k: v for k, v in config.run.model_dump().items() if k not in ("suites", "output", "keep")}
    lock = read_lock(config.lock_path)
    return replace(cli, **run, lock=lock.files if lock else None, overrides=dict(overrides or {}))


def lock_config(path: Path) -> tuple[Path, LockFile]:
    """Pin every model and quant of the config at `path`; writes orbench.lock beside it."""
    from ..store.pull import lock_facts

    config = load_config(path)
    catalog = load_catalog()
    files = {}
    for model in config.models:
        for quant in model.quants:
            ref = catalog.resolve(f"{model.name}:{quant}")
            files[ref.label] = lock_facts(ref)
    return config.lock_path, write_lock(config.lock_path, path.name, files)

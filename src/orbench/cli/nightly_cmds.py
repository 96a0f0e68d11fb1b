"""Commands for unattended runs: `init`, `lock`, `merge`, `schema`."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import typer

from ..catalog import load_catalog
from ..config import EXAMPLE, load_config
from ..errors import OrbenchError
from ..merge import merge_shards
from ..results import SCHEMA_VERSION, RunSummary, write_json_atomic
from ..store import lock_facts
from .common import JsonOpt, handled, print_json


@handled
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path("orbench.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Write a commented example orbench.toml.

    Examples:

        orbench init

        orbench init nightly/orbench.toml
    """
    if path.exists() and not force:
        raise OrbenchError(f"{path} already exists", hint="pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(EXAMPLE, encoding="utf-8")
    if json_out:
        print_json({"config": str(path)})
        return
    print(f"wrote {path}; run it with: orbench run --config {path}")


@handled
def lock(
    config: Annotated[Path, typer.Option("--config", "-c", help="The orbench.toml whose models to pin.")] = Path("orbench.toml"),
    json_out: JsonOpt = False,
) -> None:
    """Pin every model and quant of a config to an exact Hub revision and file sha256 (orbench.lock
    beside the config). Runs with a lock file use exactly those files and stop if one differs.

    Examples:

        orbench lock --config orbench.toml
    """
    cfg = load_config(config)
    catalog = load_catalog()
    files = {}
    for model in cfg.models:
        for quant in model.quants:
            ref = catalog.resolve(f"{model.name}:{quant}")
            files[ref.label] = lock_facts(ref)
    data = {"schema_version": SCHEMA_VERSION, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": config.name, "files": files}
    write_json_atomic(cfg.lock_path, data)
    if json_out:
        print_json(data)
        return
    for label, facts in files.items():
        print(f"{label}: {facts['source']} {facts.get('repo') or ''}@{facts.get('revision')} sha256 {facts['sha256']}")
    print(f"wrote {cfg.lock_path}")


@handled
def merge(
    output: Annotated[Path, typer.Argument(help="Folder for the merged result.")],
    shards: Annotated[list[Path], typer.Argument(help="The shard folders (from `orbench run --shard I/N`).")],
    json_out: JsonOpt = False,
) -> None:
    """Combine shard folders into one result; refuses mismatched plans or provenance, duplicate
    samples and missing samples.

    Examples:

        orbench merge results/full results/part1 results/part2
    """
    summary = merge_shards(output, shards)
    if json_out:
        print_json(summary.model_dump(mode="json"))
        return
    print(f"merged {len(shards)} shards: {summary.samples_done} samples -> {output}")


@handled
def schema() -> None:
    """Print the JSON Schema of summary.json.

    Examples:

        orbench schema > summary.schema.json
    """
    print(json.dumps(RunSummary.model_json_schema(), indent=2))

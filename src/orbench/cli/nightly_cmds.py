"""Commands for unattended runs: `init`, `lock`, `merge`, `schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt


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
    from ..nightly.config import write_example

    write_example(path, force)
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
    from ..nightly.matrix import lock_config

    path, data = lock_config(config)
    if json_out:
        print_json(data.model_dump(mode="json"))
        return
    for label, facts in data.files.items():
        print(f"{label}: {facts.source} {facts.repo or ''}@{facts.revision} sha256 {facts.sha256}")
    print(f"wrote {path}")


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
    from ..run.merge import merge_shards

    summary = merge_shards(output, shards)
    if json_out:
        print_json(summary.model_dump(mode="json"))
        return
    print(f"merged {len(shards)} shards: {summary.samples_done} samples -> {output}")


@handled
def schema(
    name: Annotated[Optional[str], typer.Argument(help="Which file: summary (default), sample, plan, index, lock, "
                                                       "kld, backend-info, item, baseline.")] = None,
) -> None:
    """Print the JSON Schema of one of orbench's files (default: summary.json).

    Examples:

        orbench schema > summary.schema.json

        orbench schema plan
    """
    from .schemas import schema_of

    print(json.dumps(schema_of(name or "summary"), indent=2))

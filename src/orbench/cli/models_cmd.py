"""`orbench models`: the catalog and what is already on disk, or the quants of any Hub GGUF repo."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import JsonOpt


@handled
def models(
    hub: Annotated[Optional[str], typer.Option(help="List the GGUF quants of this Hub repo (org/repo or hf.co/org/repo) with their sizes.")] = None,
    revision: Annotated[str, typer.Option(help="With --hub: the branch, tag or commit to list.")] = "main",
    prune: Annotated[bool, typer.Option("--prune", help="Forget files that are gone from disk and delete half-written downloads.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """List the model catalog and the model files already on disk, or with --hub the quants a Hub repo
    offers (each runs as `orbench run -m org/repo:QUANT`).

    Examples:

        orbench models

        orbench models --json | jq '.local[].path'

        orbench models --hub unsloth/gemma-3-270m-it-GGUF

        orbench models --prune
    """
    if prune:
        from ..store.remove import prune as prune_cache

        gone = prune_cache()
        if json_out:
            print_json({"pruned": [str(p) for p in gone]})
            return
        print("\n".join(f"pruned {p}" for p in gone) or "nothing to prune")
        return
    if hub is not None:
        _hub_models(hub, revision, json_out)
        return
    from ..store.catalog import load_catalog
    from ..store.local import list_local
    from ..units import human_size

    catalog = load_catalog()
    local = list_local()
    if json_out:
        print_json({
            "default_model": catalog.default_model, "embedded_model": catalog.embedded_model,
            "models": [m.model_dump(mode="json") for m in catalog.models],
            "local": [m.model_dump(mode="json") for m in local],
        })
        return
    from rich.table import Table

    table = Table(title="Catalog", title_justify="left")
    for col in ("model", "params", "default", "quants", "repo"):
        table.add_column(col)
    for m in catalog.models:
        mark = " (default)" if catalog.default_model.startswith(m.name + ":") else ""
        mark += " (embedded)" if catalog.embedded_model.startswith(m.name + ":") else ""
        table.add_row(m.name + mark, m.parameters, m.default_quant, " ".join(m.quants), m.repo)
    out = console()
    out.print(table)
    disk = Table(title="On disk", title_justify="left")
    for col in ("model", "quant", "size", "sha256", "source", "path"):
        disk.add_column(col)
    for lm in local:
        disk.add_row(lm.name, lm.quant or "-", human_size(lm.size), lm.sha256[:12], lm.source, str(lm.path))
    out.print(disk if local else "On disk: nothing pulled yet (try: orbench pull smollm2-135m)")


def _hub_models(name: str, revision: str, json_out: bool) -> None:
    from ..store.catalog import hub_ref
    from ..errors import OrbenchError
    from ..store.hub_repos import list_repo
    from ..hub import HubUnreachable
    from ..units import human_size

    ref = hub_ref(name)
    if ref is None or ref.repo is None:
        raise OrbenchError(f"--hub takes a Hub repo as org/repo, got '{name}'")
    try:
        listing = list_repo(ref.repo, revision)
    except HubUnreachable as exc:
        raise OrbenchError(f"cannot reach the Hugging Face Hub ({exc})") from None
    runs = {m.name: f"{listing.repo}:{m.quant if _unique(listing.models, m.quant) else m.name}" for m in listing.models}
    if json_out:
        print_json({"repo": listing.repo, "revision": listing.revision, "quants": [
            {"quant": m.quant, "file": m.name, "parts": [p.name for p in m.parts], "size": m.size,
             "complete": m.complete, "model": runs[m.name]} for m in listing.models]})
        return
    from rich.table import Table

    table = Table(title=f"{listing.repo} at {listing.revision[:12]}", title_justify="left")
    for col in ("quant", "size", "parts", "file", "run it as"):
        table.add_column(col)
    for m in listing.models:
        parts = f"{len(m.parts)}" + ("" if m.complete else f" of {m.expected_parts} (incomplete)")
        table.add_row(m.quant or "?", human_size(m.size), parts, m.name, f"-m {runs[m.name]}")
    console().print(table if listing.models else f"{listing.repo} has no GGUF files")


def _unique(models: tuple, quant: str | None) -> bool:
    return quant is not None and sum(m.quant == quant for m in models) == 1


@handled
def rm(
    model: Annotated[str, typer.Argument(help="MODEL (every quant on disk) or MODEL:QUANT, as `orbench models` lists them.")],
    json_out: JsonOpt = False,
) -> None:
    """Delete a model's files from the cache: only what orbench pulled (Hub, PyPI mirror) or made
    (`orbench quantize`); a GGUF of your own is only forgotten, never deleted.

    Examples:

        orbench rm deepseek-r1-distill-qwen-1.5b:Q4_K_M

        orbench rm smollm2-135m
    """
    from ..store.remove import remove_model
    from ..units import human_size

    removed = remove_model(model)
    if json_out:
        print_json({"removed": [{"model": r.label, "path": str(r.path), "size": r.size, "deleted": r.deleted}
                                for r in removed]})
        return
    for r in removed:
        what = f"deleted {human_size(r.size)}" if r.deleted else "forgotten (your own file, kept on disk)"
        print(f"{r.label}: {r.path} {what}")

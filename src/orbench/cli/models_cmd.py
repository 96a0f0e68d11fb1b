"""`orbench models`: the catalog and what is already on disk."""

from __future__ import annotations

from ..catalog import load_catalog
from ..store import list_local
from .common import JsonOpt, console, handled, human_size, print_json


@handled
def models(json_out: JsonOpt = False) -> None:
    """List the model catalog and the model files already on disk.

    Examples:

        orbench models

        orbench models --json | jq '.local[].path'
    """
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
    for m in local:
        disk.add_row(m.name, m.quant or "-", human_size(m.size), m.sha256[:12], m.source, str(m.path))
    out.print(disk if local else "On disk: nothing pulled yet (try: orbench pull smollm2-135m)")

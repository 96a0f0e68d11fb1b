"""`orbench models`: the catalog and what is already on disk."""

from __future__ import annotations

from .common import console, handled, print_json
from .options import JsonOpt


@handled
def models(json_out: JsonOpt = False) -> None:
    """List the model catalog and the model files already on disk.

    Examples:

        orbench models

        orbench models --json | jq '.local[].path'
    """
    from ..catalog import load_catalog
    from ..store import list_local
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

"""Commands for the nights of a config: `history` and `baseline set` / `baseline show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import console, handled, print_json
from .options import JsonOpt

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="The orbench.toml whose output folder holds the nights.")]
DirOpt = Annotated[Optional[Path], typer.Option("--dir", help="The nights folder itself (instead of the config's output).")]


def _base(config: Path, folder: Optional[Path]) -> Path:
    if folder is not None:
        return folder
    from ..nightly.config import load_config

    return load_config(config).run.output


@handled
def history(
    folder: Annotated[Optional[Path], typer.Argument(help="The nights folder; the same as --dir.", show_default=False)] = None,
    config: ConfigOpt = Path("orbench.toml"),
    dir: DirOpt = None,
    last: Annotated[Optional[int], typer.Option(help="Only the newest N nights.", min=1)] = None,
    json_out: JsonOpt = False,
) -> None:
    """Per night, model and suite: accuracy (95% CI), generation tokens/s, the night's outcome and
    the model file's sha256 (marked where it changed); also writes history.md and history.html (a
    chart per suite) into the nights folder.

    Examples:

        orbench history

        orbench history --dir results/nightly --last 14 --json
    """
    from ..errors import OrbenchError
    from ..nightly.history import collect, table_rows, write_history, HEADER

    if folder is not None and dir is not None and folder != dir:
        raise OrbenchError("give the nights folder once: as --dir DIR (or as the argument)")
    base = _base(config, dir or folder)
    rows = collect(base, last)
    md_path, html_path = write_history(base, last)
    if json_out:
        print_json({"folder": str(base), "markdown": str(md_path), "html": str(html_path),
                    "rows": [r.model_dump(mode="json") for r in rows]})
        return
    from rich.table import Table

    table = Table(title=f"History of {base}", title_justify="left")
    for col in HEADER:
        table.add_column(col)
    for cells in table_rows(rows):
        table.add_row(*cells)
    console().print(table)
    print(f"chart: {html_path}")


baseline_app = typer.Typer(help="Pin the run every later night is gated against (`[gate] baseline = \"pinned\"`).",
                           no_args_is_help=True)


@baseline_app.command("set")
@handled
def baseline_set(
    run: Annotated[str, typer.Argument(help="A night's name or folder, any results folder, latest, or latest-passing.")],
    config: ConfigOpt = Path("orbench.toml"),
    folder: DirOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Pin a run as the baseline (written to baseline.json in the nights folder).

    Examples:

        orbench baseline set latest-passing

        orbench baseline set 20261128-023000 --config nightly/orbench.toml
    """
    from ..nightly.nights import set_baseline

    base = _base(config, folder)
    target = set_baseline(base, run)
    if json_out:
        print_json({"folder": str(base), "baseline": str(target)})
        return
    print(f"baseline of {base}: {target}")


@baseline_app.command("show")
@handled
def baseline_show(config: ConfigOpt = Path("orbench.toml"), folder: DirOpt = None, json_out: JsonOpt = False) -> None:
    """Print the pinned baseline, the newest night and the newest passing night.

    Examples:

        orbench baseline show --json
    """
    from ..nightly.nights import latest, read_baseline

    base = _base(config, folder)
    found = {"pinned": read_baseline(base), "latest": latest(base, passing=False),
             "latest-passing": latest(base, passing=True)}
    if json_out:
        print_json({"folder": str(base), **{k: None if v is None else str(v) for k, v in found.items()}})
        return
    for key, value in found.items():
        print(f"{key}: {value or '-'}")

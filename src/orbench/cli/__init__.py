"""The `orbench` command: one typer app, one small module per command.

Command modules import only typer and the standard library at import time; each command imports
the library it calls when it runs, so `orbench --help` stays quick.

May import: every package (it is the top of the map: parse, call one library function, print).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import (bench_cmd, check_cmd, check_suite_cmd, compare_cmd, history_cmds, kld_cmd, models_cmd, nightly_cmds,
               plan_cmd, pull_cmd, quantize_cmd, regrade_cmd, report_cmd, run_cmd, suites_cmd, view_cmd)
from .common import setup_logging
from .helpfmt import plain_flags_untyped

plain_flags_untyped()

app = typer.Typer(
    name="orbench",
    help="How good is a small open-weight model on this machine? Pull GGUF models, run math, code and "
    "reasoning suites through llama.cpp, grade them.\n\n"
    "Quick start (works offline): orbench run --model smollm2-135m --limit 5",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"orbench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show debug messages.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    setup_logging(verbose)


app.command("models")(models_cmd.models)
app.command("pull")(pull_cmd.pull)
app.command("rm")(models_cmd.rm)
app.command("suites")(suites_cmd.suites)
app.command("check-suite")(check_suite_cmd.check_suite)
app.command("run")(run_cmd.run)
app.command("plan")(plan_cmd.plan)
app.command("quantize")(quantize_cmd.quantize)
app.command("compare")(compare_cmd.compare)
app.command("kld")(kld_cmd.kld)
app.command("report")(report_cmd.report)
app.command("view")(view_cmd.view)
app.command("regrade")(regrade_cmd.regrade)
app.command("check")(check_cmd.check)
app.command("init")(nightly_cmds.init)
app.command("lock")(nightly_cmds.lock)
app.command("merge")(nightly_cmds.merge)
app.command("schema")(nightly_cmds.schema)
app.command("history")(history_cmds.history)
app.add_typer(history_cmds.baseline_app, name="baseline")
app.command("bench")(bench_cmd.bench)


def main() -> None:
    app()

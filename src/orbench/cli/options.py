"""Options that several commands share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..run.settings import GPU_LAYERS_HELP, SEED_HELP, THREADS_HELP

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
SeedOpt = Annotated[int, typer.Option(help=SEED_HELP)]  # the same settings as `orbench run`'s (run/settings.py)
ThreadsOpt = Annotated[Optional[int], typer.Option(help=THREADS_HELP, min=1)]
GpuLayersOpt = Annotated[int, typer.Option(help=GPU_LAYERS_HELP)]
AlphaOpt = Annotated[float, typer.Option(help="Significance level for a drop in accuracy (between 0 and 1, both "
                                              "excluded).", min=0.0, max=1.0)]
ReferenceOpt = Annotated[Optional[str], typer.Option(help="The reference: MODEL:QUANT or QUANT (default: the "
                                                           "highest-precision file not derived from another quant).")]
MarginOpt = Annotated[float, typer.Option(help="Non-inferiority margin in accuracy points: 'not worse' means the 95% "
                                               "interval of the difference stays above -MARGIN.", min=0.1, max=100.0)]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write the results.")]

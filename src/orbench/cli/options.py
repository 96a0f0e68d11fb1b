"""Options that several commands share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
SeedOpt = Annotated[int, typer.Option(help="Seed for everything random the command does (item subsets, sampling, "
                                           "generated suites, bootstrap); recorded in the results.")]
ThreadsOpt = Annotated[Optional[int], typer.Option(help="CPU threads (default: all cores).", min=1)]
GpuLayersOpt = Annotated[int, typer.Option(help="Layers to offload to the GPU; -1 offloads all.")]
AlphaOpt = Annotated[float, typer.Option(help="Significance level for a drop in accuracy.", min=0.0, max=1.0)]
ReferenceOpt = Annotated[Optional[str], typer.Option(help="The reference: MODEL:QUANT or QUANT (default: the "
                                                           "highest-precision file not derived from another quant).")]
MarginOpt = Annotated[float, typer.Option(help="Non-inferiority margin in accuracy points: 'not worse' means the 95% "
                                               "interval of the difference stays above -MARGIN.", min=0.1, max=100.0)]
OutputOpt = Annotated[Optional[Path], typer.Option("--output", "-o", help="Where to write the results.")]

"""`orbench quantize`: derive quant files locally with llama.cpp's quantizer."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt, ThreadsOpt


@handled
def quantize(
    model: Annotated[str, typer.Argument(help="Catalog model name (without :QUANT).")],
    source: Annotated[str, typer.Option("--from", help="The quant to start from (pulled if missing).")],
    to: Annotated[str, typer.Option("--to", help="Comma-separated target quants, e.g. Q2_K,Q4_0,Q8_0.")],
    allow_requantize: Annotated[bool, typer.Option("--allow-requantize", help="Allow starting from an already quantized file (loses more than starting from F16).")] = False,
    dir: Annotated[Optional[Path], typer.Option("--dir", help="Folder for the new files (default: beside the source).")] = None,
    threads: ThreadsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Derive other quant levels of a model from one of its files; each is labelled with its source.

    A derived file is registered under MODEL:QUANT, so `orbench run --quant` and `orbench kld` use it;
    its results say `derived_from` with the source's quant and sha256.

    Examples:

        orbench quantize smollm2-135m --from Q4_1 --to Q8_0,Q4_0,Q2_K --allow-requantize

        orbench quantize qwen2.5-0.5b-instruct --from F16 --to Q4_K_M,Q8_0
    """
    from ..store.catalog import load_catalog
    from ..errors import OrbenchError
    from ..store.quantize import derive
    from ..store.pull import pull
    from ..units import Eta, human_size, split_csv

    if ":" in model:
        raise OrbenchError("give the model name without ':QUANT'; the source quant goes in --from")
    targets = split_csv(to)
    if not targets:
        raise OrbenchError("--to needs at least one quant")
    if dir is not None:
        from ..files import writable_dir

        writable_dir(dir, "quantize's output folder")  # before the source is pulled
    src = pull(load_catalog().resolve(f"{model}:{source}"))
    made = []
    eta = Eta("quantize", len(targets), "files", every=0.0)
    for quant in targets:
        print(f"quantizing {src.name}:{src.quant} ({human_size(src.size)}) to {quant} ...", file=sys.stderr, flush=True)
        made.append(derive(src, quant, allow_requantize=allow_requantize, out_dir=dir, threads=threads))
        print(eta.tick(), file=sys.stderr, flush=True)
    if json_out:
        print_json([m.model_dump(mode="json") for m in made])
        return
    for m in made:
        print(f"{m.name}:{m.quant}  {human_size(m.size)}  {m.path}\n  derived from {m.derived_from}")

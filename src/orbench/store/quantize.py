"""Derive quant files locally with llama.cpp's quantizer, labelled with their source.

Requantizing an already quantized file loses more than quantizing from F16/BF16/F32, so it
happens only when asked (`allow_requantize`), and every derived file is recorded with the name,
quant and sha256 of the file it came from.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import OrbenchError
from ..files import sha256_file, writable_dir
from .local import LocalModel, check_gguf, register_local

FULL_PRECISION = {"F32", "F16", "BF16"}


def derived_label(source: LocalModel) -> str:
    return f"{source.name}:{source.quant} (sha256 {source.sha256})"


def derive(source: LocalModel, quant: str, allow_requantize: bool = False, out_dir: Path | None = None,
           threads: int | None = None) -> LocalModel:
    """Write `source` quantized to `quant` beside it (or in `out_dir`) and register it."""
    from .. import llama

    quant = quant.upper()
    if source.quant and source.quant.upper() == quant:
        raise OrbenchError(f"{source.name} is already {quant}")
    if (source.quant or "").upper() not in FULL_PRECISION and not allow_requantize:
        raise OrbenchError(f"{source.name}:{source.quant} is already quantized; requantizing it loses more "
                           "than quantizing from F16", hint="pass --allow-requantize to do it anyway")
    llama.ftype_for(quant)  # an unknown quant fails before any file is written
    folder = writable_dir(out_dir or source.path.parent, "quantize's output folder")
    stem = source.path.name[:-5] if source.path.name.endswith(".gguf") else source.path.name
    for sep in ".-":  # drop the source's quant from the name: Model.Q4_1 -> Model.Q8_0-from-Q4_1
        stem = stem.replace(f"{sep}{source.quant}", "")
    target = folder / f"{stem}.{quant}-from-{source.quant}.gguf"
    part = target.with_suffix(".gguf.part")
    status = llama.quantize(source.path, part, quant, allow_requantize, threads)
    if status != 0:
        written = part.stat().st_size if part.exists() else 0
        part.unlink(missing_ok=True)
        free = shutil.disk_usage(folder).free  # llama.cpp says only "failed": a full disk is named here
        full = f"; disk full: {free} bytes free in {folder}" if free < max(written, 1 << 20) else ""
        raise OrbenchError(f"llama.cpp failed to quantize {source.path.name} to {quant} (status {status}){full}")
    os.replace(part, target)
    check_gguf(target)
    model = LocalModel(
        name=source.name, quant=quant, path=target, sha256=sha256_file(target), size=target.stat().st_size,
        source="local", filename=target.name, derived_from=derived_label(source),
    )
    return register_local(model)

"""Removing model files from the cache: `orbench rm MODEL[:QUANT]` and `orbench models --prune`.

Only what orbench pulled or made is deleted: files downloaded from the Hub or copied from the PyPI
mirror by `orbench pull`, and quants derived by `orbench quantize`. A file of one's own that was
only recorded (a GGUF given by path) keeps its bytes; just its index entry goes. Pruning drops
index entries whose files are gone and half-written downloads (`*.part`) in orbench's cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import OrbenchError
from ..hub import discard
from ..paths import cache_root
from ..units import did_you_mean
from .local import LocalModel


@dataclass(frozen=True)
class Removed:
    label: str
    path: Path
    size: int
    deleted: bool  # False: a file of the user's own, only forgotten


def made_by_orbench(model: LocalModel) -> bool:
    return model.source in ("hub", "pypi") or model.derived_from is not None


def _entries() -> list[tuple[Path, LocalModel]]:
    out = []
    for index in sorted((cache_root() / "index").glob("*/*.json")):
        try:
            out.append((index, LocalModel.model_validate_json(index.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return out


def _label(model: LocalModel) -> str:
    return f"{model.name}:{model.quant}" if model.quant else model.name


def remove_model(text: str) -> list[Removed]:
    """Delete MODEL (every quant on disk) or MODEL:QUANT from the cache; an error when none is there."""
    name, _, quant = text.strip().partition(":")
    entries = _entries()
    hits = [(index, m) for index, m in entries if m.name.lower() == name.lower()
            and (not quant or (m.quant or "").upper() == quant.upper() or index.stem == quant)]
    if not hits:
        on_disk = sorted({_label(m) for _, m in entries if m.on_disk()})
        hint = did_you_mean(text, on_disk) + ("on disk: " + ", ".join(on_disk) if on_disk else "nothing is on disk")
        raise OrbenchError(f"no file of '{text}' in orbench's cache", hint=hint)
    removed: dict[Path, Removed] = {}
    for index, model in hits:
        if model.path not in removed:
            owned = made_by_orbench(model)
            size = model.size if model.path.is_file() else 0
            if owned:
                for path in model.files():
                    discard(path)
            removed[model.path] = Removed(_label(model), model.path, size, owned)
        index.unlink(missing_ok=True)
    return list(removed.values())


def prune() -> list[Path]:
    """Drop index entries whose files are gone, and leftover `*.part` files in orbench's cache."""
    gone = []
    for index, model in _entries():
        if not model.on_disk():
            index.unlink(missing_ok=True)
            gone.append(index)
    for part in sorted((cache_root() / "models").glob("**/*.part")):
        part.unlink(missing_ok=True)
        gone.append(part)
    return gone

"""Model files on disk: what a pulled or local file is (`LocalModel`), the GGUF check, and the small
index under orbench's cache that lets later runs find a verified file without the network. A file
whose bytes changed since it was verified is hashed again, and dropped when it no longer matches."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..errors import OrbenchError
from ..files import sha256_file, write_atomic
from ..hub import discard, hub_cache
from ..paths import cache_root
from .catalog import ModelRef

log = logging.getLogger(__name__)


class FilePart(BaseModel):
    """One part of a split GGUF (`-00001-of-0000N`), as downloaded and checked."""

    filename: str
    path: Path
    sha256: str
    size: int


class LocalModel(BaseModel):
    """A model file on disk and where it came from. A split model is loaded from `path`, its first part;
    `parts` lists every part, and `sha256` and `size` are those of the parts concatenated."""

    name: str
    quant: str | None
    path: Path
    sha256: str
    size: int
    source: Literal["hub", "pypi", "local"]
    repo: str | None = None
    revision: str | None = None
    filename: str | None = None
    derived_from: str | None = None
    parts: list[FilePart] = []
    verified_stat: list[tuple[int, int]] | None = Field(
        default=None, description="(size, mtime in ns) of each file when its sha256 was last checked")

    def files(self) -> list[Path]:
        return [p.path for p in self.parts] or [self.path]

    def on_disk(self) -> bool:
        """Every file still there at its recorded size."""
        files = [(p.path, p.size) for p in self.parts] or [(self.path, self.size)]
        return all(path.is_file() and path.stat().st_size == size for path, size in files)

    def stat_now(self) -> list[tuple[int, int]]:
        return [(st.st_size, st.st_mtime_ns) for st in (p.stat() for p in self.files())]

    def changed_since_verified(self) -> bool:
        """True if a file's size or modification time differs from when its sha256 was checked."""
        return self.verified_stat != self.stat_now()

    def rehash(self) -> str:
        """The sha256 of the file (of all parts in order, for a split model), computed now."""
        digest = hashlib.sha256()
        for path in self.files():
            sha256_file(path, digest)
        return digest.hexdigest()


def check_gguf(path: Path, expected_size: int | None = None) -> None:
    """Fail with a clear message if `path` is not a complete GGUF file (header parsed, every declared
    tensor inside the file; see gguf_meta.check_structure)."""
    from .gguf import check_structure

    check_structure(path)
    if expected_size is not None and path.stat().st_size != expected_size:
        raise OrbenchError(f"truncated GGUF file: {path} has {path.stat().st_size} bytes, expected {expected_size}")


# ---------------------------------------------------------------- index of pulled files


def _index_file(name: str, quant: str) -> Path:
    return cache_root() / "index" / name.replace("/", "--") / f"{quant.replace('/', '--')}.json"


def _index_key(ref: ModelRef) -> str:
    """What a ref is recorded under: its quant, or for a Hub name the file named after the colon, or
    'default' for a Hub name without a tag (llama.cpp's default choice, made when it was pulled)."""
    if ref.repo is not None and ref.tag and ref.tag.lower().endswith(".gguf"):
        return ref.tag
    return ref.quant or "default"


_VERIFIED: set[tuple[str, str]] = set()  # (path, sha256) of the files whose sha256 this process computed


def verified_here(model: LocalModel) -> bool:
    """True if this process computed the file's sha256 (pulled, re-hashed, or given by path)."""
    return (str(model.path), model.sha256) in _VERIFIED


def _record(model: LocalModel, key: str | None = None) -> LocalModel:
    """Write the index entry of a file just verified (its sha256 checked now): with its size and time."""
    model.verified_stat = model.stat_now()
    _VERIFIED.add((str(model.path), model.sha256))
    target = _index_file(model.name, key or model.quant or "default")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, (model.model_dump_json(indent=2),))
    return model


def local_file(name: str, quant: str | None, path: Path) -> LocalModel:
    """A model file given by path, hashed now."""
    model = LocalModel(name=name, quant=quant, path=path, sha256=sha256_file(path), size=path.stat().st_size,
                       source="local", filename=path.name)
    _VERIFIED.add((str(path), model.sha256))
    return model


def find_local(ref: ModelRef, verify: bool = False) -> LocalModel | None:
    """The file for `ref` if it is already on disk and still the file that was verified (no network).
    Its sha256 is computed again when its size or modification time changed since it was checked,
    or always with `verify`; a file that no longer matches is dropped (deleted from the Hub cache or
    orbench's own cache, so the next pull fetches it again) and None is returned."""
    if ref.path is not None:
        return local_file(ref.name, ref.quant, ref.path)
    index = _index_file(ref.name, _index_key(ref))
    if not index.is_file():
        return None
    try:
        model = LocalModel.model_validate_json(index.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if not model.on_disk():
        return None
    if verify or model.changed_since_verified():
        actual = model.rehash()
        if actual != model.sha256:
            _forget_changed(ref, model, actual, index)
            return None
        _record(model, _index_key(ref))
    return model


def _forget_changed(ref: ModelRef, model: LocalModel, actual: str, index: Path) -> None:
    """A recorded file whose bytes changed: forget it; delete it unless it is a user's own file."""
    log.warning("%s: %s changed on disk since it was verified (sha256 %s…, expected %s…); it will be fetched again",
                ref.label, model.path, actual[:16], model.sha256[:16])
    if model.source == "local":
        raise OrbenchError(f"{ref.label}: {model.path} changed since it was made (sha256 {actual[:16]}…, recorded "
                           f"{model.sha256[:16]}…)", hint="make it again with `orbench quantize`")
    for path in model.files():
        if owned(path):
            discard(path)
        else:
            log.warning("%s: %s is outside orbench's cache and the Hub cache, so it is not deleted; only its index "
                        "entry is dropped", ref.label, path)
    index.unlink(missing_ok=True)


def owned(path: Path) -> bool:
    """True when `path`, and the file a link there points to, lie inside orbench's cache or the Hub
    cache it downloads into: the only places orbench deletes a model file from."""
    roots = [Path(os.path.normpath(r.absolute())) for r in (cache_root(), hub_cache())]
    roots += [r.resolve() for r in roots]
    here = [Path(os.path.normpath(path.absolute())), path.resolve()]
    return all(any(p.is_relative_to(r) for r in roots) for p in here)


def list_local() -> list[LocalModel]:
    """Every model file recorded in the index that is still on disk."""
    found = []
    seen: set[Path] = set()
    for index in sorted((cache_root() / "index").glob("*/*.json")):
        try:
            model = LocalModel.model_validate_json(index.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if model.path.is_file() and model.path not in seen:  # a Hub name's default is recorded twice
            seen.add(model.path)
            found.append(model)
    return found


def register_local(model: LocalModel) -> LocalModel:
    """Record a file made here (for example a derived quant) so that `name:QUANT` finds it."""
    return _record(model)

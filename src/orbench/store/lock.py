"""`orbench.lock`: every model file of a config pinned to a Hub commit and a sha256."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ..files import read_model, write_json_atomic

LOCK_VERSION = 1


class LockEntry(BaseModel):
    """One pinned model file."""

    source: Literal["hub", "pypi", "local"] = Field(description="where the file comes from")
    repo: str | None = Field(default=None, description="Hub repo, or pypi:<package> for a PyPI mirror")
    revision: str | None = Field(default=None, description="Hub commit (40 hex) or package version")
    filename: str | None = Field(default=None, description="the file within the repo or package")
    sha256: str = Field(description="the file's sha256; a run refuses any other file")
    size: int | None = Field(default=None, description="bytes")
    derived_from: str | None = Field(default=None, description="for a file derived locally: its source")
    note: str | None = Field(default=None, description="why this entry was pinned the way it was")


class LockFile(BaseModel):
    """`orbench.lock`, written by `orbench lock` beside the config."""

    schema_version: int = Field(default=LOCK_VERSION, description="version of this file's layout")
    created_at: str = Field(description="when the lock was written (UTC)")
    config: str = Field(description="the config file the lock belongs to")
    files: dict[str, LockEntry] = Field(description="model:quant -> its pinned file")


def write_lock(path: Path, config: str, files: dict[str, LockEntry]) -> LockFile:
    lock = LockFile(created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), config=config, files=files)
    write_json_atomic(path, lock)
    return lock


def read_lock(path: Path) -> LockFile | None:
    """The lock beside a config, None if there is none."""
    return read_model(path, LockFile) if path.is_file() else None

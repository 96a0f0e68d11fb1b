"""Test helpers for the public benchmarks: small files with each benchmark's real schema (parquet,
JSONL, CSV), served by the Hub stand-in at the benchmark's pinned commit, with the pins pointed at
the fixtures' sha256 (the real files are not available here)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace
from types import ModuleType

from .hub_standin import Repo

from orbench import suites

from orbench.suites import data as hubdata
from orbench.suites.data import DataFile, DataSource

MAIN_COMMIT = "e" * 40  # what `main` points to for a source orbench ships without a commit


def parquet(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def csv_bytes(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def serve(hub, monkeypatch, module: ModuleType, files: dict[str, bytes], attr: str = "DATA",
          suite_names: tuple[str, ...] = (), pin: bool = True, **repo: object) -> DataSource:
    """Serve `files` as the module's dataset at its pinned commit and point its pins (files orbench
    pins) at the fixtures' sha256; the suites named get the patched source too."""
    source: DataSource = getattr(module, attr)
    hub.datasets[source.repo] = Repo(files=dict(files), commit=source.revision or MAIN_COMMIT, **repo)  # type: ignore[arg-type]
    patched = source.model_copy(update={"files": tuple(
        DataFile(path=f.path, sha256=sha(files[f.path]) if pin and f.sha256 and f.path in files else f.sha256)
        for f in source.files)})
    monkeypatch.setattr(module, attr, patched)
    registry = suites.all_suites()
    for name in suite_names or (module.NAME,):
        monkeypatch.setitem(registry, name, replace(registry[name], data=patched,
                                                    provenance=lambda: hubdata.provenance(patched)))
    return patched

"""Result types, the sample log and atomic summaries."""

from __future__ import annotations

import json

import pytest

from orbench.errors import OrbenchError
from orbench.files import write_json_atomic
from orbench.run.records import SampleLog, SampleRecord, read_samples
from orbench.run.folder import load_for_resume, prepare_output_dir


def record(i: int) -> SampleRecord:
    return SampleRecord(id=f"math/m{i}#0", suite="math", item_id=f"m{i}", sample=0, seed=i, category="c",
                        difficulty="easy", prompt="p", output="o", status="ok", correct=True, finish_reason="stop")


def test_schema_version_comes_first():
    assert next(iter(json.loads(record(1).model_dump_json()))) == "schema_version"


def test_sample_log_appends_and_flushes_each_line(tmp_path):
    log = SampleLog(tmp_path / "samples.jsonl")
    log.append(record(1))
    # Readable by another reader before close: each line is flushed as it is written.
    assert [r.item_id for r in read_samples(tmp_path / "samples.jsonl")] == ["m1"]
    log.append(record(2))
    log.close()
    assert [r.item_id for r in read_samples(tmp_path / "samples.jsonl")] == ["m1", "m2"]


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "summary.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, record(3))
    assert json.loads(target.read_text())["item_id"] == "m3"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_output_dir_under_a_file_is_an_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OrbenchError, match="not writable"):
        prepare_output_dir(tmp_path / "file" / "run")


def test_resume_load_repairs_a_half_written_last_line(tmp_path):

    path = tmp_path / "samples.jsonl"
    path.write_text(record(1).model_dump_json() + "\n" + record(2).model_dump_json()[:40])
    records, warning = load_for_resume(path)
    assert [r.item_id for r in records] == ["m1"] and "half-written" in warning
    assert path.read_text() == record(1).model_dump_json() + "\n"
    assert load_for_resume(path) == (records, None)


def test_resume_load_rejects_corruption_in_the_middle(tmp_path):

    path = tmp_path / "samples.jsonl"
    path.write_text(record(1).model_dump_json() + "\n{broken\n" + record(2).model_dump_json() + "\n")
    with pytest.raises(OrbenchError, match=r"samples.jsonl:2: corrupt"):
        load_for_resume(path)

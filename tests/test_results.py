"""Result types, the sample log and atomic summaries."""

from __future__ import annotations

import json

import pytest

from orbench.errors import OrbenchError
from orbench.results import SampleLog, SampleRecord, prepare_output_dir, read_samples, write_json_atomic


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


def test_output_dir_with_results_is_refused(tmp_path):
    prepare_output_dir(tmp_path / "run")
    (tmp_path / "run" / "samples.jsonl").write_text("{}\n")
    with pytest.raises(OrbenchError, match="already holds results"):
        prepare_output_dir(tmp_path / "run")
    assert (tmp_path / "run" / "samples.jsonl").read_text() == "{}\n"

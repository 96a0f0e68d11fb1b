"""One validated reader for the files between stages: every failure names the file and the field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbench.cli import app
from orbench.errors import OrbenchError
from orbench.files import lines_of, read_model, write_json_atomic
from orbench.run.plan import Plan
from orbench.run.records import RunSummary, read_samples
from orbench.cli.schemas import models


def plan(**overrides) -> dict:
    data = dict(model="m", quant="Q4_1", sha256=None, seed=0, samples=1, limit=None, sampler={}, suites={"math": "h"},
                shard=[1, 1], requests=3)
    return {**data, **overrides}


@pytest.mark.parametrize("text, message", [
    ("{not json", "malformed JSON"),
    (json.dumps(plan(seed="x")), "seed: Input should be a valid integer"),
    (json.dumps(plan(extra=1)), "extra: Extra inputs are not permitted"),
    (json.dumps([1, 2]), "Input should be a valid dictionary"),
    (json.dumps(plan(schema_version=7)), "written by a newer orbench (schema_version 7"),
])
def test_bad_files_name_file_and_field(tmp_path, text, message):
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(OrbenchError) as err:
        read_model(path, Plan)
    assert message in str(err.value) and str(path) in str(err.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(OrbenchError, match="file not found"):
        read_model(tmp_path / "nope.json", Plan)
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(OrbenchError, match="not UTF-8"):
        read_model(tmp_path / "bin.json", Plan)
    (tmp_path / "s.jsonl").write_text('{"schema_version": 1}\n')
    with pytest.raises(OrbenchError, match=r"s.jsonl:1: id: Field required"):
        read_samples(tmp_path / "s.jsonl")


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    write_json_atomic(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_every_file_kind_has_a_schema_with_described_fields():
    runner = CliRunner()
    for name, model in models().items():
        result = runner.invoke(app, ["schema", name])
        assert result.exit_code == 0, name
        schema = json.loads(result.stdout)
        assert schema["title"] == model.__name__
    plan_schema = json.loads(runner.invoke(app, ["schema", "plan"]).stdout)
    assert all("description" in field for field in plan_schema["properties"].values())
    bad = runner.invoke(app, ["schema", "nonsense"])
    assert bad.exit_code == 2 and "no schema named 'nonsense'" in bad.stderr


@pytest.mark.parametrize("gate", [False, True])
def test_compare_on_a_malformed_summary_exits_2_in_every_mode(tmp_path, gate):
    for name in ("now", "base"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text('{"schema_version": 1, "status": "complete"')
        (tmp_path / name / "samples.jsonl").write_text("")
    args = ["compare", str(tmp_path / "now")] + (["--baseline", str(tmp_path / "base")] if gate else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "summary.json: malformed JSON" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_summaries_written_before_this_version_still_load(tmp_path):
    """A summary.json as orbench 0.1.0 wrote it before typed backend info (backend as a plain dict)."""
    old = {"schema_version": 1, "status": "complete", "samples_done": 1, "samples_planned": 1, "errors": 0,
           "suites": [], "notes": [], "performance": None,
           "provenance": {"orbench_version": "0.1.0", "model": "m", "quant": None, "file": None, "sha256": None,
                          "size": None, "source": None, "repo": None, "revision": None, "seed": 0,
                          "samples_per_item": 1, "limit": None, "python": "3.11", "platform": "x",
                          "started_at": "2026-11-28T00:00:00+00:00", "sampler": {"temperature": 0.2},
                          "backend": {"backend": "llama.cpp-batched", "parallel": "auto", "n_ctx": 2048,
                                      "some_key_of_an_old_build": 1}}}
    (tmp_path / "summary.json").write_text(json.dumps(old))
    summary = read_model(tmp_path / "summary.json", RunSummary)
    assert summary.provenance.backend.backend == "llama.cpp-batched" and summary.provenance.backend.parallel == "auto"


def test_messages_are_cut_at_a_word_and_json_errors_say_column_once(tmp_path):
    from orbench.suites.items import load_items
    from orbench.units import shorten

    long = "cannot reach the Hub " + "because " * 40
    assert shorten(long).endswith("…") and len(shorten(long)) <= 200 and not shorten(long).endswith("bec…")
    (tmp_path / "a.jsonl").write_text('{"id": "x", "prompt": "unterminated\n')
    with pytest.raises(OrbenchError) as err:
        load_items(tmp_path / "a.jsonl")
    assert "at at" not in str(err.value) and "column" in str(err.value)


def test_a_resumed_run_reports_the_n_of_the_whole_run(tmp_path):
    from orbench.run.folder import RunFolder

    folder = RunFolder(tmp_path / "run")
    summary = {"schema_version": 1, "status": "interrupted", "samples_done": 1, "samples_planned": 2, "errors": 0,
               "suites": [], "notes": [], "performance": {"wall_seconds": 12.0, "parallel": 10},
               "provenance": {"orbench_version": "0.1.0", "model": "m", "quant": None, "file": None, "sha256": None,
                              "size": None, "source": None, "repo": None, "revision": None, "seed": 0,
                              "samples_per_item": 1, "limit": None, "python": "3", "platform": "x",
                              "started_at": "2026-11-28T00:00:00+00:00", "sampler": {}, "backend": {"backend": "mock"}}}
    folder.summary_file.write_text(json.dumps(summary))
    assert folder.before() == (12.0, {}, 10)


def test_invalid_utf8_is_reported_on_its_own_line(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}\n{"a": "\xff"}\n{"a": 5}\n')
    with pytest.raises(OrbenchError, match=r"samples\.jsonl:4: not UTF-8 text"):
        list(lines_of(path))


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", '"nan"', '"inf"'])
def test_non_finite_numbers_are_refused_by_name(tmp_path, token):
    from orbench.quant.kld import KldReport

    good = {"model": "m", "reference": "F16", "reference_sha256": "0" * 64, "files": {}, "text": "t", "n_ctx": 64,
            "top_k": 8, "transcripts": 0, "results": {"text": [{
                "label": "m:Q8_0", "reference": "m:F16", "positions": 10, "top_k": 8, "mean_kld": 0.01,
                "kld_stderr": 0.001, "median_kld": 0.01, "p99_kld": 0.02, "max_kld": 0.03, "top1_agreement": 0.9,
                "mean_delta_p": 0.0, "rms_delta_p": 0.01, "ppl": 10.0, "ppl_reference": 10.0, "ln_ppl_ratio": 0.0}]}}
    path = tmp_path / "kld.json"
    path.write_text(json.dumps(good))
    read_model(path, KldReport)
    path.write_text(json.dumps(good).replace('"mean_kld": 0.01', f'"mean_kld": {token}'))
    with pytest.raises(OrbenchError, match=r"kld\.json: results\.text\.0\.mean_kld: not a finite number"):
        read_model(path, KldReport)

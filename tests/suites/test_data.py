"""Benchmark data through huggingface_hub against the local Hub stand-in: pinned commits, sha256
checks, first-download pins, gated sets, offline use, and the readers."""

from __future__ import annotations

import json

import huggingface_hub.constants
import pytest
from support.benchdata import MAIN_COMMIT, csv_bytes, jsonl, parquet, sha
from support.hub_standin import HubStandIn, Repo
from typer.testing import CliRunner

from orbench.suites import data as hubdata
from orbench.cli import app
from orbench.errors import OrbenchError
from orbench.suites.data import DataFile, DataSource, DataUnreachable, fetch, read_rows

COMMIT = "1" * 40
ROWS = [{"question": "1+1?", "answer": "x #### 2"}, {"question": "2+2?", "answer": "y #### 4"}]
DATA = parquet(ROWS)


def source(**overrides) -> DataSource:
    base = dict(repo="org/set", revision=COMMIT, license="MIT", files=(DataFile(path="main/test.parquet", sha256=sha(DATA)),))
    return DataSource(**{**base, **overrides})


@pytest.fixture
def hub(monkeypatch):
    with HubStandIn({}, {"org/set": Repo(files={"main/test.parquet": DATA}, commit=COMMIT)}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def test_the_pinned_commit_is_requested_and_the_file_checked(hub, isolated_cache):
    fetched = fetch(source(), "demo")
    path = fetched.paths["main/test.parquet"]
    assert path.read_bytes() == DATA and f"snapshots/{COMMIT}" in str(path)
    assert str(isolated_cache / "hf" / "hub" / "datasets--org--set") in str(path)
    assert [p for m, p in hub.requests if "/resolve/" in p] == [f"/datasets/org/set/resolve/{COMMIT}/main/test.parquet"] * 2
    assert fetched.provenance.files[0].pinned == "orbench" and fetched.provenance.revision == COMMIT
    assert list(read_rows(path)) == ROWS


def test_bytes_that_differ_from_the_pin_are_refused_and_removed(hub, isolated_cache):
    with pytest.raises(OrbenchError, match="differs from the pin.*deleted"):
        fetch(source(files=(DataFile(path="main/test.parquet", sha256="0" * 64),)), "demo")
    left = [p for p in (isolated_cache / "hf").rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert not [p for p in left if p.name in ("test.parquet", sha(DATA))]


def test_a_file_without_a_shipped_hash_is_pinned_on_first_download(hub, isolated_cache):
    unpinned = source(files=(DataFile(path="main/test.parquet"),))
    first = fetch(unpinned, "demo")
    assert first.provenance.files[0].pinned == "first-download" and first.provenance.files[0].sha256 == sha(DATA)
    # the Hub now serves other bytes under the same path (a rewritten history): the local pin refuses them
    hubdata.forget()
    first.paths["main/test.parquet"].resolve().unlink()
    hub.datasets["org/set"].files["main/test.parquet"] = parquet(ROWS[:1])
    with pytest.raises(OrbenchError, match="differs from the pin"):
        fetch(unpinned, "demo")


def test_a_first_download_is_checked_against_the_hubs_own_hash(hub, isolated_cache):
    hub.datasets["org/set"] = Repo(files={"test.jsonl": jsonl(ROWS)}, commit=COMMIT, small_files={"test.jsonl"})
    fetched = fetch(source(files=(DataFile(path="test.jsonl"),)), "demo")  # a git file: its blob id is checked
    assert fetched.provenance.files[0].pinned == "first-download"
    hub.datasets["org/other"] = Repo(files={"main/test.parquet": DATA}, commit=COMMIT,
                                     advertised_sha256={"main/test.parquet": "0" * 64})
    with pytest.raises(OrbenchError, match="do not match the hash the Hub publishes"):
        fetch(source(repo="org/other", files=(DataFile(path="main/test.parquet"),)), "demo")
    assert not list((isolated_cache / "hf").rglob("datasets--org--other/snapshots/*/main/test.parquet"))


def test_a_source_without_a_commit_pins_main_once(hub):
    hub.datasets["org/set"] = Repo(files={"main/test.parquet": DATA}, commit=MAIN_COMMIT)
    unpinned = source(revision=None, files=(DataFile(path="main/test.parquet"),))
    first = fetch(unpinned, "demo")
    assert first.provenance.revision == MAIN_COMMIT and first.provenance.revision_pinned == "first-download"
    hub.datasets["org/set"].commit = "f" * 40  # main moves on; the recorded commit stays
    hub.datasets["org/set"].branches = {MAIN_COMMIT: MAIN_COMMIT}
    hubdata.forget()
    assert fetch(unpinned, "demo").provenance.revision == MAIN_COMMIT


def test_gated_sets_say_how_to_get_access_and_never_show_the_token(hub, monkeypatch):
    hub.datasets["org/set"].gated = True
    monkeypatch.setenv("HF_TOKEN", "hf_topsecret_value_123")
    with pytest.raises(OrbenchError) as err:
        fetch(source(gated=True), "demo")
    assert "gated" in str(err.value) and "hf auth login" in str(err.value) and "HF_TOKEN" in str(err.value)
    assert "hf_topsecret_value_123" not in str(err.value)


def test_offline_reads_a_warm_cache_and_names_the_repo_when_cold(hub, monkeypatch):
    fetch(source(), "demo")
    hubdata.forget()
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    assert fetch(source(), "demo").paths["main/test.parquet"].read_bytes() == DATA
    with pytest.raises(DataUnreachable, match="org/other.*not on disk.*cannot be reached"):
        fetch(source(repo="org/other"), "demo")


def test_readers_take_csv_json_and_refuse_broken_parquet(tmp_path):
    (tmp_path / "a.csv").write_bytes(csv_bytes([{"Question": "q", "Correct Answer": "a"}]))
    assert list(read_rows(tmp_path / "a.csv")) == [{"Question": "q", "Correct Answer": "a"}]
    (tmp_path / "b.json").write_text(json.dumps({"examples": [{"input": "x", "target": "y"}]}))
    assert list(read_rows(tmp_path / "b.json")) == [{"input": "x", "target": "y"}]
    (tmp_path / "c.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(OrbenchError, match="c.parquet"):
        list(read_rows(tmp_path / "c.parquet"))
    (tmp_path / "d.jsonl").write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(OrbenchError, match="line 2: not a JSON object"):
        list(read_rows(tmp_path / "d.jsonl"))


def test_pull_suite_from_the_cli_and_a_gated_set_exits_2_without_the_token(hub, monkeypatch):
    from support.benchdata import serve
    from orbench.suites.benchmarks import gpqa

    monkeypatch.setenv("HF_TOKEN", "hf_topsecret_value_123")
    rows = [{"Question": f"Q{i}", "Correct Answer": "right", "Incorrect Answer 1": "w1", "Incorrect Answer 2": "w2",
             "Incorrect Answer 3": "w3", "Record ID": f"rec{i}", "High-level domain": "Physics"} for i in range(3)]
    serve(hub, monkeypatch, gpqa, {"gpqa_diamond.csv": csv_bytes(rows)}, suite_names=("gpqa-diamond",), gated=True)
    result = CliRunner().invoke(app, ["pull", "--suite", "gpqa-diamond"])
    assert result.exit_code == 2 and "gated dataset" in result.stderr and "hf auth login" in result.stderr
    assert "hf_topsecret_value_123" not in result.output and "Traceback" not in result.output
    hub.datasets[gpqa.DATA.repo].gated = False
    ok = CliRunner().invoke(app, ["pull", "--suite", "gpqa-diamond", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["suites"]["gpqa-diamond"]["files"][0]["pinned"] == "orbench"
    listed = {d["name"]: d for d in json.loads(CliRunner().invoke(app, ["suites", "--json"]).stdout)}
    assert listed["gpqa-diamond"]["on_disk"] and listed["gpqa-diamond"]["items"] == 3
    assert not listed["gsm8k"]["on_disk"] and listed["gsm8k"]["items"] == 1319


def test_a_run_on_a_benchmark_without_data_or_hub_exits_2_naming_the_repo(tmp_path):
    result = CliRunner().invoke(app, ["run", "--backend", "mock", "-s", "math500", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "HuggingFaceH4/MATH-500" in result.stderr
    assert "orbench pull --suite math500" in result.stderr and "Traceback" not in result.output

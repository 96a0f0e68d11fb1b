"""Faults a CI job meets: two runs on one folder, a full disk, a half-merged result, a corrupt or
changed model file, too many infrastructure errors, an empty suite. Each ends in one clear line and
a documented exit code, leaves nothing half-written, and resumes exactly."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orbench.cli import app

MATH = [{"id": f"m{i}", "suite": "my-math", "category": "c", "difficulty": "easy", "prompt": f"{i}+{i}?",
         "answer": str(2 * i), "kind": "math"} for i in range(1, 7)]


@pytest.fixture
def items(tmp_path) -> Path:
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in MATH))
    return path


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output, result.output
    return lines[0]


def orbench(*args: object, env: dict | None = None, wait: bool = True):
    cmd = [sys.executable, "-m", "orbench", *[str(a) for a in args]]
    environment = {**os.environ, **(env or {})}
    if wait:
        return subprocess.run(cmd, capture_output=True, text=True, env=environment, timeout=120)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def test_a_second_run_on_the_same_folder_is_refused_naming_the_first(items, tmp_path, mock_script):
    script = mock_script({"*": "!sleep 0.4"})
    out = tmp_path / "run"
    first = orbench("run", "--backend", "mock", "-s", items, "-o", out, "-q", wait=False)
    deadline = time.monotonic() + 30
    while not (out / ".orbench.lock").exists() or not (out / ".orbench.lock").read_text():
        assert time.monotonic() < deadline and first.poll() is None, "the first run never took the lock"
        time.sleep(0.05)
    second = orbench("run", "--backend", "mock", "-s", items, "-o", out, "-q", env={"ORBENCH_MOCK_SCRIPT": str(script)})
    assert second.returncode == 2 and f"another orbench run (pid {first.pid}, started at" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert first.wait(timeout=60) == 0
    assert len((out / "samples.jsonl").read_text().splitlines()) == 6  # nobody wrote twice
    assert not (out / ".orbench.lock").exists()


def test_the_lock_of_a_dead_run_is_taken_over_with_a_warning(items, tmp_path, mock_script):
    mock_script({"*": "\\boxed{2}"})
    out = tmp_path / "run"
    out.mkdir()
    (out / ".orbench.lock").write_text(json.dumps({"pid": 999999, "started_at": "2026-11-28T01:00:00+00:00"}))
    result = cli("run", "--backend", "mock", "-s", items, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    assert "took over" in result.stderr and "pid 999999" in result.stderr


def test_a_full_disk_ends_in_one_line_and_the_run_resumes_exactly(items, tmp_path, mock_script, monkeypatch):
    from orbench.run.records import SampleLog

    mock_script({f"m{i}": f"\\boxed{{{2 * i if i % 2 else 0}}}" for i in range(1, 7)})
    whole = cli("run", "--backend", "mock", "-s", items, "-o", tmp_path / "whole", "-q", "--json")
    original, written = SampleLog.append, []

    def append(self, record):
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(record.id)
        original(self, record)

    monkeypatch.setattr(SampleLog, "append", append)
    out = tmp_path / "run"
    result = cli("run", "--backend", "mock", "-s", items, "-o", out, "-q")
    line = one_error_line(result)
    assert result.exit_code == 2
    assert "no space left on device while writing samples.jsonl" in line and "run the same command to resume" in line
    assert json.loads((out / "summary.json").read_text())["status"] == "interrupted"
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(SampleLog, "append", original)
    resumed = cli("run", "--backend", "mock", "-s", items, "-o", out, "-q", "--json")
    assert resumed.exit_code == 0, resumed.output
    assert json.loads(resumed.stdout)["suites"][0]["accuracy"] == json.loads(whole.stdout)["suites"][0]["accuracy"]
    assert len((out / "samples.jsonl").read_text().splitlines()) == 6


def test_a_real_full_tmpfs(items, tmp_path, mock_script):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8); the injected ENOSPC test covers the logic")
    target = tmp_path / "small"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", str(target)], capture_output=True).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs here")
    try:
        mock_script({"*": "word " * 1500})
        result = cli("run", "--backend", "mock", "-s", items, "-o", target / "run", "-q")
        line = one_error_line(result)
        assert result.exit_code == 2 and "no space left on device while writing" in line
        assert not [p for p in (target / "run").iterdir() if p.name.endswith(".tmp")]
    finally:
        unmounted = subprocess.run(["umount", str(target)], capture_output=True).returncode == 0
        if not unmounted:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)
        assert unmounted, "the run left a file open on the full disk"


def _shards(tmp_path, items, mock_script) -> tuple[Path, Path]:
    mock_script({"*": "\\boxed{2}"})
    for index in (1, 2):
        assert cli("run", "--backend", "mock", "-s", items, "-o", tmp_path / f"s{index}", "-q",
                   "--shard", f"{index}/2").exit_code == 0
    return tmp_path / "s1", tmp_path / "s2"


@pytest.mark.parametrize("damage", ["no-summary", "no-samples", "garbage-line", "plan-is-a-list", "duplicate-line"])
def test_merge_is_all_or_nothing(items, tmp_path, mock_script, damage):
    s1, s2 = _shards(tmp_path, items, mock_script)
    saved = {p.name: p.read_bytes() for p in s2.iterdir() if p.is_file()}
    if damage == "no-summary":
        (s2 / "summary.json").unlink()
    elif damage == "no-samples":
        (s2 / "samples.jsonl").unlink()
    elif damage == "garbage-line":
        with open(s2 / "samples.jsonl", "a") as fh:
            fh.write("garbage\n")
    elif damage == "plan-is-a-list":
        (s2 / "plan.json").write_text("[1, 2, 3]")
    else:
        lines = (s2 / "samples.jsonl").read_text().splitlines(keepends=True)
        (s2 / "samples.jsonl").write_text("".join(lines + lines[:1]))
    out = tmp_path / "merged"
    result = cli("merge", out, s1, s2)
    one_error_line(result)
    assert result.exit_code == 2 and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".merged")]
    for name, data in saved.items():
        (s2 / name).write_bytes(data)
    assert cli("merge", out, s1, s2).exit_code == 0 and (out / "summary.json").is_file()


def test_corrupt_local_models_are_refused(tmp_path):
    from support.gguf_split import tiny_gguf

    bad = {"bad-magic.gguf": b"GGML" + b"\0" * 64, "old.gguf": b"GGUF" + (1).to_bytes(4, "little") + b"\0" * 32,
           "counts.gguf": b"GGUF" + (3).to_bytes(4, "little") + (1 << 40).to_bytes(8, "little") * 2,
           "cut-header.gguf": tiny_gguf({"general.name": "x" * 40})[:-10]}
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        result = cli("pull", tmp_path / name)
        assert result.exit_code == 2, name
        assert str(tmp_path / name) in one_error_line(result)


@pytest.mark.e2e
def test_a_truncated_real_model_is_refused_before_loading(embedded_model, tmp_path):
    cut = tmp_path / "cut.Q4_1.gguf"
    with open(embedded_model, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(embedded_model.stat().st_size - 4096))
    result = cli("pull", cut)
    assert result.exit_code == 2 and "truncated GGUF file" in one_error_line(result)
    assert cli("pull", embedded_model, "--json").exit_code == 0


def test_too_many_infrastructure_errors_exit_3_and_empty_suites_exit_2(items, tmp_path, mock_script):
    mock_script({"m1": "!error", "m2": "!error", "*": "\\boxed{2}"})
    result = cli("run", "--backend", "mock", "-s", items, "-o", tmp_path / "run", "-q")
    assert result.exit_code == 3 and "2 of 6 samples failed with infrastructure errors" in result.stderr
    tolerant = cli("run", "--backend", "mock", "-s", items, "-o", tmp_path / "run2", "-q", "--max-error-rate", "0.5")
    assert tolerant.exit_code == 0
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    refused = cli("run", "--backend", "mock", "-s", empty, "-o", tmp_path / "none", "-q")
    assert refused.exit_code == 2 and "no items" in one_error_line(refused)
    assert not (tmp_path / "none").exists()  # a failed run leaves no empty folder behind


def test_a_run_that_fails_before_any_sample_removes_the_folder_it_made(tmp_path, items):
    result = cli("run", "--backend", "mock", "-s", f"{items},math500", "-o", tmp_path / "new", "-q")
    assert result.exit_code == 2 and not (tmp_path / "new").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    assert cli("run", "--backend", "mock", "-s", "math500", "-o", mine, "-q").exit_code == 2
    assert (mine / "notes.txt").read_text() == "keep me"  # a folder it did not make is never removed


def test_missing_samples_and_a_lock_without_sha256_are_one_line_errors(items, tmp_path, mock_script):
    mock_script({"*": "\\boxed{2}"})
    assert cli("run", "--backend", "mock", "-s", items, "-o", tmp_path / "run", "-q").exit_code == 0
    (tmp_path / "run" / "samples.jsonl").unlink()
    for args in (("compare", tmp_path / "run"), ("compare", tmp_path / "run", "--baseline", tmp_path / "run")):
        result = cli(*args)
        assert result.exit_code == 2 and "samples.jsonl" in one_error_line(result)
    config = tmp_path / "orbench.toml"
    config.write_text(f'[run]\nsuites = ["{items}"]\n[[models]]\nname = "smollm2-135m"\nquants = ["Q4_1"]\n')
    (tmp_path / "orbench.lock").write_text(json.dumps({"schema_version": 1, "created_at": "x", "config": "orbench.toml",
                                                       "files": {"smollm2-135m:Q4_1": {"source": "hub"}}}))
    result = cli("run", "--config", config, "--backend", "mock", "-q")
    assert result.exit_code == 2 and "sha256: Field required" in one_error_line(result)


def test_a_context_below_256_says_the_limit():
    result = cli("run", "--backend", "mock", "--ctx", "100")
    assert result.exit_code == 2 and "256" in result.output and "Traceback" not in result.output


def test_a_full_disk_before_the_first_sample_claims_nothing_kept(items, tmp_path, mock_script, monkeypatch):
    from orbench.run.records import SampleLog

    mock_script({f"m{i}": f"\\boxed{{{2 * i}}}" for i in range(1, 7)})

    def append(self, record):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SampleLog, "append", append)
    out = tmp_path / "run"
    line = one_error_line(cli("run", "--backend", "mock", "-s", items, "-o", out, "-q"))
    assert "disk full" in line and "no sample was finished" in line and "kept" not in line
    assert not out.exists()  # the folder it made is removed: nothing in it was kept


def test_reports_on_a_full_disk_name_the_file_and_say_disk_full(items, tmp_path, mock_script, monkeypatch):

    mock_script({f"m{i}": f"\\boxed{{{2 * i}}}" for i in range(1, 7)})
    for name in ("a", "b"):
        assert cli("run", "--backend", "mock", "-s", items, "-o", tmp_path / name, "-q").exit_code == 0
    import orbench.files

    original = orbench.files.write_atomic

    def full(path: Path, pieces):
        if path.suffix in (".md", ".xml", ".html"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(path, pieces)

    monkeypatch.setattr(orbench.files, "write_atomic", full)
    junit = tmp_path / "junit.xml"
    line = one_error_line(cli("compare", tmp_path / "a", "--baseline", tmp_path / "b", "--junit", junit))
    assert f"{junit}: disk full" in line and "None" not in line

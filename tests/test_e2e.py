"""End to end: the real embedded model (SmolLM2-135M Q4_1) through llama.cpp, graded, on disk."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import REAL_ORBENCH_HOME
from orbench.cli import app

pytestmark = pytest.mark.e2e
EMBEDDED_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def invoke(*args):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def real_cache(monkeypatch, embedded_model):
    """Use the cache that holds the embedded model, so `-m smollm2-135m` resolves offline."""
    if REAL_ORBENCH_HOME:
        monkeypatch.setenv("ORBENCH_HOME", REAL_ORBENCH_HOME)
    else:
        monkeypatch.delenv("ORBENCH_HOME")
    return embedded_model


def test_run_all_suites_on_the_embedded_model(real_cache, tmp_path):
    out = tmp_path / "run"
    result = invoke("run", "-m", "smollm2-135m", "-s", "math,code,reasoning", "--limit", "3",
                    "--max-tokens", "160", "--threads", "2", "-o", str(out), "--json", "-q")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "complete" and summary["samples_done"] == 9 == summary["samples_planned"]
    prov = summary["provenance"]
    assert prov["sha256"] == EMBEDDED_SHA256 and prov["quant"] == "Q4_1" and prov["model"] == "smollm2-135m"
    backend = prov["backend"]
    assert backend["backend"] == "llama.cpp-batched" and backend["parallel"] == "auto" and backend["llama_cpp_python"]
    assert "CPU" in backend["system_info"] and backend["gpu_offload_active"] is False
    assert backend["architecture"] == "llama" and backend["chat_template"] == "gguf"
    for suite in summary["suites"]:
        assert suite["samples"] == 3 and suite["errors"] == 0
        assert 0.0 <= suite["accuracy"]["value"] <= 1.0
        assert suite["completion_tokens"] > 0 and suite["generation_tokens_per_s"] > 0
        assert suite["wall_seconds"] > 0
    perf = summary["performance"]
    # auto N: as many as there are requests in a suite (3), well inside the context
    assert perf["engine"] == "llama.cpp-batched" and perf["parallel"] == 3
    assert perf["generation_tokens_per_s"] > 0 and perf["wall_seconds"] >= max(s["wall_seconds"] for s in summary["suites"])
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 9 and all(r["output"] and r["completion_tokens"] > 0 for r in records)
    code = [r for r in records if r["suite"] == "code"]
    assert all(r["isolation"] for r in code if r["extracted"] is not None)


def test_seeded_sampling_is_reproducible(embedded_model, tmp_path):
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = invoke("run", "-m", str(embedded_model), "-s", "reasoning", "--limit", "2", "--temperature", "0.8",
                        "--max-tokens", "48", "--seed", "7", "-o", str(out), "-q")
        assert result.exit_code == 0, result.output
        outputs.append([json.loads(x)["output"] for x in (out / "samples.jsonl").read_text().splitlines()])
    assert outputs[0] == outputs[1] and all(outputs[0])


def test_truncated_gguf_is_a_clear_error(embedded_model, tmp_path):
    broken = tmp_path / "broken.Q4_1.gguf"
    with open(embedded_model, "rb") as src:
        broken.write_bytes(src.read(8 << 20))
    result = invoke("run", "-m", str(broken), "-s", "math", "--limit", "1", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2
    # caught by the structure check before llama.cpp is asked to load it: one line saying what is wrong
    assert "truncated GGUF file" in result.stderr and "broken.Q4_1.gguf" in result.stderr
    assert "its header declares" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_non_gguf_file_is_a_clear_error(tmp_path):
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a model at all")
    result = invoke("run", "-m", str(fake), "-s", "math", "--limit", "1", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2 and "not a GGUF file" in result.stderr


def test_the_run_table_names_engine_n_and_machine_time(embedded_model, tmp_path):
    result = invoke("run", "-m", str(embedded_model), "-s", "reasoning", "--limit", "2", "--max-tokens", "16",
                    "--parallel", "2", "-o", str(tmp_path / "o"), "-q")
    assert result.exit_code == 0, result.output
    assert "engine llama.cpp-batched, N=2; machine time 0m" in result.output


def test_humaneval_offline_on_the_embedded_model(real_cache, tmp_path):
    """The public benchmark that works with no network: HumanEval from the pinned PyPI copy."""
    out = tmp_path / "he"
    result = invoke("run", "-m", "smollm2-135m", "-s", "humaneval", "--limit", "2", "--max-tokens", "64",
                    "--threads", "2", "-o", str(out), "--json", "-q")
    assert result.exit_code == 0, result.output
    suite = json.loads(result.stdout)["suites"][0]
    assert suite["suite"] == "humaneval" and suite["samples"] == 2 and suite["errors"] == 0
    assert suite["data"]["revision_pinned"] == "pypi" and suite["data"]["files"][0]["sha256"].startswith("b796127e")
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert all(r["status"] == "ok" and r["isolation"] for r in records if r["extracted"])

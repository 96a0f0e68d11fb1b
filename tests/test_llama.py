"""The llama.cpp shim: the only module that touches llama-cpp-python's low-level API; `orbench bench`
and stop strings on the real embedded model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import REPO_ROOT
from orbench.cli import app

LOW_LEVEL = re.compile(r"^\s*(import llama_cpp|from llama_cpp)|llama_cpp\.llama_|\._model\b|\._ctx\b|_internals"
                       r"|context_params", re.M)


def test_only_the_shim_touches_llama_cpps_low_level_api():
    package = REPO_ROOT / "src" / "orbench"
    offenders = {str(p.relative_to(package)): sorted(set(LOW_LEVEL.findall(p.read_text()) and
                                                         [m.group(0).strip() for m in LOW_LEVEL.finditer(p.read_text())]))
                 for p in package.rglob("*.py") if p.name != "llama.py"}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert LOW_LEVEL.search((package / "llama.py").read_text())  # the pattern does find the shim's own use


@pytest.mark.e2e
def test_bench_measures_each_batch_size(embedded_model):
    runner = CliRunner()
    result = runner.invoke(app, ["bench", str(embedded_model), "--parallel", "2,1", "--prompt-tokens", "16",
                                 "--gen-tokens", "8", "--threads", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["parallel"] for r in data["rows"]] == [1, 2]
    for row in data["rows"]:
        assert row["pp_tokens_per_s"] > 0 and row["tg_tokens_per_s"] > 0
        assert row["tg_tokens_per_s"] == pytest.approx(row["parallel"] * 8 / row["tg_seconds"], rel=0.01)
    assert data["peak_rss_mb"] > 50 and data["file_bytes"] == Path(embedded_model).stat().st_size
    table = runner.invoke(app, ["bench", str(embedded_model), "--parallel", "1", "--prompt-tokens", "8",
                                "--gen-tokens", "4"])
    assert table.exit_code == 0 and "gen tok/s" in table.stdout
    assert runner.invoke(app, ["bench", str(embedded_model), "--parallel", "0"]).exit_code == 2
    assert runner.invoke(app, ["bench", str(embedded_model), "--parallel", "x"]).exit_code == 2


@pytest.mark.e2e
def test_the_engine_stops_at_a_stop_string_while_sampling(embedded_model):
    from orbench.backends import GenerationRequest
    from orbench.backends.batched import BatchedBackend
    from orbench.backends.engine import Engine, Prepared

    backend = BatchedBackend(embedded_model, n_ctx=512, n_threads=2, parallel=1)
    try:
        request = GenerationRequest(id="r", item_id="i", sample=0, max_tokens=48, temperature=0.0, top_p=1.0, top_k=1,
                                    min_p=0.0, repeat_penalty=1.0, seed=1,
                                    messages=[{"role": "user", "content": "Describe the sea in three sentences."}])
        prompt, _ = backend._prompt(request.messages)
        free = next(iter(Engine(backend, backend.context(1, 512), 1, [Prepared(request, prompt, [])]).run()))
        assert len(free.text) > 20, free.text
        stop = free.text[len(free.text) // 2:len(free.text) // 2 + 4]
        cut = next(iter(Engine(backend, backend.context(1, 512), 1, [Prepared(request, prompt, [stop])]).run()))
        assert cut.text == free.text[:free.text.find(stop)]
        assert cut.finish_reason == "stop" and cut.completion_tokens < free.completion_tokens
    finally:
        backend.close()

"""End to end for quant comparison: a ladder of the embedded model (Q4_1 plus two quants derived
from it), a small plan on each, then compare, kld and report on the real llama.cpp backend."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbench.cli import app
from orbench.files import sha256_file
from orbench.store.local import LocalModel, register_local
from support.embedded_ladder import EMBEDDED_SHA256, invoke, orbench_home

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ladder(quant_ladder):
    """The session's ladder (quantized once, tests/support/embedded_ladder.py), a small plan on each
    quant, kld, compare and report (the real cache is never written)."""
    home = quant_ladder.home
    with orbench_home(home):
        out = home / "ladder"
        invoke("run", "-m", "smollm2-135m", "--quant", "Q4_1,Q8_0,Q4_0", "-s", "math,reasoning", "--limit", "3",
               "--max-tokens", "48", "--threads", "2", "-o", out, "-q")
        measured = invoke("kld", "smollm2-135m", "--quant", "Q4_1,Q8_0,Q4_0", "--reference", "Q4_1",
                          "--chunks", "2", "--transcripts", "2", "--transcript-tokens", "24", "--threads", "2",
                          "-o", out, "--json")
        kld = json.loads(measured.stdout)
        compare = json.loads(invoke("compare", out, "--json").stdout)  # the default reference: the original file
        report = json.loads(invoke("report", out, "--max-kld", "1.0", "--json").stdout)
        yield dict(made=quant_ladder.made, out=out, kld=kld, compare=compare, report=report, kld_log=measured.stderr)


def test_derived_quants_are_labelled_with_their_source(ladder):
    for m in ladder["made"]:
        assert m["quant"] in ("Q8_0", "Q4_0") and "-from-Q4_1" in m["path"]
        assert m["derived_from"] == f"smollm2-135m:Q4_1 (sha256 {EMBEDDED_SHA256})"
        assert sha256_file(__import__("pathlib").Path(m["path"])) == m["sha256"]
    sizes = {m["quant"]: m["size"] for m in ladder["made"]}
    assert sizes["Q8_0"] > sizes["Q4_0"]


def test_every_quant_ran_the_identical_plan(ladder):
    out = ladder["out"]
    runs = {q: json.loads((out / q / "summary.json").read_text()) for q in ("Q4_1", "Q8_0", "Q4_0")}
    ids = {q: sorted(json.loads(x)["id"] + str(json.loads(x)["seed"]) for x in (out / q / "samples.jsonl").open())
           for q in runs}
    assert ids["Q4_1"] == ids["Q8_0"] == ids["Q4_0"] and len(ids["Q4_1"]) == 6
    assert runs["Q8_0"]["provenance"]["derived_from"].startswith("smollm2-135m:Q4_1")
    assert runs["Q4_1"]["provenance"]["derived_from"] is None
    for run in runs.values():
        perf = run["performance"]
        assert perf["file_bytes"] > 0 and perf["bits_per_weight"] > 4 and perf["load_seconds"] > 0
        assert perf["peak_rss_mb"] > 50 and perf["generation_tokens_per_s"] > 0
    assert runs["Q8_0"]["performance"]["bits_per_weight"] > runs["Q4_0"]["performance"]["bits_per_weight"]


def test_kld_of_the_reference_against_itself_is_zero(ladder):
    for name in ("text", "transcripts"):
        rows = {r["label"]: r for r in ladder["kld"]["results"][name]}
        assert rows["Q4_1"]["mean_kld"] == pytest.approx(0.0, abs=1e-9)
        assert rows["Q4_1"]["top1_agreement"] == 1.0 and rows["Q4_1"]["ln_ppl_ratio"] == pytest.approx(0.0, abs=1e-9)
        assert rows["Q4_0"]["mean_kld"] > 0 and rows["Q8_0"]["mean_kld"] > 0
        assert rows["Q4_0"]["positions"] == rows["Q4_1"]["positions"] > 0
    text = {r["label"]: r for r in ladder["kld"]["results"]["text"]}
    assert text["Q4_1"]["positions"] == 2 * 255  # two chunks of 512, positions 256..510


def test_compare_and_report_agree(ladder):
    # Q8_0 has the most bits per weight but is derived from Q4_1: the original Q4_1 is the reference
    assert ladder["compare"]["reference"] == "smollm2-135m:Q4_1" and "derived" in ladder["compare"]["reason"]
    rows = {r["label"]: r for r in ladder["compare"]["results"] if r["suite"] == "math"}
    assert rows["smollm2-135m:Q4_1"]["verdict"] == "reference" and rows["smollm2-135m:Q4_1"]["pairs"] == 3
    assert all(rows[q]["verdict"] in ("inconclusive", "worse") for q in ("smollm2-135m:Q8_0", "smollm2-135m:Q4_0"))
    assert ladder["report"]["reference"] == "smollm2-135m:Q4_1"
    # three items per suite cannot show anything not worse within 2 points
    assert ladder["report"]["recommended"] != "smollm2-135m:Q4_0"
    page = (ladder["out"] / "report.html").read_text()
    # accuracy, KLD and correct answers per hour (drawn at 0 too, where a quant solved nothing)
    assert "Recommendation" in page and page.count("<svg") == 4 and ">Q4_1 (reference)<" in page
    md = (ladder["out"] / "report.md").read_text()
    assert "derived from smollm2-135m:Q4_1" in md and md.splitlines()[2].startswith("**Verdict**")


def test_kld_says_how_much_work_and_how_far_it_is(ladder):
    log = ladder["kld_log"]
    assert "passes in all" in log and "kld: measuring Q8_0" in log
    assert "chunks (100%)" in log.splitlines()[-1] or any("chunks (100%)" in line for line in log.splitlines())
    assert "llama_model_loader" not in log and "print_info" not in log  # llama.cpp's own log: only with --verbose


def test_quantize_shows_progress_and_hides_llama_cpp_log(embedded_model, tmp_path):
    register_local(LocalModel(name="smollm2-135m", quant="Q4_1", path=embedded_model, sha256=EMBEDDED_SHA256,
                              size=embedded_model.stat().st_size, source="pypi"))
    result = CliRunner().invoke(app, ["quantize", "smollm2-135m", "--from", "Q4_1", "--to", "Q5_0",
                                      "--allow-requantize", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("quantizing smollm2-135m:Q4_1 (") and "to Q5_0" in lines[0]
    assert lines[-1].startswith("quantize: 1/1 files (100%)"), lines
    assert len(lines) <= 4 and not any("llama_model_loader" in line or "[   1/" in line for line in lines), lines

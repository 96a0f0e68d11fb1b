"""Paired comparison and report on constructed runs (mock backend, no model)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbench.backends.mock import MockBackend
from orbench.catalog import Generation
from orbench.cli import app
from orbench.compare import compare_all, load_runs, pick_reference, significant_drop
from orbench.report import build, html, markdown
from orbench.results import Performance
from orbench.files import write_json_atomic
from orbench.grading.graders import grade_math
from orbench.kld import KldReport, KldStats
from orbench.plan import RunSpec
from orbench.runner import Run, base_provenance
from orbench.suites.templates import render_math
from orbench.suites import Suite
from orbench.suites.items import Item

ITEMS = [Item(id=f"m{i:02d}", suite="math", category="c", difficulty="easy", prompt=f"{i}+{i}?", answer=str(2 * i))
         for i in range(60)]
MATH = Suite("math", "math", "test", lambda seed: ITEMS, render_math, grade_math, source="test")


def make_run(folder, quant, wrong: set[int], mb: float, bpw: float):
    script = {f"m{i:02d}": (f"\\boxed{{{2 * i + 1}}}" if i in wrong else f"\\boxed{{{2 * i}}}") for i in range(60)}
    spec = RunSpec(suites=[MATH], generation=Generation(max_tokens=32, context=256), output=folder)
    backend = MockBackend(script)
    performance = Performance(file_bytes=int(mb * 1e6), bits_per_weight=bpw, load_seconds=0.1)
    Run(backend, spec, base_provenance("toy", quant, spec, backend.info()), performance=performance).execute()


@pytest.fixture
def ladder(tmp_path):
    base = tmp_path / "ladder"
    make_run(base / "Q8_0", "Q8_0", wrong=set(range(0, 6)), mb=140, bpw=8.5)
    make_run(base / "Q4_0", "Q4_0", wrong=set(range(0, 8)), mb=90, bpw=4.5)  # 2 more wrong: not significant
    make_run(base / "Q2_K", "Q2_K", wrong=set(range(0, 30)), mb=60, bpw=2.6)  # 24 more wrong: significant
    (base / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {"Q8_0": "Q8_0", "Q4_0": "Q4_0", "Q2_K": "Q2_K"},
                                                "completed": ["Q8_0", "Q4_0", "Q2_K"]}))
    return base


def test_reference_defaults_to_most_bits_and_pairs_flip(ladder):
    runs = load_runs([ladder])
    ref = pick_reference(runs, None)
    assert ref.label == "Q8_0"
    results = {r.label: r for r in compare_all(runs, ref)}
    assert results["Q8_0"].difference.value == 0 and results["Q8_0"].p_value == 1.0
    q4 = results["Q4_0"]
    assert (len(q4.lost), len(q4.gained), q4.pairs) == (2, 0, 60)
    assert q4.lost == ["m06#0", "m07#0"]
    assert q4.p_value == pytest.approx(0.5) and not significant_drop(q4)
    q2 = results["Q2_K"]
    assert q2.difference.value == pytest.approx(-24 / 60)
    assert q2.p_value == pytest.approx(2 / 2 ** 24) and significant_drop(q2)


def test_report_recommends_smallest_quant_without_significant_drop(ladder):
    rep = build(ladder)
    assert rep.recommendation.startswith("Q4_0 (90.0 MB)")
    assert "accuracy only" in rep.kld_note
    page = html(rep)
    # accuracy and correct-per-hour charts drawn; the mock measured no speed and there is no kld.json yet
    assert page.count("<svg") == 2 and page.count("(no data)") == 2
    assert "Correct answers per hour of machine time" in page
    wall = json.loads((ladder / "Q8_0" / "summary.json").read_text())["suites"][0]["wall_seconds"]
    assert wall > 0 and rep.per_hour[("Q8_0", "math")] == pytest.approx(54 / (wall / 3600))
    assert rep.per_hour[("Q8_0", "all")] == pytest.approx(rep.per_hour[("Q8_0", "math")])
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "| Q2_K | 60.0 |" in markdown(rep)


def kld_row(label: str, mean_kld: float, top1: float) -> KldStats:
    return KldStats(label=label, reference="Q8_0", positions=100, top_k=64, mean_kld=mean_kld, kld_stderr=0.01,
                    median_kld=mean_kld, p99_kld=mean_kld * 3, max_kld=mean_kld * 5, top1_agreement=top1,
                    mean_delta_p=-0.01, rms_delta_p=0.05, ppl=10.0, ppl_reference=9.0, ln_ppl_ratio=0.1)


def test_kld_threshold_changes_the_recommendation(ladder):
    write_json_atomic(ladder / "kld.json", KldReport(
        model="toy", reference="Q8_0", reference_sha256="0" * 64, files={}, text="corpus.txt", n_ctx=512, top_k=64,
        transcripts=0, results={"text": [kld_row("Q4_0", 0.2, 0.8), kld_row("Q2_K", 0.9, 0.5)]}))
    assert build(ladder, max_kld=0.5).recommendation.startswith("Q4_0")
    assert html(build(ladder)).count("<svg") == 3  # the KLD chart appears
    assert build(ladder, max_kld=0.1).recommendation.startswith("Q8_0")


def test_compare_and_report_cli(ladder):
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(ladder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reference"] == "Q8_0" and len(data["results"]) == 3
    table = runner.invoke(app, ["compare", str(ladder), "--reference", "Q4_0"])
    assert table.exit_code == 0 and "Paired comparison against Q4_0" in table.stdout
    assert runner.invoke(app, ["compare", str(ladder), "--reference", "Q9"]).exit_code == 2
    rep = runner.invoke(app, ["report", str(ladder)])
    assert rep.exit_code == 0 and (ladder / "report.html").is_file() and (ladder / "report.md").is_file()
    assert runner.invoke(app, ["compare", str(ladder / "nothing")]).exit_code == 2

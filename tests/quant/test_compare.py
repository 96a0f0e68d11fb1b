"""Paired comparison, verdicts and report on constructed runs (mock backend, no model)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orbench.backends.mock import MockBackend
from orbench.store.catalog import Generation
from orbench.cli import app
from orbench.quant.compare import compare_all, compare_folders, significant_drop
from orbench.run.loader import load_runs, pick_reference
from orbench.files import write_json_atomic
from orbench.grading import Score
from orbench.grading.graders import grade_math
from orbench.quant.kld import KldReport, KldStats
from orbench.run.plan import RunSpec
from orbench.quant.report import build, html, markdown
from orbench.run.records import Performance
from orbench.run.loop import Run, base_provenance
from orbench.suites import Suite
from orbench.suites.items import Item
from orbench.suites.templates import render_math


def items(n: int) -> list[Item]:
    return [Item(id=f"m{i:03d}", suite="math", category="c", difficulty="easy", prompt=f"{i}+{i}?", answer=str(2 * i))
            for i in range(n)]


def math_suite(n: int, grade=grade_math) -> Suite:
    listed = items(n)
    return Suite("math", "math", "test", lambda seed: listed, render_math, grade, source="test")


MATH = math_suite(60)


def make_run(folder, quant, wrong: set[int], mb: float, bpw: float, suite: Suite = MATH, n: int = 60,
             derived_from: str | None = None):
    script = {f"m{i:03d}": (f"\\boxed{{{2 * i + 1}}}" if i in wrong else f"\\boxed{{{2 * i}}}") for i in range(n)}
    spec = RunSpec(suites=[suite], generation=Generation(max_tokens=32, context=256), folder=folder)
    backend = MockBackend(script)
    performance = Performance(file_bytes=int(mb * 1e6), bits_per_weight=bpw, load_seconds=0.1)
    provenance = base_provenance("toy", quant, spec, backend.info())
    provenance.derived_from = derived_from
    Run(backend, spec, provenance, performance=performance).execute()


def write_index(base, quants):
    (base / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {q: q for q in quants},
                                                 "completed": quants}))


@pytest.fixture
def ladder(tmp_path):
    base = tmp_path / "ladder"
    make_run(base / "Q8_0", "Q8_0", wrong=set(range(0, 6)), mb=140, bpw=8.5)
    make_run(base / "Q4_0", "Q4_0", wrong=set(range(0, 8)), mb=90, bpw=4.5)  # 2 more wrong: undecided at 60 items
    make_run(base / "Q2_K", "Q2_K", wrong=set(range(0, 30)), mb=60, bpw=2.6)  # 24 more wrong: worse
    write_index(base, ["Q8_0", "Q4_0", "Q2_K"])  # an index written before labels were model:quant still loads
    return base


def test_reference_pairs_flips_and_verdicts(ladder):
    runs = load_runs([ladder])
    ref = pick_reference(runs, None)
    assert ref.label == "toy:Q8_0"
    results = {r.label: r for r in compare_all(runs, ref)}
    assert results["toy:Q8_0"].difference.value == 0 and results["toy:Q8_0"].verdict == "reference"
    q4 = results["toy:Q4_0"]
    assert (len(q4.lost), len(q4.gained), q4.pairs) == (2, 0, 60)
    assert q4.lost == ["m006#0", "m007#0"]
    assert q4.p_value == pytest.approx(0.5) and not significant_drop(q4)
    assert q4.verdict == "inconclusive" and q4.items_needed is not None and q4.items_needed > 60
    assert q4.difference.low < -0.02 < q4.difference.high
    q2 = results["toy:Q2_K"]
    assert q2.difference.value == pytest.approx(-24 / 60)
    assert q2.p_value == pytest.approx(2 / 2 ** 24) and significant_drop(q2) and q2.verdict == "worse"


def test_report_says_inconclusive_instead_of_naming_a_quant(ladder):
    rep = build(ladder)
    assert rep.recommendation.startswith("no recommendation: inconclusive, need ≈")
    assert "toy:Q4_0" in rep.recommendation and rep.recommended is None
    assert rep.verdicts is not None and rep.verdicts["toy:Q2_K"].verdict == "worse"
    md = markdown(rep)
    assert md.splitlines()[2].startswith("**Verdict**") and "toy:Q2_K worse" in md.splitlines()[2]
    assert "highest-precision file in the run" in md and "seed 0" in md
    page = html(rep)
    # accuracy and correct-per-hour charts drawn; the mock measured no speed and there is no kld.json yet
    assert page.count("<svg") == 2 and page.count("(no data)") == 2 and ">Q8_0 (reference)<" in page
    assert "Correct answers per hour of machine time" in page
    wall = json.loads((ladder / "Q8_0" / "summary.json").read_text())["suites"][0]["wall_seconds"]
    assert wall > 0 and rep.per_hour[("toy:Q8_0", "math")] == pytest.approx(54 / (wall / 3600))
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "| toy:Q2_K | 60.0 |" in md


def test_a_large_drop_at_small_n_is_inconclusive_and_not_recommended(tmp_path):
    base = tmp_path / "small"
    small = math_suite(20)
    make_run(base / "Q8_0", "Q8_0", wrong={0, 1}, mb=140, bpw=8.5, suite=small, n=20)
    make_run(base / "Q2_K", "Q2_K", wrong={0, 1, 2, 3, 4, 5}, mb=60, bpw=2.6, suite=small, n=20)  # -20 points
    write_index(base, ["Q8_0", "Q2_K"])
    rep = build(base)
    q2 = next(p for p in rep.paired if p.label == "toy:Q2_K")
    assert q2.difference.value == pytest.approx(-0.2) and q2.verdict == "inconclusive"
    assert q2.would_show == "worse" and 20 < (q2.items_needed or 0) < 200
    assert rep.recommended is None and rep.recommendation.startswith("no recommendation: inconclusive")


def fast_grade(item: Item, text: str, context=None) -> Score:
    answer = text.removeprefix("\\boxed{").removesuffix("}")
    return Score(extracted=answer, correct=answer == item.answer)


FAST = math_suite(300, fast_grade)


@pytest.fixture
def big_ladder(tmp_path):
    base = tmp_path / "big"
    make_run(base / "Q8_0", "Q8_0", wrong=set(range(30)), mb=140, bpw=8.5, suite=FAST, n=300)
    make_run(base / "Q4_0", "Q4_0", wrong=set(range(31)), mb=90, bpw=4.5, suite=FAST, n=300)  # 1 more wrong
    make_run(base / "Q2_K", "Q2_K", wrong=set(range(60)), mb=60, bpw=2.6, suite=FAST, n=300)  # 30 more wrong
    write_index(base, ["Q8_0", "Q4_0", "Q2_K"])
    return base


def test_not_worse_when_the_run_can_show_it(big_ladder):
    rep = build(big_ladder)
    q4 = next(p for p in rep.paired if p.label == "toy:Q4_0")
    assert q4.verdict == "not worse" and q4.difference.low > -0.02
    assert rep.recommended == "toy:Q4_0" and "not worse than toy:Q8_0 by more than 2 points" in rep.recommendation
    tight = build(big_ladder, margin=0.005)  # a half-point margin cannot be shown at 300 items
    assert tight.recommended is None and tight.recommendation.startswith("no recommendation: inconclusive")


def kld_row(label: str, mean_kld: float, top1: float) -> KldStats:
    return KldStats(label=label, reference="Q8_0", positions=100, top_k=64, mean_kld=mean_kld, kld_stderr=0.01,
                    median_kld=mean_kld, p99_kld=mean_kld * 3, max_kld=mean_kld * 5, top1_agreement=top1,
                    mean_delta_p=-0.01, rms_delta_p=0.05, ppl=10.0, ppl_reference=9.0, ln_ppl_ratio=0.1)


def test_kld_threshold_changes_the_recommendation(big_ladder):
    write_json_atomic(big_ladder / "kld.json", KldReport(
        model="toy", reference="Q8_0", reference_sha256="0" * 64, files={}, text="corpus.txt", n_ctx=512, top_k=64,
        transcripts=0, results={"text": [kld_row("Q4_0", 0.2, 0.8), kld_row("Q2_K", 0.9, 0.5)]}))
    assert build(big_ladder, max_kld=0.5).recommendation.startswith("toy:Q4_0")
    page = html(build(big_ladder, max_kld=0.5))
    assert page.count("<svg") == 3 and "--max-kld 0.5" in page  # the KLD chart, with its threshold drawn
    assert build(big_ladder, max_kld=0.1).recommendation.startswith("toy:Q8_0: keep the reference")


def test_a_derived_file_is_never_the_default_reference(tmp_path):
    base = tmp_path / "derived"
    source = "toy:Q4_1 (sha256 " + "a" * 64 + ")"
    make_run(base / "Q4_1", "Q4_1", wrong={0}, mb=90, bpw=4.5)
    make_run(base / "Q8_0", "Q8_0", wrong={0, 1, 2}, mb=140, bpw=8.5, derived_from=source)
    make_run(base / "Q2_K", "Q2_K", wrong={0, 1}, mb=60, bpw=2.6, derived_from=source)
    write_index(base, ["Q4_1", "Q8_0", "Q2_K"])
    comparison = compare_folders([base])
    assert comparison.reference.label == "toy:Q4_1"
    assert "not derived from another quant" in comparison.reason and "derived from toy:Q4_1" in comparison.reason
    rep = build(base)
    assert rep.reference == "toy:Q4_1" and any("derived from toy:Q4_1" in w for w in rep.warnings or [])
    assert compare_folders([base], reference="Q8_0").reference.label == "toy:Q8_0"  # asked for, it is used


def test_compare_and_report_cli(ladder):
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(ladder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["reference"] == "toy:Q8_0" and len(data["results"]) == 3 and data["margin"] == 0.02
    assert {r["label"]: r["verdict"] for r in data["results"]}["toy:Q2_K"] == "worse"
    table = runner.invoke(app, ["compare", str(ladder), "--reference", "Q4_0"])
    assert table.exit_code == 0 and "Paired comparison against toy:Q4_0" in table.stdout
    assert "chosen with --reference" in table.stdout and "inconclusive (need ≈" in table.stdout
    assert runner.invoke(app, ["compare", str(ladder), "--reference", "toy:Q4_0"]).exit_code == 0
    assert runner.invoke(app, ["compare", str(ladder), "--reference", "Q9"]).exit_code == 2
    rep = runner.invoke(app, ["report", str(ladder), "--margin", "5", "--json"])
    assert rep.exit_code == 0 and (ladder / "report.html").is_file() and (ladder / "report.md").is_file()
    assert json.loads(rep.stdout)["verdicts"]["toy:Q2_K"]["verdict"] == "worse"
    assert runner.invoke(app, ["compare", str(ladder / "nothing")]).exit_code == 2


def test_the_recommendation_names_each_quants_reason_and_evidence(ladder, big_ladder):
    write_json_atomic(big_ladder / "kld.json", KldReport(
        model="toy", reference="Q8_0", reference_sha256="0" * 64, files={}, text="corpus.txt", n_ctx=512, top_k=64,
        transcripts=0, results={"text": [kld_row("Q4_0", 0.2, 0.8), kld_row("Q2_K", 0.9, 0.5)]}))
    text = build(big_ladder, max_kld=0.1).recommendation
    assert "every smaller quant is worse on some suite" not in text
    assert "toy:Q4_0: mean KLD 0.2000 > 0.1 on 100 positions (accuracy shown not worse on 300 items)" in text
    assert "toy:Q2_K: mean KLD 0.9000 > 0.1 on 100 positions and accuracy worse on math (-10.0 pp, 300 items)" in text
    # 60 items cannot decide Q4_0, so a KLD over the limit decides, and the sentence says so
    write_json_atomic(ladder / "kld.json", KldReport(
        model="toy", reference="Q8_0", reference_sha256="0" * 64, files={}, text="corpus.txt", n_ctx=512, top_k=64,
        transcripts=0, results={"text": [kld_row("Q4_0", 0.2, 0.8), kld_row("Q2_K", 0.9, 0.5)]}))
    text = build(ladder, max_kld=0.1).recommendation
    assert text.startswith("toy:Q8_0: keep the reference; every smaller quant is ruled out. Ruled out:")
    assert "toy:Q4_0: mean KLD 0.2000 > 0.1 on 100 positions (its accuracy on 60 items could not decide either " \
           "way: the KLD decides)" in text
    # without KLD, an undecided quant gives no recommendation and says what would decide it
    (ladder / "kld.json").unlink()
    text = build(ladder).recommendation
    assert text.startswith("no recommendation: inconclusive, need ≈") and "orbench kld" in text
    assert "toy:Q2_K: accuracy worse on math" in text

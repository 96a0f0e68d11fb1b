"""The adaptive ladder (`--until-decided`) on the mock backend: rounds on a seeded order, a decided
quant stops generating, the budget, the record in adaptive.json, exact resume, and compare's replay."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from orbench.errors import OrbenchError
from orbench.files import read_model
from orbench.quant.adaptive import parse_budget, run_adaptive
from orbench.quant.compare import compare_folders
from orbench.quant.adaptive_record import ADAPTIVE_VERSION, AdaptiveRecord, item_order, replay, scores
from orbench.run.evaluate import run_model
from orbench.run.records import read_samples
from orbench.run.settings import RunOptions
from orbench.store.catalog import load_catalog
from orbench.suites import parse_suites
from tests.support.mockruns import cli

ITEMS = 60


def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "sums.jsonl"
    path.write_text("".join(json.dumps({"id": f"s{i}", "suite": "sums", "category": "sum", "difficulty": "easy", "kind": "math", "prompt": f"What is {i} plus {i}?", "answer": str(2 * i)}) + "\n"
                            for i in range(ITEMS)))
    return path


def script(wrong_every: int | None) -> dict[str, str]:
    """Right on every item, except every `wrong_every`-th one (None: never)."""
    return {f"s{i}": "\\boxed{0}" if wrong_every and i % wrong_every == 0 else f"\\boxed{{{2 * i}}}"
            for i in range(ITEMS)}


SCRIPTS = {"Q8_0": script(None), "Q4_1": script(None), "Q4_0": script(1), "Q2_K": script(3)}


@pytest.fixture
def ladder(tmp_path, mock_script):
    calls: list[tuple[str, int]] = []

    def runner(ref, suites, out, opts, fail_at: tuple[str, int] | None = None):
        calls.append((ref.quant, len(opts.items or ())))
        if fail_at == calls[-1]:
            raise KeyboardInterrupt
        mock_script(SCRIPTS[ref.quant])
        return run_model(ref, suites, out, opts)

    catalog = load_catalog()
    path = suite_file(tmp_path)
    opts = RunOptions(suites=str(path), backend="mock", quiet=True, until_decided=True, margin=20.0, round_items=8)

    def run(quants: str, out: Path, **changes):
        refs = [catalog.resolve(f"smollm2-135m:{q}") for q in quants.split(",")]
        fail_at = changes.pop("fail_at", None)
        return run_adaptive(refs, parse_suites(str(path)), out, replace(opts, **changes),
                            runner=lambda *a: runner(*a, fail_at=fail_at))

    return run, calls


def test_quants_are_decided_and_stop_generating(ladder, tmp_path):
    run, calls = ladder
    result = run("Q4_1,Q8_0,Q4_0", tmp_path / "out")
    record = result.record
    assert record.settings.reference == "smollm2-135m:Q8_0"  # the most bits, as compare picks it
    states = record.states()
    assert states["smollm2-135m:Q4_1"].verdict == "not worse" and states["smollm2-135m:Q4_0"].verdict == "worse"
    assert record.status == "decided" and record.rounds[-1].items < ITEMS
    # the collapsed quant was decided first and ran no further round
    worse_at = states["smollm2-135m:Q4_0"].decided_at
    assert worse_at is not None and worse_at < states["smollm2-135m:Q4_1"].decided_at
    assert max(n for q, n in calls if q == "Q4_0") == worse_at
    q4_0 = read_samples(result.folders["smollm2-135m:Q4_0"] / "samples.jsonl")
    assert len(q4_0) == worse_at and {f"{r.suite}/{r.item_id}" for r in q4_0} == set(record.order[:worse_at])
    assert "worse after" in record.stopped["smollm2-135m:Q4_0"] and "stopped generating" in record.stopped["smollm2-135m:Q4_0"]
    summary = json.loads((result.folders["smollm2-135m:Q4_0"] / "summary.json").read_text())
    assert summary["items_run"] == worse_at and summary["samples_planned"] == ITEMS
    assert any(f"{worse_at} of the plan's {ITEMS} items" in n for n in summary["notes"])


def test_order_is_seeded_and_rounds_take_it_in_turn(ladder, tmp_path):
    run, _ = ladder
    record = run("Q8_0,Q4_1", tmp_path / "out").record
    assert record.order == item_order([f"sums/s{i}" for i in range(ITEMS)], 0)
    assert record.order != item_order([f"sums/s{i}" for i in range(ITEMS)], 1)
    assert [r.items for r in record.rounds] == [8 * (i + 1) for i in range(len(record.rounds))]
    stored = read_model(tmp_path / "out" / "adaptive.json", AdaptiveRecord)
    assert stored == record and json.loads((tmp_path / "out" / "adaptive.json").read_text())["schema_version"] == ADAPTIVE_VERSION


def test_a_record_of_the_earlier_test_is_refused_by_resume_and_compare(ladder, tmp_path):
    """Version 1 held the plug-in bet's two capitals only; read as version 2 its missing capitals
    would be zeros, and resume would continue another test's state as if it were this one's."""
    run, _ = ladder
    out = tmp_path / "out"
    run("Q8_0,Q4_1", out, limit=16)
    data = json.loads((out / "adaptive.json").read_text())
    data["schema_version"] = 1
    for entry in data["rounds"]:
        for state in entry["states"].values():
            for key in [k for k in state if k.endswith(("_planned", "_adaptive"))]:
                del state[key]
    (out / "adaptive.json").write_text(json.dumps(data))
    for attempt in (lambda: run("Q8_0,Q4_1", out, limit=16), lambda: compare_folders([out])):
        with pytest.raises(OrbenchError, match="earlier orbench .schema_version 1"):
            attempt()


def test_pool_end_is_inconclusive_with_items_still_needed(ladder, tmp_path):
    run, _ = ladder
    record = run("Q8_0,Q2_K", tmp_path / "out", margin=5.0, limit=16).record
    assert record.status == "pool exhausted" and record.rounds[-1].items == 16
    why = record.stopped["smollm2-135m:Q2_K"]
    assert why.startswith("inconclusive after 16 items: the item pool ended")


def test_budget_stops_before_a_round_would_pass_it(ladder, tmp_path):
    run, calls = ladder
    full = run("Q8_0,Q4_1", tmp_path / "full").record
    per_round = full.rounds[0].tokens
    budget = run("Q8_0,Q4_1", tmp_path / "budget", budget_tokens=int(per_round * 2.5)).record
    assert budget.status == "budget" and len(budget.rounds) == 2 and budget.tokens <= per_round * 2.5
    assert "next round would have passed the budget" in budget.stopped["smollm2-135m:Q4_1"]


def test_resume_after_an_interrupt_ends_exactly_as_an_uninterrupted_run(ladder, tmp_path):
    run, _ = ladder
    whole = run("Q4_1,Q8_0,Q4_0", tmp_path / "whole").record
    with pytest.raises(KeyboardInterrupt):  # in round 2, after the reference ran its items
        run("Q4_1,Q8_0,Q4_0", tmp_path / "cut", fail_at=("Q4_1", 16))
    cut = read_model(tmp_path / "cut" / "adaptive.json", AdaptiveRecord)
    assert len(cut.rounds) == 1 and cut.status == "running"
    resumed = run("Q4_1,Q8_0,Q4_0", tmp_path / "cut").record
    assert [r.states for r in resumed.rounds] == [r.states for r in whole.rounds]
    assert resumed.stopped == whole.stopped and resumed.status == whole.status


def test_replay_from_samples_reproduces_the_stored_states_and_a_changed_folder_is_refused(ladder, tmp_path):
    run, _ = ladder
    result = run("Q4_1,Q8_0,Q4_0", tmp_path / "out")
    by_label = {q: scores(read_samples(f / "samples.jsonl")) for q, f in result.folders.items()}
    assert [r.states for r in result.record.rounds] == replay(result.record, by_label)
    samples = result.folders["smollm2-135m:Q4_1"] / "samples.jsonl"
    lines = samples.read_text().splitlines()
    first = json.loads(lines[0])
    first["correct"] = not first["correct"]
    samples.write_text("\n".join([json.dumps(first)] + lines[1:]) + "\n")
    with pytest.raises(OrbenchError, match="does not match the stored samples"):
        run("Q4_1,Q8_0,Q4_0", tmp_path / "out")


def test_other_settings_in_the_same_folder_are_refused(ladder, tmp_path):
    run, _ = ladder
    run("Q8_0,Q4_1", tmp_path / "out")
    with pytest.raises(OrbenchError, match="other settings"):
        run("Q8_0,Q4_1", tmp_path / "out", margin=10.0)


def test_compare_reports_the_anytime_valid_verdicts(ladder, tmp_path):
    run, _ = ladder
    result = run("Q4_1,Q8_0,Q4_0", tmp_path / "out")
    out = cli("compare", tmp_path / "out", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["reference"] == "smollm2-135m:Q8_0"
    rows = {r["label"]: r for r in data["adaptive"]["quants"]}
    for label, state in result.record.states().items():
        assert rows[label]["verdict"] == state.verdict and rows[label]["decided_at"] == state.decided_at
        assert (rows[label]["low"], rows[label]["high"]) == pytest.approx(state.interval)
    text = cli("compare", tmp_path / "out")
    assert "anytime-valid" in text.output and "worse after" in text.output


@pytest.mark.parametrize("text,seconds", [("2h", 7200), ("30m", 1800), ("90s", 90), ("1h30m", 5400), ("0.5h", 1800)])
def test_budget_times(text, seconds):
    assert parse_budget(text) == seconds


@pytest.mark.parametrize("text", ["2 hours", "h", "-1h", "0s", "5"])
def test_bad_budgets_are_refused(text):
    with pytest.raises(OrbenchError):
        parse_budget(text)


def test_cli_refuses_adaptive_flags_without_a_ladder(tmp_path):
    out = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "--until-decided", "-o", tmp_path / "x")
    assert out.exit_code == 2 and "--quant" in out.output
    out = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "--budget", "1h", "-o", tmp_path / "x")
    assert out.exit_code == 2 and "--until-decided" in out.output


def test_report_draws_the_running_interval_and_where_each_quant_stopped(ladder, tmp_path):
    run, _ = ladder
    record = run("Q4_1,Q8_0,Q4_0", tmp_path / "out").record
    out = cli("report", tmp_path / "out")
    assert out.exit_code == 0, out.output
    md = (tmp_path / "out" / "report.md").read_text()
    assert "Adaptive ladder (--until-decided): decided" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert len(rows) == len(record.rounds)
    worse_round = next(r.round for r in record.rounds if r.states["smollm2-135m:Q4_0"].verdict == "worse")
    assert "**worse**" in rows[worse_round - 1].split("|")[-2]
    assert all(row.split("|")[-2].strip() == "·" for row in rows[worse_round:])  # it ran no further round
    assert "- smollm2-135m:Q4_0: worse after" in md


def test_report_verdicts_of_an_adaptive_ladder_are_the_sequential_ones(ladder, tmp_path):
    run, _ = ladder
    run("Q4_1,Q8_0,Q4_0", tmp_path / "out")
    assert cli("report", tmp_path / "out").exit_code == 0
    verdict = (tmp_path / "out" / "report.md").read_text().splitlines()[2]
    # at the report's default 2-point margin the fixed-n interval of these few items is inconclusive
    assert "smollm2-135m:Q4_1 not worse" in verdict and "smollm2-135m:Q4_0 worse" in verdict


def _chart(html: str) -> str:
    found = re.search(r'<svg class="running-interval".*?</svg>', html, re.S)
    assert found, "no running-interval chart"
    return found.group(0)


def test_report_and_view_draw_the_running_interval_and_where_each_quant_stopped(ladder, tmp_path):
    run, _ = ladder
    record = run("Q4_1,Q8_0,Q4_0", tmp_path / "out").record
    assert cli("report", tmp_path / "out").exit_code == 0
    assert cli("view", tmp_path / "out", "--no-open").exit_code == 0
    report, view = (_chart((tmp_path / "out" / name).read_text()) for name in ("report.html", "view.html"))
    assert report == view  # one picture in both
    states = record.states()
    for label in record.settings.quants:
        band = re.search(rf'<polygon class="band" data-label="{re.escape(label)}" points="([^"]+)"', report)
        assert band, label
        ran = [r for r in record.rounds if r.items <= record.rounds[-1].items and
               (r.round == 1 or record.rounds[r.round - 2].states[label].verdict == "continue")]
        assert len(band.group(1).split()) == 2 * len(ran)  # upper and lower end after each round it ran
        stop = re.search(rf'<circle class="stop" data-label="{re.escape(label)}"[^>]*><title>([^<]+)', report)
        assert stop and f"{states[label].verdict} after {ran[-1].items} items" in stop.group(1)
    assert "-20.0% margin" in report and "stroke-dasharray" in report
    assert 'id="chart"' in (tmp_path / "out" / "view.html").read_text()


def test_view_of_a_plain_run_has_no_chart(ladder, tmp_path):
    run, _ = ladder
    result = run("Q4_1,Q8_0", tmp_path / "out")
    folder = result.folders["smollm2-135m:Q4_1"]
    assert cli("view", folder, "--no-open").exit_code == 0
    assert 'running-interval' not in (folder / "view.html").read_text()


@pytest.mark.browser
def test_chart_is_drawn_in_the_browser(ladder, tmp_path):
    from tests.support.browser import launch, open_page

    run, _ = ladder
    record = run("Q4_1,Q8_0,Q4_0", tmp_path / "out").record
    assert cli("view", tmp_path / "out", "--no-open").exit_code == 0
    for browser in launch():
        page = open_page(browser, tmp_path / "out" / "view.html")
        assert page.locator("#chart svg polygon.band").count() == len(record.settings.quants)
        assert page.locator("#chart svg circle.stop").count() == 2  # both quants were decided
        box = page.locator("#chart svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        assert page.locator("#count").text_content().endswith("samples")  # the list still works below it

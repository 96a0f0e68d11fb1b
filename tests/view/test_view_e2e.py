"""The embedded model's real replies: regrading reproduces the run's own verdicts, and the viewer
shows them."""

from __future__ import annotations

import json
import os

import pytest

from support.browser import launch, open_page
from conftest import REAL_ORBENCH_HOME
from support.mockruns import cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def real_run(embedded_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e-view") / "run"
    with pytest.MonkeyPatch.context() as env:
        if REAL_ORBENCH_HOME:
            env.setenv("ORBENCH_HOME", REAL_ORBENCH_HOME)
        else:
            env.delenv("ORBENCH_HOME", raising=False)
        env.delenv("ORBENCH_DATA_DIR", raising=False)
        result = cli("run", "-m", "smollm2-135m", "-s", "math,code", "--limit", "1", "--max-tokens", "64",
                     "--threads", str(min(2, os.cpu_count() or 1)), "-o", out, "-q")
    assert result.exit_code == 0, result.output
    return out


def test_regrading_real_replies_reproduces_their_verdicts(real_run):
    before = [json.loads(line) for line in (real_run / "samples.jsonl").read_text().splitlines()]
    result = cli("regrade", real_run, "--json", "-q")
    assert result.exit_code == 0, result.output
    suites = json.loads(result.stdout)[0]["suites"]
    assert [(s["suite"], s["regraded"], s["changed"], s["updated"]) for s in suites] == [("math", 1, 0, 0), ("code", 1, 0, 0)]
    after = [json.loads(line) for line in (real_run / "samples.jsonl").read_text().splitlines()]
    assert after == before


def test_the_viewer_shows_real_replies(real_run):
    records = {r["id"]: r for r in map(json.loads, (real_run / "samples.jsonl").read_text().splitlines())}
    assert cli("view", real_run, "--no-open").exit_code == 0
    for browser in launch():
        page = open_page(browser, real_run / "view.html")
        assert page.text_content("#count") == "2 of 2 samples"
        key = next(k for k in records if k.startswith("code/"))
        page.keyboard.press("j")
        page.wait_for_selector("#detail .runcol")
        page.evaluate(f"location.hash = 's=' + encodeURIComponent({json.dumps(key)})")
        page.wait_for_function(f"document.querySelector('#detail h2')?.textContent === {json.dumps(key)}")
        record = records[key]
        verdict = "error" if record["status"] == "error" else "correct" if record["correct"] else "wrong"
        assert page.text_content("#detail .verdict") == verdict
        assert (page.text_content("#detail pre.extracted") or "") in (record["extracted"] or "(nothing extracted)")
        shown = page.text_content("#detail pre.answer") or ""
        assert shown.strip() and shown.strip() in record["output"]
        assert page.text_content("#detail pre.prompt") == record["prompt"] and page.errors == []

"""The viewer is readable with a four-quant ladder in a real browser (headless Chromium, 1400x900):
whole item ids and a copy button, a legend for the run badges, a run header that says each thing
once, every run reachable side by side, rounded durations, and a message when no item matches."""

from __future__ import annotations

import re

import pytest

from support.browser import launch, open_page
from support.mockruns import REASONING, cli, quant_ladder, replies, write_data_dir

pytestmark = pytest.mark.browser

QUANTS = ["Q8_0", "Q6_K", "Q4_K_M", "Q2_K"]
LABELS = [f"smollm2-135m:{q}" for q in QUANTS]


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture
def four_runs(tmp_path, mock_script, monkeypatch):
    """A ladder of four quants over math and reasoning; quant n gets 2n math items and n reasoning
    items wrong. The mock reports simulated generation times (unrounded floats)."""
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(write_data_dir(tmp_path / "data")))
    monkeypatch.setenv("ORBENCH_MOCK_SPEED", "37.3,0.3,1")
    scripts = {}
    for n, quant in enumerate(QUANTS):
        script = replies(wrong={i: "\\boxed{5}" for i in range(1, 1 + 2 * n)})
        script.update({item["id"]: "Answer: Anna" if k < n else "Answer: Ben" for k, item in enumerate(REASONING)})
        scripts[quant] = script
    base = quant_ladder(tmp_path / "ladder", mock_script, scripts, "math,reasoning")
    result = cli("view", base, "--no-open")
    assert result.exit_code == 0, result.output
    return base / "view.html"


def open_sample(browser, view, key: str, **options):
    page = open_page(browser, view, "#s=" + key.replace("/", "%2F").replace("#", "%23"), **options)
    page.wait_for_selector("#detail .runcol")
    return page


def test_item_ids_are_shown_whole_and_can_be_copied(browser, four_runs):
    page = open_sample(browser, four_runs, "reasoning/reasoning-001#0",
                       permissions=["clipboard-read", "clipboard-write"])
    cells = page.eval_on_selector_all(
        "#spacer .row", "rows => rows.map(r => { const c = r.firstElementChild;"
        " const parts = [c, ...c.querySelectorAll('*')];"
        " return [r.dataset.key, c.textContent, parts.every(p => p.scrollWidth <= p.clientWidth)]; })")
    assert len(cells) == 12
    assert [(key, text, whole) for key, text, whole in cells if not whole or text != key] == []
    assert page.text_content("#detail h2").startswith("reasoning/reasoning-001#0")
    page.click("#detail button.copy")
    page.wait_for_function("document.querySelector('#detail button.copy').textContent === 'copied'")
    assert page.evaluate("navigator.clipboard.readText()") == "reasoning/reasoning-001#0"
    assert page.errors == []


def test_the_run_badges_have_a_legend_in_run_order(browser, four_runs):
    page = open_page(browser, four_runs)
    legend = page.locator("#legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for word in ("correct", "wrong", "error", "not in this run"):
        assert word in text
    assert [text.index(label) for label in LABELS] == sorted(text.index(label) for label in LABELS)
    chips = page.eval_on_selector_all("#legend .chip", "cs => cs.map(c => c.className)")
    assert {"chip v-correct", "chip v-wrong", "chip v-error", "chip v-none"} <= set(chips)
    first = page.eval_on_selector_all("#spacer .row[data-key='math/m1#0'] .chip", "cs => cs.map(c => c.title)")
    assert first == [f"{LABELS[0]}: correct"] + [f"{label}: wrong" for label in LABELS[1:]]


def test_the_run_header_says_each_thing_once(browser, four_runs):
    page = open_sample(browser, four_runs, "math/m1#0")
    runs = page.eval_on_selector_all("#runs > span", "ss => ss.map(s => s.innerText)")
    assert len(runs) == 4
    for label, text in zip(LABELS, runs):
        assert text.count("smollm2-135m") == 1 and text.startswith(label), text
    heads = page.eval_on_selector_all("#detail .runhead", "hs => hs.map(h => h.innerText.split(/\\s+/))")
    assert heads[0] == [LABELS[0], "correct", "reference"]
    assert heads[1] == [LABELS[1], "wrong", "run"]
    assert page.errors == []
    cli("view", four_runs.parent / "Q2_K", "--no-open")
    single = open_page(browser, four_runs.parent / "Q2_K" / "view.html")
    assert single.text_content("#title") == f"orbench view: {LABELS[3]}"
    assert single.inner_text("#runs").startswith(f"{LABELS[3]} · 12 samples")
    assert "not in this run" not in single.inner_text("#legend") and single.errors == []


def in_view(page, run: str) -> bool:
    return page.evaluate("""run => {
        const col = document.querySelector(`#detail .runcol[data-run='${run}']`).getBoundingClientRect();
        const box = document.querySelector('#detail .runs').getBoundingClientRect();
        const pane = document.querySelector('#detail').getBoundingClientRect();
        return col.left >= Math.max(box.left, pane.left) - 1 && col.right <= Math.min(box.right, pane.right) + 1;
    }""", run)


def test_every_run_of_a_ladder_is_reachable_side_by_side(browser, four_runs):
    page = open_sample(browser, four_runs, "math/m3#0")
    shown = [run for run in LABELS if in_view(page, run)]
    assert 0 < len(shown) < 4  # 1400 px beside the list: not all four fit
    nav = page.eval_on_selector_all("#detail .runnav button[data-run]", "bs => bs.map(b => b.dataset.run)")
    assert nav == LABELS
    assert f"{len(shown)} of 4" in page.inner_text("#detail .runnav")
    for run in reversed(LABELS):
        page.click(f"#detail .runnav button[data-run='{run}']")
        page.wait_for_function("""run => { const c = document.querySelector(`#detail .runcol[data-run='${run}']`)
            .getBoundingClientRect(), b = document.querySelector('#detail .runs').getBoundingClientRect();
            return c.left >= b.left - 1 && c.right <= b.right + 1; }""", arg=run)
    page.click("#scroller")
    page.keyboard.press("w")  # wide: the sample takes the whole window, and the four runs fit
    page.wait_for_function("getComputedStyle(document.querySelector('#list')).display === 'none'")
    assert all(in_view(page, run) for run in LABELS)
    assert "4 of 4" in page.inner_text("#detail .runnav")
    page.keyboard.press("w")
    assert page.locator("#list").is_visible() and page.errors == []


SECONDS = re.compile(r"^(-|0|<0\.01|\d+(\.\d\d?)?)$")


def test_durations_are_rounded(browser, four_runs):
    page = open_sample(browser, four_runs, "math/m2#0")
    listed = page.eval_on_selector_all("#spacer .row", "rs => rs.map(r => r.lastElementChild.textContent)")
    assert listed and all(SECONDS.match(s) for s in listed), listed
    facts = page.eval_on_selector_all(
        "#detail .runcol:first-child table.timings tr",
        "trs => Object.fromEntries(trs.map(tr => [tr.cells[0].textContent, tr.cells[1].textContent]))")
    for name in ("seconds", "prompt seconds", "generation seconds"):
        assert SECONDS.match(facts[name]), (name, facts[name])
    assert float(facts["generation seconds"]) > 0  # a simulated time, shown to two decimals


def test_an_empty_filter_says_no_items_match(browser, four_runs):
    page = open_page(browser, four_runs)
    assert not page.locator("#empty").is_visible()
    page.select_option("#f-verdict", "error")
    assert page.text_content("#count") == "0 of 12 samples"
    assert page.locator("#empty").is_visible() and "No items match" in page.inner_text("#empty")
    page.click("#empty button")
    assert page.text_content("#count") == "12 of 12 samples" and not page.locator("#empty").is_visible()
    assert page.errors == []

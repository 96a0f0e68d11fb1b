"""The viewer in a real browser (headless Chromium through Playwright), on real runs of the mock
backend: filters, search, a sample's page, keyboard, the ladder's lost items from report.html,
and the first screen of a 10,000-sample run. Skipped, with the reason, where no browser exists."""

from __future__ import annotations

import json

import re
import time
from html.parser import HTMLParser

import pytest

from support.bigrun import write_big_samples
from support.browser import launch, open_page
from support.mockruns import cli, ladder, mock_run, replies, write_data_dir

pytestmark = pytest.mark.browser

MARMALADE = "The marmalade rule says \\boxed{5}."


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(write_data_dir(tmp_path / "data")))


@pytest.fixture
def small_run(tmp_path, mock_script):
    mock_script(replies(wrong={2: MARMALADE, 3: "\\boxed{7}"},
                        thinking={2: "Two plus two, carried over twice, comes to five.", 5: "Five and five."}))
    out = tmp_path / "run"
    mock_run(out, "math,code")
    result = cli("view", out, "--no-open")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"view: {out / 'view.html'} (10 samples, 1 run(s)")
    return out


def count(page) -> str:
    return page.text_content("#count")


def row_keys(page) -> list[str]:
    return page.eval_on_selector_all("#spacer .row", "rows => rows.map(r => r.dataset.key)")


def test_filter_search_and_open_a_sample(browser, small_run):
    page = open_page(browser, small_run / "view.html")
    assert count(page) == "10 of 10 samples"
    page.select_option("#f-verdict", "wrong")
    assert count(page) == "3 of 10 samples"  # m2, m3 and the code item whose function adds 3
    assert set(row_keys(page)) == {"math/m2#0", "math/m3#0", "code/c2#0"}
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("marmalade")
    page.keyboard.press("Enter")
    page.wait_for_selector("html[data-search=done]")
    assert count(page) == "1 of 10 samples" and row_keys(page) == ["math/m2#0"]
    page.click("#spacer .row")
    page.wait_for_selector("#detail .runcol")
    assert page.text_content("#detail h2") == "math/m2#0"
    assert page.text_content("#detail pre.prompt").startswith("What is 2 plus 2? Mind the carry.\n\nPlease reason")
    assert page.text_content("#detail .verdict") == "wrong"
    assert page.text_content("#detail pre.extracted") == "5"
    assert "answer4" in page.text_content("#detail table.reference").replace(" ", "")
    assert page.text_content("#detail pre.answer") == MARMALADE
    assert page.inner_text("#detail mark") == "marmalade"  # the search term is marked in the reply
    thinking = page.locator("#detail details.thinking")
    assert not thinking.evaluate("d => d.open")  # folded by default
    assert thinking.locator("pre").text_content() == "Two plus two, carried over twice, comes to five."
    page.keyboard.press("t")
    assert thinking.evaluate("d => d.open")
    assert "completion tokens" in page.text_content("#detail table.timings") and page.errors == []


def test_keyboard_walks_the_list_and_the_address_opens_a_sample(browser, small_run):
    page = open_page(browser, small_run / "view.html")
    page.click("#scroller")
    page.keyboard.press("j")
    page.wait_for_selector("#detail .runcol")
    assert page.text_content("#detail h2") == "math/m1#0"
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.wait_for_function("document.querySelector('#detail h2')?.textContent === 'math/m3#0'")
    page.keyboard.press("k")
    page.wait_for_function("document.querySelector('#detail h2')?.textContent === 'math/m2#0'")
    assert page.evaluate("location.hash") == "#s=math%2Fm2%230"
    code = open_page(browser, small_run / "view.html", "#s=code%2Fc2%230")
    code.wait_for_selector("#detail .runcol")
    assert code.text_content("#detail .verdict") == "wrong"
    assert "AssertionError" in code.text_content("#detail .reason")  # the sandbox's exit reason
    assert "assert add2(1) == 3" in code.text_content("#detail table.reference")  # the tests
    shown = code.text_content("#detail table.timings")
    isolation = next(json.loads(line)["isolation"] for line in (small_run / "samples.jsonl").read_text().splitlines()
                     if json.loads(line)["item_id"] == "c2")
    assert isolation and isolation[:40] in shown  # the isolation used
    assert page.errors == [] and code.errors == []


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and "&s=" in href:
            self.hrefs.append(href)


def test_lost_items_are_two_clicks_from_the_report(browser, tmp_path, mock_script):
    base = ladder(tmp_path / "ladder", mock_script, replies(), replies(wrong={3: "\\boxed{5}", 6: "\\boxed{1}"}))
    assert cli("report", base).exit_code == 0
    links = _Links()
    links.feed((base / "report.html").read_text())
    assert [re.sub(r".*&s=", "", h) for h in links.hrefs] == ["math%2Fm3%230", "math%2Fm6%230"]
    page = open_page(browser, base / "report.html", viewer=False)
    page.click("text=m3#0")
    page.wait_for_selector("#detail .runcol[data-run='smollm2-135m:Q4_0']")
    assert page.url.split("/")[-1].startswith("view.html#")
    assert page.text_content("#detail h2") == "math/m3#0"
    assert count(page) == "2 of 8 samples"  # the list shows the lost items: j / k walk through them
    verdicts = page.eval_on_selector_all("#detail .runcol", "cols => cols.map(c => [c.dataset.run, "
                                         "c.querySelector('.verdict').textContent])")
    assert verdicts == [["smollm2-135m:Q8_0", "correct"], ["smollm2-135m:Q4_0", "wrong"]]
    compared = cli("compare", base)
    command = next(line for line in compared.stdout.splitlines() if "orbench view" in line)
    args = command.split("orbench view ", 1)[1].split()
    assert cli("view", *args, "--no-open", "-o", tmp_path / "flips.html").exit_code == 0
    flips = open_page(browser, tmp_path / "flips.html")
    assert count(flips) == "2 of 8 samples" and row_keys(flips) == ["math/m3#0", "math/m6#0"]
    assert page.errors == [] and flips.errors == []


@pytest.mark.slow
def test_a_10000_sample_run_shows_its_first_screen_quickly(browser, tmp_path, mock_script):
    """The one timing assertion the issue asks for. The page marks, in ms since navigation started
    (so HTML parsing of the ~27 MB file is included), when its first rows have been painted. It takes
    about 0.4-0.7 s on 2 shared CPU cores; the 2 s bound is kept loose so that a busy CI machine does
    not fail it, while a page that built the DOM for every sample or inflated all bodies up front
    (several seconds here) would."""
    out = tmp_path / "big"
    mock_script(replies())
    mock_run(out, "math", "--limit", "1")
    text_chars = write_big_samples(out)
    assert text_chars > 50_000_000
    assert cli("view", out, "--no-open").exit_code == 0
    started = time.perf_counter()
    page = open_page(browser, out / "view.html")
    page.wait_for_selector("html[data-first-screen-ms]")
    first_screen_ms = int(page.evaluate("document.documentElement.dataset.firstScreenMs"))
    print(f"10,000 samples: first screen painted {first_screen_ms} ms after navigation "
          f"({time.perf_counter() - started:.2f} s as Playwright saw it)")
    assert count(page) == "10,000 of 10,000 samples"
    assert page.eval_on_selector_all("#spacer .row", "rows => rows.length") < 80  # only the visible rows
    assert first_screen_ms < 2000
    page.keyboard.press("j")
    page.wait_for_selector("#detail pre.answer")
    assert page.text_content("#detail h2") == "math/big-00000#0" and page.errors == []

"""The quant report's charts: dots that fall on one spot are set apart (so every suite's dot can be
seen, checked in a real browser too), and a quant that answered nothing correctly is drawn at zero
in the correct-answers-per-hour chart instead of being left out."""

from __future__ import annotations

import json
import re

import pytest

from support.browser import launch, open_page
from orbench.backends.mock import MockBackend
from orbench.store.catalog import Generation
from orbench.run.plan import RunSpec
from orbench.quant.report import build, html
from orbench.run.records import Performance
from orbench.run.loop import Run, base_provenance
from orbench.suites import Suite
from orbench.suites.items import Item
from orbench.suites.templates import render_math
from orbench.quant.svg import Point, scatter
from orbench.grading.graders import grade_math

CIRCLE = re.compile(r'<circle cx="([\d.]+)" cy="([\d.]+)"')


def suite(name: str, n: int = 20) -> Suite:
    listed = [Item(id=f"{name}{i:02d}", suite=name, category="c", difficulty="easy", prompt=f"{i}+{i}?",
                   answer=str(2 * i)) for i in range(n)]
    return Suite(name, "math", "test", lambda seed: listed, render_math, grade_math, source="test")


def quant(folder, label: str, right: bool, mb: float, bpw: float, n: int = 20) -> None:
    """A run of the two suites `alpha` and `beta` that answers every item right, or every item wrong."""
    suites = [suite("alpha", n), suite("beta", n)]
    script = {f"{s.name}{i:02d}": f"\\boxed{{{2 * i + (0 if right else 1)}}}" for s in suites for i in range(n)}
    spec = RunSpec(suites=suites, generation=Generation(max_tokens=32, context=256), folder=folder)
    backend = MockBackend(script)
    provenance = base_provenance("toy", label, spec, backend.info())
    Run(backend, spec, provenance, performance=Performance(file_bytes=int(mb * 1e6), bits_per_weight=bpw)).execute()


@pytest.fixture
def report_page(tmp_path):
    """Q8_0 and Q4_0 answer all of both suites (their two dots coincide at 100%); Q2_K answers none."""
    base = tmp_path / "ladder"
    quant(base / "Q8_0", "Q8_0", True, 140, 8.5)
    quant(base / "Q4_0", "Q4_0", True, 90, 4.5)
    quant(base / "Q2_K", "Q2_K", False, 60, 2.6)
    (base / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {q: q for q in ("Q8_0", "Q4_0", "Q2_K")},
                                                 "completed": ["Q8_0", "Q4_0", "Q2_K"]}))
    page = tmp_path / "report.html"
    page.write_text(html(build(base)))
    return page


def test_coinciding_dots_are_set_apart_and_others_stay_put():
    points = [Point(100, 0.5, "Q8_0", "alpha"), Point(100, 0.5, "Q8_0", "beta"), Point(100, 0.5, "Q8_0", "gamma"),
              Point(50, 0.25, "Q4_0", "alpha"), Point(50, 0.75, "Q4_0", "beta")]
    one = CIRCLE.findall(scatter(points[2:], "x", "y"))  # the same frame, one dot at (100, 50%)
    drawn = CIRCLE.findall(scatter(points, "x", "y"))
    assert len(set(drawn[:3])) == 3  # three dots where there was one
    assert {cy for _, cy in drawn[:3]} == {one[0][1]}  # at the same height: only set apart sideways
    xs = sorted(float(cx) for cx, _ in drawn[:3])
    assert xs[1] - xs[0] >= 8 and xs[2] - xs[1] >= 8  # the dots (radius 4) no longer cover each other
    assert sum(xs) / 3 == pytest.approx(float(one[0][0]), abs=0.1)  # centred on the spot they share
    assert drawn[3:] == one[1:]  # dots that were apart are where they were


def test_a_quant_at_zero_correct_answers_per_hour_is_drawn(report_page):
    text = report_page.read_text()
    chart = text.split("Correct answers per hour of machine time</h2>", 1)[1].split("</svg>", 1)[0]
    assert ">Q2_K<" in chart and ">0.0<" in chart
    assert ">Q8_0 (reference)<" in chart and ">Q4_0" in chart


@pytest.fixture(scope="module")
def browser():
    yield from launch()


def test_every_accuracy_dot_can_be_seen_in_the_browser(browser, report_page):
    page = open_page(browser, report_page, viewer=False)
    hidden = page.evaluate("""() => {
        const svg = document.querySelector('svg');
        return [...svg.querySelectorAll('circle')].filter(c => {
            c.scrollIntoView({block: 'center'}); const r = c.getBoundingClientRect();
            return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) !== c;
        }).map(c => c.textContent);
    }""")
    assert page.evaluate("document.querySelector('svg').querySelectorAll('circle').length") == 6
    assert hidden == [] and page.errors == []

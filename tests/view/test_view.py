"""The viewer's page without a browser: what it embeds, how, and what it leaves out."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import pytest

from support.mockruns import cli, ladder, mock_run, replies, write_data_dir
from orbench.backends.mock import MockBackend
from orbench.store.catalog import Generation
from orbench.grading.graders import grade_math, grade_reasoning
from orbench.run.plan import RunSpec
from orbench.run.loop import Run, base_provenance
from orbench.suites import Suite
from orbench.suites.items import Item
from orbench.suites.templates import render_reasoning
from orbench.view import pack, write_view


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(write_data_dir(tmp_path / "data")))


def read_view(path: Path) -> tuple[dict, list, list]:
    """The page's meta, index rows and every body, decoded as the page's script decodes them."""
    html = path.read_text()
    meta = json.loads(re.search(r'<script type="application/json" id="meta">(.*?)</script>', html).group(1))
    rows = json.loads(re.search(r'<script type="application/json" id="rows">(.*?)</script>', html).group(1))
    chunks = [json.loads(gzip.decompress(base64.b64decode(text)))
              for text in re.findall(r'<script type="application/x-gzip-base64" id="c\d+">(.*?)</script>', html)]
    assert len(chunks) == meta["chunks"]
    return meta, rows, [chunks[row[6]][row[7]] for row in rows]


def test_bodies_are_packed_in_compressed_chunks_and_placed():
    bodies = [{"prompt": f"p{i}", "text": "x" * 1000} for i in range(50)]
    chunks, placement = pack(bodies, target=10_000)
    assert len(chunks) == 5 and placement[0] == (0, 0) and placement[10] == (1, 0) and placement[49] == (4, 9)
    decoded = [json.loads(gzip.decompress(base64.b64decode(c))) for c in chunks]
    assert [decoded[c][p] for c, p in placement] == bodies
    assert sum(len(c) for c in chunks) < 50_000 / 10  # repetitive text compresses


def test_a_run_is_embedded_with_its_verdicts_and_texts(tmp_path, mock_script):
    mock_script(replies(wrong={2: "</script><script>alert(1)</script> \\boxed{</script>}"}, thinking={1: "one and one"}))
    out = tmp_path / "run"
    mock_run(out, "math,code")
    result = cli("view", out, "--no-open", "--json")
    assert result.exit_code == 0
    facts = json.loads(result.stdout)
    assert facts["path"] == str(out / "view.html") and facts["samples"] == 10 and facts["not_included"] == []
    meta, rows, bodies = read_view(out / "view.html")
    assert [r[0] for r in rows] == [f"math/m{i}#0" for i in range(1, 9)] + ["code/c1#0", "code/c2#0"]
    assert meta["suites"] == ["math", "code"] and meta["runs"][0]["label"] == "smollm2-135m:Q4_1"
    verdicts = {r[0]: meta["verdicts"][r[8][0][0]] for r in rows}
    assert verdicts["math/m2#0"] == "wrong" and verdicts["code/c2#0"] == "wrong" and verdicts["math/m1#0"] == "correct"
    m1 = bodies[0]
    assert m1["prompt"].startswith("What is 1 plus 1?") and m1["reference"] == {"answer": "2"}
    assert m1["runs"][0]["thinking"] == "one and one" and m1["runs"][0]["answer"] == "Doubling gives \\boxed{2}."
    assert m1["runs"][0]["rec"]["grader_version"] == grade_math.grader_version and m1["runs"][0]["rec"]["completion_tokens"] > 0
    assert bodies[9]["reference"]["tests"].startswith("assert add2(1) == 3")
    assert "AssertionError" in bodies[9]["runs"][0]["rec"]["detail"] and bodies[9]["runs"][0]["rec"]["isolation"]
    html = (out / "view.html").read_text()
    # the extracted "</script>" sits in the index in plain JSON, escaped; the page's own scripts are untouched
    assert rows[1][8][0][2] == "</script>" and html.count("</script>") == 3 + meta["chunks"]
    assert "http://" not in html and "https://" not in html


def test_a_suite_whose_terms_forbid_quoting_is_left_out_unless_asked(tmp_path):
    items = [Item(id=f"g{i}", suite="secret", category="physics", difficulty="hard", prompt=f"Secret question {i}?",
                  choices=["yes", "no"], answer="A") for i in range(3)]
    suite = Suite("secret", "reasoning", "test", lambda seed: items, render_reasoning, grade_reasoning, source="test",
                  quote_items=False)
    spec = RunSpec(suites=[suite], generation=Generation(max_tokens=32, context=256), folder=tmp_path / "run")
    backend = MockBackend({"*": "Secret reasoning. Answer: A"})
    Run(backend, spec, base_provenance("toy", "Q8_0", spec, backend.info())).execute()
    write_view([tmp_path / "run"], tmp_path / "plain.html")
    meta, rows, bodies = read_view(tmp_path / "plain.html")
    assert meta["hidden"] == ["secret"] and "not published" in meta["notes"][0]
    assert all(b == {"withheld": True, "runs": [b["runs"][0]]} for b in bodies)
    assert [r[8][0][2] for r in rows] == ["A", "A", "A"]  # the verdicts and extracted letters stay
    everything = json.dumps(bodies) + (tmp_path / "plain.html").read_text()
    assert "Secret" not in everything
    result = cli("view", tmp_path / "run", "--include-restricted", "-o", tmp_path / "private.html", "--no-open")
    assert result.exit_code == 0
    meta, _, bodies = read_view(tmp_path / "private.html")
    assert meta["hidden"] == [] and "keep it private" in meta["notes"][0]
    assert bodies[0]["prompt"].startswith("Secret question 0?") and bodies[0]["runs"][0]["answer"].startswith("Secret")
    assert bodies[0]["reference"] is None and any("Reference answers of secret are not shown" in n for n in meta["notes"])


def test_limit_failures_are_flagged_and_counted_in_the_page(tmp_path):
    """A sample that failed at a time or memory limit carries the flag (listed, filterable) and its run's
    suite says how many failed so (issue 22)."""
    from orbench.grading import Score

    items = [Item(id=f"c{i}", suite="slow", category="loops", difficulty="hard", prompt=f"Write f{i}.",
                  answer="x") for i in range(3)]
    verdicts = {"c0": Score(extracted="def f(): ...", correct=False, detail="time limit: a call ran over 4 s",
                            limit="time"),
                "c1": Score(extracted="def f(): ...", correct=False, detail="AssertionError"),
                "c2": Score(extracted="def f(): ...", correct=True, detail="passed")}
    suite = Suite("slow", "reasoning", "test", lambda seed: items, render_reasoning,
                  lambda item, text, context=None: verdicts[item.id], source="test")
    spec = RunSpec(suites=[suite], generation=Generation(max_tokens=32, context=256), folder=tmp_path / "run")
    backend = MockBackend({"*": "```python\ndef f(): ...\n```"})
    Run(backend, spec, base_provenance("toy", "Q8_0", spec, backend.info())).execute()
    write_view([tmp_path / "run"], tmp_path / "page.html")
    meta, rows, bodies = read_view(tmp_path / "page.html")
    assert meta["runs"][0]["suites"][0]["limit_failures"] == 1 and meta["runs"][0]["grading"] == "reference"
    flagged = [r[0] for r in rows if r[8][0][1] & (1 << meta["flags"].index("time_limit"))]
    assert flagged == ["slow/c0#0"] and bodies[0]["runs"][0]["rec"]["flags"] == ["time_limit"]
    assert "failed at a time or memory limit" in (tmp_path / "page.html").read_text()  # the header says it


def test_gpqa_stays_out_even_when_an_older_summary_does_not_say_so(tmp_path):
    items = [Item(id="gpqa-1", suite="gpqa-diamond", category="physics", difficulty="hard", prompt="Gated question?",
                  choices=["yes", "no"], answer="A")]
    suite = Suite("gpqa-diamond", "reasoning", "test", lambda seed: items, render_reasoning, grade_reasoning,
                  source="test")  # quote_items left at True, as in summaries written before it existed
    spec = RunSpec(suites=[suite], generation=Generation(max_tokens=32, context=256), folder=tmp_path / "run")
    backend = MockBackend({"*": "Gated reasoning. Answer: A"})
    Run(backend, spec, base_provenance("toy", "Q8_0", spec, backend.info())).execute()
    assert write_view([tmp_path / "run"]).hidden == ["gpqa-diamond"]
    assert "Gated" not in json.dumps(read_view(tmp_path / "run" / "view.html")[2])


def test_several_runs_line_up_by_item_and_compare_prints_the_view_command(tmp_path, mock_script):
    base = ladder(tmp_path / "ladder", mock_script, replies(), replies(wrong={3: "\\boxed{5}"}))
    compared = cli("compare", base)
    assert compared.exit_code == 0
    assert (f"see smollm2-135m:Q4_0's lost and gained items: orbench view {base} --reference smollm2-135m:Q8_0 "
            "--focus smollm2-135m:Q4_0 --filter flipped") in compared.stdout
    assert cli("view", base, "--reference", "Q8_0", "--focus", "Q4_0", "--filter", "lost", "--no-open").exit_code == 0
    meta, rows, bodies = read_view(base / "view.html")
    assert [r["label"] for r in meta["runs"]] == ["smollm2-135m:Q8_0", "smollm2-135m:Q4_0"]
    assert (meta["reference"], meta["focus"], meta["filter"]) == ("smollm2-135m:Q8_0", "smollm2-135m:Q4_0", "lost")
    m3 = rows[2]
    assert m3[0] == "math/m3#0" and [e[0] for e in m3[8]] == [0, 1]  # correct in Q8_0, wrong in Q4_0
    assert [r["answer"] for r in bodies[2]["runs"]] == ["Doubling gives \\boxed{6}.", "\\boxed{5}"]


def test_usage_mistakes_are_one_line_and_exit_2(tmp_path, mock_script):
    mock_script(replies())
    mock_run(tmp_path / "run", "math")
    for args, message in ((["--filter", "lost"], "compares runs, and only one was given"),
                          (["--filter", "sideways"], "sideways"),
                          ([], "holds no results")):
        folder = tmp_path / ("empty" if not args else "run")
        folder.mkdir(exist_ok=True)
        result = cli("view", folder, "--no-open", *args)
        assert result.exit_code == 2 and message in result.output, result.output

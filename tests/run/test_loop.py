"""The runner with the scripted mock backend: planning, grading, records, summaries."""

from __future__ import annotations

import json

import pytest

from orbench.backends.mock import MockBackend
from orbench.store.catalog import Generation
from orbench.run.records import read_samples
from orbench.grading.graders import grade_code, grade_math
from orbench.run.plan import RunSpec, build_requests, sample_seed
from orbench.run.settings import RunOptions
from orbench.run.loop import Run, base_provenance
from orbench.suites.templates import render_code, render_math
from orbench.grading.sandbox import Limits
from orbench.suites import Suite
from orbench.suites.items import Item


def items() -> list[Item]:
    common = dict(suite="math", category="arithmetic", difficulty="easy", source="original")
    return [Item(id=f"m{i}", prompt=f"What is {i}+{i}?", answer=str(2 * i), **common) for i in range(1, 5)]


CODE_ITEM = Item(id="c1", suite="code", category="lists", difficulty="easy", prompt="def total(xs): ...",
                 entry_point="total", reference="def total(xs):\n    return sum(xs)\n",
                 tests="assert total([1, 2]) == 3\nassert total([]) == 0\n")
MATH = Suite("math", "math", "test math", lambda seed: items(), render_math, grade_math, source="test")
CODE = Suite("code", "code", "test code", lambda seed: [CODE_ITEM], render_code, grade_code, source="test")


def run(tmp_path, script, suites=(MATH,), samples=1, generation=None, graders=None):
    spec = RunSpec(suites=list(suites), generation=generation or Generation(max_tokens=64, context=256),
                   options=RunOptions(samples=samples, graders=graders), folder=tmp_path,
                   limits=Limits(wall_seconds=3, cpu_seconds=1))
    backend = MockBackend(script)
    summary = Run(backend, spec, base_provenance("mock", None, spec, backend.info())).execute()
    return summary, read_samples(tmp_path / "samples.jsonl"), backend


def test_sample_seeds_are_stable_and_distinct():
    assert sample_seed(0, "m1", 0) == sample_seed(0, "m1", 0)
    assert len({sample_seed(0, "m1", k) for k in range(8)} | {sample_seed(1, "m1", 0)}) == 9


def test_requests_use_the_model_settings_and_math_instruction():
    g = Generation(temperature=0.6, top_p=0.95, max_tokens=100, context=512, system_prompt=None)
    reqs = build_requests(MATH, items()[:1], RunSpec(suites=[MATH], generation=g, options=RunOptions(samples=2)))
    assert [r.sample for r in reqs] == [0, 1] and reqs[0].seed != reqs[1].seed
    assert reqs[0].messages == [{"role": "user", "content": f"What is 1+1?\n\n{g.math_instruction}"}]
    assert (reqs[0].temperature, reqs[0].top_p, reqs[0].max_tokens) == (0.6, 0.95, 100)


def test_errors_are_excluded_from_accuracy_and_counted(tmp_path):
    script = {"m1": "\\boxed{2}", "m2": "\\boxed{5}", "m3": "!error", "m4": "\\boxed{8}"}
    summary, records, _ = run(tmp_path, script)
    math = summary.suites[0]
    assert (math.samples, math.scored, math.errors) == (4, 3, 1)
    assert math.accuracy.value == pytest.approx(2 / 3) and math.accuracy.n == 3
    assert summary.errors == 1 and "excluded from accuracy" in summary.notes[0]
    errored = next(r for r in records if r.item_id == "m3")
    assert errored.status == "error" and errored.correct is None


def test_pass_at_k_and_majority_vote_over_samples(tmp_path):
    script = {"m1": ["\\boxed{2}", "\\boxed{3}", "\\boxed{2}", "\\boxed{3}"],
              "m2": ["\\boxed{1}", "\\boxed{4}", "\\boxed{1}", "\\boxed{1}"], "*": "\\boxed{0}"}
    summary, records, _ = run(tmp_path, script, samples=4)
    math = summary.suites[0]
    assert len(records) == 16
    assert math.accuracy.value == pytest.approx((0.5 + 0.25 + 0 + 0) / 4)
    assert math.pass_at_k["pass@4"].value == pytest.approx(0.5)
    assert math.pass_at_k["pass@2"].value == pytest.approx((1 - 1 / 6 + 0.5) / 4)
    assert math.majority_vote.value == pytest.approx(0.25)  # m1 ties (first answer 2 wins), m2's majority is wrong


def test_thinking_flags(tmp_path):
    g = Generation(max_tokens=5, context=256, thinking=True)
    script = {"m1": "one two\n</think>\n\\boxed{2}", "m2": "I am still thinking about it at length",
              "m3": "short thought</think> no number here", "m4": "x</think>\\boxed{8}"}
    summary, records, _ = run(tmp_path, script, generation=g)
    by_id = {r.item_id: r for r in records}
    assert by_id["m1"].correct and by_id["m1"].thinking == "one two" and by_id["m1"].flags == []
    assert set(by_id["m2"].flags) == {"truncated", "unterminated_thinking", "no_answer"}
    assert by_id["m3"].flags == ["no_answer"]
    assert summary.suites[0].flags == {"no_answer": 2, "truncated": 1, "unterminated_thinking": 1}


def test_hostile_code_is_a_wrong_answer_and_the_run_goes_on(tmp_path):
    bombs = ["```python\ndef total(xs):\n    while True:\n        pass\n```",
             "```python\ndef total(xs):\n    x = bytearray(8 * 1024 ** 3)\n    return sum(xs)\n```",
             "```python\nimport sys\ndef total(xs):\n    while True:\n        sys.stdout.write('x' * 65536)\n```",
             "```python\ndef total(xs):\n    return sum(xs)\n```"]
    summary, records, _ = run(tmp_path, {"c1": bombs}, suites=(CODE,), samples=4)
    assert [r.correct for r in records] == [False, False, False, True]
    assert all(r.status == "ok" and r.isolation for r in records)
    assert summary.suites[0].errors == 0


CODE_REPLIES = ["```python\ndef total(xs):\n    return sum(xs)\n```",
                "```python\ndef total(xs):\n    import sys\n    sys.exit(0)\n```",
                "```python\nimport os\ndef total(xs):\n    return 0\nos._exit(0)\n```",
                "```python\ndef total(xs):\n    return len(xs)\n```",
                "```python\ndef total(xs):\n    raise ValueError(xs)\n```",
                "```python\ndef total(xs):\n    return sum(xs)\n```"]
TIMING = {"seconds", "prompt_seconds", "generation_seconds"}


def test_grading_in_the_pool_gives_the_records_of_grading_in_turn(tmp_path):
    _, one_by_one, _ = run(tmp_path / "inline", {"c1": CODE_REPLIES}, suites=(CODE,), samples=6, graders=0)
    summary, pooled, _ = run(tmp_path / "pool", {"c1": CODE_REPLIES}, suites=(CODE,), samples=6, graders=3)
    assert [r.model_dump(exclude=TIMING) for r in pooled] == [r.model_dump(exclude=TIMING) for r in one_by_one]
    assert [r.correct for r in pooled] == [True, False, False, False, False, True]
    assert [r.detail for r in pooled][1:3] == ["exited before the tests finished: SystemExit during a call to total()",
                                               "exited before the tests finished (the program's process ended)"]
    assert summary.sandbox is not None and summary.sandbox.graders == 3
    assert summary.sandbox.engine == pooled[0].isolation.split("+")[0]


def test_a_run_without_code_records_no_sandbox(tmp_path):
    summary, _, _ = run(tmp_path, {"m1": "\\boxed{2}"})
    assert summary.sandbox is None


def test_an_interrupted_pooled_run_resumes_to_the_records_of_an_uninterrupted_one(tmp_path):
    _, straight, _ = run(tmp_path / "straight", {"c1": CODE_REPLIES}, suites=(CODE,), samples=6, graders=2)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", {"c1": CODE_REPLIES[:4] + ["!interrupt"]}, suites=(CODE,), samples=6, graders=2)
    kept = read_samples(tmp_path / "resumed" / "samples.jsonl")
    assert len(kept) <= 4 and len({r.id for r in kept}) == len(kept)
    _, resumed, _ = run(tmp_path / "resumed", {"c1": CODE_REPLIES}, suites=(CODE,), samples=6, graders=2)
    by_id = {r.id: r.model_dump(exclude=TIMING) for r in resumed}
    assert len(resumed) == 6 and by_id == {r.id: r.model_dump(exclude=TIMING) for r in straight}


def test_interrupt_leaves_valid_files(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, {"m1": "\\boxed{2}", "m2": "\\boxed{4}", "m3": "!interrupt"})
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["samples_done"] == 2
    assert summary["suites"][0]["accuracy"]["value"] == 1.0
    assert [r.item_id for r in read_samples(tmp_path / "samples.jsonl")] == ["m1", "m2"]


def test_machine_time_adds_up_over_resumed_sessions(tmp_path):
    from orbench.run.records import Performance

    script = {"m1": "\\boxed{2}", "m2": "\\boxed{4}", "m3": "!interrupt", "m4": "\\boxed{8}"}
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, script)
    first = json.loads((tmp_path / "summary.json").read_text())
    assert first["suites"][0]["wall_seconds"] is not None
    first["suites"][0]["wall_seconds"] = 100.0  # as if the first session had taken 100 s
    first["performance"] = {"wall_seconds": 120.0}
    (tmp_path / "summary.json").write_text(json.dumps(first))

    script["m3"] = "\\boxed{6}"
    spec = RunSpec(suites=[MATH], generation=Generation(max_tokens=64, context=256), folder=tmp_path)
    backend = MockBackend(script)
    summary = Run(backend, spec, base_provenance("mock", None, spec, backend.info()), performance=Performance()).execute()
    assert summary.samples_done == 4 and summary.suites[0].accuracy.value == 1.0
    assert 100.0 <= summary.suites[0].wall_seconds < 160.0
    assert 120.0 <= summary.performance.wall_seconds < 180.0
    assert summary.performance.engine == "mock" and summary.performance.parallel == 1

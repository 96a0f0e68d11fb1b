"""`orbench plan`'s estimate: the items to a decision against the sequential test itself, and the
speed taken from earlier runs or a calibration run (mock backend)."""

from __future__ import annotations

import json
import random
import statistics

import pytest

from orbench.quant import sequential as sq
from orbench.quant.estimate import discordance, expected_items
from tests.support.mockruns import cli, mock_run, write_data_dir


@pytest.mark.parametrize("margin,disc", [(0.3, 0.16), (0.1, 0.1), (0.5, 0.3)])
def test_expected_items_match_the_sequential_test_within_a_third(margin, disc):
    """Simulated runs of the test itself (one quant against a reference, no true difference,
    Holm level for two quants): the mean items to 'not worse' is within 35% of the estimate."""
    needed = []
    for rep in range(60):
        rng, state, n = random.Random(rep), sq.start(margin), 0
        while sq.verdict_at(state, 0.025 / 2) != "not worse" and n < 5000:
            u = rng.random()
            state, n = sq.update(state, [-1.0 if u < disc / 2 else 1.0 if u < disc else 0.0]), n + 1
        needed.append(n)
    assert statistics.mean(needed) == pytest.approx(expected_items(margin, 2, 0.025, disc), rel=0.35)


def test_expected_items_grow_with_a_tighter_margin_and_more_disagreement_and_fill_rounds():
    assert expected_items(0.02, 2, 0.025, 0.1) > expected_items(0.05, 2, 0.025, 0.1) > expected_items(0.2, 2, 0.025, 0.1)
    assert expected_items(0.05, 2, 0.025, 0.3) > expected_items(0.05, 2, 0.025, 0.1)
    assert expected_items(0.05, 4, 0.025, 0.1) > expected_items(0.05, 2, 0.025, 0.1)  # Holm asks more of more quants
    assert expected_items(0.05, 2, 0.025, 0.1, samples=4) < expected_items(0.05, 2, 0.025, 0.1)
    assert expected_items(0.2, 2, 0.025, 0.1, round_items=25) % 25 == 0


def test_discordance_of_earlier_runs(tmp_path, data, mock_script):
    mock_script({f"m{i}": f"\\boxed{{{2 * i}}}" for i in range(1, 9)})
    mock_run(tmp_path / "a", "math", "--samples", "3")
    mock_script({f"m{i}": f"\\boxed{{{2 * i if i > 2 else 0}}}" for i in range(1, 9)})
    mock_run(tmp_path / "b", "math", "--samples", "3")
    assert discordance([tmp_path / "a", tmp_path / "b"]) == pytest.approx(2 / 8)
    assert discordance([tmp_path / "a"]) is None


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(write_data_dir(tmp_path / "data")))


def test_plan_calibrates_once_then_uses_the_earlier_runs(tmp_path, data, mock_script):
    mock_script({"*": "\\boxed{2}"})
    args = ["plan", "-m", "smollm2-135m", "--quant", "Q8_0,Q4_0", "-s", "math", "--backend", "mock", "--margin", "20",
            "--results", tmp_path / "results", "--json"]
    first = cli(*args)
    assert first.exit_code == 0, first.output
    est = json.loads(first.stdout)
    assert any("calibrating: smollm2-135m:Q8_0 on 10 item(s) of math" in n for n in est["notes"])
    assert (tmp_path / "results" / "calibration-smollm2-135m-Q8_0" / "summary.json").is_file()
    (suite,) = est["suites"]
    assert suite["pool"] == 8 and suite["items_each"] <= 8 and suite["seconds_per_sample"] > 0
    assert est["seconds"] == pytest.approx(suite["items_each"] * 2 * suite["seconds_per_sample"])
    second = json.loads(cli(*args).stdout)
    assert second["notes"] == [] and second["suites"][0]["seconds_per_sample"] == suite["seconds_per_sample"]
    text = cli(*args[:-1])
    assert "math x 2 quants: about" in text.output and "20-point margin" in text.output


def test_plan_needs_quants(tmp_path):
    out = cli("plan", "-m", "smollm2-135m", "-s", "math", "--backend", "mock")
    assert out.exit_code == 2 and "--quant" in out.output


def test_speed_is_the_samples_busy_time_not_the_process_warm_up(tmp_path, data, mock_script, monkeypatch):
    """With per-sample timings (here the mock's simulated 10 tokens/s), a sample costs its own prompt and
    generation time, not the run's machine time (which holds the process's one-time start)."""
    from orbench.quant.estimate import earlier_summaries, seconds_per_sample

    mock_script({"*": "one two three four five six seven eight nine ten \\boxed{2}"})  # 11 tokens: 1.1 s each
    monkeypatch.setenv("ORBENCH_MOCK_SPEED", "10,0,0")
    mock_run(tmp_path / "results" / "a", "math")
    runs = earlier_summaries(tmp_path / "results", "smollm2-135m")
    assert seconds_per_sample(runs, "math") == pytest.approx(1.1)
    monkeypatch.delenv("ORBENCH_MOCK_SPEED")
    mock_run(tmp_path / "results" / "b", "math")  # no timings: the suite's machine time over its samples
    untimed = [(f, s) for f, s in earlier_summaries(tmp_path / "results", "smollm2-135m") if f.name == "b"]
    assert seconds_per_sample(untimed, "math") == pytest.approx(untimed[0][1].suites[0].wall_seconds / 8)


def test_a_samples_cost_is_its_share_of_the_batch_not_divided_again(tmp_path, data, mock_script, monkeypatch):
    """The batched engine splits each decode step's time among the sequences in it, so the shares add
    up to the batch's busy time: a run that decoded 4 sequences together costs the sum of its
    samples' times, not a quarter of it (which made a plan four times too cheap on the embedded model)."""
    from orbench.quant.estimate import earlier_summaries, estimate, overhead_seconds, seconds_per_sample

    mock_script({"*": "one two three four five six seven eight nine ten \\boxed{2}"})
    monkeypatch.setenv("ORBENCH_MOCK_SPEED", "10,0,0")
    mock_run(tmp_path / "results" / "a", "math")
    [(folder, summary)] = earlier_summaries(tmp_path / "results", "smollm2-135m")
    from orbench.run.records import Performance

    perf = Performance(parallel=4, wall_seconds=8 * 1.1 + 3.0, load_seconds=0.5)
    batched = [(folder, summary.model_copy(update=dict(performance=perf)))]
    assert seconds_per_sample(batched, "math") == pytest.approx(1.1)
    assert overhead_seconds(batched) == pytest.approx(2.5)
    plan = estimate("m", ["a", "b", "c"], {"math": 8}, {"math": (1.1, "x")}, 0.5, 0.025, 1, 4, 0.2, "d",
                    load=0.5, overhead=2.5)
    (suite,) = plan.suites
    rounds = -(-suite.items_each // 4)
    assert plan.seconds == pytest.approx(suite.items_each * 3 * 1.1 + rounds * 3 * 3.0)


def test_plan_notes_a_load_far_from_the_one_its_speed_was_measured_at(monkeypatch):
    import os
    from types import SimpleNamespace

    from orbench.quant.planning import load_note

    runs = [SimpleNamespace(performance=SimpleNamespace(load_per_core=1.0))]
    monkeypatch.setattr(os, "getloadavg", lambda: (4.0 * (os.cpu_count() or 1), 0.0, 0.0))
    (note,) = load_note(runs)
    assert "load of 1.0 per core" in note and "at 4.0 now" in note
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2 * (os.cpu_count() or 1), 0.0, 0.0))
    assert load_note(runs) == []

"""Kill real runs (the embedded model on llama.cpp) at random points, resume them, and compare with
an uninterrupted run: the same samples, the same outputs and verdicts, nothing duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def command(model, out):
    return [sys.executable, "-m", "orbench", "run", "-m", str(model), "-s", "math,reasoning", "--limit", "3",
            "--max-tokens", "40", "--temperature", "0.8", "--seed", "5", "--threads", "2", "-o", str(out), "-q"]


def records(out):
    lines = (out / "samples.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}, len(lines)


def test_kill_and_resume_matches_an_uninterrupted_run(embedded_model, tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    full = tmp_path / "full"
    subprocess.run(command(embedded_model, full), check=True, env=env, timeout=300)
    expected, _ = records(full)
    assert len(expected) == 6

    rng = random.Random(20261128)
    out = tmp_path / "killed"
    kills = 0
    for attempt in range(12):
        proc = subprocess.Popen(command(embedded_model, out), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(0.4, 3.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL if attempt % 3 else signal.SIGINT)
            proc.wait(timeout=60)
            kills += 1
            continue
        assert proc.returncode == 0
        break
    else:
        subprocess.run(command(embedded_model, out), check=True, env=env, timeout=300)
    assert kills >= 1, "the run was never interrupted; widen the kill window"
    got, lines = records(out)
    assert lines == len(got) == 6, "a sample was duplicated or lost"
    assert set(got) == set(expected)
    for key, record in expected.items():
        assert got[key]["output"] == record["output"], key
        assert got[key]["correct"] == record["correct"] and got[key]["extracted"] == record["extracted"]
    summary = json.loads((out / "summary.json").read_text())
    reference = json.loads((full / "summary.json").read_text())
    assert summary["status"] == "complete"
    assert [s["accuracy"] for s in summary["suites"]] == [s["accuracy"] for s in reference["suites"]]

"""End to end for the adaptive ladder on the embedded model: `orbench plan`, then `orbench run --quant
... --until-decided` killed with SIGKILL after its first round and run again, then compare."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from support.embedded_ladder import invoke, orbench_home

pytestmark = pytest.mark.e2e
QUANTS = "Q4_1,Q8_0,Q4_0"
# As small as what it proves allows: with no disagreement at all a quant is shown not worse at the 60-
# point margin after 10 items (Holm's first level of two quants), so rounds of 4 decide it at 12, one
# round before this pool of 16 ends, and a round is a few short decode steps.
PLAN = ["-m", "smollm2-135m", "--quant", QUANTS, "-s", "reasoning", "--limit", "16", "--round-items", "4",
        "--margin", "60", "--max-tokens", "16", "--threads", "2"]


def run_cli(out, home):
    return subprocess.Popen([sys.executable, "-m", "orbench", "run", *PLAN, "--until-decided", "-o", str(out), "-q",
                             "--json"], env={**os.environ, "ORBENCH_HOME": str(home)}, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def rounds(out):
    path = out / "adaptive.json"
    try:
        return len(json.loads(path.read_text())["rounds"]) if path.is_file() else 0
    except ValueError:  # replaced atomically, but read between open and the end of a write is not possible
        return 0


@pytest.fixture(scope="module")
def adaptive(quant_ladder):
    home = quant_ladder.home  # quantized once per session (tests/support/embedded_ladder.py)
    with orbench_home(home):
        plan = json.loads(invoke("plan", *PLAN, "--results", home / "adaptive-results", "--calibrate", "4",
                                 "--json").stdout)
        out = home / "adaptive"
        started = time.perf_counter()
        first = run_cli(out, home)
        while rounds(out) < 1 and first.poll() is None:
            time.sleep(0.1)
        killed = first.poll() is None
        if killed:
            first.send_signal(signal.SIGKILL)
            first.wait()
        after_kill = json.loads((out / "adaptive.json").read_text())
        second = run_cli(out, home)
        stdout, _ = second.communicate(timeout=600)
        seconds = time.perf_counter() - started
        assert second.returncode == 0
        compare = json.loads(invoke("compare", out, "--json").stdout)
        yield dict(plan=plan, out=out, killed=killed, after_kill=after_kill, result=json.loads(stdout),
                   compare=compare, seconds=seconds)


def test_plan_prints_an_estimate_from_a_calibration_run(adaptive):
    plan = adaptive["plan"]
    assert plan["quants"] == [f"smollm2-135m:{q}" for q in QUANTS.split(",")]
    (suite,) = plan["suites"]
    assert suite["pool"] == 16 and 4 <= suite["items_each"] <= 16 and suite["seconds_per_sample"] > 0
    assert 0 < plan["seconds"] <= plan["seconds_full_pool"] and any("calibrating" in n for n in plan["notes"])
    # the figures the report quotes: the estimate against the real run (killed and resumed)
    print(f"\nplan: {plan['seconds']:.0f} s, {suite['items_each']} items each; real: {adaptive['seconds']:.0f} s, "
          f"{adaptive['result']['adaptive']['rounds'][-1]['items']} items")


def test_a_quant_stops_before_the_pool_ends_and_says_why(adaptive):
    record = adaptive["result"]["adaptive"]
    states = record["rounds"][-1]["states"]
    decided = {q: s for q, s in states.items() if s["verdict"] != "continue"}
    assert decided and min(s["decided_at"] for s in decided.values()) < 16
    for q in decided:
        assert "stopped generating" in record["stopped"][q]
    assert record["settings"]["reference"] == "smollm2-135m:Q4_1"  # the original, as compare picks it


def test_resume_after_sigkill_continues_where_it_stopped(adaptive):
    assert adaptive["killed"], "the run finished before it could be killed"
    before, after = adaptive["after_kill"], adaptive["result"]["adaptive"]
    assert after["order"] == before["order"]
    assert after["rounds"][:len(before["rounds"])] == before["rounds"]  # the recorded rounds are kept as they were
    out = adaptive["out"]
    for q in QUANTS.split(","):  # every sample once: the interrupted round's finished samples were kept
        ids = [json.loads(line)["id"] for line in (out / q / "samples.jsonl").open()]
        assert len(ids) == len(set(ids))


def test_compare_reproduces_the_verdicts_from_the_samples(adaptive):
    adaptive_rows = adaptive["compare"]["adaptive"]
    assert adaptive_rows["matches_record"] is True
    states = adaptive["result"]["adaptive"]["rounds"][-1]["states"]
    for row in adaptive_rows["quants"]:
        assert row["verdict"] == states[row["label"]]["verdict"]

"""The OpenAI-compatible backend against a local stub, for what a real server cannot be made to do on
demand: 429 with Retry-After, a dropped connection, no answer, a 5xx burst past the retry budget,
a secret echoed back. (tests/backends/test_openai_server.py runs a real server.)"""

from __future__ import annotations

import json

import pytest
from support.openai_stub import StubServer
from typer.testing import CliRunner

from orbench.backends.http import BACKOFF_CAP, RetryPolicy, _retry_after
from orbench.cli import app
from orbench.run.plan import sample_seed

ITEMS = [{"id": f"q{i}", "suite": "mini", "category": "arithmetic", "difficulty": "easy", "kind": "math",
          "prompt": f"What is {i} + {4 - i}?", "answer": "4"} for i in range(3)]
SECRET = "sk-test-4f9a8b7c6d5e"


@pytest.fixture
def items(tmp_path):
    path = tmp_path / "mini.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    return path


@pytest.fixture
def stub():
    with StubServer() as server:
        yield server


def run(stub, items, out, *args):
    result = CliRunner().invoke(app, ["run", "--base-url", stub.url, "-s", str(items), "-o", str(out), "--json", "-q",
                                      *args])
    return result, (json.loads(result.stdout) if result.exit_code in (0, 3) else None)


def samples(out):
    return {r["id"]: r for r in map(json.loads, (out / "samples.jsonl").read_text().splitlines())}


def test_requests_carry_the_plan_seed_and_max_tokens_and_provenance_names_the_server(stub, items, tmp_path):
    result, summary = run(stub, items, tmp_path / "o", "--temperature", "0.3", "--top-p", "0.9", "--max-tokens", "77",
                          "--seed", "5", "--samples", "2")
    assert result.exit_code == 0, result.output
    bodies = [r["body"] for r in stub.chat_requests()]
    assert len(bodies) == 6
    for body in bodies:
        assert (body["max_tokens"], body["temperature"], body["top_p"], body["top_k"]) == (77, 0.3, 0.9, 40)
        assert body["model"] == "/models/stub-model.Q4_K_M.gguf" and body["stream"] is False
    wanted = sorted(sample_seed(5, item["id"], k) for item in ITEMS for k in range(2))
    assert sorted(b["seed"] for b in bodies) == wanted
    prov = summary["provenance"]
    assert (prov["model"], prov["quant"]) == ("stub-model", "Q4_K_M")
    backend = prov["backend"]
    assert backend["backend"] == "openai" and backend["base_url"] == stub.url
    assert backend["server_model"] == "/models/stub-model.Q4_K_M.gguf"
    assert backend["server_build"] == "llama.cpp b9999-stub" and backend["n_ctx"] == 4096
    assert any(f"OpenAI-compatible server at {stub.url}" in n for n in summary["notes"])
    assert summary["suites"][0]["accuracy"]["value"] == 1.0 and summary["errors"] == 0
    assert summary["performance"]["engine"] == "openai" and summary["performance"]["peak_rss_mb"] is None


def test_a_429_waits_for_retry_after_and_a_dropped_connection_is_retried(stub, items, tmp_path):
    stub.script.extend(["429", "drop", "ok"])
    result, summary = run(stub, items, tmp_path / "o", "--retry-budget", "10", "--limit", "1")
    assert result.exit_code == 0, result.output
    times = [r["time"] for r in stub.chat_requests()]
    assert len(times) == 3  # the same sample three times: 429, dropped, answered
    assert times[1] - times[0] >= 0.9  # Retry-After: 1 was honoured
    assert summary["errors"] == 0 and summary["suites"][0]["accuracy"]["value"] == 1.0


def test_a_server_that_never_answers_becomes_infrastructure_errors(stub, items, tmp_path):
    stub.default = "hang"
    result, summary = run(stub, items, tmp_path / "o", "--request-timeout", "0.3", "--retry-budget", "0.4",
                          "--concurrency", "3")
    assert result.exit_code == 3, result.output  # more infrastructure errors than --max-error-rate
    assert "3 of 3 samples failed with infrastructure errors" in result.stderr
    assert summary["errors"] == 3 and summary["suites"][0]["scored"] == 0
    assert summary["suites"][0]["accuracy"]["value"] is None  # errors are not wrong answers
    for record in samples(tmp_path / "o").values():
        assert record["status"] == "error" and record["correct"] is None
        assert "no answer within 0.3 s" in record["error"] and "gave up after" in record["error"]
    assert len(stub.chat_requests()) <= 3 * 3  # bounded: a couple of attempts each, never forever


def test_a_5xx_burst_past_the_budget_is_counted_and_fails_the_gate_with_exit_3(stub, items, tmp_path, monkeypatch):
    stub.default = "500"
    config = tmp_path / "orbench.toml"
    config.write_text(f'[run]\noutput = "out"\nsuites = ["{items}"]\n[[models]]\nname = "smollm2-135m"\n'
                      f'quants = ["Q4_1"]\n[gate]\nmax_error_rate = 0.05\n')
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--base-url", stub.url, "--retry-budget", "0.3",
                                      "-q"])
    assert result.exit_code == 3, result.output
    run_dir = next((tmp_path / "out").glob("*/smollm2-135m/Q4_1"))  # the night's dated folder
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["errors"] == 3 and summary["provenance"]["backend"]["base_url"] == stub.url
    assert all("HTTP 500" in r["error"] for r in samples(run_dir).values())


def test_a_client_error_is_not_retried_and_the_api_key_is_never_written(stub, items, tmp_path, monkeypatch):
    monkeypatch.setenv("ORBENCH_TEST_KEY", SECRET)
    stub.script.extend(["400", "empty"])  # the 400's body echoes the Authorization header back
    result, summary = run(stub, items, tmp_path / "o", "--api-key-env", "ORBENCH_TEST_KEY", "--concurrency", "1",
                          "--max-error-rate", "1")
    assert result.exit_code == 0, result.output
    chats = stub.chat_requests()
    assert len(chats) == 3 and all(r["headers"]["Authorization"] == f"Bearer {SECRET}" for r in chats)
    errors = sorted(r["error"] for r in samples(tmp_path / "o").values() if r["status"] == "error")
    assert len(errors) == 2 and "HTTP 400: " in errors[0] and "Bearer ***" in errors[0]
    assert errors[1].startswith("server: malformed answer (IndexError")
    written = "".join(p.read_text() for p in (tmp_path / "o").iterdir())
    assert SECRET not in written + result.stdout + result.stderr
    stub.script.extend(["400", "500"])  # and with debug logging on, retries are logged
    verbose = CliRunner().invoke(app, ["-v", "run", "--base-url", stub.url, "-s", str(items), "-o", str(tmp_path / "v"),
                                       "--api-key-env", "ORBENCH_TEST_KEY", "--retry-budget", "0.2"], catch_exceptions=False)
    assert "debug: plan:" in verbose.stderr and SECRET not in verbose.stdout + verbose.stderr
    missing = CliRunner().invoke(app, ["run", "--base-url", stub.url, "--api-key-env", "NO_SUCH_VAR", "-s", str(items)])
    assert missing.exit_code == 2 and "$NO_SUCH_VAR, which is not set" in missing.stderr


def test_reasoning_content_is_thinking(stub, items, tmp_path):
    stub.script.extend(["reasoning", "unterminated"])
    result, summary = run(stub, items, tmp_path / "o", "--limit", "2")
    assert result.exit_code == 0, result.output
    records = sorted(samples(tmp_path / "o").values(), key=lambda r: r["seconds"])
    by_thinking = {r["thinking"][:5]: r for r in records}
    answered, cut = by_thinking["First"], by_thinking["Let m"]
    assert answered["output"] == "The answer is \\boxed{4}." and answered["correct"] is True
    assert answered["thinking"] == "First, 2 + 2 is 4." and answered["thinking_tokens"] > 0
    assert cut["output"] == "" and cut["correct"] is False
    assert {"unterminated_thinking", "truncated", "no_answer"} <= set(cut["flags"])


def test_concurrency_keeps_n_requests_in_flight(stub, items, tmp_path):
    stub.default = "slow"
    result, summary = run(stub, items, tmp_path / "o", "--samples", "2", "--concurrency", "3")
    assert result.exit_code == 0, result.output
    assert stub.max_in_flight == 3 and summary["samples_done"] == 6
    assert summary["provenance"]["backend"]["parallel"] == 3


def test_which_model_to_request(items, tmp_path):
    with StubServer(models=("alpha", "beta")) as stub:
        result, _ = run(stub, items, tmp_path / "a")
        assert result.exit_code == 2 and "serves several models" in result.stderr and "alpha, beta" in result.stderr
        result, summary = run(stub, items, tmp_path / "b", "--server-model", "beta", "--limit", "1")
        assert result.exit_code == 0 and stub.chat_requests()[-1]["body"]["model"] == "beta"
        assert summary["provenance"]["model"] == "beta"
        result, summary = run(stub, items, tmp_path / "c", "-m", "alpha", "--limit", "1")
        assert result.exit_code == 0 and stub.chat_requests()[-1]["body"]["model"] == "alpha"
        result, summary = run(stub, items, tmp_path / "d", "-m", "smollm2-135m", "--server-model", "alpha", "--limit", "1")
        assert result.exit_code == 0 and summary["provenance"]["model"] == "smollm2-135m"
        assert stub.chat_requests()[-1]["body"]["temperature"] == 0.2  # the catalog's settings for that model
        result, _ = run(stub, items, tmp_path / "e", "-m", "gamma")
        assert result.exit_code == 2 and "does not serve 'gamma'" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("--base-url", "http://127.0.0.1:9/v1", "--retry-budget", "0"), "cannot reach the server at http://127.0.0.1:9/v1"),
    (("--base-url", "http://user:pw@127.0.0.1:9/v1"), "the URL carries credentials"),
    (("--backend", "openai"), "--backend openai needs --base-url"),
    (("--base-url", "STUB", "--chat-template", "{{ x }}"), "--chat-template applies to in-process llama.cpp"),
    (("--base-url", "STUB", "--quant", "Q4_1,Q8_0"), "a server serves one"),
])
def test_server_mistakes_are_one_line_and_exit_2(stub, items, tmp_path, args, message):
    args = tuple(stub.url if a == "STUB" else a for a in args)
    result = CliRunner().invoke(app, ["run", *args, "-s", str(items), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "pw" not in result.stderr


def test_backoff_is_exponential_capped_and_yields_to_retry_after():
    policy = RetryPolicy()
    assert 0.25 <= policy.delay(0, None) <= 0.5 and 1.0 <= policy.delay(2, None) <= 2.0
    assert BACKOFF_CAP / 2 <= policy.delay(20, None) <= BACKOFF_CAP
    assert policy.delay(5, 7.0) == 7.0
    assert _retry_after("3") == 3.0 and _retry_after("nonsense") is None
    assert 0 <= _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: retry now


def test_shards_sharing_one_server_merge_into_the_unsharded_result(stub, tmp_path):
    """Two shards at once against one server (in threads; reasoning items grade without math-verify's signals)."""
    import threading

    from orbench.backends.server import ServerOptions
    from orbench.store.catalog import load_catalog
    from orbench.run.evaluate import RunOptions, resolve_ref, run_model
    from orbench.run.merge import merge_shards
    from orbench.suites import parse_suites

    items = tmp_path / "days.jsonl"
    items.write_text("".join(json.dumps({"id": f"d{i}", "suite": "days", "category": "calendar", "difficulty": "easy",
                                         "kind": "reasoning", "prompt": f"Day {i}?", "answer": "Monday"}) + "\n"
                             for i in range(3)))
    stub.reply = lambda body: "Answer: Monday" if "Day 0?" in body["messages"][-1]["content"] else "Answer: Friday"
    stub.script.extend(["gather"] * 4)  # the first four requests are answered together, once all are in

    def run_into(out: str, shard: tuple[int, int]) -> None:
        opts = RunOptions(samples=2, quiet=True, shard=shard, backend="openai",
                          server=ServerOptions(base_url=stub.url, concurrency=2))
        ref, opts = resolve_ref(load_catalog(), None, opts)
        run_model(ref, parse_suites(str(items)), tmp_path / out, opts)

    shards = [threading.Thread(target=run_into, args=(f"part{i}", (i, 2))) for i in (1, 2)]
    for thread in shards:
        thread.start()
    for thread in shards:
        thread.join(timeout=60)
    assert stub.max_in_flight == 4  # both shards' requests at the one server at once
    merged = merge_shards(tmp_path / "merged", [tmp_path / "part1", tmp_path / "part2"])
    run_into("whole", (1, 1))
    whole = json.loads((tmp_path / "whole" / "summary.json").read_text())
    assert merged.suites[0].accuracy.model_dump() == whole["suites"][0]["accuracy"]
    assert whole["suites"][0]["accuracy"]["value"] == pytest.approx(1 / 3)
    assert {k: (r["output"], r["correct"], r["seed"]) for k, r in samples(tmp_path / "merged").items()} == \
        {k: (r["output"], r["correct"], r["seed"]) for k, r in samples(tmp_path / "whole").items()}

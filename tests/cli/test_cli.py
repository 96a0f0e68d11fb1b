"""The CLI through typer's test runner, with the mock backend and a small prompt set."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from conftest import REPO_ROOT
from orbench.cli import app

MATH = [
    {"id": "m1", "suite": "math", "category": "arithmetic", "difficulty": "easy", "prompt": "2+2?", "answer": "4"},
    {"id": "m2", "suite": "math", "category": "algebra", "difficulty": "hard", "prompt": "x+1=3, x?", "answer": "2"},
]
REASONING = [
    {"id": "r1", "suite": "reasoning", "category": "calendar", "difficulty": "easy", "prompt": "Day after Monday?",
     "answer": "Tuesday"},
    {"id": "r2", "suite": "reasoning", "category": "spatial", "difficulty": "medium", "prompt": "Which is up?",
     "choices": ["floor", "ceiling"], "answer": "B"},
]
CODE = [
    {"id": "c1", "suite": "code", "category": "lists", "difficulty": "easy",
     "prompt": "```python\ndef total(xs):\n    \"\"\"Sum.\"\"\"\n```", "entry_point": "total",
     "reference": "def total(xs):\n    return sum(xs)\n", "tests": "assert total([1, 2]) == 3\n"},
]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "models", root / "models")
    for name, items in (("math", MATH), ("reasoning", REASONING), ("code", CODE)):
        (root / "prompts" / name).mkdir(parents=True)
        (root / "prompts" / name / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(root))
    return root


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, list(args))

    return invoke


def test_help_lists_commands_with_examples(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("models", "pull", "suites", "run"):
        assert command in result.output
    run_help = cli("run", "--help").output
    assert "Examples" in run_help and "--n-gpu-layers" in run_help


def test_version_and_verbose(cli, data_dir, tmp_path, mock_script):
    from orbench import __version__

    assert cli("--version").stdout.strip() == f"orbench {__version__}"
    mock_script({"*": "\\boxed{4}"})
    quiet = cli("run", "--backend", "mock", "-s", "math", "-o", str(tmp_path / "a"), "-q")
    loud = cli("-v", "run", "--backend", "mock", "-s", "math", "-o", str(tmp_path / "b"), "-q")
    assert quiet.exit_code == loud.exit_code == 0
    assert "debug: plan: 2 requests in math" in loud.stderr and "debug:" not in quiet.stderr
    assert "results/TIME-MODEL" in cli("run", "--help").output


def test_run_writes_summary_and_samples(cli, data_dir, tmp_path, mock_script):
    mock_script({"m1": "\\boxed{4}", "m2": "\\boxed{3}", "r1": "Answer: Tuesday", "r2": "Answer: A",
                 "c1": "```python\ndef total(xs):\n    return sum(xs)\n```"})
    out = tmp_path / "out"
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-o", str(out), "--json", "-q")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary)[0] == "schema_version" and summary["status"] == "complete"
    acc = {s["suite"]: s["accuracy"]["value"] for s in summary["suites"]}
    assert acc == {"math": 0.5, "code": 1.0, "reasoning": 0.5}
    assert summary.pop("results") == str(out)  # the folder, beside what summary.json holds
    assert json.loads((out / "summary.json").read_text()) == summary
    lines = (out / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 5 and {json.loads(x)["item_id"] for x in lines} == {"m1", "m2", "r1", "r2", "c1"}
    prov = summary["provenance"]
    assert prov["model"] == "smollm2-135m" and prov["quant"] == "Q4_1" and prov["sampler"]["temperature"] == 0.2
    assert all(len(s["prompt_set_hash"]) == 64 for s in summary["suites"])


def test_run_table_output(cli, data_dir, tmp_path, mock_script):
    mock_script({"*": "\\boxed{4}"})
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "-o", str(tmp_path / "o"))
    assert result.exit_code == 0
    assert "math" in result.stdout and "50.0%" in result.stdout and "summary.json" in result.stdout


def test_samples_flag_reports_pass_at_k(cli, data_dir, tmp_path, mock_script):
    mock_script({"m1": ["\\boxed{4}", "\\boxed{5}"], "m2": ["\\boxed{1}", "\\boxed{1}"]})
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "--samples", "2",
                 "-o", str(tmp_path / "o"), "--json", "-q")
    math = json.loads(result.stdout)["suites"][0]
    assert math["accuracy"]["value"] == 0.25 and math["pass_at_k"]["pass@2"]["value"] == 0.5


@pytest.mark.parametrize("args, message", [
    (("run", "-m", "no-such-model"), "unknown model 'no-such-model'"),
    (("run", "-m", "smollm2-135m:Q9_9"), "no quant 'Q9_9'"),
    (("run", "-m", "smollm2-135m", "-s", "poetry"), "unknown suite 'poetry'"),
    (("run", "-m", "smollm2-135m", "--max-tokens", "9999"), "does not fit in a context"),
    (("run", "-m", "/nonexistent/model.gguf"), "model file not found"),
    (("pull", "qwen2.5-0.5b-instruct"), "cannot reach the Hugging Face Hub"),
    (("pull", "--revision", "v1", "smollm2-360m"), "cannot reach the Hugging Face Hub"),
])
def test_user_mistakes_are_one_line_and_exit_2(cli, data_dir, args, message):
    result = cli(*args, "--backend", "mock") if args[0] == "run" else cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_a_missing_model_offline_suggests_the_embedded_model(cli, data_dir, tmp_path):
    result = cli("run", "-m", "deepseek-r1-distill-qwen-1.5b", "-s", "math", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "deepseek-r1-distill-qwen-1.5b:Q4_K_M is not on disk" in result.stderr
    assert "orbench pull smollm2-135m" in result.stderr


def test_malformed_prompt_file_names_the_line(cli, data_dir, tmp_path):
    with open(data_dir / "prompts" / "math" / "items.jsonl", "a") as fh:
        fh.write('{"id": "m3", "suite": "math"\n')
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "-o", str(tmp_path / "o"))
    assert result.exit_code == 2 and "items.jsonl:3: malformed JSON" in result.stderr


def test_unwritable_output_is_an_error(cli, data_dir, tmp_path):
    (tmp_path / "a-file").write_text("x")
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-o", str(tmp_path / "a-file" / "out"))
    assert result.exit_code == 2 and "not writable" in result.stderr


def test_ctrl_c_exits_130_and_keeps_valid_files(cli, data_dir, tmp_path, mock_script):
    mock_script({"m1": "\\boxed{4}", "m2": "!interrupt"})
    out = tmp_path / "o"
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "-o", str(out))
    assert result.exit_code == 130 and "finished samples are kept" in result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["samples_done"] == 1
    assert len((out / "samples.jsonl").read_text().splitlines()) == 1


def test_suites_and_models_json(cli, data_dir):
    suites = json.loads(cli("suites", "--json").stdout)
    counts = {s["name"]: s["items"] for s in suites}
    assert {k: counts[k] for k in ("math", "code", "reasoning")} == {"math": 2, "code": 1, "reasoning": 2}
    assert counts["math-gen"] == counts["code-gen"] == counts["reasoning-gen"] == 40
    assert suites[0]["difficulties"] == {"easy": 1, "hard": 1}
    models = json.loads(cli("models", "--json").stdout)
    assert models["default_model"] == "deepseek-r1-distill-qwen-1.5b:Q4_K_M" and models["local"] == []
    assert "smollm2-135m" in cli("models").stdout


def test_a_code_run_shows_and_records_its_sandbox(cli, data_dir, tmp_path, mock_script):
    mock_script({"c1": "```python\ndef total(xs):\n    return sum(xs)\n```"})
    out = tmp_path / "o"
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "code", "-o", str(out), "--graders", "2")
    assert result.exit_code == 0, result.output
    sandbox = json.loads((out / "summary.json").read_text())["sandbox"]
    assert sandbox["mode"] == "auto" and sandbox["graders"] == 2 and "rlimits" in sandbox["layers"]
    assert f"sandbox {sandbox['engine']} (2 at a time): " in result.stdout
    record = json.loads((out / "samples.jsonl").read_text())
    assert record["isolation"] == "+".join([sandbox["engine"], *sandbox["layers"]])


def test_sandbox_none_is_loud(cli, data_dir, tmp_path, mock_script):
    mock_script({"c1": "```python\ndef total(xs):\n    return sum(xs)\n```"})
    result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "code", "-o", str(tmp_path / "o"), "-q",
                 "--sandbox", "none")
    assert result.exit_code == 0 and result.stderr.startswith("warning: --sandbox none: ")
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["sandbox"]["engine"] == "process"


def test_sandbox_strict_without_namespaces_is_one_line_and_exit_2(cli, data_dir, tmp_path, monkeypatch):
    from orbench.grading import isolation

    monkeypatch.setattr(isolation, "NAMESPACED", ())
    isolation.forget()
    try:
        result = cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "code", "-o", str(tmp_path / "o"),
                     "--sandbox", "strict")
    finally:
        isolation.forget()
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: --sandbox strict: no namespace isolation") and "bubblewrap" in result.stderr
    assert not (tmp_path / "o" / "samples.jsonl").exists()
    assert cli("run", "--backend", "mock", "--sandbox", "maybe").stderr.startswith("error: --sandbox takes one of auto,")

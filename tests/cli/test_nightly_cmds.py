"""Unattended runs with the mock backend: resume, shards and merge, config, lock, gate, schema."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from conftest import REPO_ROOT
from orbench.store.catalog import load_catalog
from orbench.cli import app
from orbench.errors import OrbenchError
from orbench.run.evaluate import RunOptions, resolve_file
from orbench.store.lock import read_lock
from orbench.store.local import LocalModel, register_local

MATH = [{"id": f"m{i}", "suite": "math", "category": "arithmetic", "difficulty": "easy", "prompt": f"{i}+{i}?",
         "answer": str(2 * i)} for i in range(1, 9)]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(REPO_ROOT / "models", root / "models")
    (root / "prompts" / "math").mkdir(parents=True)
    (root / "prompts" / "math" / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in MATH))
    monkeypatch.setenv("ORBENCH_DATA_DIR", str(root))
    return root


def cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def answers(wrong=(), interrupt_at=None, error=()):
    script = {}
    for i in range(1, 9):
        script[f"m{i}"] = "!interrupt" if i == interrupt_at else "!error" if i in error else (
            f"\\boxed{{{2 * i + 1}}}" if i in wrong else f"\\boxed{{{2 * i}}}")
    return script


def run_mock(out, *extra):
    return cli("run", "--backend", "mock", "-m", "smollm2-135m", "-s", "math", "-o", out, "-q", *extra)


def ids(out):
    return [json.loads(line)["id"] for line in (out / "samples.jsonl").open()]


def test_interrupted_run_resumes_without_loss_or_duplicates(tmp_path, mock_script):
    full = tmp_path / "full"
    mock_script(answers(wrong={2, 5}))
    assert run_mock(full).exit_code == 0
    part = tmp_path / "part"
    mock_script(answers(wrong={2, 5}, interrupt_at=4))
    assert run_mock(part).exit_code == 130
    assert ids(part) == ["math/m1#0", "math/m2#0", "math/m3#0"]
    mock_script(answers(wrong={2, 5}))
    result = run_mock(part, "--json")
    assert result.exit_code == 0
    assert sorted(ids(part)) == sorted(ids(full)) and len(set(ids(part))) == 8
    resumed, complete = json.loads(result.stdout), json.loads((full / "summary.json").read_text())
    assert resumed["suites"][0]["accuracy"] == complete["suites"][0]["accuracy"]
    assert any("resumed: 3 sample(s)" in n for n in resumed["notes"])
    assert (part / "run.log").read_text().count("m1 correct") == 1


def test_half_written_tail_is_repaired_on_resume(tmp_path, mock_script):
    out = tmp_path / "run"
    mock_script(answers(interrupt_at=5))
    run_mock(out)
    with open(out / "samples.jsonl", "a") as fh:
        fh.write('{"schema_version": 1, "id": "math/m5#0", "sui')  # killed mid-write
    mock_script(answers())
    result = run_mock(out)
    assert result.exit_code == 0 and "half-written last line" in result.stderr
    assert len(ids(out)) == 8 == len(set(ids(out)))


def test_a_different_plan_in_the_same_folder_is_refused(tmp_path, mock_script):
    out = tmp_path / "run"
    mock_script(answers())
    assert run_mock(out).exit_code == 0
    result = run_mock(out, "--seed", "3")
    assert result.exit_code == 2 and "holds a different plan (changed: seed)" in result.stderr


def test_shards_merge_into_the_unsharded_result(tmp_path, mock_script):
    mock_script(answers(wrong={1, 6}))
    assert run_mock(tmp_path / "all").exit_code == 0
    assert run_mock(tmp_path / "s1", "--shard", "1/2").exit_code == 0
    assert run_mock(tmp_path / "s2", "--shard", "2/2").exit_code == 0
    assert len(ids(tmp_path / "s1")) == 4 and not set(ids(tmp_path / "s1")) & set(ids(tmp_path / "s2"))
    result = cli("merge", tmp_path / "merged", tmp_path / "s1", tmp_path / "s2", "--json")
    assert result.exit_code == 0, result.output
    merged, full = json.loads(result.stdout), json.loads((tmp_path / "all" / "summary.json").read_text())
    assert merged["suites"][0]["accuracy"] == full["suites"][0]["accuracy"]
    assert sorted(ids(tmp_path / "merged")) == sorted(ids(tmp_path / "all"))


def test_merge_refuses_bad_shard_sets(tmp_path, mock_script):
    mock_script(answers())
    for name, shard, seed in (("s1", "1/2", "0"), ("s2", "2/2", "0"), ("other", "2/2", "9")):
        assert run_mock(tmp_path / name, "--shard", shard, "--seed", seed).exit_code == 0
    assert "exactly once" in cli("merge", tmp_path / "m1", tmp_path / "s1", tmp_path / "s1").stderr
    assert "exactly once" in cli("merge", tmp_path / "m2", tmp_path / "s1").stderr
    assert "different plan" in cli("merge", tmp_path / "m3", tmp_path / "s1", tmp_path / "other").stderr
    assert cli("run", "--backend", "mock", "--shard", "3/2").exit_code == 2


def test_config_errors_name_file_line_and_key(tmp_path):
    cases = {
        "[run]\nsamples = 2\nlimt = 3\n[[models]]\nname = \"smollm2-135m\"\n": ":3: run.limt: Extra inputs",
        "[run]\nseed = \"seven\"\n[[models]]\nname = \"smollm2-135m\"\n": ":2: run.seed: Input should be a valid integer",
        "[[models]]\nname = \"smollm2-135m\"\n[[models]]\nname = \"gpt-9\"\n": ":4: models[1].name: unknown model",
        "[run]\nsuites = [\"math\", \"poems\"]\n[[models]]\nname = \"smollm2-135m\"\n": ":2: run.suites[1]: unknown suite",
        "[run]\nseed = \n": "orbench.toml: Invalid value (at line 2",
    }
    for text, message in cases.items():
        path = tmp_path / "orbench.toml"
        path.write_text(text)
        result = cli("run", "--config", path)
        assert result.exit_code == 2, text
        assert message in result.stderr and str(path) in result.stderr, (text, result.stderr)


def nights(out):
    return sorted(p for p in out.iterdir() if p.is_dir())


def test_init_then_nightly_runs_gated_against_the_pinned_baseline(tmp_path, mock_script):
    config = tmp_path / "orbench.toml"
    assert cli("init", config).exit_code == 0 and cli("init", config).exit_code == 2
    text = config.read_text().replace('"math", "code", "reasoning", "reasoning-gen"', '"math"')
    text = text.replace('quants = ["Q4_1"]', 'quants = ["Q4_1", "Q8_0"]')
    text = text.replace("nights = 30", "nights = 1")  # alpha per night: the mock's small drop decides
    config.write_text(text)
    mock_script(answers())
    first = cli("run", "--config", config, "--backend", "mock", "-q")
    assert first.exit_code == 0 and "no baseline pinned yet" in first.stderr
    out = tmp_path / "results" / "nightly"
    [night] = nights(out)
    index = json.loads((night / "index.json").read_text())
    assert index["kind"] == "matrix" and set(index["completed"]) == {"smollm2-135m:Q4_1", "smollm2-135m:Q8_0"}
    assert index["exit_code"] == 0 and (night / "smollm2-135m" / "Q8_0" / "summary.json").is_file()
    pinned = cli("baseline", "set", "latest", "--config", config)
    assert pinned.exit_code == 0 and night.name in pinned.stdout
    # tonight: the same matrix, every answer now wrong, gated against the pinned night
    mock_script(answers(wrong={1, 2, 3, 4, 5, 6, 7, 8}))
    result = cli("run", "--config", config, "--backend", "mock", "-q")
    assert result.exit_code == 1, result.output
    tonight = nights(out)[-1]
    assert tonight != night and "(resumed)" not in result.stdout
    junit = (tonight / "junit.xml").read_text()
    assert junit.count("<testcase") == 2 and junit.count("<failure") == 2
    assert 'classname="smollm2-135m:Q8_0"' in junit and "None" not in junit
    assert "REGRESSION" in (tonight / "summary.md").read_text()
    assert json.loads((tonight / "index.json").read_text())["exit_code"] == 1


def _two_runs(tmp_path, mock_script, baseline_wrong, current_wrong, current_errors=()):
    mock_script(answers(wrong=baseline_wrong))
    run_mock(tmp_path / "base")
    mock_script(answers(wrong=current_wrong, error=current_errors))
    run_mock(tmp_path / "now")
    return tmp_path / "now", tmp_path / "base"


def test_gate_significant_drop_fails(tmp_path, mock_script):
    # 8 items, all right before and all wrong now: McNemar p = 2/2^8 < 0.05
    now, base = _two_runs(tmp_path, mock_script, set(), set(range(1, 9)))
    result = cli("compare", now, "--baseline", base, "--fail-on", "accuracy<-2pp", "--json",
                 "--junit", tmp_path / "j.xml", "--nights", "1")
    assert result.exit_code == 1
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["regression"] and finding["change"] == pytest.approx(-100.0) and finding["p_value"] < 0.05
    assert 'type="regression"' in (tmp_path / "j.xml").read_text()


def test_the_default_window_spends_alpha_over_thirty_nights(tmp_path, mock_script):
    # the same 8 items lost (McNemar p = 0.0078) is not a regression at 0.05/30 a night: too few items
    # for that level, so the rule is reported underpowered; over a window of 3 nights (0.0167) it is
    now, base = _two_runs(tmp_path, mock_script, set(), set(range(1, 9)))
    result = cli("compare", now, "--baseline", base, "--fail-on", "accuracy<-2pp", "--json")
    finding = json.loads(result.stdout)["findings"][0]
    assert result.exit_code == 0 and not finding["regression"] and finding["underpowered"]
    assert finding["p_value"] < 0.05
    result = cli("compare", now, "--baseline", base, "--fail-on", "accuracy<-2pp", "--json", "--nights", "3")
    assert result.exit_code == 1 and json.loads(result.stdout)["findings"][0]["regression"]


def test_gate_shows_the_runs_own_accuracy_not_baseline_plus_the_paired_difference(tmp_path, mock_script):
    # the baseline failed items 7-8 with errors and got 1-6 right; tonight 1-6 right and 7-8 wrong:
    # the 6 shared items differ by 0, but tonight's accuracy is 6/8, not the baseline's 1.0 plus 0
    mock_script(answers(error={7, 8}))
    run_mock(tmp_path / "base")
    mock_script(answers(wrong={7, 8}))
    run_mock(tmp_path / "now")
    result = cli("compare", tmp_path / "now", "--baseline", tmp_path / "base", "--fail-on", "accuracy<-2pp", "--json")
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["baseline"] == pytest.approx(1.0) and finding["change"] == pytest.approx(0.0)
    assert finding["current"] == pytest.approx(0.75)


def test_gate_insignificant_drop_passes_but_is_reported_underpowered(tmp_path, mock_script):
    now, base = _two_runs(tmp_path, mock_script, set(), {3, 7})  # -25pp but p = 0.5
    result = cli("compare", now, "--baseline", base, "--fail-on", "accuracy<-2pp", "--json",
                 "--junit", tmp_path / "j.xml", "--markdown", tmp_path / "s.md")
    assert result.exit_code == 0
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["change"] == pytest.approx(-25.0) and not finding["significant"] and not finding["regression"]
    assert finding["underpowered"] and finding["detectable"] > 25 and finding["n"] == 8
    assert finding["low"] < -25 < finding["high"]
    junit, md = (tmp_path / "j.xml").read_text(), (tmp_path / "s.md").read_text()
    assert "<skipped message=\"underpowered" in junit and 'timestamp="' in junit and "n 8" in junit
    assert "underpowered (warning)" in md and "None" not in md and "None" not in junit
    strict = cli("compare", now, "--baseline", base, "--fail-on", "accuracy<-2pp", "--fail-underpowered",
                 "--junit", tmp_path / "j2.xml")
    assert strict.exit_code == 1 and "UNDERPOWERED" in strict.stdout
    assert 'type="underpowered"' in (tmp_path / "j2.xml").read_text()


def test_gate_infrastructure_errors_exit_3(tmp_path, mock_script):
    now, base = _two_runs(tmp_path, mock_script, set(), set(), current_errors={1, 2})
    assert cli("compare", now, "--baseline", base, "--max-error-rate", "0.1").exit_code == 3
    assert cli("compare", now, "--baseline", base, "--max-error-rate", "0.5").exit_code == 0


def test_gate_reports_a_changed_model_file_without_lock(tmp_path, mock_script):
    now, base = _two_runs(tmp_path, mock_script, set(), set())
    summary = json.loads((base / "summary.json").read_text())
    summary["provenance"]["sha256"] = "f" * 64
    (base / "summary.json").write_text(json.dumps(summary))
    result = cli("compare", now, "--baseline", base, "--json")
    assert result.exit_code == 0
    assert any("model file changed without a lock file" in n for n in json.loads(result.stdout)["notes"])


def test_gate_rule_syntax_errors_exit_2(tmp_path, mock_script):
    now, base = _two_runs(tmp_path, mock_script, set(), set())
    for bad in ("accuracy<2", "speed<-10%", "tokens_per_s<-3pp"):
        result = cli("compare", now, "--baseline", base, "--fail-on", bad)
        assert result.exit_code == 2 and "cannot read --fail-on" in result.stderr


def test_lock_pins_the_file_and_a_different_file_is_refused(tmp_path):
    fake = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 64)
    from orbench.files import sha256_file

    register_local(LocalModel(name="smollm2-135m", quant="Q4_1", path=fake, sha256=sha256_file(fake),
                              size=fake.stat().st_size, source="pypi", revision="0.1.2"))
    config = tmp_path / "orbench.toml"
    config.write_text('[[models]]\nname = "smollm2-135m"\nquants = ["Q4_1"]\n')
    result = cli("lock", "--config", config, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "orbench.lock").read_text())["files"]["smollm2-135m:Q4_1"]["sha256"] == sha256_file(fake)
    locked = read_lock(tmp_path / "orbench.lock").files
    ref = load_catalog().resolve("smollm2-135m:Q4_1")
    assert resolve_file(ref, RunOptions(lock=locked)).path == fake
    locked["smollm2-135m:Q4_1"] = locked["smollm2-135m:Q4_1"].model_copy(update={"sha256": "0" * 64})
    with pytest.raises(OrbenchError, match="differs from the lock"):
        resolve_file(ref, RunOptions(lock=locked))


def test_schema_describes_summary_json():
    result = cli("schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "RunSummary" and list(schema["properties"])[0] == "schema_version"
    assert {"provenance", "suites", "performance"} <= set(schema["properties"])


def _edit_summary(folder, change):
    data = json.loads((folder / "summary.json").read_text())
    change(data)
    (folder / "summary.json").write_text(json.dumps(data))


def test_merge_refuses_shards_of_another_model_file_or_grader_version(tmp_path, mock_script):
    mock_script(answers())
    for name, shard in (("s1", "1/2"), ("s2", "2/2")):
        assert run_mock(tmp_path / name, "--shard", shard).exit_code == 0
    _edit_summary(tmp_path / "s2", lambda d: d["provenance"].update(sha256="f" * 64))
    result = cli("merge", tmp_path / "m1", tmp_path / "s1", tmp_path / "s2")
    assert result.exit_code == 2 and "another model file" in result.stderr and "ffffffffffffffff" in result.stderr
    _edit_summary(tmp_path / "s2", lambda d: d["provenance"].update(sha256=None))
    lines = (tmp_path / "s2" / "samples.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for r in records:
        r["grader_version"] = "math-0" if r["finish_reason"] != "error" else r["grader_version"]
    (tmp_path / "s2" / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    _edit_summary(tmp_path / "s2", lambda d: [s.update(grader_version="math-0") for s in d["suites"]])
    result = cli("merge", tmp_path / "m2", tmp_path / "s1", tmp_path / "s2")
    assert result.exit_code == 2 and "different grader versions" in result.stderr and "math-0" in result.stderr, \
        result.output
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_merge_names_a_shard_with_more_samples_than_its_plan(tmp_path, mock_script):
    mock_script(answers())
    for name, shard in (("s1", "1/2"), ("s2", "2/2")):
        assert run_mock(tmp_path / name, "--shard", shard).exit_code == 0
    other = json.loads((tmp_path / "s2" / "samples.jsonl").read_text().splitlines()[0])
    with (tmp_path / "s1" / "samples.jsonl").open("a") as fh:
        fh.write(json.dumps(other) + "\n")
    result = cli("merge", tmp_path / "m", tmp_path / "s1", tmp_path / "s2")
    assert result.exit_code == 2 and "of its" not in result.stderr
    assert "5 samples, plan.json has 4 requests" in result.stderr, result.stderr

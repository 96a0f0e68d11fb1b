"""Every reader of orbench's files, fed broken copies of real files: truncations, byte flips, wrong
types, wrong JSON shapes, newer schema versions, bytes that are not UTF-8. Whatever the damage,
the command ends in exit 0 (the copy was still valid) or exit 2 with one line; never a traceback,
and the input files are never changed (a seeded mutator, so every failure reproduces)."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orbench.cli import app
from orbench.files import write_json_atomic
from orbench.quant.kld import KldReport, KldStats

MATH = [{"id": f"m{i}", "suite": "my-math", "category": "c", "difficulty": "easy", "prompt": f"{i}+{i}?",
         "answer": str(2 * i), "kind": "math"} for i in range(1, 9)]  # 8: enough shared items for a verdict


def mutations(data: bytes, seed: int) -> dict[str, bytes]:
    """Broken variants of one file's bytes."""
    rng = random.Random(seed)
    flipped = bytearray(data)
    for _ in range(3):
        flipped[rng.randrange(len(data))] ^= 0xFF
    out = {"half": data[: len(data) // 2], "last-byte": data[:-1], "flips": bytes(flipped), "empty": b"",
           "not-utf8": b"\xff\xfe" + data, "list": b"[1, 2]", "null": b"null", "object": b"{}"}
    try:
        parsed = json.loads(data)
    except ValueError:
        return out  # JSON Lines or TOML: the shape variants above still apply
    if isinstance(parsed, dict):
        key = sorted(parsed)[rng.randrange(len(parsed))]
        out["wrong-type"] = json.dumps({**parsed, key: [] if isinstance(parsed[key], str) else "x"}).encode()
        out["newer"] = json.dumps({**parsed, "schema_version": 99}).encode()
        out["schema-str"] = json.dumps({**parsed, "schema_version": "one"}).encode()
    return out


def jsonl_mutations(data: bytes, seed: int) -> dict[str, bytes]:
    lines = data.splitlines(keepends=True)
    middle = len(lines) // 2
    out = {f"line-{k}": b"".join(lines[:middle] + [v + b"\n"] + lines[middle + 1:])
           for k, v in mutations(lines[middle].rstrip(b"\n"), seed).items()}
    out["half"] = data[: len(data) // 2]
    out["not-utf8"] = b"\xff\xfe" + data
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory, ) -> Path:
    """A run, a baseline, a two-quant ladder with kld.json, a config with its lock, and a user suite."""
    root = tmp_path_factory.mktemp("world")
    items = root / "items.jsonl"
    items.write_text("".join(json.dumps(i) + "\n" for i in MATH))
    runner = CliRunner()
    for name, extra in (("run", []), ("base", []), ("ladder", ["--quant", "Q4_1,Q8_0"])):
        result = runner.invoke(app, ["run", "--backend", "mock", "-m", "smollm2-135m", "-s", str(items),
                                     "-o", str(root / name), "-q", *extra])
        assert result.exit_code == 0, result.output
    stats = KldStats(label="smollm2-135m:Q8_0", reference="smollm2-135m:Q4_1", positions=10, top_k=8, mean_kld=0.01,
                     kld_stderr=0.001, median_kld=0.01, p99_kld=0.02, max_kld=0.03, top1_agreement=0.9,
                     mean_delta_p=0.0, rms_delta_p=0.01, ppl=10.0, ppl_reference=10.0, ln_ppl_ratio=0.0)
    write_json_atomic(root / "ladder" / "kld.json", KldReport(
        model="smollm2-135m", reference="Q4_1", reference_sha256="0" * 64, files={}, text="t", n_ctx=64, top_k=8,
        transcripts=0, results={"text": [stats]}))
    (root / "orbench.toml").write_text(f'[run]\noutput = "nights"\nsuites = ["{items}"]\n[[models]]\n'
                                       'name = "smollm2-135m"\nquants = ["Q4_1"]\n')
    (root / "orbench.lock").write_text(json.dumps({"schema_version": 1, "created_at": "2026-11-29T00:00:00+00:00",
                                                   "config": "orbench.toml", "files": {}}))
    return root


def _cases(world: Path) -> list[tuple[str, Path, list[list[str]]]]:
    run, base, ladder = world / "run", world / "base", world / "ladder"
    compare = ["compare", str(run)]
    gate = ["compare", str(run), "--baseline", str(base)]
    view = ["view", str(run), "--no-open", "-o", str(world / "v.html")]
    return [
        ("summary", run / "summary.json", [compare, gate, view]),
        ("samples", run / "samples.jsonl", [compare, gate, view, ["regrade", str(run), "--dry-run"]]),
        ("plan", run / "plan.json", [["regrade", str(run), "--dry-run"]]),
        ("index", ladder / "index.json", [["compare", str(ladder)], ["report", str(ladder), "-o", str(world / "r.html")]]),
        ("kld", ladder / "kld.json", [["report", str(ladder), "-o", str(world / "r.html")]]),
        ("config", world / "orbench.toml", [["lock", "--config", str(world / "orbench.toml")]]),
        ("lock", world / "orbench.lock", [["run", "--config", str(world / "orbench.toml"), "--backend", "mock", "-q"]]),
        ("items", world / "items.jsonl", [["check-suite", str(world / "items.jsonl")],
                                          ["run", "--backend", "mock", "-s", str(world / "items.jsonl"), "-o",
                                           str(world / "fresh"), "-q"]]),
    ]


KINDS = ["summary", "samples", "plan", "index", "kld", "config", "lock", "items"]


def _digest(folder: Path, outputs: tuple[str, ...] = ()) -> dict[str, str]:
    """The inputs' hashes (what a command writes, such as `orbench lock`'s lock file, left out)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".json", ".jsonl", ".toml", ".lock")
            and "nights" not in p.parts and "fresh" not in p.parts and p.name not in outputs}


@pytest.mark.parametrize("kind", [k if k in ("samples", "config") else pytest.param(k, marks=pytest.mark.thorough)
                                  for k in KINDS])
def test_every_broken_copy_ends_in_one_line_or_success(world, kind, tmp_path):
    name, path, commands = next(c for c in _cases(world) if c[0] == kind)
    original = path.read_bytes()
    variants = (jsonl_mutations if path.suffix == ".jsonl" else mutations)(original, seed=len(kind))
    runner = CliRunner()
    try:
        for label, broken in variants.items():
            path.write_bytes(broken)
            for fresh in ("fresh", "nights"):
                shutil.rmtree(world / fresh, ignore_errors=True)
            outputs = ("orbench.lock",) if kind == "config" else ()
            before = _digest(world, outputs)
            for command in commands:
                result = runner.invoke(app, command)
                where = f"{kind}/{label}: orbench {' '.join(command[:2])}"
                assert result.exception is None or isinstance(result.exception, SystemExit), \
                    f"{where}: {type(result.exception).__name__}: {result.exception}"
                assert "Traceback" not in result.output, where
                if result.exit_code not in (0, 1, 3):
                    errors = [line for line in result.stderr.splitlines() if line.strip()]
                    assert result.exit_code == 2 and len(errors) == 1 and errors[0].startswith("error: "), \
                        f"{where}: exit {result.exit_code}: {result.stderr!r}"
                assert _digest(world, outputs) == before, f"{where} changed an input file"
    finally:
        path.write_bytes(original)


def cross_file_mutations(run: Path, seed: int) -> dict[str, dict[str, bytes]]:
    """Damage that each file alone does not show: name -> {file name: new bytes}. Every one leaves
    each file valid on its own, so only reading the files against each other can refuse it."""
    rng = random.Random(seed)
    lines = (run / "samples.jsonl").read_bytes().splitlines(keepends=True)
    summary = json.loads((run / "summary.json").read_text())
    plan = json.loads((run / "plan.json").read_text())
    i, j = rng.sample(range(len(lines)), 2)
    a, b = json.loads(lines[i]), json.loads(lines[j])
    swapped = list(lines)
    swapped[i] = json.dumps({**a, "id": b["id"], "item_id": b["item_id"]}).encode() + b"\n"
    swapped[j] = json.dumps({**b, "id": a["id"], "item_id": a["item_id"]}).encode() + b"\n"
    versioned = list(lines)
    versioned[i] = json.dumps({**a, "grader_version": "math-0"}).encode() + b"\n"
    nan_summary = json.dumps(summary).replace('"value": ', '"value": NaN, "was": ', 1)
    return {
        "drop": {"samples.jsonl": b"".join(lines[:i] + lines[i + 1:])},
        "duplicate": {"samples.jsonl": b"".join(lines + [lines[i]])},
        "swap-ids": {"samples.jsonl": b"".join(swapped)},
        "version-mix": {"samples.jsonl": b"".join(versioned)},
        "empty-samples": {"samples.jsonl": b""},
        "nan-summary": {"summary.json": nan_summary.encode()},
        "count": {"summary.json": json.dumps({**summary, "samples_done": summary["samples_done"] + 1}).encode()},
        "plan-samples": {"plan.json": json.dumps({**plan, "samples": -1}).encode()},
        "plan-seed": {"plan.json": json.dumps({**plan, "seed": plan["seed"] + 1}).encode()},
    }


def test_every_cross_file_mutation_is_refused_by_name(world):
    run = world / "run"
    originals = {name: (run / name).read_bytes() for name in ("samples.jsonl", "summary.json", "plan.json")}
    runner = CliRunner()
    commands = [["compare", str(run)], ["compare", str(run), "--baseline", str(world / "base")],
                ["view", str(run), "--no-open", "-o", str(world / "v.html")], ["regrade", str(run), "--dry-run"],
                ["check", str(run)]]
    try:
        for label, files in cross_file_mutations(run, seed=24).items():
            for name, data in files.items():
                (run / name).write_bytes(data)
            before = _digest(world)
            for command in commands:
                result = runner.invoke(app, command)
                where = f"{label}: orbench {' '.join(command[:2])}"
                assert result.exception is None or isinstance(result.exception, SystemExit), \
                    f"{where}: {type(result.exception).__name__}: {result.exception}"
                assert result.exit_code == 2, f"{where}: exit {result.exit_code}: {result.output}"
                errors = [line for line in result.stderr.splitlines() if line.strip()]
                if command[0] != "check":
                    assert len(errors) == 1 and errors[0].startswith("error: ") and str(run) in errors[0], \
                        f"{where}: {result.stderr!r}"
                else:
                    assert str(run) in result.stdout, f"{where}: {result.output!r}"
                assert _digest(world) == before, f"{where} changed an input file"
            for name, data in originals.items():
                (run / name).write_bytes(data)
    finally:
        for name, data in originals.items():
            (run / name).write_bytes(data)


def test_an_index_naming_a_missing_folder_is_refused(world):
    ladder = world / "ladder"
    original = (ladder / "index.json").read_bytes()
    index = json.loads(original)
    try:
        label = next(iter(index["runs"]))
        (ladder / "index.json").write_text(json.dumps({**index, "runs": {**index["runs"], label: "gone"}}))
        for command in (["compare", str(ladder)], ["report", str(ladder), "-o", str(world / "r.html")]):
            result = CliRunner().invoke(app, command)
            assert result.exit_code == 2 and "index.json" in result.stderr and "gone" in result.stderr, result.output
    finally:
        (ladder / "index.json").write_bytes(original)

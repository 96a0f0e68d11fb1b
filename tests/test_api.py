"""orbench as a library: the names docs/python-api.md imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orbench


def test_importing_orbench_loads_nothing_heavy():
    code = ("import sys, orbench; heavy = [m for m in ('pydantic', 'llama_cpp', 'huggingface_hub', 'numpy', 'typer') "
            "if m in sys.modules]; print(heavy)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_run_and_compare_from_python(tmp_path: Path, mock_script):
    mock_script({"*": "\\boxed{4}"})
    ref = orbench.load_catalog().resolve("smollm2-135m")
    opts = orbench.RunOptions(backend="mock", limit=6, quiet=True)
    first = orbench.run_model(ref, [orbench.get_suite("math")], tmp_path / "a", opts)
    second = orbench.run_model(ref, [orbench.get_suite("math")], tmp_path / "b", opts)
    assert first.status == "complete" and first.suites[0].items == 6
    reference, runs, results = orbench.compare_runs([tmp_path / "a", tmp_path / "b"])
    assert len(runs) == 2 and all(r.difference.value == 0 for r in results)
    assert orbench.read_summary(tmp_path / "a" / "summary.json") == first
    assert orbench.__version__ and "run_model" in orbench.__all__

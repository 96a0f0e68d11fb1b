"""Small real runs for the viewer and regrade tests: the mock backend answering a math suite of
eight items (and a two-item code suite), through the CLI as a user would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from conftest import REPO_ROOT
from orbench.cli import app

MATH = [{"id": f"m{i}", "suite": "math", "category": "arithmetic" if i <= 4 else "doubling",
         "difficulty": "easy" if i % 2 else "medium", "prompt": f"What is {i} plus {i}? Mind the carry.",
         "answer": str(2 * i)} for i in range(1, 9)]
CODE = [{"id": f"c{i}", "suite": "code", "category": "functions", "difficulty": "easy",
         "prompt": f"Write add{i}(x) that returns x + {i}.", "entry_point": f"add{i}",
         "tests": f"assert add{i}(1) == {1 + i}\nassert add{i}(-{i}) == 0"} for i in (1, 2)]
# ids as long as the built-in reasoning suite's (the key "reasoning/reasoning-001#0" repeats the suite)
REASONING = [{"id": f"reasoning-00{i}", "suite": "reasoning", "category": "deduction", "difficulty": "easy",
              "prompt": f"Anna is {i} cm taller than Ben. Who is shorter?", "answer": "Ben"} for i in (1, 2, 3, 4)]


def write_data_dir(root: Path) -> Path:
    """A data folder holding the catalog and these prompt sets (point ORBENCH_DATA_DIR at it)."""
    shutil.copytree(REPO_ROOT / "models", root / "models")
    for name, items in (("math", MATH), ("code", CODE), ("reasoning", REASONING)):
        (root / "prompts" / name).mkdir(parents=True)
        (root / "prompts" / name / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    return root


def replies(wrong: dict[int, str] | None = None, thinking: dict[int, str] | None = None) -> dict[str, str]:
    """A mock script: item m{i} answers 2i, or the reply in `wrong`; `thinking` adds a <think> block.
    Code item c1 is solved, c2 returns the wrong value."""
    script = {}
    for i in range(1, 9):
        reply = (wrong or {}).get(i, f"Doubling gives \\boxed{{{2 * i}}}.")
        if i in (thinking or {}):
            reply = f"<think>{thinking[i]}</think>{reply}"
        script[f"m{i}"] = reply
    script["c1"] = "```python\ndef add1(x):\n    return x + 1\n```"
    script["c2"] = "```python\ndef add2(x):\n    return x + 3\n```"
    return script


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def mock_run(out: Path, suites: str = "math", *extra: object, model: str = "smollm2-135m"):
    result = cli("run", "--backend", "mock", "-m", model, "-s", suites, "-o", out, "-q", *extra)
    assert result.exit_code == 0, result.output
    return result


def ladder(base: Path, mock_script, reference: dict[str, str], other: dict[str, str], suites: str = "math") -> Path:
    """A two-quant ladder folder (smollm2-135m at Q8_0 and Q4_0) of the same plan with the given replies."""
    return quant_ladder(base, mock_script, {"Q8_0": reference, "Q4_0": other}, suites)


def quant_ladder(base: Path, mock_script, scripts: dict[str, dict[str, str]], suites: str = "math") -> Path:
    """A ladder folder of smollm2-135m at each quant of `scripts` (in that order), answering by its script."""
    for label, script in scripts.items():
        mock_script(script)
        mock_run(base / label, suites, model=f"smollm2-135m:{label}")
    (base / "index.json").write_text(json.dumps({"kind": "ladder", "runs": {q: q for q in scripts},
                                                 "completed": list(scripts)}))
    return base

"""The embedded model's quant ladder for the e2e tests: SmolLM2-135M Q4_1 (the embedded file) and
Q8_0 and Q4_0 quantized from it, registered in an isolated ORBENCH_HOME (the real cache is never
written). Made once per test session (`quant_ladder` in tests/conftest.py) and shared by the ladder,
adaptive and any other e2e test that needs more than one quant."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from typer.testing import CliRunner

EMBEDDED_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
DERIVED = ("Q8_0", "Q4_0")


@dataclass
class Ladder:
    home: Path  # ORBENCH_HOME holding the three quants
    made: list[dict[str, Any]]  # `orbench quantize --json` of the derived quants


def invoke(*args: Any) -> Any:
    from orbench.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@contextmanager
def orbench_home(home: Path) -> Iterator[Path]:
    """ORBENCH_HOME set to `home` for the block, restored after."""
    saved = os.environ.get("ORBENCH_HOME")
    os.environ["ORBENCH_HOME"] = str(home)
    try:
        yield home
    finally:
        if saved is None:
            os.environ.pop("ORBENCH_HOME", None)
        else:
            os.environ["ORBENCH_HOME"] = saved


def make_ladder(home: Path, embedded_model: Path) -> Ladder:
    """Register the embedded file in `home` and quantize the derived quants from it."""
    from orbench.store.local import LocalModel, register_local

    with orbench_home(home):
        register_local(LocalModel(name="smollm2-135m", quant="Q4_1", path=embedded_model, sha256=EMBEDDED_SHA256,
                                  size=embedded_model.stat().st_size, source="pypi"))
        made = json.loads(invoke("quantize", "smollm2-135m", "--from", "Q4_1", "--to", ",".join(DERIVED),
                                 "--allow-requantize", "--dir", home / "derived", "--json").stdout)
    return Ladder(home, made)

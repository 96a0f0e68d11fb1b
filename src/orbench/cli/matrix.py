"""`orbench run --config`: every model and quant of an orbench.toml, then the gate."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..catalog import load_catalog
from ..config import load_config
from ..errors import EXIT_INFRA, EXIT_OK, OrbenchError
from ..evaluate import RunOptions, run_model, write_index
from ..suites import parse_suites
from .common import print_json
from .compare_cmd import run_gate
from .tables import print_summary


def run_config(path: Path, cli: RunOptions, output: Path | None, json_out: bool) -> int:
    config = load_config(path)
    r = config.run
    opts = replace(cli, seed=r.seed, samples=r.samples, limit=r.limit, threads=r.threads, n_gpu_layers=r.n_gpu_layers,
                   max_tokens=r.max_tokens, temperature=r.temperature, ctx=r.ctx, parallel=r.parallel or cli.parallel,
                   lock=_lock(config.lock_path))
    base = output or r.output
    suites = parse_suites(",".join(r.suites))
    catalog = load_catalog()
    refs = [catalog.resolve(f"{m.name}:{q}") for m in config.models for q in m.quants]
    runs = {ref.label: f"{ref.name}/{ref.quant}" for ref in refs}
    done: dict[str, object] = {}
    for ref in refs:
        write_index(base, "matrix", runs, list(done), config=str(path))
        done[ref.label] = run_model(ref, suites, base / runs[ref.label], opts)
    write_index(base, "matrix", runs, list(done), config=str(path))
    if json_out and config.gate.baseline is None:
        print_json({label: s.model_dump(mode="json") for label, s in done.items()})
    elif not json_out:
        for summary in done.values():
            print_summary(summary)
    if config.gate.baseline is not None:
        g = config.gate
        return run_gate(base, g.baseline, g.fail_on, g.alpha, g.max_error_rate, base / "junit.xml",
                        base / "summary.md", json_out)
    samples = sum(s.samples_done for s in done.values())
    errors = sum(s.errors for s in done.values())
    return EXIT_INFRA if samples and errors / samples > config.gate.max_error_rate else EXIT_OK


def _lock(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError):
        raise OrbenchError(f"{path} is not an orbench lock file", hint="write it again with `orbench lock`") from None

"""orbench: how good is a small open-weight model, on this machine?

Use it from Python as the CLI does (each name is imported when first used, so `import orbench`
stays light):

    from orbench import load_catalog, get_suite, run_model, RunOptions, compare_runs
    summary = run_model(load_catalog().resolve("smollm2-135m"), [get_suite("math")], Path("out"), RunOptions(limit=5))
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = {
    "load_catalog": "store.catalog", "pull": "store.pull", "get_suite": "suites", "all_suites": "suites",
    "parse_suites": "suites", "Suite": "suites", "Item": "suites.items", "RunOptions": "run.settings",
    "run_model": "run.evaluate", "run_many": "run.evaluate", "Batch": "run.evaluate", "run_config": "nightly.matrix",
    "lock_config": "nightly.matrix", "compare_runs": "quant.compare", "compare_folders": "quant.compare", "load_runs": "run.loader",
    "run_gate": "nightly.gate", "set_baseline": "nightly.nights", "write_history": "nightly.history",
    "measure_kld": "quant.kld", "KldOptions": "quant.kld", "build_report": "quant.report", "write_report": "quant.report",
    "merge_shards": "run.merge", "read_summary": "run.records", "read_samples": "run.records", "OrbenchError": "errors",
    "regrade": "run.regrade", "write_view": "view", "ViewOptions": "view",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'orbench' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_API[name]}", __name__)
    return getattr(module, "build" if name == "build_report" else name)

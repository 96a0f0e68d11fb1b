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
    "load_catalog": "catalog", "pull": "store", "get_suite": "suites", "all_suites": "suites",
    "parse_suites": "suites", "Suite": "suites", "Item": "suites.items", "RunOptions": "evaluate",
    "run_model": "evaluate", "run_many": "evaluate", "Batch": "evaluate", "run_config": "nightly",
    "lock_config": "nightly", "compare_runs": "compare", "compare_folders": "compare", "load_runs": "compare",
    "run_gate": "gate", "set_baseline": "nights", "write_history": "history",
    "measure_kld": "kld", "KldOptions": "kld", "build_report": "report", "write_report": "report",
    "merge_shards": "merge", "read_summary": "results", "read_samples": "results", "OrbenchError": "errors",
    "regrade": "regrade", "write_view": "view", "ViewOptions": "view",
}
__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'orbench' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_API[name]}", __name__)
    return getattr(module, "build" if name == "build_report" else name)

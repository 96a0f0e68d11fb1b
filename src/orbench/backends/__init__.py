"""Backends turn GenerationRequests into Completions. One small Protocol, several implementations.

`generate` takes a list of requests (so a batched engine can serve many at once) and yields each
Completion as soon as it is done, in any order. A failure of one request is a Completion with
`finish_reason="error"`, never an exception that ends the run. Backends register by name below
and import their heavy libraries only when created; this package's own types load on first use.

May import: the shared top-level modules (errors, llama, units) only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Backend, BackendInfo, Completion, GenerationRequest, consume, error_completion

__all__ = ["BACKENDS", "Backend", "BackendInfo", "Completion", "GenerationRequest", "consume", "create_backend",
           "error_completion"]

BACKENDS = ("llama.cpp", "openai", "mock")


def __getattr__(name: str) -> Any:
    """The types of base.py, imported when first used: `backends.server` (the server's options, read
    when `orbench run`'s flags are built) does not pay for pydantic."""
    if name in __all__ and name not in ("BACKENDS", "create_backend"):
        from . import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_backend(name: str, **options: Any) -> Backend:
    """Build a backend by name; heavy libraries are imported only here, when one is used."""
    if name == "llama.cpp":
        parallel = options.pop("parallel", None)
        step_tokens = options.pop("step_tokens", None)
        if parallel == 1:
            from .llamacpp import LlamaCppBackend

            return LlamaCppBackend(**options)
        from .batched import BatchedBackend

        if step_tokens is not None:
            options["step_tokens"] = step_tokens
        return BatchedBackend(parallel=parallel, **options)
    if name == "openai":
        from .openai import OpenAIBackend

        return OpenAIBackend(options["server"])
    if name == "mock":
        from .mock import MockBackend

        return MockBackend.from_env()
    from ..errors import OrbenchError

    raise OrbenchError(f"unknown backend '{name}'", hint=f"choose one of: {', '.join(BACKENDS)}")

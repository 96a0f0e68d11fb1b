"""Backends turn GenerationRequests into Completions. One small Protocol, several implementations.

`generate` takes a list of requests (so a batched engine can serve many at once) and yields each
Completion as soon as it is done, in any order. A failure of one request is a Completion with
`finish_reason="error"`, never an exception that ends the run.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Literal, Protocol, Sequence

from pydantic import BaseModel, ConfigDict


class GenerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    item_id: str
    sample: int
    messages: list[dict[str, str]]
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float
    seed: int


class Completion(BaseModel):
    request_id: str
    text: str = ""
    finish_reason: Literal["stop", "length", "error"]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    prompt_seconds: float | None = None
    prompt_eval_tokens: int | None = None  # prompt tokens actually evaluated (a cached prefix is not)
    generation_seconds: float | None = None
    error: str | None = None


class Backend(Protocol):
    name: str

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]: ...

    def info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


BACKENDS = ("llama.cpp", "mock")


def create_backend(name: str, **options: Any) -> Backend:
    """Build a backend by name; heavy libraries are imported only here, when one is used."""
    if name == "llama.cpp":
        parallel = options.pop("parallel", None)
        if parallel == 1:
            from .llamacpp import LlamaCppBackend

            return LlamaCppBackend(**options)
        from .batched import BatchedBackend

        return BatchedBackend(parallel=parallel, **options)
    if name == "mock":
        from .mock import MockBackend

        return MockBackend.from_env()
    from ..errors import OrbenchError

    raise OrbenchError(f"unknown backend '{name}'", hint=f"choose one of: {', '.join(BACKENDS)}")


def error_completion(request: GenerationRequest, message: str, seconds: float = 0.0) -> Completion:
    return Completion(request_id=request.id, finish_reason="error", error=message[:500], seconds=seconds)


def consume(backend: Backend, requests: Iterable[GenerationRequest]) -> list[Completion]:
    """Convenience for tests and scripts: all completions, in request order."""
    reqs = list(requests)
    by_id = {c.request_id: c for c in backend.generate(reqs)}
    return [by_id[r.id] for r in reqs]

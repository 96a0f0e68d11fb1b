"""What every backend shares: the request, the completion, the backend's self-description, and the
`Backend` protocol itself. Implementations import from here; `backends/__init__` adds the registry."""

from __future__ import annotations

from typing import Iterable, Iterator, Literal, Protocol, Sequence

from pydantic import BaseModel, ConfigDict, Field


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
    thinking: str | None = None  # reasoning a server returned apart from the answer (`reasoning_content`)
    finish_reason: Literal["stop", "length", "error"]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    prompt_seconds: float | None = None
    prompt_eval_tokens: int | None = None  # prompt tokens actually evaluated (a cached prefix is not)
    generation_seconds: float | None = None
    error: str | None = None


class BackendInfo(BaseModel):
    """What generated the samples (`provenance.backend` in summary.json). Unknown keys are ignored."""

    backend: str = Field(description="the backend's name, e.g. llama.cpp-batched, llama.cpp, mock")
    llama_cpp_python: str | None = Field(default=None, description="llama-cpp-python version")
    system_info: str | None = Field(default=None, description="llama.cpp's system info (CPU features, backends)")
    n_ctx: int | None = Field(default=None, description="context size per sequence, in tokens")
    n_threads: int | None = Field(default=None, description="CPU threads")
    n_gpu_layers: int | None = Field(default=None, description="layers asked to be offloaded to the GPU (-1: all)")
    flash_attn: bool | None = Field(default=None, description="whether flash attention was on")
    gpu_offload_supported: bool | None = Field(default=None, description="whether this llama.cpp build can offload")
    gpu_offload_active: bool | None = Field(default=None, description="offload supported and asked for")
    gpu_devices: list[str] | None = Field(default=None, description="the GPUs llama.cpp found, 'NAME: DESCRIPTION'")
    offloaded_layers: int | None = Field(default=None, description="layers placed on the GPU")
    offloadable_layers: int | None = Field(default=None, description="layers the model has, output layer included")
    chat_template: str | None = Field(default=None, description="where the chat template came from")
    architecture: str | None = Field(default=None, description="the GGUF's general.architecture")
    n_params: int | None = Field(default=None, description="parameters in the model")
    tensor_bytes: int | None = Field(default=None, description="bytes of the model's tensors")
    bits_per_weight: float | None = Field(default=None, description="tensor bits per parameter")
    model_name: str | None = Field(default=None, description="the GGUF's general.name")
    load_seconds: float | None = Field(default=None, description="time to load the model")
    engine: str | None = Field(default=None, description="scheduling, e.g. continuous batching")
    parallel: int | Literal["auto"] | None = Field(default=None, description="sequences decoded together, as asked")
    scripted_items: int | None = Field(default=None, description="mock backend: items with a scripted reply")
    base_url: str | None = Field(default=None, description="server backend: the server's URL (no credentials)")
    server_model: str | None = Field(default=None, description="server backend: the model id the server serves")
    server_build: str | None = Field(default=None, description="server backend: what the server reports of its "
                                     "build (llama-server /props, vLLM /version, Ollama /api/version)")
    request_timeout: float | None = Field(default=None, description="server backend: seconds to wait for an answer")
    retry_budget: float | None = Field(default=None, description="server backend: seconds of retrying one sample")


class Backend(Protocol):
    name: str

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]: ...

    def info(self) -> BackendInfo: ...

    @property
    def last_parallel(self) -> int:
        """The most sequences the last `generate` decoded together (1 for a sequential backend)."""
        ...

    def close(self) -> None: ...


def error_completion(request: GenerationRequest, message: str, seconds: float = 0.0) -> Completion:
    return Completion(request_id=request.id, finish_reason="error", error=message[:500], seconds=seconds)


def consume(backend: Backend, requests: Iterable[GenerationRequest]) -> list[Completion]:
    """Convenience for tests and scripts: all completions, in request order."""
    reqs = list(requests)
    by_id = {c.request_id: c for c in backend.generate(reqs)}
    return [by_id[r.id] for r in reqs]

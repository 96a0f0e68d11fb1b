"""In-process llama.cpp through llama-cpp-python: one sequence at a time, the reference backend.

The chat template comes from the GGUF file; sampling is seeded per request; prompt-processing
and generation times come from llama.cpp's own performance counters.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Iterator, Sequence

from .. import llama
from .base import BackendInfo, Completion, GenerationRequest, error_completion


class LlamaCppBackend:
    name = "llama.cpp"
    own_context = True  # generates through `Llama`'s own context (a subclass may make its own contexts)

    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None,
                 n_gpu_layers: int = 0, seed: int = 0, chat_template: str | None = None):
        self.model_path = Path(model_path)
        self.n_gpu_layers = n_gpu_layers
        started = time.perf_counter()
        self.model = llama.Model(self.model_path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers,
                                 seed=seed, chat_template=chat_template, own_context=self.own_context)
        self.n_threads = self.model.n_threads
        self.load_seconds = time.perf_counter() - started

    @property
    def last_parallel(self) -> int:
        return 1

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]:
        for request in requests:
            yield self._one(request)

    def _one(self, request: GenerationRequest) -> Completion:
        llm = self.model.llm
        # Start every request from an empty cache: reusing the previous prompt's prefix changes how the
        # prompt is batched, and llama.cpp's kernels are not batch-invariant, so a resumed run could drift.
        llm.reset()
        self.model.perf_reset()
        started = time.perf_counter()
        try:
            out = llm.create_chat_completion(
                messages=request.messages, max_tokens=request.max_tokens,
                temperature=request.temperature, top_p=request.top_p, top_k=request.top_k,
                min_p=request.min_p, repeat_penalty=request.repeat_penalty, seed=request.seed,
            )
        except (ValueError, RuntimeError) as exc:
            return error_completion(request, f"llama.cpp: {exc}", time.perf_counter() - started)
        seconds = time.perf_counter() - started
        prompt_seconds, prompt_eval, gen_seconds = self.model.perf()
        choice = out["choices"][0]
        usage = out.get("usage", {})
        return Completion(
            request_id=request.id, text=choice["message"].get("content") or "",
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            prompt_tokens=usage.get("prompt_tokens", 0), completion_tokens=usage.get("completion_tokens", 0),
            seconds=seconds, prompt_seconds=prompt_seconds, prompt_eval_tokens=prompt_eval,
            generation_seconds=gen_seconds,
        )

    def info(self) -> BackendInfo:
        m = self.model
        meta = m.metadata
        gpu = llama.supports_gpu_offload()
        offloadable = m.n_layers() + 1  # llama.cpp counts the output layer too ("offloaded 31/31 layers")
        return BackendInfo(
            backend=self.name, llama_cpp_python=llama.version(), system_info=llama.system_info(),
            n_ctx=m.n_ctx, n_threads=self.n_threads, n_gpu_layers=self.n_gpu_layers, flash_attn=m.flash_attn(),
            gpu_offload_supported=gpu, gpu_offload_active=gpu and self.n_gpu_layers != 0,
            gpu_devices=llama.gpu_devices(), offloadable_layers=offloadable,
            offloaded_layers=offloaded_layers(self.n_gpu_layers, offloadable, gpu),
            chat_template=_template_source(m.chat_template, meta),
            architecture=meta.get("general.architecture"), n_params=m.n_params(), tensor_bytes=m.tensor_bytes(),
            bits_per_weight=round(m.tensor_bytes() * 8 / max(1, m.n_params()), 3), model_name=meta.get("general.name"),
            load_seconds=round(self.load_seconds, 3),
        )

    def close(self) -> None:
        self.model.close()


def _template_source(override: str | None, meta: dict[str, str]) -> str:
    if override is not None:
        return f"--chat-template (sha256 {hashlib.sha256(override.encode()).hexdigest()[:16]})"
    return "gguf" if "tokenizer.chat_template" in meta else "llama-cpp-python default"


def offloaded_layers(asked: int, offloadable: int, supported: bool) -> int:
    """Layers llama.cpp puts on the GPU: all for -1, at most the model's, none without GPU support."""
    if not supported:
        return 0
    return offloadable if asked < 0 else min(asked, offloadable)

"""In-process llama.cpp through llama-cpp-python: one sequence at a time, the reference backend.

The chat template comes from the GGUF file; sampling is seeded per request; prompt-processing
and generation times come from llama.cpp's own performance counters.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import OrbenchError
from . import Completion, GenerationRequest, error_completion


def chat_formatter(llm):
    """The GGUF's chat template as llama-cpp-python's own chat handler builds it (None if absent)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    model = llm._model
    eos, bos = llm.token_eos(), llm.token_bos()
    return Jinja2ChatFormatter(template=template, eos_token=model.token_get_text(eos) if eos != -1 else "",
                               bos_token=model.token_get_text(bos) if bos != -1 else "", stop_token_ids=[eos])


def chat_prompt(llm, formatter, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
    """Prompt tokens (assistant turn opened) and stop strings, exactly as `create_chat_completion` makes them."""
    result = formatter(messages=messages)
    tokens = llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
    stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
    return tokens, stop


class LlamaCppBackend:
    name = "llama.cpp"

    def __init__(self, model_path: Path, n_ctx: int = 4096, n_threads: int | None = None,
                 n_gpu_layers: int = 0, seed: int = 0):
        import llama_cpp

        self._lib = llama_cpp
        self.model_path = Path(model_path)
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.n_gpu_layers = n_gpu_layers
        started = time.perf_counter()
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.model_path), n_ctx=n_ctx, n_threads=self.n_threads,
                n_threads_batch=self.n_threads, n_gpu_layers=n_gpu_layers, seed=seed, verbose=False,
                # no flash attention: on CPU it decodes 16 sequences 13% faster, but its logits depend on
                # how a prompt is split into batches (KL up to 0.01, as large as Q8_0's distance from Q4_1)
                flash_attn=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise OrbenchError(
                f"llama.cpp could not load {self.model_path.name}: {exc} (corrupt or truncated GGUF?)"
            ) from None
        self.load_seconds = time.perf_counter() - started

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]:
        for request in requests:
            yield self._one(request)

    def _one(self, request: GenerationRequest) -> Completion:
        lib, ctx = self._lib, self.llm._ctx.ctx
        # Start every request from an empty cache: reusing the previous prompt's prefix changes how the
        # prompt is batched, and llama.cpp's kernels are not batch-invariant, so a resumed run could drift.
        self.llm.reset()
        lib.llama_perf_context_reset(ctx)
        started = time.perf_counter()
        try:
            out = self.llm.create_chat_completion(
                messages=request.messages, max_tokens=request.max_tokens,
                temperature=request.temperature, top_p=request.top_p, top_k=request.top_k,
                min_p=request.min_p, repeat_penalty=request.repeat_penalty, seed=request.seed,
            )
        except (ValueError, RuntimeError) as exc:
            return error_completion(request, f"llama.cpp: {exc}", time.perf_counter() - started)
        seconds = time.perf_counter() - started
        perf = lib.llama_perf_context(ctx)
        choice = out["choices"][0]
        usage = out.get("usage", {})
        return Completion(
            request_id=request.id, text=choice["message"].get("content") or "",
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            prompt_tokens=usage.get("prompt_tokens", 0), completion_tokens=usage.get("completion_tokens", 0),
            seconds=seconds, prompt_seconds=perf.t_p_eval_ms / 1000, prompt_eval_tokens=perf.n_p_eval,
            generation_seconds=perf.t_eval_ms / 1000,
        )

    def info(self) -> dict[str, Any]:
        lib, meta = self._lib, self.llm.metadata
        gpu = bool(lib.llama_supports_gpu_offload())
        return {
            "backend": self.name,
            "llama_cpp_python": lib.__version__,
            "system_info": lib.llama_print_system_info().decode(errors="replace").strip(),
            "n_ctx": self.llm.n_ctx(),
            "n_threads": self.n_threads,
            "n_gpu_layers": self.n_gpu_layers,
            "flash_attn": self.llm.context_params.flash_attn_type == lib.LLAMA_FLASH_ATTN_TYPE_ENABLED,
            "gpu_offload_supported": gpu,
            "gpu_offload_active": gpu and self.n_gpu_layers != 0,
            "chat_template": "gguf" if "tokenizer.chat_template" in meta else "llama-cpp-python default",
            "architecture": meta.get("general.architecture"),
            "n_params": self.llm._model.n_params(),
            "tensor_bytes": self.llm._model.size(),
            "bits_per_weight": round(self.llm._model.size() * 8 / max(1, self.llm._model.n_params()), 3),
            "model_name": meta.get("general.name"),
            "load_seconds": round(self.load_seconds, 3),
        }

    def close(self) -> None:
        self.llm.close()

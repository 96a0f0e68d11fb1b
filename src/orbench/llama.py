"""The one module that touches llama-cpp-python's low-level and private API.

The engine, the sequential backend, KLD, bench and quantize all go through these few wrappers
(model, context, batch, sampler chain, quantizer), so an upgrade of llama-cpp-python is checked
here and nowhere else. `llama_cpp` is imported only when a function here runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from .errors import OrbenchError

Entry = tuple[int, int, int, bool]  # (token, position, sequence id, wants logits)
LLAMA_UBATCH = 512  # llama-cpp-python's default n_ubatch
STUB_CELLS, STUB_BATCH = 256, 8  # llama.cpp's smallest context (it rounds n_ctx up to 256 cells)


def _lib() -> Any:
    import llama_cpp
    from llama_cpp import _logger

    _logger.set_verbose(verbose())  # llama.cpp's own log (model loading, quantizing): only with --verbose
    return llama_cpp


def verbose() -> bool:
    """True under `orbench --verbose` (the orbench logger shows debug messages)."""
    import logging

    return logging.getLogger("orbench").isEnabledFor(logging.DEBUG)


def version() -> str:
    return str(_lib().__version__)


def system_info() -> str:
    return bytes(_lib().llama_print_system_info()).decode(errors="replace").strip()


def supports_gpu_offload() -> bool:
    return bool(_lib().llama_supports_gpu_offload())


GPU_DEVICE_TYPES = (1, 2)  # ggml_backend_dev_type: GGML_BACKEND_DEVICE_TYPE_GPU, _IGPU (CPU is 0, ACCEL 3)


def gpu_devices() -> list[str]:
    """The GPUs llama.cpp registered, as 'NAME: DESCRIPTION' (e.g. 'CUDA0: NVIDIA H200'); [] on a CPU build."""
    import ctypes

    from llama_cpp import _ggml

    lib = _ggml.libggml
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_get.restype, lib.ggml_backend_dev_get.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    for name, restype in (("ggml_backend_dev_name", ctypes.c_char_p), ("ggml_backend_dev_description", ctypes.c_char_p),
                          ("ggml_backend_dev_type", ctypes.c_int)):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, [ctypes.c_void_p]
    found = []
    for i in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(i)
        if lib.ggml_backend_dev_type(dev) in GPU_DEVICE_TYPES:
            found.append(f"{lib.ggml_backend_dev_name(dev).decode()}: {lib.ggml_backend_dev_description(dev).decode()}")
    return found


class Model:
    """A loaded GGUF file: llama-cpp-python's `Llama` plus the low-level handles orbench needs."""

    def __init__(self, path: Path, n_ctx: int, n_threads: int | None = None, n_gpu_layers: int = 0, seed: int = 0,
                 n_batch: int = 512, logits_all: bool = False, chat_template: str | None = None,
                 own_context: bool = True):
        """`own_context=False`: `Llama`'s own context (the sequential backend's) is made at llama.cpp's
        smallest size instead of `n_ctx` cells, for a caller that makes its contexts with `new_context`;
        `base_context` then makes a full one only when it is asked for."""
        lib = _lib()
        self.path = Path(path)
        self.n_ctx = n_ctx
        self.chat_template = chat_template  # replaces the GGUF's own when set
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        stub = not own_context
        try:
            self.llm = lib.Llama(
                model_path=str(self.path), n_ctx=STUB_CELLS if stub else n_ctx, n_batch=STUB_BATCH if stub else n_batch,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads, n_gpu_layers=n_gpu_layers, seed=seed, logits_all=logits_all,
                verbose=verbose(),
                # no flash attention: on CPU it decodes 16 sequences 13% faster, but its logits depend on
                # how a prompt is split into batches (KL up to 0.01, as large as Q8_0's distance from Q4_1)
                flash_attn=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise OrbenchError(f"llama.cpp could not load {self.path.name}: {exc} (corrupt or truncated GGUF?)") from None
        self.vocab = self.llm._model.vocab
        # the parameters `Llama` gives its own context at full size: every further context starts from them
        self.params = type(self.llm.context_params).from_buffer_copy(self.llm.context_params)
        self.params.n_ctx = n_ctx
        self.params.n_batch = min(n_ctx, n_batch)
        self.params.n_ubatch = min(self.params.n_batch, LLAMA_UBATCH)
        self._base: Context | None = None if stub else Context(self.llm._ctx, owned=False)
        if chat_template is not None:
            self.llm.chat_handler = self.chat_formatter().to_chat_handler()

    # ------------------------------------------------------------ facts

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.llm.metadata)

    def n_layers(self) -> int:
        """Repeating layers (blocks) of the model."""
        return int(_lib().llama_model_n_layer(self.llm._model.model))

    def n_params(self) -> int:
        return int(self.llm._model.n_params())

    def tensor_bytes(self) -> int:
        return int(self.llm._model.size())

    def flash_attn(self) -> bool:
        return bool(self.llm.context_params.flash_attn_type == _lib().LLAMA_FLASH_ATTN_TYPE_ENABLED)

    def adds_bos(self) -> bool:
        return bool(self.llm._model.add_bos_token())

    def is_eog(self, token: int) -> bool:
        return bool(_lib().llama_vocab_is_eog(self.vocab, token))

    # ------------------------------------------------------------ chat prompts

    def chat_formatter(self) -> Any:
        """The chat template (the GGUF's, unless one was given) as llama-cpp-python's own chat handler builds
        it (None if there is none)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.chat_template or self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        model = self.llm._model
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        return Jinja2ChatFormatter(template=template, eos_token=model.token_get_text(eos) if eos != -1 else "",
                                   bos_token=model.token_get_text(bos) if bos != -1 else "", stop_token_ids=[eos])

    def chat_prompt(self, formatter: Any, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
        """Prompt tokens (assistant turn opened) and stop strings, exactly as `create_chat_completion` makes them."""
        result = formatter(messages=messages)
        tokens = self.llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return tokens, stop

    # ------------------------------------------------------------ contexts and timing

    def base_context(self) -> "Context":
        """The sequential backend's context: the one `Llama` made at load time, or (`own_context=False`)
        one made now with the same parameters, so that it evaluates exactly like it."""
        if self._base is None:
            self._base = self._context(self.params)
        return self._base

    def new_context(self, n_ctx: int, n_seq_max: int, min_batch: int, unified: bool = False) -> "Context":
        """A further context on the same weights with `n_ctx` cells in all, batches of up to `min_batch`
        tokens or more, and either one KV stream per sequence (attention cost stays per sequence; llama.cpp
        splits a batch into micro-batches of consecutive sequence ids with equal token counts) or one
        KV cache shared by all (`unified`: any mix of sequences in one micro-batch, but attention
        spans every sequence's cells)."""
        params = type(self.params).from_buffer_copy(self.params)
        params.n_ctx = n_ctx
        params.n_seq_max = n_seq_max
        params.kv_unified = unified
        params.n_batch = max(params.n_batch, min_batch)
        params.n_ubatch = max(params.n_ubatch, n_seq_max)  # a decode step of every sequence in one micro-batch
        return self._context(params)

    def _context(self, params: Any) -> "Context":
        from llama_cpp import _internals
        from llama_cpp._utils import suppress_stdout_stderr

        with suppress_stdout_stderr(disable=False):
            return Context(_internals.LlamaContext(model=self.llm._model, params=params, verbose=False), owned=True)

    def perf_reset(self) -> None:
        _lib().llama_perf_context_reset(self.llm._ctx.ctx)

    def perf(self) -> tuple[float, int, float]:
        """(prompt seconds, prompt tokens evaluated, generation seconds) since `perf_reset`."""
        p = _lib().llama_perf_context(self.llm._ctx.ctx)
        return p.t_p_eval_ms / 1000, int(p.n_p_eval), p.t_eval_ms / 1000

    def detokenize(self, tokens: Sequence[int], prev_tokens: Sequence[int] | None = None) -> bytes:
        return bytes(self.llm.detokenize(list(tokens), prev_tokens=list(prev_tokens) if prev_tokens else None))

    def sampler(self, temperature: float, top_k: int, top_p: float, min_p: float, repeat_penalty: float, seed: int,
                penalty_last_n: int = 64) -> "Sampler":
        """A C sampler chain built exactly like llama-cpp-python's `Llama._init_sampler`."""
        from llama_cpp import _internals

        s = _internals.LlamaSampler()
        s.add_penalties(n_vocab=self.llm.n_vocab(), penalty_last_n=penalty_last_n, penalty_repeat=repeat_penalty,
                        penalty_freq=0.0, penalty_present=0.0)
        if temperature == 0.0:
            s.add_greedy()
        else:
            s.add_top_k(top_k)
            s.add_typical(1.0, 1)
            s.add_top_p(top_p, 1)
            s.add_min_p(min_p, 1)
            s.add_temp(temperature)
            s.add_dist(seed)
        return Sampler(s)

    def close(self) -> None:
        if self._base is not None:
            self._base.close()  # before its model
            self._base = None
        self.llm.close()


class Context:
    """A llama.cpp context: decode batches, and move sequences around in its KV memory."""

    def __init__(self, raw: Any, owned: bool):
        self.raw, self.owned = raw, owned
        self.memory = _lib().llama_get_memory(raw.ctx)

    @property
    def n_batch(self) -> int:
        return int(self.raw.params.n_batch)

    def decode(self, batch: "Batch") -> bool:
        """Evaluate a batch; False if llama.cpp failed."""
        return _lib().llama_decode(self.raw.ctx, batch.raw) == 0

    def logits(self, index: int, n_vocab: int) -> Any:
        """A copy of the logits of batch row `index` (-1: the last) as a numpy array."""
        import numpy as np

        return np.ctypeslib.as_array(self.raw.get_logits_ith(index), shape=(n_vocab,)).copy()

    def synchronize(self) -> None:
        _lib().llama_synchronize(self.raw.ctx)

    def clear(self) -> None:
        _lib().llama_memory_clear(self.memory, True)

    def seq_rm(self, seq: int, p0: int = -1, p1: int = -1) -> None:
        _lib().llama_memory_seq_rm(self.memory, seq, p0, p1)

    def seq_cp(self, src: int, dst: int) -> None:
        """Copy one sequence's whole KV stream into another."""
        _lib().llama_memory_seq_cp(self.memory, src, dst, -1, -1)

    def close(self) -> None:
        if self.owned:
            self.raw.close()


class Batch:
    """A llama_batch of up to `size` tokens, freed on close."""

    def __init__(self, size: int):
        self.size = size
        self.raw = _lib().llama_batch_init(size, 0, 1)

    def fill(self, entries: Sequence[Entry]) -> None:
        b = self.raw
        b.n_tokens = len(entries)
        for i, (token, pos, seq, logits) in enumerate(entries):
            b.token[i], b.pos[i], b.n_seq_id[i] = token, pos, 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits

    def close(self) -> None:
        if self.raw is not None:
            _lib().llama_batch_free(self.raw)
            self.raw = None

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Sampler:
    """One sequence's sampler chain."""

    def __init__(self, raw: Any):
        self.raw = raw

    def sample(self, ctx: Context, index: int) -> int:
        return int(self.raw.sample(ctx.raw, index))

    def close(self) -> None:
        self.raw.close()


# ---------------------------------------------------------------- quantization


def ftype_for(quant: str) -> int:
    """llama.cpp's file type constant for a quant name (Q4_K_M -> LLAMA_FTYPE_MOSTLY_Q4_K_M)."""
    name = "LLAMA_FTYPE_ALL_F32" if quant.upper() == "F32" else f"LLAMA_FTYPE_MOSTLY_{quant.upper()}"
    value = getattr(_lib(), name, None)
    if not isinstance(value, int):
        raise OrbenchError(f"llama.cpp cannot quantize to '{quant}'")
    return value


def quantize(source: Path, target: Path, quant: str, allow_requantize: bool, threads: int | None) -> int:
    """Write `source` quantized to `quant` into `target`; llama.cpp's status (0 is success)."""
    lib = _lib()
    params = lib.llama_model_quantize_default_params()
    params.ftype = ftype_for(quant)
    params.allow_requantize = allow_requantize
    params.nthread = threads or (os.cpu_count() or 1)
    return int(lib.llama_model_quantize(str(source).encode(), str(target).encode(), params))


def check_chat_template(template: str, where: str = "--chat-template") -> None:
    """Compile a chat template as llama-cpp-python will, before any model is loaded: a template that
    does not compile is an OrbenchError naming its line, not a traceback after the download."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    try:
        Jinja2ChatFormatter(template=template, eos_token="", bos_token="")
    except Exception as exc:  # jinja2's TemplateError and its subclasses
        line = getattr(exc, "lineno", None)
        message = getattr(exc, "message", None) or str(exc)
        raise OrbenchError(f"{where}: the chat template does not compile"
                           f"{f' (line {line})' if line else ''}: {message}") from None

"""Any OpenAI-compatible server as a backend: llama-server, vLLM, SGLang, Ollama, llama-cpp-python's server.

Each sample is one `POST /chat/completions` carrying the run's sampler settings (temperature,
top_p, and the llama.cpp/vLLM extensions top_k, min_p, repeat_penalty/repetition_penalty), the
sample's own seed and `max_tokens`. Up to `concurrency` requests are in flight at once (a server
with parallel slots decodes them together). A request that keeps failing becomes an
infrastructure error for its sample (see http.py for what is retried and for how long), never a
wrong answer. A reply's `reasoning_content` (or `reasoning`) is its thinking. At start the
backend asks the server which models it serves and what it reports of its build (llama-server's
`/props`, vLLM's `/version`, Ollama's `/api/version`); the API key is read from the environment
variable the user names and never written anywhere.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Iterator, Sequence

from ..errors import OrbenchError
from .base import BackendInfo, Completion, GenerationRequest, error_completion
from .http import RequestFailed, RetryPolicy
from .server import ServerOptions

log = logging.getLogger(__name__)

PROBE_RETRY = 3.0  # seconds of retrying the first request: a server that is just starting gets a moment
PROBE_TIMEOUT = 10.0
BUILD_PROBES = (("/props", "llama.cpp"), ("/version", "vLLM"), ("/api/version", "Ollama"))


def served_models(options: ServerOptions) -> list[str]:
    """The model ids the server lists at GET /models ([] if it has no such endpoint)."""
    client = options.client(RetryPolicy(budget=min(PROBE_RETRY, options.retry_budget), max_retries=3))
    try:
        answer = client.call("GET", "/models", timeout=PROBE_TIMEOUT)
    except RequestFailed as exc:
        if exc.status == 404:
            return []
        if exc.status in (401, 403):
            raise OrbenchError(f"the server at {options.public_url} refused the request ({exc})",
                               hint="give the key's environment variable with --api-key-env") from None
        raise OrbenchError(f"cannot reach the server at {options.public_url}: {exc}") from None
    data = answer.get("data") if isinstance(answer, dict) else None
    return [str(m["id"]) for m in data or [] if isinstance(m, dict) and m.get("id")]


def choose_model(ids: list[str], wanted: str | None, url: str) -> str:
    """The model to request: `wanted` (checked against the server's list when it has one), else the only one."""
    if wanted is not None:
        if ids and wanted not in ids:
            raise OrbenchError(f"the server at {url} does not serve '{wanted}'", hint=f"it serves: {', '.join(ids)}")
        return wanted
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise OrbenchError(f"the server at {url} lists no models", hint="name the model with --server-model")
    raise OrbenchError(f"the server at {url} serves several models", hint=f"choose one with --server-model: "
                                                                         f"{', '.join(ids)}")


class OpenAIBackend:
    name = "openai"

    def __init__(self, server: ServerOptions):
        self.server = server
        self.client = server.client()
        self.model = choose_model(served_models(server), server.model, server.public_url)
        self.build, self.n_ctx = self._build_report()

    @property
    def last_parallel(self) -> int:
        return self.server.concurrency

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]:
        if self.server.concurrency == 1 or len(requests) == 1:
            for request in requests:
                yield self._one(request, None)
            return
        todo: queue.Queue[GenerationRequest] = queue.Queue()
        for request in requests:
            todo.put(request)
        done: queue.Queue[Completion] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            while not stop.is_set():
                try:
                    request = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put(self._one(request, stop))
                except Exception as exc:  # a worker must answer for its request, or the run would wait forever
                    done.put(error_completion(request, f"orbench: {type(exc).__name__}: {exc}"))

        for _ in range(min(self.server.concurrency, len(requests))):
            threading.Thread(target=work, daemon=True, name="orbench-openai").start()
        try:
            for _ in range(len(requests)):
                yield _next(done)
        finally:
            stop.set()  # on Ctrl-C: no new requests start; the ones in flight are abandoned

    def _one(self, request: GenerationRequest, stop: threading.Event | None) -> Completion:
        started = time.perf_counter()
        try:
            answer = self.client.call("POST", "/chat/completions", self._body(request), stop=stop)
        except RequestFailed as exc:
            return error_completion(request, f"server: {exc}", time.perf_counter() - started)
        seconds = time.perf_counter() - started
        try:
            return self._completion(request, answer, seconds)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            return error_completion(request, f"server: malformed answer ({type(exc).__name__}: {exc}): "
                                             f"{str(answer)[:200]}", seconds)

    def _body(self, r: GenerationRequest) -> dict[str, Any]:
        return {
            "model": self.model, "messages": r.messages, "max_tokens": r.max_tokens, "temperature": r.temperature,
            "top_p": r.top_p, "seed": r.seed, "stream": False,
            # extensions understood by llama.cpp's servers, vLLM and SGLang (others ignore them)
            "top_k": r.top_k, "min_p": r.min_p, "repeat_penalty": r.repeat_penalty,
            "repetition_penalty": r.repeat_penalty,
        }

    def _completion(self, request: GenerationRequest, answer: Any, seconds: float) -> Completion:
        choice = answer["choices"][0]
        message = choice["message"]
        usage = answer.get("usage") or {}
        timings = answer.get("timings") or {}  # llama-server reports its own prompt and generation times
        thinking = message.get("reasoning_content") or message.get("reasoning") or None
        return Completion(
            request_id=request.id, text=message.get("content") or "", thinking=thinking,
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0), seconds=seconds,
            prompt_seconds=_ms(timings.get("prompt_ms")), prompt_eval_tokens=timings.get("prompt_n"),
            generation_seconds=_ms(timings.get("predicted_ms")),
        )

    def _build_report(self) -> tuple[str | None, int | None]:
        """What the server says of its build, from the first of its own endpoints that answers."""
        root = self.server.base_url.rstrip("/").removesuffix("/v1")
        probe = ServerOptions(base_url=root, api_key_env=self.server.api_key_env).client(
            RetryPolicy(budget=0.0, max_retries=0))
        for path, software in BUILD_PROBES:
            try:
                answer = probe.call("GET", path, timeout=5.0)
            except RequestFailed:
                continue
            if not isinstance(answer, dict):
                continue
            version = answer.get("build_info") or answer.get("version")
            if version:
                n_ctx = (answer.get("default_generation_settings") or {}).get("n_ctx")
                return f"{software} {version}", n_ctx if isinstance(n_ctx, int) else None
        header = self.client.server_header or probe.server_header
        return (f"unreported (HTTP server: {header})" if header else None), None

    def info(self) -> BackendInfo:
        return BackendInfo(
            backend=self.name, engine="OpenAI-compatible server", parallel=self.server.concurrency,
            base_url=self.server.public_url, server_model=self.model, server_build=self.build, n_ctx=self.n_ctx,
            request_timeout=self.server.timeout, retry_budget=self.server.retry_budget,
        )

    def close(self) -> None:
        pass


def _next(done: "queue.Queue[Completion]") -> Completion:
    """The next finished completion; waits in short steps so that Ctrl-C is seen at once."""
    while True:
        try:
            return done.get(timeout=0.2)
        except queue.Empty:
            continue


def _ms(value: Any) -> float | None:
    return round(float(value) / 1000, 6) if isinstance(value, (int, float)) and value > 0 else None

"""A small OpenAI-compatible stub for what a real server cannot be made to do on demand: answer 429
with Retry-After, drop the connection mid-response, never answer, fail with 5xx for longer than
the retry budget, or echo a secret back in an error. It listens on 127.0.0.1 only.

Each chat request takes the next behaviour from `script` (then `default`): ok, reasoning,
unterminated, empty, slow, gather, 429, 500, 400, drop, hang. It records every request's time, headers and body.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


class StubServer:
    def __init__(self, models: tuple[str, ...] = ("/models/stub-model.Q4_K_M.gguf",),
                 reply: Callable[[dict[str, Any]], str] = lambda body: "The answer is \\boxed{4}.",
                 default: str = "ok", retry_after: str = "1"):
        self.models, self.reply, self.default, self.retry_after = models, reply, default, retry_after
        self.script: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = self.max_in_flight = 0
        self.released = threading.Event()  # ends every hanging request
        self.gathering = threading.Barrier(4, timeout=30)  # "gather": answer once four requests are in flight
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def __enter__(self) -> "StubServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def _next(self) -> str:
        with self.lock:
            return self.script.popleft() if self.script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/v1/models":
                    return self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in stub.models]})
                if self.path == "/props":
                    return self._json(200, {"build_info": "b9999-stub", "default_generation_settings": {"n_ctx": 4096}})
                self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with stub.lock:
                    stub.requests.append({"time": time.monotonic(), "path": self.path, "body": body,
                                          "headers": dict(self.headers)})
                    stub.in_flight += 1
                    stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                try:
                    self._behave(stub._next(), body)
                finally:
                    with stub.lock:
                        stub.in_flight -= 1

            def _behave(self, behaviour: str, body: dict[str, Any]) -> None:
                if behaviour == "hang":
                    stub.released.wait(10)
                    return self._json(200, _answer(stub.reply(body), "stop"))
                if behaviour == "drop":  # promise a long body, send a piece of it, hang up
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "4000")
                    self.end_headers()
                    self.wfile.write(b'{"choices": [{"message": {"content": "The ans')
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if behaviour in ("429", "500", "400"):
                    headers = {"Retry-After": stub.retry_after} if behaviour == "429" else {}
                    echo = f"bad request from {self.headers.get('Authorization')}" if behaviour == "400" else "busy"
                    return self._json(int(behaviour), {"error": {"message": echo}}, headers)
                if behaviour == "gather":
                    stub.gathering.wait()
                if behaviour == "empty":
                    return self._json(200, {"choices": []})
                if behaviour == "slow":
                    time.sleep(0.3)
                if behaviour == "reasoning":
                    return self._json(200, _answer(stub.reply(body), "stop", reasoning="First, 2 + 2 is 4."))
                if behaviour == "unterminated":
                    return self._json(200, _answer(None, "length", reasoning="Let me think about this " * 5))
                self._json(200, _answer(stub.reply(body), "stop"))

            def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler


def _answer(content: str | None, finish: str, reasoning: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    return {"id": "chatcmpl-stub", "object": "chat.completion", "model": "stub",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}}

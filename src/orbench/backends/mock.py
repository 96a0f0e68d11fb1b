"""A scripted backend for tests: replies are queued per item id, no model involved.

A script maps an item id (or "*" for any item) to a reply or a list of replies, one per sample
(the last one repeats). Three replies are special: "!error" returns an infrastructure error,
"!interrupt" raises KeyboardInterrupt, as a user's Ctrl-C would, and "!sleep S" waits S seconds
before answering (a slow model, for tests of concurrent runs).

$ORBENCH_MOCK_SPEED="RATE,JITTER,SEED" makes it report generation timings: each completion is
generated at RATE tokens/s times a uniform factor in [1-JITTER, 1+JITTER], drawn from SEED and the
request's seed (two runs with different SEEDs have independent noise). No time is spent.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Iterator, Sequence

from .base import BackendInfo, Completion, GenerationRequest, error_completion

DEFAULT_REPLY = "I do not know."


class MockBackend:
    name = "mock"

    def __init__(self, script: dict[str, str | list[str]] | None = None,
                 speed: tuple[float, float, int] | None = None):
        self.script = script or {}
        self.speed = speed  # (tokens/s, jitter, noise seed): report simulated generation timings
        self.calls: list[GenerationRequest] = []

    @classmethod
    def from_env(cls) -> "MockBackend":
        """Load the script from the JSON file named by $ORBENCH_MOCK_SCRIPT (empty if unset) and the
        simulated speed from $ORBENCH_MOCK_SPEED."""
        path = os.environ.get("ORBENCH_MOCK_SCRIPT")
        speed = os.environ.get("ORBENCH_MOCK_SPEED")
        rate, jitter, seed = (speed.split(",") + ["0", "0"])[:3] if speed else ("0", "0", "0")
        timing = (float(rate), float(jitter), int(seed)) if speed else None
        if not path:
            return cls(speed=timing)
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh), speed=timing)

    def _generation_seconds(self, request: GenerationRequest, tokens: int) -> float | None:
        if self.speed is None or tokens == 0:
            return None
        rate, jitter, seed = self.speed
        factor = 1 + random.Random(f"{seed}:{request.seed}").uniform(-jitter, jitter)
        return tokens / (rate * factor)

    def reply_for(self, request: GenerationRequest) -> str:
        replies = self.script.get(request.item_id, self.script.get("*", DEFAULT_REPLY))
        if isinstance(replies, str):
            return replies
        return replies[min(request.sample, len(replies) - 1)]

    def generate(self, requests: Sequence[GenerationRequest]) -> Iterator[Completion]:
        for request in requests:
            self.calls.append(request)
            reply = self.reply_for(request)
            if reply == "!interrupt":
                raise KeyboardInterrupt
            if reply == "!error":
                yield error_completion(request, "mock infrastructure error")
                continue
            if reply.startswith("!sleep "):
                time.sleep(float(reply.split()[1]))
                reply = DEFAULT_REPLY
            started = time.perf_counter()
            words = reply.split()
            truncated = len(words) > request.max_tokens
            text = " ".join(words[: request.max_tokens]) if truncated else reply
            tokens = min(len(words), request.max_tokens)
            yield Completion(
                request_id=request.id, text=text, finish_reason="length" if truncated else "stop",
                prompt_tokens=sum(len(m["content"].split()) for m in request.messages),
                completion_tokens=tokens, seconds=time.perf_counter() - started,
                generation_seconds=self._generation_seconds(request, tokens),
            )

    @property
    def last_parallel(self) -> int:
        return 1

    def info(self) -> BackendInfo:
        return BackendInfo(backend=self.name, scripted_items=len(self.script))

    def close(self) -> None:
        pass

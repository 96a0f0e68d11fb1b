"""A scripted backend for tests: replies are queued per item id, no model involved.

A script maps an item id (or "*" for any item) to a reply or a list of replies, one per sample
(the last one repeats). Two replies are special: "!error" returns an infrastructure error and
"!interrupt" raises KeyboardInterrupt, as a user's Ctrl-C would.
"""

from __future__ import annotations

import json
import os
import time
from typing import Iterator, Sequence

from . import BackendInfo, Completion, GenerationRequest, error_completion

DEFAULT_REPLY = "I do not know."


class MockBackend:
    name = "mock"

    def __init__(self, script: dict[str, str | list[str]] | None = None):
        self.script = script or {}
        self.calls: list[GenerationRequest] = []

    @classmethod
    def from_env(cls) -> "MockBackend":
        """Load the script from the JSON file named by $ORBENCH_MOCK_SCRIPT (empty if unset)."""
        path = os.environ.get("ORBENCH_MOCK_SCRIPT")
        if not path:
            return cls()
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

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
            started = time.perf_counter()
            words = reply.split()
            truncated = len(words) > request.max_tokens
            text = " ".join(words[: request.max_tokens]) if truncated else reply
            yield Completion(
                request_id=request.id, text=text, finish_reason="length" if truncated else "stop",
                prompt_tokens=sum(len(m["content"].split()) for m in request.messages),
                completion_tokens=min(len(words), request.max_tokens),
                seconds=time.perf_counter() - started,
            )

    @property
    def last_parallel(self) -> int:
        return 1

    def info(self) -> BackendInfo:
        return BackendInfo(backend=self.name, scripted_items=len(self.script))

    def close(self) -> None:
        pass

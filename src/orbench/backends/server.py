"""`ServerOptions`: how to reach an OpenAI-compatible server and how patient to be with it.

Each field is declared once, here, with the help and flag that `orbench run` lists for it (the CLI
builds those options from this class). Standard library only at import time, so `orbench --help`
stays quick; the HTTP client is imported when a server is used.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import OrbenchError

if TYPE_CHECKING:
    from .http import JsonClient, RetryPolicy


def _flag(default: Any, help: str, name: str, low: float | None = None) -> Any:
    return field(default=default, metadata={"help": help, "flag": name, "low": low})


@dataclass(frozen=True)
class ServerOptions:
    """How to reach the server and how patient to be with it. A field with a `flag` is an option of
    `orbench run` (listed after --backend); the CLI's parameter is `server_` + the field's name."""

    base_url: str = _flag(None, "The server's API root, e.g. http://127.0.0.1:8080/v1 (implies --backend openai).",
                          "--base-url")
    api_key_env: str | None = _flag(None, "Environment variable that holds the server's API key (the key is never "
                                    "printed or stored).", "--api-key-env")
    concurrency: int = _flag(1, "Requests in flight at once (match the server's parallel slots).", "--concurrency",
                             low=1)
    model: str | None = _flag(None, "The model id to request (default: the only model the server lists).",
                              "--server-model")
    timeout: float = _flag(600.0, "Seconds to wait for the server's answer to one request.", "--request-timeout",
                           low=0.1)
    retry_budget: float = _flag(120.0, "Seconds to keep retrying a sample after its first connection error, 429 or "
                                "5xx; then it counts as an infrastructure error.", "--retry-budget", low=0.0)
    max_retries: int = 8

    def client(self, policy: RetryPolicy | None = None) -> JsonClient:
        from .http import JsonClient, RetryPolicy

        try:
            return JsonClient(self.base_url, self.api_key(), self.timeout,
                              policy or RetryPolicy(self.retry_budget, self.max_retries))
        except ValueError as exc:
            raise OrbenchError(f"--base-url: {exc}") from None

    def api_key(self) -> str | None:
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise OrbenchError(f"--api-key-env names ${self.api_key_env}, which is not set")
        return key

    @property
    def public_url(self) -> str:
        """The URL as recorded: no credentials, no query."""
        parts = urlsplit(self.base_url.rstrip("/"))
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def server_flags() -> list[dataclasses.Field]:
    """The fields of ServerOptions that `orbench run` has a flag for, in declaration order."""
    return [f for f in dataclasses.fields(ServerOptions) if "flag" in f.metadata]

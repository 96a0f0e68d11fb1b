"""JSON over HTTP for the server backend, with bounded retries; the standard library only.

A request that fails for a reason worth retrying (the connection refused, reset or dropped
mid-response, no answer within the timeout, HTTP 429 or 5xx) is tried again after a capped
exponential backoff with jitter, or after the server's Retry-After when it sends one. Retries stop
once the retry budget (seconds since the first failure) or the retry count is spent; the last
failure is then raised as `RequestFailed`, which the backend records as an infrastructure error.
Any other answer (a 4xx, a body that is not JSON) fails at once. The API key is sent in a header
and scrubbed from every message.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}
BACKOFF_BASE = 0.5  # seconds before the first retry
BACKOFF_CAP = 30.0  # the longest wait between two attempts


class RequestFailed(Exception):
    """A request that failed for good (retries spent, or not worth retrying)."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False,
                 retry_after: float | None = None):
        super().__init__(message)
        self.status, self.retryable, self.retry_after = status, retryable, retry_after


@dataclass(frozen=True)
class RetryPolicy:
    budget: float = 120.0  # seconds of retrying after the first failure
    max_retries: int = 8

    def delay(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (0-based): the server's Retry-After, else
        exponential backoff capped at BACKOFF_CAP, with jitter in its upper half."""
        if retry_after is not None:
            return max(0.0, retry_after)
        step = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** retry)
        return step / 2 + random.uniform(0, step / 2)


class JsonClient:
    """Requests to one server; a new connection each time, so that it is safe from many threads."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float, policy: RetryPolicy):
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url}")
        if parts.username or parts.password:
            raise ValueError("the URL carries credentials; put the key in an environment variable instead")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path  # e.g. /v1
        self.api_key, self.timeout, self.policy = api_key, timeout, policy
        self.server_header: str | None = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, stop: threading.Event | None = None,
             policy: RetryPolicy | None = None, timeout: float | None = None) -> Any:
        """The decoded JSON answer, retrying as the policy allows; RequestFailed when it gives up."""
        policy = policy or self.policy
        first_failure: float | None = None
        retry = 0
        while True:
            try:
                return self._once(method, path, body, timeout or self.timeout)
            except RequestFailed as exc:
                if not exc.retryable:
                    raise
                now = time.monotonic()
                first_failure = first_failure if first_failure is not None else now
                wait = policy.delay(retry, exc.retry_after)
                spent = now - first_failure
                if retry >= policy.max_retries or spent + wait > policy.budget:
                    raise RequestFailed(f"{exc} (gave up after {retry + 1} attempt(s), {spent:.1f} s of retrying; "
                                        f"retry budget {policy.budget:g} s)", exc.status) from None
                log.debug("%s %s failed (%s); retry %d in %.1f s", method, path, exc, retry + 1, wait)
                if _wait(stop, wait):
                    raise RequestFailed(f"{exc} (stopped)", exc.status) from None
                retry += 1

    def _once(self, method: str, path: str, body: dict[str, Any] | None, timeout: float) -> Any:
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=timeout)
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            conn.request(method, self.prefix + path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            self.server_header = response.getheader("Server") or self.server_header
        except TimeoutError:
            raise RequestFailed(f"no answer within {timeout:g} s", retryable=True) from None
        except (OSError, http.client.HTTPException) as exc:
            raise RequestFailed(f"connection failed: {self.scrub(_describe(exc))}", retryable=True) from None
        finally:
            conn.close()
        if response.status >= 400:
            raise RequestFailed(f"HTTP {response.status}: {self.scrub(_snippet(raw))}", response.status,
                                retryable=response.status in RETRY_STATUS,
                                retry_after=_retry_after(response.getheader("Retry-After")))
        try:
            return json.loads(raw)
        except ValueError:
            raise RequestFailed(f"the server's answer is not JSON: {self.scrub(_snippet(raw))}",
                                response.status) from None

    def scrub(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text


def _wait(stop: threading.Event | None, seconds: float) -> bool:
    """Sleep; True if `stop` was set meanwhile (the run is ending)."""
    if stop is None:
        time.sleep(seconds)
        return False
    return stop.wait(seconds)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _snippet(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text[:300] or "(empty body)"


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())

"""Grade while the next batch generates: a small pool of threads for graders that run programs.

The threads only wait on sandboxed processes, so they run beside generation (llama.cpp releases
the GIL). Results come back in submission order, so a run's records are the same, in the same
order, as when each sample is graded in turn; `workers=0` grades inline. Graders that use
signals (math-verify's timeouts) must run inline, in the main thread.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Generic, Iterator, TypeVar

from .sandbox import cancel_running

T = TypeVar("T")


def default_workers() -> int:
    """Half the cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


class GradingPool(Generic[T]):
    def __init__(self, workers: int):
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="orbench-grader") if workers > 0 else None
        self._pending: deque[Future[T]] = deque()

    def submit(self, fn: Callable[..., T], *args: Any) -> None:
        if self._executor is not None:
            self._pending.append(self._executor.submit(fn, *args))
            return
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - raised again by result(), in order
            future.set_exception(exc)
        self._pending.append(future)

    def ready(self) -> Iterator[T]:
        """Results finished so far, in submission order (stops at the first one still running)."""
        while self._pending and self._pending[0].done():
            yield self._pending.popleft().result()

    def drain(self) -> Iterator[T]:
        """Every remaining result, in submission order, waiting for each."""
        while self._pending:
            yield self._pending.popleft().result()

    def abandon(self) -> list[T]:
        """On an interrupt: the results already finished (in any order); the rest are cancelled
        and their programs killed, to be graded again when the run resumes."""
        finished = [f.result() for f in self._pending if f.done() and not f.cancelled() and f.exception() is None]
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        cancel_running()
        return finished

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "GradingPool[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

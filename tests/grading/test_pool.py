"""The grading pool: results in submission order, inline mode, and what an interrupt keeps."""

from __future__ import annotations

import threading
import time

from orbench.grading.pool import GradingPool, default_workers


def slow_echo(value: int, seconds: float) -> int:
    time.sleep(seconds)
    return value


def test_results_come_back_in_submission_order_whatever_finishes_first():
    with GradingPool[int](3) as pool:
        for value, seconds in enumerate([0.3, 0.0, 0.1, 0.0]):
            pool.submit(slow_echo, value, seconds)
        assert list(pool.ready()) == []  # the first one is still running, so nothing is ready yet
        assert list(pool.drain()) == [0, 1, 2, 3]


def test_the_pool_runs_graders_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def grade(value: int) -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return value

    with GradingPool[int](3) as pool:
        for value in range(6):
            pool.submit(grade, value)
        assert list(pool.drain()) == list(range(6))
    assert peak[0] == 3


def test_zero_workers_grades_inline_in_the_calling_thread():
    with GradingPool[str](0) as pool:
        pool.submit(lambda: threading.current_thread().name)
        assert list(pool.ready()) == [threading.main_thread().name]


def test_an_interrupt_keeps_what_is_finished_and_cancels_the_rest():
    with GradingPool[int](1) as pool:
        pool.submit(slow_echo, 0, 0.0)
        pool.submit(slow_echo, 1, 0.5)
        pool.submit(slow_echo, 2, 0.0)  # queued behind the slow one
        time.sleep(0.1)
        assert pool.abandon() == [0]
        assert list(pool.drain()) == []


def test_default_is_half_the_cores_at_least_one(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert default_workers() == 4
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert default_workers() == 1

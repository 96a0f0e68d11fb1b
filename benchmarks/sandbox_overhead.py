"""Per-program overhead of the code sandbox, with and without namespaces, and of the call channel.

Runs the same small programs N times through every sandbox engine this machine has, and, as the
baseline, through a bare `python -I` subprocess (no harness, no isolation), and prints the median
and 90th-percentile wall time per program and the median overhead over the baseline. The
"call channel" rows run the function and its asserts as code graders do now: the program and the
tests in two sandboxes (`grading/pair.py`); "per call" is the channel's cost of one test call
(a program whose tests call it 2,000 times, less one whose tests call it once, over 1,999).

    .venv/bin/python -m benchmarks.sandbox_overhead [--runs 20] [--python /usr/bin/python3]

As root, bubblewrap runs the program as uid 65534, so it needs an interpreter that uid can read
(`--python /usr/bin/python3` where orbench's own lives under /root).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from orbench.grading.engines import NAMESPACED
from orbench.grading.execute import run_program
from orbench.grading.isolation import Choice, probe
from orbench.grading.sandbox import SAFE_ENV, Limits

try:
    from orbench.grading.pair import run_pair
except ImportError:  # a checkout from before the call channel: the one-process rows only
    run_pair = None

PROGRAMS = {
    "empty": "pass\n",
    "function + 5 asserts": ("def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
                             "    return a\n\n" + "".join(f"assert fib({n}) == {v}\n" for n, v in
                                                       ((0, 0), (1, 1), (2, 1), (10, 55), (20, 6765)))),
}


def time_runs(run, runs: int) -> list[float]:
    run()  # warm the page cache and the probes
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def engines(python: str) -> list[tuple[str, Choice | None, str]]:
    found: list[tuple[str, Choice | None, str]] = []
    for engine in ("process", *NAMESPACED):
        choice, why = probe(engine, python)
        found.append((engine, choice, why or ""))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    limits = Limits()
    print(f"{args.runs} runs per cell, interpreter {args.python}\n")
    print(f"| {'engine':<38} | {'program':<20} | {'median ms':>9} | {'p90 ms':>7} | {'overhead ms':>11} |")
    print(f"|{'-' * 40}|{'-' * 22}|{'-' * 11}|{'-' * 9}|{'-' * 13}|")
    base: dict[str, float] = {}
    for name, source in PROGRAMS.items():
        times = time_runs(lambda: subprocess.run([args.python, "-I", "-c", source], env=SAFE_ENV, check=True),
                          args.runs)
        base[name] = statistics.median(times)
        row("bare `python -I` (no sandbox)", name, times, 0.0)
    for engine, choice, why in engines(args.python):
        if choice is None:
            print(f"| {engine + ': not available':<38} | {why[:20]:<20} | {'-':>9} | {'-':>7} | {'-':>11} |")
            continue
        label = f"{engine} ({'namespaces' if choice.namespaced else 'process limits'})"
        for name, source in PROGRAMS.items():
            times = time_runs(lambda: _check(run_program(choice, source, limits, args.python)), args.runs)
            row(label, name, times, statistics.median(times) - base[name])
        if run_pair is not None:
            channel_rows(choice, label, limits, args, base["function + 5 asserts"])


FIB = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
FIB_TESTS = "".join(f"assert fib({n}) == {v}\n" for n, v in ((0, 0), (1, 1), (2, 1), (10, 55), (20, 6765)))


def channel_rows(choice: Choice, label: str, limits: Limits, args: argparse.Namespace, base: float) -> None:
    assert run_pair is not None

    def pair(tests: str) -> None:
        _check(run_pair(choice, FIB, tests, limits, args.python, entry="fib"))

    times = time_runs(lambda: pair(FIB_TESTS), args.runs)
    row(label + " call channel", "function + 5 asserts", times, statistics.median(times) - base)
    one = statistics.median(time_runs(lambda: pair("assert fib(5) == 5\n"), args.runs))
    many = statistics.median(time_runs(lambda: pair("for _ in range(2000):\n    assert fib(5) == 5\n"), args.runs))
    print(f"| {label + ' call channel':<38} | {'per call (µs)':<20} | {(many - one) / 1999 * 1e6:>9.1f} | "
          f"{'-':>7} | {'-':>11} |")


def _check(result) -> None:
    if not result.passed:
        raise SystemExit(f"the benchmark program failed: {result.reason}")


def row(label: str, program: str, times: list[float], overhead: float) -> None:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    print(f"| {label:<38} | {program:<20} | {statistics.median(ms):>9.1f} | {p90:>7.1f} | {overhead * 1000:>11.1f} |")


if __name__ == "__main__":
    main()

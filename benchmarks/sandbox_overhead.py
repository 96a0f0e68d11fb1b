"""Per-program overhead of the code sandbox, and the call channel's cost, against an older checkout.

Runs the same small program N times through every sandbox engine this machine has, and, as the
baseline, through a bare `python -I` subprocess (no harness, no isolation), and prints the median
wall time per program and the median overhead over the baseline. "one sandbox" is the program and
its asserts in one sandboxed process (`run_python`); "call channel" is how code graders run it now,
the program and the tests in two sandboxes (`grading/pair.py`); "per call" is the channel's cost of
one test call (tests that call the function 2,000 times, less tests that call it once, over 1,999).

With `--baseline COMMIT` (default: 3767634, the commit before the call channel) that commit's
`src/` is unpacked into a temporary folder and run in a worker process beside one for this
checkout; every cell is timed in alternation, old, new, old, new, ..., so both see the same load.
The last table gives the overhead of each engine above the bare interpreter (timed in the same
rounds; the median of the per-round differences), before and now, and their ratio; the load average is printed with it (2 cores shared with others: read it as rough).
CPU is the sandboxes' own CPU time per program (children's rusage), which load does not inflate.

    .venv/bin/python -m benchmarks.sandbox_overhead [--runs 20] [--python /usr/bin/python3] [--baseline 3767634]

As root, bubblewrap runs the program as uid 65534, so it needs an interpreter that uid can read
(`--python /usr/bin/python3` where orbench's own lives under /root).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIB = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"
FIB_TESTS = "".join(f"assert fib({n}) == {v}\n" for n, v in ((0, 0), (1, 1), (2, 1), (10, 55), (20, 6765)))
ONE_CALL = "assert fib(5) == 5\n"
MANY_CALLS = "for _ in range(2000):\n    assert fib(5) == 5\n"
ENGINES = ("process", "bwrap", "unshare", "python")
HERE = Path(__file__).resolve().parent.parent


class Worker:
    """One checkout's orbench in its own process, timing one cell per request."""

    def __init__(self, src: Path | None, python: str):
        env = {**os.environ, "PYTHONPATH": str(src)} if src is not None else dict(os.environ)
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.sandbox_overhead", "--worker", python],
                                     cwd=HERE, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, *request: str) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(" ".join(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"a benchmark worker stopped on {request}")
        return json.loads(line)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def serve(python: str) -> None:
    """The worker: `probe ENGINE` -> availability; `one|pair|pair1|pairmany ENGINE` -> seconds, CPU."""
    from orbench.grading.execute import run_program
    from orbench.grading.isolation import probe
    from orbench.grading.sandbox import Limits

    try:
        from orbench.grading.pair import run_pair
    except ImportError:  # a checkout from before the call channel: one sandbox only
        run_pair = None
    limits, choices = Limits(), {}
    runs = {"one": lambda c: run_program(c, FIB + "\n" + FIB_TESTS, limits, python),
            "pair": lambda c: run_pair(c, FIB, FIB_TESTS, limits, python, entry="fib"),
            "pair1": lambda c: run_pair(c, FIB, ONE_CALL, limits, python, entry="fib"),
            "pairmany": lambda c: run_pair(c, FIB, MANY_CALLS, limits, python, entry="fib")}
    for line in sys.stdin:
        kind, engine = line.split()
        if kind == "probe":
            choice, why = probe(engine, python)
            choices[engine] = choice
            has_pair = run_pair is not None and choice is not None
            print(json.dumps({"ok": choice is not None, "why": why or "", "pair": has_pair}), flush=True)
            continue
        before, started = _children_cpu(), time.perf_counter()
        result = runs[kind](choices[engine])
        seconds, cpu = time.perf_counter() - started, _children_cpu() - before
        if not result.passed:
            raise SystemExit(f"the benchmark program failed on {engine}: {result.reason}")
        print(json.dumps({"s": seconds, "cpu": cpu}), flush=True)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare(python: str) -> dict:
    before, started = _children_cpu(), time.perf_counter()
    subprocess.run([python, "-I", "-c", FIB + "\n" + FIB_TESTS], env={"PATH": "/usr/bin:/bin"}, check=True)
    return {"s": time.perf_counter() - started, "cpu": _children_cpu() - before}


def alternate(cells: dict[str, object], runs: int) -> dict[str, list[dict]]:
    """Each cell's timings, the cells run round-robin (one warm-up round first)."""
    timed: dict[str, list[dict]] = {name: [] for name in cells}
    for round_ in range(runs + 1):
        for name, run in cells.items():
            result = run()  # type: ignore[operator]
            if round_:
                timed[name].append(result)
    return timed


def median(values: list[dict], key: str = "s") -> float:
    return statistics.median(v[key] for v in values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--python", default="/usr/bin/python3" if os.geteuid() == 0 else sys.executable)
    parser.add_argument("--baseline", default="3767634", help="the commit to compare with ('' for none)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return serve(args.worker)
    with tempfile.TemporaryDirectory(prefix="orbench-baseline-") as place:
        old = _unpack(args.baseline, Path(place)) if args.baseline else None
        workers = {"now": Worker(None, args.python)}
        if old is not None:
            workers["before"] = Worker(old, args.python)
        try:
            report(workers, args)
        finally:
            for worker in workers.values():
                worker.close()


def _unpack(commit: str, place: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(HERE), "archive", commit, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(place)], input=archive.stdout, check=True)
    os.chmod(place, 0o755)
    subprocess.run(["chmod", "-R", "a+rX", str(place)], check=True)
    return place / "src"


def report(workers: dict[str, Worker], args: argparse.Namespace) -> None:
    load = os.getloadavg()[0]
    print(f"{args.runs} runs per cell, alternating, interpreter {args.python}, load average {load:.1f} at the start "
          f"on {os.cpu_count()} cores\n")
    base = alternate({"bare": lambda: bare(args.python)}, args.runs)["bare"]
    print(f"bare `python -I`: median {median(base):.1f} ms, CPU {median(base, 'cpu'):.1f} ms\n")
    print("| engine | before: one sandbox | now: one sandbox | now: call channel | per call | "
          "overhead before | overhead now | ratio | CPU before | CPU now |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for engine in ENGINES:
        found = {name: w.ask("probe", engine) for name, w in workers.items()}
        if not found["now"]["ok"]:
            print(f"| {engine} | not available: {found['now']['why'][:60]} |" + " |" * 8)
            continue
        cells = {f"{name} one": (lambda w=w: w.ask("one", engine)) for name, w in workers.items() if found[name]["ok"]}
        cells["now pair"] = lambda: workers["now"].ask("pair", engine)
        cells["bare"] = lambda: bare(args.python)
        timed = alternate(cells, args.runs)
        per_call = _per_call(workers["now"], engine, max(5, args.runs // 2))
        row(engine, timed, per_call)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


def _per_call(worker: Worker, engine: str, runs: int) -> float:
    timed = alternate({"one": lambda: worker.ask("pair1", engine), "many": lambda: worker.ask("pairmany", engine)}, runs)
    return (median(timed["many"]) - median(timed["one"])) / 1999 * 1000  # µs


def overhead(timed: dict[str, list[dict]], cell: str) -> float:
    """The median over rounds of the cell's time less the bare interpreter's in the same round
    (neighbours in time share the load, so its swings cancel better than in a difference of medians)."""
    return statistics.median(a["s"] - b["s"] for a, b in zip(timed[cell], timed["bare"])) * 1000


def row(engine: str, timed: dict[str, list[dict]], per_call: float) -> None:
    before = median(timed["before one"]) if "before one" in timed else None
    now_one, now_pair = median(timed["now one"]), median(timed["now pair"])
    over_before = None if before is None else overhead(timed, "before one")
    over_now = overhead(timed, "now pair")
    ratio = f"{over_now / over_before:.2f}x" if over_before and over_before > 0 else "-"
    cpu_before = f"{median(timed['before one'], 'cpu'):.1f}" if before is not None else "-"
    fmt = (lambda v: "-" if v is None else f"{v:.1f}")
    print(f"| {engine} | {fmt(before)} | {now_one:.1f} | {now_pair:.1f} | {per_call:.0f} µs | {fmt(over_before)} | "
          f"{over_now:.1f} | {ratio} | {cpu_before} | {median(timed['now pair'], 'cpu'):.1f} |")


if __name__ == "__main__":
    main()

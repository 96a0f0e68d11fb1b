"""Does the admission order matter? The engine runs the prompts once (plan order); its own step tally
gives the cost of a decode step with n running sequences and of a prompt token in a mixed step;
then its schedule (same N, step budget and admission rules) is replayed for other orders with
those costs: plan order, longest prompt first, shortest prompt first, and as bounds orders by the
answers' lengths, which no scheduler knows beforehand. At N > 1 the texts do not depend on the
order (benchmarks/engine.py: identical to N = 1), so each request's prompt and answer lengths are
the same under every order and only the schedule changes. Prints a table; nothing is asserted.

    .venv/bin/python benchmarks/admission.py                   # the embedded model, 48 prompts, N = 16
    .venv/bin/python benchmarks/admission.py -m .cache/random-r1-1.5b.Q4_K_M.gguf --prompts 16
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine import make_requests

from orbench.backends.batched import BatchedBackend
from orbench.backends.engine import MIN_ADMIT_CHUNK
from orbench.store.catalog import load_catalog
from orbench.store.pull import pull


def step_cost(tally, n_max: int):
    """Seconds of a decode step with n running sequences (interpolated between the sizes seen) and
    of one prompt token in a mixed step (its time beyond a decode-only step of as many sequences)."""
    seen = sorted((n, r[1] / r[0]) for n, r in tally.decode.items() if r[0])
    prompt_tokens = sum(r[2] for n, r in tally.mixed.items() if n in tally.decode)
    per_token = tally.prompt_in_mixed() / prompt_tokens if prompt_tokens else 1 / 400

    def decode(n: int) -> float:
        if n == 0:
            return 0.0
        lower = [p for p in seen if p[0] <= n] or seen[:1]
        upper = [p for p in seen if p[0] >= n] or seen[-1:]
        (a, ta), (b, tb) = lower[-1], upper[0]
        return ta if a == b else ta + (tb - ta) * (n - a) / (b - a)

    return decode, per_token


def replay(order: list[dict], n: int, budget: int, decode, per_token: float) -> tuple[float, float]:
    """The engine's schedule for this admission order: seconds in all, and in the tail (queue empty,
    fewer than N running)."""
    queue, running, clock, tail = list(order), [], 0.0, 0.0
    least = min(MIN_ADMIT_CHUNK, budget // 2)
    while queue or running:
        room, admitted = budget - len(running), []
        while queue and len(running) + len(admitted) < n and room >= least:
            admitted.append(queue.pop(0))
            room -= admitted[-1]["eval"]
        dt = decode(len(running)) + per_token * sum(r["eval"] for r in admitted)
        clock += dt
        tail += dt if not queue and len(running) < n else 0.0
        running = [left - 1 for left in running if left > 1] + [r["gen"] - 1 for r in admitted if r["gen"] > 1]
    return clock, tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="MODEL[:QUANT] or .gguf (default: embedded)")
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=1024)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--step-tokens", type=int, default=512)
    parser.add_argument("--suites", default="code,math,reasoning")
    args = parser.parse_args()
    catalog = load_catalog()
    path = Path(args.model) if args.model and args.model.endswith(".gguf") else \
        pull(catalog.resolve(args.model or catalog.embedded_model)).path
    requests = make_requests(args.prompts, args.max_tokens, args.suites.split(","))
    backend = BatchedBackend(path, n_ctx=args.ctx, n_threads=args.threads, parallel=args.parallel,
                             step_tokens=args.step_tokens)
    try:
        started = time.perf_counter()
        done = {c.request_id: c for c in backend.generate(requests)}
        seconds = time.perf_counter() - started
        rows = [dict(prompt=len(backend._prompt(r.messages)[0]), eval=done[r.id].prompt_eval_tokens or 0,
                     gen=done[r.id].completion_tokens) for r in requests]
    finally:
        backend.close()
    decode, per_token = step_cost(backend.steps, args.parallel)
    print(f"model {path.name}; {args.prompts} prompts from {args.suites}; max {args.max_tokens} tokens; "
          f"N={args.parallel}; {args.threads} threads; measured run (plan order) {seconds:.1f} s, of which decode "
          f"steps {backend.steps.seconds:.1f} s; step costs from its tally: decode step N={args.parallel} "
          f"{decode(args.parallel) * 1e3:.1f} ms, N=1 {decode(1) * 1e3:.1f} ms, prompt token {per_token * 1e3:.2f} ms")
    orders = {"plan order (default)": rows, "longest prompt first": sorted(rows, key=lambda r: -r["prompt"]),
              "shortest prompt first": sorted(rows, key=lambda r: r["prompt"]),
              "longest answer first (bound)": sorted(rows, key=lambda r: -r["gen"]),
              "shortest answer first (bound)": sorted(rows, key=lambda r: r["gen"])}
    base = None
    print(f"{'admission order':32}{'replayed s':>11}{'tail s':>8}{'vs plan order':>15}")
    for name, order in orders.items():
        total, tail = replay(order, args.parallel, args.step_tokens, decode, per_token)
        base = base or total
        print(f"{name:32}{total:>11.1f}{tail:>8.1f}{total / base - 1:>+15.1%}")


if __name__ == "__main__":
    main()

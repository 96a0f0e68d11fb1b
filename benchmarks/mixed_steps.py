"""What one `llama_decode` step costs when it mixes the decode tokens of running sequences with a
chunk of an arriving sequence's prompt, against the same work done in two calls; for one KV stream
per sequence ("split", what the engine uses) and one KV cache shared by all sequences ("unified").

`--running` sequences sit at `--depth` cells each (the engine's mean depth on the suites: prompt plus
half the answer); the arriving sequence is one more. Each figure is the median of `--repeat` calls,
and the cache is put back after each call, so every call sees the same depths. With split streams
llama.cpp cuts a mixed batch into micro-batches of consecutive sequence ids with equal token counts
(one token of each sequence, then the rest of the chunk alone), so the weights are read once per
micro-batch; with a unified cache the whole batch is one micro-batch, but every token's attention
spans every sequence's cells. Prints a table; nothing is asserted.

    .venv/bin/python benchmarks/mixed_steps.py                      # the embedded model
    .venv/bin/python benchmarks/mixed_steps.py -m .cache/random-r1-1.5b.Q4_K_M.gguf
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from orbench.store.catalog import load_catalog
from orbench.llama import Batch, Context, Model
from orbench.store.pull import pull

TOKEN = 1000  # any ordinary token: the cost does not depend on which


def timed(ctx: Context, batch: Batch, entries: list, undo: list[tuple[int, int]], repeat: int) -> float:
    """Median seconds of decoding `entries`; after each call the cells at (sequence, from position)
    in `undo` are removed again."""
    times = []
    for _ in range(repeat + 1):
        batch.fill(entries)
        started = time.perf_counter()
        if not ctx.decode(batch):
            raise SystemExit("llama_decode failed")
        ctx.synchronize()
        times.append(time.perf_counter() - started)
        for seq, pos in undo:
            ctx.seq_rm(seq, pos, -1)
    return statistics.median(times[1:])  # the first call warms up the compute buffers


def measure(model: Model, unified: bool, running: int, depth: int, chunks: list[int], repeat: int) -> dict:
    cells = (running + 1) * (depth + max(chunks) + 256)
    ctx = model.new_context(cells, running + 1, running + max(chunks), unified=unified)
    batch = Batch(max(ctx.n_batch, running + max(chunks)))
    try:
        ctx.clear()
        for seq in range(running):  # fill the running sequences to `depth`
            for start in range(0, depth, 256):
                batch.fill([(TOKEN, p, seq, False) for p in range(start, min(depth, start + 256))])
                ctx.decode(batch)
        decode = [(TOKEN, depth, seq, True) for seq in range(running)]
        undo_decode = [(seq, depth) for seq in range(running)]
        out = {"decode": timed(ctx, batch, decode, undo_decode, repeat)}
        for c in chunks:
            chunk = [(TOKEN, p, running, p == c - 1) for p in range(c)]
            prefill = timed(ctx, batch, chunk, [(running, 0)], repeat)
            mixed = timed(ctx, batch, decode + chunk, undo_decode + [(running, 0)], repeat)
            out[c] = (prefill, mixed)
        return out
    finally:
        batch.close()
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="MODEL[:QUANT] or .gguf (default: embedded)")
    parser.add_argument("--running", type=int, default=15)
    parser.add_argument("--depth", type=int, default=250)
    parser.add_argument("--chunks", default="16,32,64,128,256")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalog = load_catalog()
    path = Path(args.model) if args.model and args.model.endswith(".gguf") else \
        pull(catalog.resolve(args.model or catalog.embedded_model)).path
    chunks = [int(x) for x in args.chunks.split(",")]
    model = Model(path, n_ctx=512, n_threads=args.threads, own_context=False)
    try:
        results = {mode: measure(model, mode == "unified", args.running, args.depth, chunks, args.repeat)
                   for mode in ("split", "unified")}
    finally:
        model.close()
    print(f"model {path.name}; {args.running} running sequences at depth {args.depth} + one arriving; "
          f"{args.threads} threads; median of {args.repeat} calls (ms)")
    print(f"{'KV':8}{'chunk':>6}{'decode':>9}{'prefill':>9}{'two calls':>11}{'mixed':>9}{'mixed/two':>11}"
          f"{'prompt tok/s':>14}{'in mixed':>10}")
    for mode, r in results.items():
        for c in chunks:
            prefill, mixed = r[c]
            two = r["decode"] + prefill
            # the prompt chunk's marginal rate when it rides in a decode step
            riding = c / (mixed - r["decode"]) if mixed > r["decode"] else float("inf")
            print(f"{mode:8}{c:>6}{r['decode'] * 1e3:>9.1f}{prefill * 1e3:>9.1f}{two * 1e3:>11.1f}{mixed * 1e3:>9.1f}"
                  f"{mixed / two:>11.2f}{c / prefill:>14.0f}{riding:>10.0f}")


if __name__ == "__main__":
    main()

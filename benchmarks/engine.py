"""End-to-end generation throughput on the same prompts, in one process run:

- the naive llama-cpp-python loop (`create_chat_completion`, one prompt after another),
- orbench's engine at N = 1, 4, 8, 16 (continuous batching, sampling in llama.cpp's C samplers),
- native `llama-batched-bench` at the same batch sizes, when benchmarks/build_llama_tools.sh built it.

It also reports, for N > 1, how many sequences stay identical to N = 1 and where the first ones
diverge (llama.cpp's kernels are not batch-invariant). Prints a table; nothing is asserted.

    .venv/bin/python benchmarks/engine.py                      # the embedded model
    .venv/bin/python benchmarks/engine.py -m path/to/model.gguf --prompts 32 --max-tokens 128
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from orbench.backends import GenerationRequest
from orbench.backends.batched import BatchedBackend
from orbench.catalog import load_catalog
from orbench.store import pull
from orbench.suites import SUITES, select

TOOL = Path(".cache/llama-tools/bin/llama-batched-bench")


def make_requests(count: int, max_tokens: int, suites: list[str]) -> list[GenerationRequest]:
    g = load_catalog().get("smollm2-135m").generation
    items = [(s, i) for name in suites for s in [SUITES[name]] for i in select(s.load(0), count, 1)]
    return [GenerationRequest(id=f"r{n}", item_id=i.id, sample=0, messages=s.render(i, g), max_tokens=max_tokens,
                              temperature=0.7, top_p=0.9, top_k=40, min_p=0.0, repeat_penalty=1.0, seed=1000 + n)
            for n, (s, i) in enumerate(items[:count])]


def naive(path: Path, requests, threads: int, n_ctx: int) -> tuple[float, int, dict]:
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, verbose=False)
    started, tokens, texts = time.perf_counter(), 0, {}
    for r in requests:
        out = llm.create_chat_completion(messages=r.messages, max_tokens=r.max_tokens, temperature=r.temperature,
                                         top_p=r.top_p, top_k=r.top_k, min_p=r.min_p, seed=r.seed)
        tokens += out["usage"]["completion_tokens"]
        texts[r.id] = out["choices"][0]["message"]["content"]
    seconds = time.perf_counter() - started
    llm.close()
    return seconds, tokens, texts


def engine(path: Path, requests, threads: int, n_ctx: int, parallel: int) -> tuple[float, int, dict]:
    backend = BatchedBackend(path, n_ctx=n_ctx, n_threads=threads, parallel=parallel)
    started = time.perf_counter()
    done = list(backend.generate(requests))
    seconds = time.perf_counter() - started
    backend.close()
    return seconds, sum(c.completion_tokens for c in done), {c.request_id: c.text for c in done}


def batched_bench(path: Path, threads: int, sizes: list[int], max_tokens: int) -> dict[int, float]:
    if not TOOL.exists():
        return {}
    out = subprocess.run([TOOL, "-m", path, "-c", str(max(sizes) * (max_tokens + 256)), "-b", "2048", "-ub", "512",
                          "-npp", "128", "-ntg", str(max_tokens), "-npl", ",".join(map(str, sizes)), "-t", str(threads)],
                         capture_output=True, text=True, check=True)
    rows = {}
    for line in out.stdout.splitlines() + out.stderr.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[2].isdigit():
            rows[int(cells[2])] = float(cells[7])  # B -> S_TG t/s
    return rows


def first_divergence(a: str, b: str) -> int | None:
    if a == b:
        return None
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="MODEL[:QUANT] or .gguf (default: embedded)")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=1024)
    parser.add_argument("--parallel", default="1,4,8,16")
    parser.add_argument("--suites", default="code,math,reasoning",
                        help="where the prompts come from (code replies are the longest)")
    args = parser.parse_args()
    catalog = load_catalog()
    path = pull(catalog.resolve(args.model or catalog.embedded_model)).path
    sizes = [int(x) for x in args.parallel.split(",")]
    requests = make_requests(args.prompts, args.max_tokens, args.suites.split(","))

    rows = []
    seconds, tokens, _ = naive(path, requests, args.threads, args.ctx)
    base = tokens / seconds
    rows.append(("naive create_chat_completion loop", tokens, seconds, base, "", ""))
    reference = None
    for n in sizes:
        seconds, tokens, texts = engine(path, requests, args.threads, args.ctx, n)
        rate = tokens / seconds
        same = ""
        if reference is None:
            reference = texts
        else:
            diverged = [d for k in texts if (d := first_divergence(texts[k], reference[k])) is not None]
            same = f"{len(texts) - len(diverged)}/{len(texts)} identical" + (
                f", first divergence at char {min(diverged)} (median {sorted(diverged)[len(diverged) // 2]})" if diverged else "")
        rows.append((f"orbench engine N={n}", tokens, seconds, rate, f"{rate / base:.2f}x", same))
    native = batched_bench(path, args.threads, sizes, args.max_tokens)
    print(f"model {path.name}, {len(requests)} prompts from {args.suites}, max {args.max_tokens} tokens, "
          f"{args.threads} threads, temperature 0.7")
    print(f"{'':36}{'tokens':>8}{'seconds':>9}{'tok/s':>9}{'vs naive':>10}  vs N=1")
    for name, tokens, seconds, rate, ratio, same in rows:
        print(f"{name:36}{tokens:>8}{seconds:>9.1f}{rate:>9.1f}{ratio:>10}  {same}")
    for n, tg in native.items():
        ours = next((r[3] for r in rows if r[0] == f"orbench engine N={n}"), None)
        share = f"{ours / tg:.0%} of native" if ours else ""
        print(f"{'llama-batched-bench B=' + str(n) + ' (S_TG)':36}{'':>8}{'':>9}{tg:>9.1f}{'':>10}  {share}")


if __name__ == "__main__":
    main()

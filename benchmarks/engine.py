"""End-to-end generation throughput on the same prompts, in one process run:

- the naive llama-cpp-python loop (`create_chat_completion`, one prompt after another),
- orbench's engine at N = 1, 4, 8, 16 (continuous batching, sampling in llama.cpp's C samplers),
- native `llama-batched-bench` at the same batch sizes (same mean prompt length, same number of
  generated tokens) and `llama-bench` tg for one stream, when benchmarks/build_llama_tools.sh built them;
  both without flash attention, like orbench (their default turns it on where the device has it).

End to end (all tokens generated / wall time) includes prefill and the tail of a run, where fewer
sequences are left than N; "decode" is the generation phase alone (sequences x steps / time in
generation steps) and "full-batch" the same over the steps that had all N sequences: the figures
that compare with llama-batched-bench's S_TG at B = N and llama-bench's tg.
It also reports, for N > 1, how many sequences stay identical to N = 1 and where the first ones
diverge (llama.cpp's kernels are not batch-invariant). Prints a table; nothing is asserted.

    .venv/bin/python benchmarks/engine.py                      # the embedded model
    .venv/bin/python benchmarks/engine.py -m .cache/random-r1-1.5b.Q4_K_M.gguf --prompts 16   # R1 shapes
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from orbench.backends import GenerationRequest
from orbench.backends.batched import BatchedBackend
from orbench.catalog import load_catalog
from orbench.store import pull
from orbench.suites import get_suite, select

TOOLS = Path(".cache/llama-tools/bin")


def make_requests(count: int, max_tokens: int, suites: list[str], samples: int = 1) -> list[GenerationRequest]:
    """`count` prompts taken in turn from each suite, each asked `samples` times (seeded per sample)."""
    g = load_catalog().get("smollm2-135m").generation
    per_suite = [[(get_suite(name), i) for i in select(get_suite(name).load(0), count, 1)] for name in suites]
    items = [pair for row in zip(*per_suite) for pair in row][:count]
    return [GenerationRequest(id=f"r{n}#{k}", item_id=i.id, sample=k, messages=s.render(i, g), max_tokens=max_tokens,
                              temperature=0.7, top_p=0.9, top_k=40, min_p=0.0, repeat_penalty=1.0,
                              seed=1000 + n * samples + k)
            for n, (s, i) in enumerate(items) for k in range(samples)]


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


def engine(path: Path, requests, threads: int, n_ctx: int, parallel: int):
    """Wall seconds, generated tokens, texts, generation-phase tok/s, and tok/s of the steps that
    had all N sequences (the figure comparable with llama-batched-bench at B = N)."""
    backend = BatchedBackend(path, n_ctx=n_ctx, n_threads=threads, parallel=parallel)
    started = time.perf_counter()
    done = list(backend.generate(requests))
    seconds = time.perf_counter() - started
    backend.close()
    tokens = sum(c.completion_tokens for c in done)
    steps = backend.step_seconds
    # sequences x steps / seconds: the forward passes' rate, as llama-batched-bench counts S_TG
    decode = sum(n * k for n, (k, _) in steps.items()) / sum(t for _, t in steps.values()) if steps else None
    full = parallel * steps[parallel][0] / steps[parallel][1] if parallel in steps else None
    evaluated = sum(c.prompt_eval_tokens or 0 for c in done)
    return seconds, tokens, {c.request_id: c.text for c in done}, decode, full, evaluated


def mean_prompt_tokens(path: Path, requests) -> int:
    backend = BatchedBackend(path, n_ctx=512)
    try:
        return round(sum(len(backend._prompt(r.messages)[0]) for r in requests) / len(requests))
    finally:
        backend.close()


def batched_bench(path: Path, threads: int, sizes: list[int], prompt: int, max_tokens: int) -> dict[int, tuple]:
    tool = TOOLS / "llama-batched-bench"
    if not tool.exists():
        return {}
    out = subprocess.run([tool, "-m", path, "-c", str(max(sizes) * (prompt + max_tokens + 8)), "-b", "2048",
                          "-ub", "512", "-npp", str(prompt), "-ntg", str(max_tokens), "-npl", ",".join(map(str, sizes)),
                          "-t", str(threads), "-fa", "off"], capture_output=True, text=True, check=True)
    rows = {}
    for line in out.stdout.splitlines() + out.stderr.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[2].isdigit():
            rows[int(cells[2])] = (float(cells[5]), float(cells[7]))  # B -> (S_PP, S_TG) t/s
    return rows


def llama_bench_tg(path: Path, threads: int, prompt: int, max_tokens: int) -> float | None:
    """llama-bench tg at the depth of a mean prompt (-d), one stream."""
    tool = TOOLS / "llama-bench"
    if not tool.exists():
        return None
    out = subprocess.run([tool, "-m", path, "-p", "0", "-n", str(max_tokens), "-d", str(prompt), "-t", str(threads),
                          "-fa", "0", "-o", "json"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]["avg_ts"]


def first_divergence(a: str, b: str) -> int | None:
    if a == b:
        return None
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="MODEL[:QUANT] or .gguf (default: embedded)")
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--samples", type=int, default=1, help="samples per prompt (they share one prefill)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=1024)
    parser.add_argument("--parallel", default="1,4,8,16")
    parser.add_argument("--suites", default="code,math,reasoning", help="where the prompts come from, taken in turn")
    args = parser.parse_args()
    catalog = load_catalog()
    path = Path(args.model) if args.model and args.model.endswith(".gguf") else \
        pull(catalog.resolve(args.model or catalog.embedded_model)).path
    sizes = [int(x) for x in args.parallel.split(",")]
    requests = make_requests(args.prompts, args.max_tokens, args.suites.split(","), args.samples)
    prompt = mean_prompt_tokens(path, requests)

    rows = []
    seconds, tokens, _ = naive(path, requests, args.threads, args.ctx)
    base = tokens / seconds
    rows.append(("naive create_chat_completion loop", tokens, seconds, base, "", "", "", ""))
    reference = None
    full_rates, decode_rates, measured = {}, {}, {}
    for n in sizes:
        seconds, tokens, texts, decode_rates[n], full_rates[n], evaluated = engine(path, requests, args.threads,
                                                                                  args.ctx, n)
        measured[n] = (seconds, tokens, evaluated)
        rate = tokens / seconds
        same = ""
        if reference is None:
            reference = texts
        else:
            diverged = [d for k in texts if (d := first_divergence(texts[k], reference[k])) is not None]
            same = f"{len(texts) - len(diverged)}/{len(texts)} identical" + (
                f", first divergence at char {min(diverged)} (median {sorted(diverged)[len(diverged) // 2]})" if diverged else "")
        rows.append((f"orbench engine N={n}", tokens, seconds, rate, f"{rate / base:.2f}x",
                     _num(decode_rates[n]), _num(full_rates[n]), same))
    native = batched_bench(path, args.threads, sizes, prompt, args.max_tokens)
    tg1 = llama_bench_tg(path, args.threads, prompt, args.max_tokens)
    print(f"model {path.name}; {args.prompts} prompts x {args.samples} sample(s) from {args.suites} "
          f"(mean {prompt} prompt tokens); max {args.max_tokens} tokens; {args.threads} threads; temperature 0.7")
    print("end to end = generated tokens / wall time; decode = sequences x generation steps / their time; "
          "full-batch = the same over the steps with all N sequences")
    print(f"{'':36}{'tokens':>8}{'seconds':>9}{'tok/s':>9}{'vs naive':>10}{'decode':>9}{'full-batch':>12}  vs N=1")
    for name, tokens, seconds, rate, ratio, decode, full, same in rows:
        print(f"{name:36}{tokens:>8}{seconds:>9.1f}{rate:>9.1f}{ratio:>10}{decode:>9}{full:>12}  {same}")
    for n, (_, tg) in native.items():
        share = f"engine full-batch decode = {full_rates[n] / tg:.0%} of it" if full_rates.get(n) else ""
        print(f"{f'llama-batched-bench B={n} S_TG (npp {prompt})':53}{tg:>9.1f}{'':>29}  {share}")
    # the best any engine could do with these kernels: the prompt tokens the engine evaluated at the
    # native prefill rate plus every generated token at the native rate of a full batch of N
    for n, (pp, tg) in native.items():
        if n in measured:
            seconds, tokens, evaluated = measured[n]
            bound = evaluated / pp + tokens / tg
            print(f"{f'ceiling N={n}: native prefill + native S_TG':36}{tokens:>8}{bound:>9.1f}{tokens / bound:>9.1f}"
                  f"{f'{tokens / bound / base:.2f}x':>10}{'':>21}  engine end to end = {bound / seconds:.0%} of it")
    if tg1:
        share = f"engine N=1 decode = {decode_rates[1] / tg1:.0%} of it" if decode_rates.get(1) else ""
        print(f"{f'llama-bench tg{args.max_tokens} at depth {prompt}':53}{tg1:>9.1f}{'':>29}  {share}")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()

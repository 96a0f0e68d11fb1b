"""End-to-end generation throughput on the same prompts, in one process run:

- the naive llama-cpp-python loop (`create_chat_completion`, one prompt after another),
- orbench's engine at N = 1 and at each N of --parallel in two schedules: "mixed" (the default: the
  prompts of arriving requests ride in the decode steps of the running ones, up to --step-tokens per
  step) and "apart" (each prompt evaluated in steps of its own while the running sequences wait,
  the engine before mixing),
- native `llama-batched-bench` at the same batch sizes (same mean prompt length, same number of
  generated tokens) and `llama-bench` tg for one stream, when benchmarks/build_llama_tools.sh built them;
  both without flash attention, like orbench (their default turns it on where the device has it).

End to end (all tokens generated / wall time) includes prefill and the tail of a run, where fewer
sequences are left than N; "decode" is the generation phase alone (sequences x steps / time in
decode-only steps) and "full-batch" the same over the steps that had all N sequences: the figures
that compare with llama-batched-bench's S_TG at B = N and llama-bench's tg. From the engine's own
step tally: "stall" is the share of wall time in prompt-only steps while other sequences were
running (they waited), "in mixed" the time prompt tokens added to mixed steps beyond decode-only
steps of as many sequences, "tail" the time of steps once the queue was empty with fewer than N
sequences left. Two ceilings per N from the native rates: "sequential" (the prompt
tokens the engine evaluated at S_PP, then every generated token at S_TG of B = N) and "overlapped"
(the longer of the two, as if prompt processing cost nothing beside decoding). It also reports, for
N > 1, how many sequences stay identical to N = 1 and where the first ones diverge (llama.cpp's
kernels are not batch-invariant). Prints a table; nothing is asserted.

    .venv/bin/python benchmarks/engine.py                      # the embedded model
    .venv/bin/python benchmarks/engine.py -m .cache/random-r1-1.5b.Q4_K_M.gguf --prompts 16   # R1 shapes
    .venv/bin/python benchmarks/engine.py --parallel 16 --schedules mixed --no-naive   # one row
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from orbench.backends import GenerationRequest
from orbench.backends.batched import BatchedBackend
from orbench.store.catalog import load_catalog
from orbench.store.pull import pull
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


def engine(path: Path, requests, threads: int, n_ctx: int, parallel: int, **options) -> dict:
    """Wall seconds, generated tokens, texts, generation-phase tok/s, tok/s of the steps that had all
    N sequences (the figure comparable with llama-batched-bench at B = N), prompt tokens evaluated,
    and the step tally's stall and prompt-in-mixed seconds."""
    backend = BatchedBackend(path, n_ctx=n_ctx, n_threads=threads, parallel=parallel, **options)
    started = time.perf_counter()
    done = list(backend.generate(requests))
    seconds = time.perf_counter() - started
    backend.close()
    tally = backend.steps
    steps = tally.decode
    # sequences x steps / seconds: the forward passes' rate, as llama-batched-bench counts S_TG
    decode = sum(n * r[0] for n, r in steps.items()) / sum(r[1] for r in steps.values()) if steps else None
    full = parallel * steps[parallel][0] / steps[parallel][1] if parallel in steps else None
    return dict(seconds=seconds, tokens=sum(c.completion_tokens for c in done),
                texts={c.request_id: c.text for c in done}, decode=decode, full=full,
                evaluated=sum(c.prompt_eval_tokens or 0 for c in done), stall=tally.stall[1],
                in_mixed=tally.prompt_in_mixed(), tail=tally.tail[1])


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
    parser.add_argument("--parallel", default="1,4,8,16", help="N of the engine rows (N = 1: the reference for identity)")
    parser.add_argument("--schedules", default="mixed,apart", help="mixed (prompts in decode steps), apart, "
                        "unified (mixed on one KV cache shared by all sequences)")
    parser.add_argument("--step-tokens", type=int, default=512, help="most tokens per decode step (mixed)")
    parser.add_argument("--order", default="fifo", choices=["longest", "fifo"], help="admission order")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive loop")
    parser.add_argument("--no-native", action="store_true", help="skip the native tools")
    parser.add_argument("--suites", default="code,math,reasoning", help="where the prompts come from, taken in turn")
    args = parser.parse_args()
    catalog = load_catalog()
    path = Path(args.model) if args.model and args.model.endswith(".gguf") else \
        pull(catalog.resolve(args.model or catalog.embedded_model)).path
    sizes = [int(x) for x in args.parallel.split(",") if int(x) > 1]
    with_reference = "1" in args.parallel.split(",")
    requests = make_requests(args.prompts, args.max_tokens, args.suites.split(","), args.samples)
    prompt = mean_prompt_tokens(path, requests)

    base = None
    if not args.no_naive:
        seconds, tokens, _ = naive(path, requests, args.threads, args.ctx)
        base = tokens / seconds
        print(f"naive loop: {tokens} tokens in {seconds:.1f} s, {base:.1f} tok/s", flush=True)
    runs = {("N=1", 1): engine(path, requests, args.threads, args.ctx, 1)} if with_reference else {}
    options = {"mixed": dict(mixed=True), "apart": dict(mixed=False), "unified": dict(mixed=True, kv_unified=True)}
    for n in sizes:
        for name in args.schedules.split(","):
            runs[(name, n)] = engine(path, requests, args.threads, args.ctx, n, step_tokens=args.step_tokens,
                                     order=args.order, **options[name])
    native = {} if args.no_native else batched_bench(path, args.threads, [1, *sizes], prompt, args.max_tokens)
    tg1 = None if args.no_native else llama_bench_tg(path, args.threads, prompt, args.max_tokens)
    print(f"model {path.name}; {args.prompts} prompts x {args.samples} sample(s) from {args.suites} "
          f"(mean {prompt} prompt tokens); max {args.max_tokens} tokens; {args.threads} threads; temperature 0.7; "
          f"step tokens {args.step_tokens}; admission {args.order}; {os.cpu_count()} cores")
    print("end to end = generated tokens / wall time; decode = sequences x decode-only steps / their time; "
          "full-batch = the same over the steps with all N sequences; stall, in mixed: shares of wall time")
    reference = runs[("N=1", 1)]["texts"] if with_reference else None
    print(f"{'':28}{'tokens':>7}{'seconds':>8}{'tok/s':>8}{'vs naive':>9}{'decode':>8}{'full-batch':>11}"
          f"{'stall':>7}{'in mixed':>9}{'tail':>7}  vs N=1")
    for (name, n), r in runs.items():
        rate = r["tokens"] / r["seconds"]
        print(f"{f'engine {name} N={n}' if n > 1 else 'engine N=1':28}{r['tokens']:>7}{r['seconds']:>8.1f}{rate:>8.1f}"
              f"{f'{rate / base:.2f}x' if base else '':>9}{_num(r['decode']):>8}{_num(r['full']):>11}"
              f"{r['stall'] / r['seconds']:>7.0%}{r['in_mixed'] / r['seconds']:>9.0%}{r['tail'] / r['seconds']:>7.0%}  "
              f"{identity(r['texts'], reference) if n > 1 and reference else ''}")
    for n, (pp, tg) in native.items():
        shares = ", ".join(f"{name} full-batch = {runs[(name, n)]['full'] / tg:.0%} of it"
                           for name, m in runs if m == n and runs[(name, m)]["full"])
        print(f"{f'llama-batched-bench B={n} S_PP {pp:.1f}, S_TG':44}{tg:>8.1f}  {shares}")
    # the best any engine could do with these kernels, from the prompt tokens the engine evaluated
    # and every generated token at the native rates: one after the other, or fully overlapped
    for (name, n), r in runs.items():
        if n in native and n > 1:
            pp, tg = native[n]
            prefill, decode = r["evaluated"] / pp, r["tokens"] / tg
            for label, bound in (("sequential", prefill + decode), ("overlapped", max(prefill, decode))):
                rate = r["tokens"] / bound
                ratio = f"{rate / base:.2f}x" if base else ""
                print(f"{f'ceiling {label} N={n}':28}{r['tokens']:>7}{bound:>8.1f}{rate:>8.1f}{ratio:>9}"
                      f"{'':>35}  engine {name} end to end = {bound / r['seconds']:.0%} of it")
    if tg1 and with_reference:
        share = f"engine N=1 decode = {runs[('N=1', 1)]['decode'] / tg1:.0%} of it" if runs[("N=1", 1)]["decode"] else ""
        print(f"{f'llama-bench tg{args.max_tokens} at depth {prompt}':44}{tg1:>8.1f}  {share}")


def identity(texts: dict, reference: dict) -> str:
    diverged = [d for k in texts if (d := first_divergence(texts[k], reference[k])) is not None]
    return f"{len(texts) - len(diverged)}/{len(texts)} identical" + (
        f", first divergence at char {min(diverged)} (median {sorted(diverged)[len(diverged) // 2]})" if diverged else "")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()

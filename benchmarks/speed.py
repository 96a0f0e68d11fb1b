"""Speed and memory of one model through orbench's llama.cpp backend: load time, prompt and
generation tokens/s, peak resident memory. Prints a table; nothing here is asserted in tests.

    .venv/bin/python benchmarks/speed.py                       # the embedded model
    .venv/bin/python benchmarks/speed.py -m ./model.gguf --threads 2 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import sys

from orbench.backends import GenerationRequest, consume
from orbench.backends.llamacpp import LlamaCppBackend
from orbench.store.catalog import load_catalog
from orbench.backends.memory import peak_rss_mb
from orbench.store.pull import pull
from orbench.units import tokens_per_s

PROMPT = ("Here is a list of numbers: " + ", ".join(str(i * 7 % 101) for i in range(120))
          + ". Describe any pattern you notice, then continue the list for ten more numbers.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", default=None, help="MODEL[:QUANT] or .gguf path (default: embedded)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--n-gpu-layers", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    catalog = load_catalog()
    local = pull(catalog.resolve(args.model or catalog.embedded_model))
    rss_before = peak_rss_mb() or 0.0
    backend = LlamaCppBackend(local.path, n_ctx=2048, n_threads=args.threads, n_gpu_layers=args.n_gpu_layers)
    requests = [GenerationRequest(id=f"r{i}", item_id="bench", sample=i, messages=[{"role": "user", "content": PROMPT}],
                                  max_tokens=args.max_tokens, temperature=0.0, top_p=1.0, top_k=1, min_p=0.0,
                                  repeat_penalty=1.0, seed=i)
                for i in range(args.repeats + 1)]
    # The first request warms up and is not counted. The backend starts every request from an empty
    # cache, so each later one prefills the whole prompt again: prompt and generation speed are medians.
    done = consume(backend, requests)
    rest = done[1:]
    pp = [v for c in rest if (v := tokens_per_s(c.prompt_eval_tokens or 0, c.prompt_seconds))]
    tg = [v for c in rest if (v := tokens_per_s(c.completion_tokens, c.generation_seconds))]
    peak_mb = peak_rss_mb() or 0.0
    info = backend.info()
    rows = [
        ("model", f"{local.name}:{local.quant}  ({local.size / 1e6:.1f} MB, sha256 {local.sha256[:12]})"),
        ("llama-cpp-python", str(info.llama_cpp_python)),
        ("threads / gpu layers", f"{info.n_threads} / {info.n_gpu_layers} (offload active: {info.gpu_offload_active})"),
        ("load time", f"{backend.load_seconds:.2f} s"),
        ("prompt processing", f"{statistics.median(pp):.1f} tok/s median of {len(pp)}  ({rest[0].prompt_tokens} tokens)"),
        ("generation", f"{statistics.median(tg):.1f} tok/s median of {len(tg)} (min {min(tg):.1f}, max {max(tg):.1f}), "
                       f"{rest[0].completion_tokens} tokens each"),
        ("peak RSS", f"{peak_mb:.0f} MB (process before load: {rss_before:.0f} MB)"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    backend.close()


if __name__ == "__main__":
    sys.exit(main())

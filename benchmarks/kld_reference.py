"""orbench's KL divergence next to llama.cpp's own `llama-perplexity --kl-divergence`, on the same
files, text and chunk size. Prints a table. Build the tool first: benchmarks/build_llama_tools.sh

    .venv/bin/python benchmarks/kld_reference.py --reference REF.gguf --quant Q.gguf [--ctx 512] [--top-k 64 512]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from pathlib import Path

from orbench.quant import kld
from orbench.paths import prompts_dir

TOOL = Path(".cache/llama-tools/bin/llama-perplexity")
PATTERNS = {
    "mean_kld": r"Mean\s+KLD:\s+(-?[\d.]+)",
    "p99_kld": r"99\.0%\s+KLD:\s+(-?[\d.]+)",
    "top1_agreement": r"Same top p:\s+([\d.]+)",
    "ln_ppl_ratio": r"Mean\s+ln\(PPL\(Q\)/PPL\(base\)\)\s*:\s+(-?[\d.]+)",
    "mean_delta_p": r"Mean\s+Δp:\s+(-?[\d.]+)",
}


def llama_perplexity(reference: Path, quant: Path, text: Path, ctx: int, threads: int, chunks: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.kld"
        common = ["-c", str(ctx), "-t", str(threads), "-b", str(ctx), "--chunks", str(chunks)]
        subprocess.run([TOOL, "-m", reference, "-f", text, "--kl-divergence-base", base, *common],
                       check=True, capture_output=True, text=True)
        out = subprocess.run([TOOL, "-m", quant, "--kl-divergence-base", base, "--kl-divergence", *common],
                             check=True, capture_output=True, text=True)
    log = out.stdout + out.stderr
    found = {k: float(m.group(1)) for k, p in PATTERNS.items() if (m := re.search(p, log))}
    found["top1_agreement"] = found.get("top1_agreement", float("nan")) / 100
    found["mean_delta_p"] = found.get("mean_delta_p", float("nan")) / 100
    return found


def orbench_kld(reference: Path, quant: Path, text: Path, ctx: int, threads: int, chunks: int, top_k: int) -> dict:
    ref = kld.load_model(reference, ctx, threads)
    pieces = kld.text_chunks(ref, text.read_text(encoding="utf-8"), ctx)[:chunks]
    kept = kld.reference_pass(ref, pieces, top_k)
    ref.close()
    q = kld.load_model(quant, ctx, threads)
    stats = kld.compare_pass(q, pieces, kept, quant.name, reference.name)
    q.close()
    return stats.model_dump()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--quant", type=Path, required=True)
    parser.add_argument("--text", type=Path, default=prompts_dir() / "corpus" / "default.txt")
    parser.add_argument("--ctx", type=int, default=512)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--top-k", type=int, nargs="+", default=[64, 512])
    args = parser.parse_args()
    columns = {}
    started = time.perf_counter()
    columns["llama-perplexity"] = llama_perplexity(args.reference, args.quant, args.text, args.ctx, args.threads,
                                                   args.chunks)
    for k in args.top_k:
        columns[f"orbench top-{k}"] = orbench_kld(args.reference, args.quant, args.text, args.ctx, args.threads,
                                                  args.chunks, k)
    keys = ["mean_kld", "p99_kld", "top1_agreement", "mean_delta_p", "ln_ppl_ratio"]
    print(f"reference {args.reference.name}, quant {args.quant.name}, text {args.text.name}, ctx {args.ctx}, "
          f"{args.chunks} chunks")
    print(f"{'':16}" + "".join(f"{name:>20}" for name in columns))
    for key in keys:
        print(f"{key:16}" + "".join(f"{columns[name].get(key, float('nan')):>20.6f}" for name in columns))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

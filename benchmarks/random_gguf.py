"""Write a random-weight GGUF with the exact tensor shapes of DeepSeek-R1-Distill-Qwen-1.5B (qwen2
architecture), quantized like the real files, for speed measurements where the real weights cannot
be downloaded. Speed depends on shapes and quant type, not on the weights' values; the text it
generates is noise. Prompt lengths do depend on the tokenizer, so it borrows the embedded model's
byte-level BPE tokenizer and chat template (SmolLM2's, 49,152 tokens; about as dense on English as
Qwen2's), padded with unused tokens to the real vocabulary size: a prompt is about as many tokens
as it would be for the real model.

    .venv/bin/pip install gguf
    .venv/bin/python benchmarks/random_gguf.py --quant Q4_K_M      # -> .cache/random-r1-1.5b.Q4_K_M.gguf
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

SHAPES = dict(vocab=151936, hidden=1536, layers=28, heads=12, kv_heads=2, ffn=8960, ctx=131072)


def write_f16(path: Path, seed: int, tokenizer: Path) -> None:
    import gguf

    s = SHAPES
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(str(path), "qwen2")
    w.add_name("random-weights DeepSeek-R1-Distill-Qwen-1.5B shapes (orbench benchmark)")
    w.add_context_length(s["ctx"])
    w.add_embedding_length(s["hidden"])
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(s["ffn"])
    w.add_head_count(s["heads"])
    w.add_head_count_kv(s["kv_heads"])
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    _vocab(w, s["vocab"], tokenizer)

    def tensor(name: str, *shape: int, scale: float = 0.02) -> None:
        data = (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float16)
        w.add_tensor(name, data)

    d, kv = s["hidden"], s["kv_heads"] * (s["hidden"] // s["heads"])
    tensor("token_embd.weight", s["vocab"], d)
    tensor("output.weight", s["vocab"], d)
    w.add_tensor("output_norm.weight", np.ones(d, dtype=np.float32))
    for i in range(s["layers"]):
        p = f"blk.{i}."
        w.add_tensor(p + "attn_norm.weight", np.ones(d, dtype=np.float32))
        w.add_tensor(p + "ffn_norm.weight", np.ones(d, dtype=np.float32))
        tensor(p + "attn_q.weight", d, d)
        tensor(p + "attn_k.weight", kv, d)
        tensor(p + "attn_v.weight", kv, d)
        w.add_tensor(p + "attn_q.bias", np.zeros(d, dtype=np.float32))
        w.add_tensor(p + "attn_k.bias", np.zeros(kv, dtype=np.float32))
        w.add_tensor(p + "attn_v.bias", np.zeros(kv, dtype=np.float32))
        tensor(p + "attn_output.weight", d, d)
        tensor(p + "ffn_gate.weight", s["ffn"], d)
        tensor(p + "ffn_up.weight", s["ffn"], d)
        tensor(p + "ffn_down.weight", d, s["ffn"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _vocab(w, size: int, source: Path) -> None:
    """Copy the tokenizer of `source` (a GGUF with a BPE tokenizer), padded to `size` tokens."""
    import gguf

    fields = gguf.GGUFReader(str(source)).fields

    def value(key: str):
        return fields[key].contents()

    tokens, types = list(value("tokenizer.ggml.tokens")), list(value("tokenizer.ggml.token_type"))
    if value("tokenizer.ggml.model") != "gpt2" or len(tokens) > size:
        raise SystemExit(f"{source.name}: need a BPE (gpt2) tokenizer of at most {size} tokens")
    tokens += [f"[PAD{i}]" for i in range(len(tokens), size)]
    types += [gguf.TokenType.UNUSED] * (size - len(types))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(value("tokenizer.ggml.pre"))
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(list(value("tokenizer.ggml.merges")))
    w.add_bos_token_id(value("tokenizer.ggml.bos_token_id"))
    w.add_eos_token_id(value("tokenizer.ggml.eos_token_id"))
    w.add_add_bos_token(bool(value("tokenizer.ggml.add_bos_token")))
    w.add_chat_template(value("tokenizer.chat_template"))


def main() -> None:
    from orbench import llama
    from orbench.store.catalog import load_catalog
    from orbench.store.pull import pull

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quant", default="Q4_K_M")
    parser.add_argument("--out", type=Path, default=Path(".cache"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    f16 = args.out / "random-r1-1.5b.F16.gguf"
    target = args.out / f"random-r1-1.5b.{args.quant}.gguf"
    if not f16.exists():
        catalog = load_catalog()
        write_f16(f16, args.seed, pull(catalog.resolve(catalog.embedded_model)).path)
    if llama.quantize(f16, target, args.quant, allow_requantize=False, threads=os.cpu_count()) != 0:
        raise SystemExit("quantization failed")
    f16.unlink()
    print(f"{target} ({target.stat().st_size / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()

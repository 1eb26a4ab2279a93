#!/usr/bin/env python3
"""Checks of llama_reference.py itself on a real GGUF (SmolLM2-135M-Instruct). Run by hand:

  python3 model/src/test/python/check_llama_reference.py PATH/SmolLM2-135M-Instruct.Q4_1.gguf

1. Greedy answer to the ChatML-rendered "What is the capital of France?" is
   "The capital of France is Paris." then <|im_end|>.
2. The rotary-layout trap: keeping llama.cpp's q/k row order changes the logits.
3. Rotating adjacent pairs (2i, 2i+1) on the GGUF's own row order gives the same logits as
   rotate_half on the un-permuted rows (two independent readings of the same weights).
4. The same weights written as an HF directory (float32, sharded, and bfloat16) load to the same logits.
"""
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_reference as ref  # noqa: E402


def interleaved_forward(cfg, W, ids):
    """forward() with llama.cpp's rotation of adjacent pairs, for weights in GGUF row order."""
    saved = ref.rotate_half, ref.rope_tables

    def rotate_pairs(x):
        out = np.empty_like(x)
        out[..., 0::2] = -x[..., 1::2]
        out[..., 1::2] = x[..., 0::2]
        return out

    def tables(T, hd, theta):
        inv = theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
        ang = np.repeat(np.outer(np.arange(T, dtype=np.float64), inv), 2, axis=-1)  # pair i shares inv[i]
        return np.cos(ang), np.sin(ang)

    ref.rotate_half, ref.rope_tables = rotate_pairs, tables
    try:
        return ref.forward(cfg, W, ids)
    finally:
        ref.rotate_half, ref.rope_tables = saved


def write_hf_dir(cfg, W, path, shards=1, bf16=False):
    from safetensors.numpy import save_file

    os.makedirs(path, exist_ok=True)
    hf_cfg = dict(cfg, architectures=["LlamaForCausalLM"], model_type="llama")
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump(hf_cfg, f)
    names = sorted(W)
    if bf16:
        # Written by hand: numpy has no bfloat16. Round to nearest even, keep the top 16 bits.
        header, blobs, off = {}, [], 0
        for n in names:
            bits = W[n].astype(np.float32).view(np.uint32)
            b = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2").tobytes()
            header[n] = {"dtype": "BF16", "shape": list(W[n].shape), "data_offsets": [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        h = json.dumps(header).encode()
        h += b" " * (-len(h) % 8)
        with open(os.path.join(path, "model.safetensors"), "wb") as f:
            f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))
        return
    if shards == 1:
        save_file({n: W[n].astype(np.float32) for n in names}, os.path.join(path, "model.safetensors"))
        return
    weight_map = {}
    for s in range(shards):
        part = names[s::shards]
        fname = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        save_file({n: W[n].astype(np.float32) for n in part}, os.path.join(path, fname))
        weight_map.update({n: fname for n in part})
    with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": weight_map}, f)


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def main(gguf_path):
    t0 = time.time()
    cfg, W = ref.load_gguf(gguf_path)
    print(f"loaded {gguf_path} in {time.time() - t0:.1f} s: {json.dumps(cfg)}")
    tok = ref.gguf_tokenizer(gguf_path)
    prompt = ref.gguf_chat_prompt(gguf_path, "What is the capital of France?")
    ids = tok.encode(prompt, add_special_tokens=False).ids
    t0 = time.time()
    answer = ref.greedy(cfg, W, ids, 16, eos=2)
    text = tok.decode(answer, skip_special_tokens=False)
    print(f"1. greedy {answer} -> {text!r} ({time.time() - t0:.1f} s)")
    assert text == "The capital of France is Paris.<|im_end|>", text

    good = ref.forward(cfg, W, ids)
    _, raw = ref.load_gguf(gguf_path, unpermute=False)
    trapped = ref.forward(cfg, raw, ids)
    trap_answer = ref.greedy(cfg, raw, ids, 16, eos=2)
    print(
        f"2. without un-permuting q/k: max|dlogits|/max|logits| = {rel(trapped, good):.3f},"
        f" argmax agrees at {np.mean(trapped.argmax(-1) == good.argmax(-1)):.0%} of {len(ids)} positions,"
        f" greedy -> {tok.decode(trap_answer, skip_special_tokens=False)!r}"
    )
    assert rel(trapped, good) > 1e-2

    pairs = interleaved_forward(cfg, raw, ids)
    print(f"3. adjacent-pair rotation on GGUF rows vs rotate_half on un-permuted rows: {rel(pairs, good):.2e}")
    assert rel(pairs, good) < 1e-9

    short = ids[:12]
    base = ref.forward(cfg, W, short)
    with tempfile.TemporaryDirectory() as d:
        for label, kw, tol in (("float32", {}, 1e-6), ("float32, 3 shards", {"shards": 3}, 1e-6), ("bfloat16", {"bf16": True}, None)):
            p = os.path.join(d, label.replace(" ", "").replace(",", "_"))
            write_hf_dir(cfg, W, p, **kw)
            hcfg, hw = ref.load_hf_dir(p)
            r = rel(ref.forward(hcfg, hw, short), base)
            print(f"4. HF directory ({label}): max|d|/max|ref| = {r:.2e}")
            if tol is not None:
                assert r < tol, r
    print("all reference checks passed")


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""Independent float64 numpy reference of a Llama-family causal LM (Hugging Face LlamaForCausalLM
semantics), used by the model/ tests to check tokenrl's engine and its checkpoint loaders.

Written from the published architecture, not from tokenrl's Java code:
  h = embed[ids]
  per layer:  x = rmsnorm(h) ; h += o_proj(attention(rope(q(x)), rope(k(x)), v(x)))
              x = rmsnorm(h) ; h += down(silu(gate(x)) * up(x))
  logits = rmsnorm(h) @ lm_head^T            (lm_head = embed when tied)
  rmsnorm(x) = x / sqrt(mean(x^2) + eps) * w
  rope: HF's rotate_half layout (the two halves of each head are the rotated pairs),
        inv_freq[i] = theta^(-2i/head_dim), angle = position * inv_freq
  attention: causal, softmax(q k^T / sqrt(head_dim)); grouped-query: query head j reads kv head
        j // (num_attention_heads / num_key_value_heads); optional q/k/v biases (Qwen2).

Weights come from an HF directory (config.json + model.safetensors or a sharded
model.safetensors.index.json, HF tensor names) or from a .gguf file (dequantised with the `gguf`
package, GGUF names mapped to HF names, llama.cpp's q/k row permutation undone).

Usage:
  llama_reference.py --model PATH --ids '[[1,2,3],[4,5]]' --out OUT.safetensors [--greedy N] [--eos ID]
      writes float32 logits.<i> [T_i, V] for every sequence i, and with --greedy int64 greedy.<i> [<=N]
      (each step recomputes the whole forward; generation of a row stops after --eos).
  llama_reference.py --model X.gguf --chat 'What is the capital of France?' --greedy 16
      renders the GGUF's chat template (jinja2), tokenises with a tokenizer rebuilt from the GGUF
      metadata (`tokenizers`), decodes greedily until EOS and prints the ids and the text.
  --no-unpermute keeps llama.cpp's GGUF q/k row order (wrong on purpose: shows the rotary-layout trap).
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import struct
import sys

import numpy as np

# ---------------------------------------------------------------------------------------------
# Loading


def _config_from_hf(cfg: dict) -> dict:
    if cfg.get("rope_scaling"):
        raise SystemExit(f"config.json: rope_scaling={cfg['rope_scaling']} is not supported by the reference")
    heads = cfg["num_attention_heads"]
    return {
        "vocab_size": cfg["vocab_size"],
        "hidden_size": cfg["hidden_size"],
        "intermediate_size": cfg["intermediate_size"],
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_attention_heads": heads,
        "num_key_value_heads": cfg.get("num_key_value_heads") or heads,
        "head_dim": cfg.get("head_dim") or cfg["hidden_size"] // heads,
        "rms_norm_eps": cfg.get("rms_norm_eps", 1e-6),
        "rope_theta": cfg.get("rope_theta", 10000.0),
        "tie_word_embeddings": cfg.get("tie_word_embeddings", False),
    }


def _read_safetensors(path: str) -> dict[str, np.ndarray]:
    """All tensors of one .safetensors file as float64; BF16 (which numpy lacks) is widened by hand."""
    from safetensors import safe_open

    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
    out = {}
    bf16 = {k: v for k, v in header.items() if k != "__metadata__" and v["dtype"] == "BF16"}
    with safe_open(path, framework="numpy") as f:
        for name in f.keys():
            if name not in bf16:
                out[name] = f.get_tensor(name).astype(np.float64)
    if bf16:
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        base = 8 + header_len
        for name, info in bf16.items():
            start, end = info["data_offsets"]
            bits = np.frombuffer(raw[base + start : base + end], dtype="<u2").astype(np.uint32) << 16
            out[name] = bits.view(np.float32).astype(np.float64).reshape(info["shape"])
    return out


def load_hf_dir(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    with open(os.path.join(path, "config.json")) as f:
        cfg = _config_from_hf(json.load(f))
    index = os.path.join(path, "model.safetensors.index.json")
    weights: dict[str, np.ndarray] = {}
    if os.path.exists(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)["weight_map"].values()))
        for shard in shards:
            weights.update(_read_safetensors(os.path.join(path, shard)))
    else:
        weights = _read_safetensors(os.path.join(path, "model.safetensors"))
    return cfg, weights


_GGUF_LAYER_NAMES = {
    "attn_norm.weight": "input_layernorm.weight",
    "ffn_norm.weight": "post_attention_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_q.bias": "self_attn.q_proj.bias",
    "attn_k.bias": "self_attn.k_proj.bias",
    "attn_v.bias": "self_attn.v_proj.bias",
    "attn_output.weight": "self_attn.o_proj.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
_GGUF_TOP_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
    "output.weight": "lm_head.weight",
}


def gguf_hf_name(name: str) -> str:
    if name in _GGUF_TOP_NAMES:
        return _GGUF_TOP_NAMES[name]
    parts = name.split(".", 2)
    if parts[0] == "blk" and parts[2] in _GGUF_LAYER_NAMES:
        return f"model.layers.{parts[1]}.{_GGUF_LAYER_NAMES[parts[2]]}"
    raise SystemExit(f"GGUF tensor '{name}' has no Llama-family meaning the reference knows")


def unpermute_gguf_rows(w: np.ndarray, n_heads: int) -> np.ndarray:
    """Undo llama.cpp's HF->GGUF reordering of q/k rows (per head: interleaved pairs -> two halves)."""
    head_dim = w.shape[0] // n_heads
    rest = w.shape[1:]
    return w.reshape(n_heads, head_dim // 2, 2, *rest).swapaxes(1, 2).reshape(w.shape)


@functools.lru_cache(maxsize=2)
def gguf_reader(path: str):
    """One parsed GGUF per file (parsing the metadata of a 49k-token vocabulary takes seconds)."""
    import gguf

    return gguf.GGUFReader(path)


def _field(reader, key, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def load_gguf(path: str, unpermute: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    import gguf

    reader = gguf_reader(path)
    arch = _field(reader, "general.architecture")
    if arch not in ("llama", "qwen2"):
        raise SystemExit(f"{path}: general.architecture={arch!r}; the reference reads llama and qwen2")
    if _field(reader, f"{arch}.rope.scaling.type") not in (None, "none"):
        raise SystemExit(f"{path}: rope scaling is not supported by the reference")
    heads = int(_field(reader, f"{arch}.attention.head_count"))
    kv_heads = int(_field(reader, f"{arch}.attention.head_count_kv", heads))
    hidden = int(_field(reader, f"{arch}.embedding_length"))
    weights = {}
    for t in reader.tensors:
        if t.name == "rope_freqs.weight":
            raise SystemExit(f"{path}: rope_freqs (Llama 3.1 rope scaling) is not supported by the reference")
        # GGUF lists dimensions fastest-first; numpy wants them slowest-first.
        shape = tuple(int(s) for s in reversed(t.shape))
        w = gguf.quants.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float64)
        name = gguf_hf_name(t.name)
        # Only llama.cpp's LlamaModel converter permutes q/k (to rotate adjacent pairs); Qwen2's does not.
        if unpermute and arch == "llama":
            if name.endswith("q_proj.weight") or name.endswith("q_proj.bias"):
                w = unpermute_gguf_rows(w, heads)
            elif name.endswith("k_proj.weight") or name.endswith("k_proj.bias"):
                w = unpermute_gguf_rows(w, kv_heads)
        weights[name] = w
    embed = weights["model.embed_tokens.weight"]
    cfg = {
        "vocab_size": embed.shape[0],
        "hidden_size": hidden,
        "intermediate_size": int(_field(reader, f"{arch}.feed_forward_length")),
        "num_hidden_layers": int(_field(reader, f"{arch}.block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": int(_field(reader, f"{arch}.attention.key_length", hidden // heads)),
        "rms_norm_eps": float(_field(reader, f"{arch}.attention.layer_norm_rms_epsilon")),
        "rope_theta": float(_field(reader, f"{arch}.rope.freq_base", 10000.0)),
        "tie_word_embeddings": "lm_head.weight" not in weights,
    }
    return cfg, weights


def load_model(path: str, unpermute: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    if path.endswith(".gguf"):
        return load_gguf(path, unpermute)
    if os.path.isdir(path):
        return load_hf_dir(path)
    raise SystemExit(f"--model {path}: expected an HF directory (config.json + safetensors) or a .gguf file")


# ---------------------------------------------------------------------------------------------
# Forward pass


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rotate_half(x: np.ndarray) -> np.ndarray:
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def rope_tables(seq_len: int, head_dim: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
    inv_freq = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # [hd/2]
    angles = np.outer(np.arange(seq_len, dtype=np.float64), inv_freq)  # [T, hd/2]
    angles = np.concatenate([angles, angles], axis=-1)  # [T, hd]: both halves share a frequency
    return np.cos(angles), np.sin(angles)


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def forward(cfg: dict, W: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """Logits [T, V] (float64) of one sequence, positions 0..T-1."""
    T = len(ids)
    H, KV, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    group = H // KV
    eps = cfg["rms_norm_eps"]
    cos, sin = rope_tables(T, hd, cfg["rope_theta"])  # [T, hd]
    causal = np.triu(np.full((T, T), -np.inf), k=1)  # [T, T]: -inf above the diagonal
    h = W["model.embed_tokens.weight"][np.asarray(ids)]  # [T, d]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        x = rms_norm(h, W[p + "input_layernorm.weight"], eps)

        def proj(name):
            y = x @ W[p + f"self_attn.{name}.weight"].T
            bias = W.get(p + f"self_attn.{name}.bias")
            return y if bias is None else y + bias

        q = proj("q_proj").reshape(T, H, hd).transpose(1, 0, 2)  # [H, T, hd]
        k = proj("k_proj").reshape(T, KV, hd).transpose(1, 0, 2)  # [KV, T, hd]
        v = proj("v_proj").reshape(T, KV, hd).transpose(1, 0, 2)  # [KV, T, hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, group, axis=0)  # [H, T, hd]: query head j uses kv head j // group
        v = np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + causal  # [H, T, T]
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        attn = (probs @ v).transpose(1, 0, 2).reshape(T, H * hd)  # [T, H*hd]
        h = h + attn @ W[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        gate = x @ W[p + "mlp.gate_proj.weight"].T
        up = x @ W[p + "mlp.up_proj.weight"].T
        h = h + (silu(gate) * up) @ W[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, W["model.norm.weight"], eps)
    head = W.get("lm_head.weight")
    if head is None or cfg["tie_word_embeddings"]:
        head = W["model.embed_tokens.weight"]
    return h @ head.T  # [T, V]


def greedy(cfg: dict, W: dict, ids: list[int], n: int, eos: int | None) -> list[int]:
    """n greedy tokens, each from a full recomputation (no cache); stops after eos."""
    seq = list(ids)
    out: list[int] = []
    for _ in range(n):
        nxt = int(np.argmax(forward(cfg, W, seq)[-1]))
        out.append(nxt)
        seq.append(nxt)
        if eos is not None and nxt == eos:
            break
    return out


# ---------------------------------------------------------------------------------------------
# Tokenizer and chat template from GGUF metadata (for prompts given as text)


def gguf_tokenizer(path: str):
    """A `tokenizers` byte-level BPE rebuilt from tokenizer.ggml.* (gpt2 model, smollm pre-tokenizer)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    reader = gguf_reader(path)
    if _field(reader, "tokenizer.ggml.model") != "gpt2":
        raise SystemExit(f"{path}: only byte-level BPE (tokenizer.ggml.model = gpt2) is rebuilt here")
    tokens = _field(reader, "tokenizer.ggml.tokens")
    types = _field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(m.split(" ", 1)) for m in _field(reader, "tokenizer.ggml.merges")]
    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges))
    pre = [pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    if _field(reader, "tokenizer.ggml.pre") == "smollm":
        pre.insert(0, pre_tokenizers.Digits(individual_digits=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(pre)
    tok.decoder = decoders.ByteLevel()
    control = [AddedToken(t, special=True, normalized=False) for t, ty in zip(tokens, types) if ty == 3]
    tok.add_special_tokens(control)
    return tok


def gguf_chat_prompt(path: str, user: str) -> str:
    """The GGUF's tokenizer.chat_template rendered the way transformers renders chat templates."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    template = _field(gguf_reader(path), "tokenizer.chat_template")
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return env.from_string(template).render(
        messages=[{"role": "user", "content": user}], add_generation_prompt=True
    )


# ---------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", help="JSON list of token-id sequences")
    ap.add_argument("--chat", help="a user message: render the GGUF chat template, tokenise, decode")
    ap.add_argument("--out", help="output .safetensors (logits.<i>, greedy.<i>)")
    ap.add_argument("--greedy", type=int, default=0, help="greedy tokens to generate per sequence")
    ap.add_argument("--eos", type=int, default=None)
    ap.add_argument("--no-unpermute", action="store_true", help="keep GGUF q/k row order (wrong)")
    a = ap.parse_args(argv)
    if (a.ids is None) == (a.chat is None):
        ap.error("give exactly one of --ids and --chat")
    cfg, W = load_model(a.model, unpermute=not a.no_unpermute)
    tok = None
    if a.chat is not None:
        if not a.model.endswith(".gguf"):
            ap.error("--chat needs a .gguf model (it reads the tokenizer from its metadata)")
        tok = gguf_tokenizer(a.model)
        seqs = [tok.encode(gguf_chat_prompt(a.model, a.chat), add_special_tokens=False).ids]
    else:
        seqs = json.loads(a.ids)
        if not isinstance(seqs, list) or not all(isinstance(s, list) and s for s in seqs):
            ap.error("--ids must be a JSON list of non-empty lists of token ids")
        bad = [t for s in seqs for t in s if not (0 <= int(t) < cfg["vocab_size"])]
        if bad:
            ap.error(f"--ids: token id {bad[0]} outside the vocabulary [0, {cfg['vocab_size']})")
    tensors = {}
    for i, s in enumerate(seqs):
        tensors[f"logits.{i}"] = forward(cfg, W, s).astype(np.float32)
        if a.greedy:
            g = greedy(cfg, W, s, a.greedy, a.eos)
            tensors[f"greedy.{i}"] = np.asarray(g, dtype=np.int64)
            if tok is not None:
                print(json.dumps({"prompt_ids": s, "greedy_ids": g, "text": tok.decode(g, skip_special_tokens=False)}))
    if a.out:
        from safetensors.numpy import save_file

        save_file(tensors, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

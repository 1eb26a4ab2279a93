"""SHA-256 of every tensor of a GGUF file as the `gguf` package dequantises it (float32,
little-endian, GGUF order), plus the hashes of blk.0's q/k after undoing llama.cpp's rotary row
permutation (the inverse of convert_hf_to_gguf.py's LlamaModel.permute). One line per tensor:
name type count sha256."""
import hashlib
import sys

import numpy as np
import gguf

r = gguf.GGUFReader(sys.argv[1])
arch = r.fields["general.architecture"].contents()
heads = int(r.fields[f"{arch}.attention.head_count"].contents())
kv_heads = int(r.fields[f"{arch}.attention.head_count_kv"].contents())


def h(a):
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


for t in r.tensors:
    x = gguf.quants.dequantize(t.data, t.tensor_type)
    print(t.name, t.tensor_type.name, x.size, h(x))
    if t.name == "blk.0.attn_q.weight":
        print("hf:model.layers.0.self_attn.q_proj.weight", "-", x.size, h(unpermute(x, heads)))
    if t.name == "blk.0.attn_k.weight":
        print("hf:model.layers.0.self_attn.k_proj.weight", "-", x.size, h(unpermute(x, kv_heads)))

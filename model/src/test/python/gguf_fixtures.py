"""GGUF and safetensors fixtures for the Java readers' tests, written with the real `gguf` and
`safetensors` packages. Usage:

  gguf_fixtures.py types OUT_DIR   one tensor per ggml type we read (+ one Q5_0), metadata of
                                   every GGUF value type; OUT_DIR/expected.f32 holds gguf's own
                                   dequantisation of each readable tensor, in table order.
  gguf_fixtures.py llama OUT_DIR   a tiny Llama as an HF safetensors file and as a llama.cpp-style
                                   GGUF (q/k rows permuted as convert_hf_to_gguf.py does).
  gguf_fixtures.py halves OUT_DIR  F16 and BF16 safetensors files; OUT_DIR/expected.f32 holds
                                   numpy's float32 values of them.
"""
import json
import sys
from pathlib import Path

import numpy as np
import gguf
import safetensors
import safetensors.numpy
from gguf import GGMLQuantizationType as Q

READABLE = [Q.F32, Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1]


def types(out: Path):
    rng = np.random.default_rng(7)
    w = gguf.GGUFWriter(str(out / "types.gguf"), "llama")
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -5)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_uint64("t.u64", 1 << 40)
    w.add_int64("t.i64", -(1 << 40))
    w.add_float32("t.f32", 0.125)
    w.add_float64("t.f64", 1e-300)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "héllo ✓")
    w.add_array("t.arr_str", ["a", "", "Ġthe"])
    w.add_array("t.arr_i32", [1, -2, 3])
    expected = []
    for qt in READABLE + [Q.Q5_0]:
        x = (rng.standard_normal((4, 64)) * 0.3).astype(np.float32)
        if qt == Q.F32:
            w.add_tensor(f"t_{qt.name}", x)
        elif qt == Q.F16:
            w.add_tensor(f"t_{qt.name}", x.astype(np.float16))
        else:
            q = gguf.quants.quantize(x, qt)
            w.add_tensor(f"t_{qt.name}", q, raw_dtype=qt)
        if qt in READABLE:
            if qt in (Q.F32, Q.F16):
                ref = x.astype(np.float16).astype(np.float32) if qt == Q.F16 else x
            else:
                ref = gguf.quants.dequantize(gguf.quants.quantize(x, qt), qt)
            expected.append(np.asarray(ref, dtype="<f4").ravel())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    np.concatenate(expected).astype("<f4").tofile(out / "expected.f32")
    # Independent read-back of what was written, through gguf's reader.
    r = gguf.GGUFReader(str(out / "types.gguf"))
    back = [np.asarray(gguf.quants.dequantize(t.data, t.tensor_type), dtype="<f4").ravel()
            for t in r.tensors if t.tensor_type in READABLE]
    assert np.array_equal(np.concatenate(back), np.concatenate(expected))


def permute(w, n_head):
    # llama.cpp convert_hf_to_gguf.py LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama(out: Path):
    rng = np.random.default_rng(11)
    V, D, F, L, H, KV, HD = 40, 16, 24, 2, 4, 2, 4
    hf = {"model.embed_tokens.weight": rng.standard_normal((V, D))}
    for i in range(L):
        p = f"model.layers.{i}."
        hf[p + "self_attn.q_proj.weight"] = rng.standard_normal((H * HD, D))
        hf[p + "self_attn.k_proj.weight"] = rng.standard_normal((KV * HD, D))
        hf[p + "self_attn.v_proj.weight"] = rng.standard_normal((KV * HD, D))
        hf[p + "self_attn.o_proj.weight"] = rng.standard_normal((D, H * HD))
        hf[p + "mlp.gate_proj.weight"] = rng.standard_normal((F, D))
        hf[p + "mlp.up_proj.weight"] = rng.standard_normal((F, D))
        hf[p + "mlp.down_proj.weight"] = rng.standard_normal((D, F))
        hf[p + "input_layernorm.weight"] = rng.standard_normal(D)
        hf[p + "post_attention_layernorm.weight"] = rng.standard_normal(D)
    hf["model.norm.weight"] = rng.standard_normal(D)
    hf["lm_head.weight"] = rng.standard_normal((V, D))
    hf = {k: v.astype(np.float32) for k, v in hf.items()}
    safetensors.numpy.save_file(hf, str(out / "model.safetensors"))
    json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": V,
               "hidden_size": D, "intermediate_size": F, "num_hidden_layers": L,
               "num_attention_heads": H, "num_key_value_heads": KV, "rms_norm_eps": 1e-5,
               "rope_theta": 10000.0, "max_position_embeddings": 64,
               "tie_word_embeddings": False, "hidden_act": "silu"},
              open(out / "config.json", "w"))
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    layer = {"self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
             "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
             "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
             "mlp.down_proj.weight": "ffn_down.weight", "input_layernorm.weight": "attn_norm.weight",
             "post_attention_layernorm.weight": "ffn_norm.weight"}
    w = gguf.GGUFWriter(str(out / "tiny.gguf"), "llama")
    w.add_context_length(64)
    w.add_embedding_length(D)
    w.add_feed_forward_length(F)
    w.add_block_count(L)
    w.add_head_count(H)
    w.add_head_count_kv(KV)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    for k, v in hf.items():
        if k.startswith("model.layers."):
            i, rest = k[len("model.layers."):].split(".", 1)
            name = f"blk.{i}.{layer[rest]}"
            if rest.startswith("self_attn.q_proj"):
                v = permute(v, H)
            elif rest.startswith("self_attn.k_proj"):
                v = permute(v, KV)
        else:
            name = names[k]
        w.add_tensor(name, np.ascontiguousarray(v))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def halves(out: Path):
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.standard_normal(60).astype(np.float32) * 100,
                        np.array([0.0, -0.0, 65504.0, 6e-8, 1e-40, np.inf, -np.inf, 3.0e38], np.float32)])
    with np.errstate(over="ignore"):  # 3e38 -> inf in fp16, on purpose
        f16 = x.astype(np.float16)
    safetensors.numpy.save_file({"w": f16.reshape(4, 17)}, str(out / "f16.safetensors"))
    # numpy has no bfloat16: take the upper halves of float32 (truncation is a valid bf16 value),
    # and hand the bytes to the safetensors package's own serializer under dtype bfloat16.
    bf16_bits = (x.view(np.uint32) >> 16).astype("<u2")
    spec = safetensors.TensorSpec(dtype="bfloat16", shape=(68,), data_ptr=bf16_bits.ctypes.data,
                                  data_len=bf16_bits.nbytes)
    safetensors.serialize_file({"b": spec}, str(out / "bf16.safetensors"))
    bf16_values = (bf16_bits.astype(np.uint32) << 16).view(np.float32)
    np.concatenate([f16.astype(np.float32), bf16_values]).astype("<f4").tofile(out / "expected.f32")


if __name__ == "__main__":
    {"types": types, "llama": llama, "halves": halves}[sys.argv[1]](Path(sys.argv[2]))

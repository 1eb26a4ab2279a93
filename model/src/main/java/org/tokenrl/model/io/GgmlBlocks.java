package org.tokenrl.model.io;

import java.nio.ByteBuffer;

/**
 * Dequantisation of ggml's block formats to float32, as llama.cpp defines them. Each block of 32
 * values starts with fp16 scale(s); products are float32 (d·q, then + m), matching ggml's reference
 * {@code dequantize_row_*} and the Python {@code gguf} package bit for bit.
 */
final class GgmlBlocks {
  private GgmlBlocks() {}

  /** {@code data} holds exactly the tensor's bytes, little-endian. */
  static float[] dequantize(ByteBuffer data, Gguf.GgmlType type, int count) {
    float[] out = new float[count];
    switch (type) {
      case F32 -> data.asFloatBuffer().get(out);
      case F16 -> {
        for (int i = 0; i < count; i++) {
          out[i] = HalfFloats.fp16ToFloat(data.getShort(2 * i));
        }
      }
      case BF16 -> {
        for (int i = 0; i < count; i++) {
          out[i] = HalfFloats.bf16ToFloat(data.getShort(2 * i));
        }
      }
      case Q8_0 -> q80(data, out);
      case Q4_0 -> q40(data, out);
      case Q4_1 -> q41(data, out);
      default -> throw new IllegalArgumentException("no dequantiser for " + type);
    }
    return out;
  }

  /** 34-byte blocks: fp16 d, 32 int8 q; value = d·q. */
  private static void q80(ByteBuffer data, float[] out) {
    for (int block = 0; block < out.length / 32; block++) {
      int at = block * 34;
      float d = HalfFloats.fp16ToFloat(data.getShort(at));
      for (int j = 0; j < 32; j++) {
        out[block * 32 + j] = d * data.get(at + 2 + j);
      }
    }
  }

  /** 18-byte blocks: fp16 d, 16 bytes of nibbles (low = values 0–15, high = 16–31); d·(q − 8). */
  private static void q40(ByteBuffer data, float[] out) {
    for (int block = 0; block < out.length / 32; block++) {
      int at = block * 18;
      float d = HalfFloats.fp16ToFloat(data.getShort(at));
      int base = block * 32;
      for (int j = 0; j < 16; j++) {
        int q = data.get(at + 2 + j) & 0xff;
        out[base + j] = d * ((q & 0x0f) - 8);
        out[base + 16 + j] = d * ((q >>> 4) - 8);
      }
    }
  }

  /** 20-byte blocks: fp16 d, fp16 m, 16 bytes of nibbles (as Q4_0); value = d·q + m. */
  private static void q41(ByteBuffer data, float[] out) {
    for (int block = 0; block < out.length / 32; block++) {
      int at = block * 20;
      float d = HalfFloats.fp16ToFloat(data.getShort(at));
      float m = HalfFloats.fp16ToFloat(data.getShort(at + 2));
      int base = block * 32;
      for (int j = 0; j < 16; j++) {
        int q = data.get(at + 4 + j) & 0xff;
        out[base + j] = d * (q & 0x0f) + m;
        out[base + 16 + j] = d * (q >>> 4) + m;
      }
    }
  }
}

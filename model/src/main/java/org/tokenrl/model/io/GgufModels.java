package org.tokenrl.model.io;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * A GGUF file's model as the engine sees a Hugging Face one: the {@link LlamaConfig} from the
 * {@code <arch>.*} metadata, and the tensors under HF names and [out, in] shapes.
 *
 * <p>llama.cpp's converter permutes the rows of q and k for the {@code llama} architecture so its
 * rotary kernel can rotate adjacent pairs (2i, 2i+1); HF's {@code rotate_half} pairs i with i +
 * head_dim/2. {@link #unpermute} undoes it, so GGUF and safetensors weights run through the same
 * forward. {@code qwen2} GGUFs keep HF's order (llama.cpp runs them with its NeoX rotary).
 */
public final class GgufModels {
  /** general.architecture values we map, and whether their q/k rows were permuted. */
  private static final Map<String, Boolean> PERMUTED = Map.of("llama", true, "qwen2", false);

  private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(.+)");

  private static final Map<String, String> LAYER_NAMES =
      Map.ofEntries(
          Map.entry("attn_q.weight", "self_attn.q_proj.weight"),
          Map.entry("attn_k.weight", "self_attn.k_proj.weight"),
          Map.entry("attn_v.weight", "self_attn.v_proj.weight"),
          Map.entry("attn_q.bias", "self_attn.q_proj.bias"),
          Map.entry("attn_k.bias", "self_attn.k_proj.bias"),
          Map.entry("attn_v.bias", "self_attn.v_proj.bias"),
          Map.entry("attn_output.weight", "self_attn.o_proj.weight"),
          Map.entry("ffn_gate.weight", "mlp.gate_proj.weight"),
          Map.entry("ffn_up.weight", "mlp.up_proj.weight"),
          Map.entry("ffn_down.weight", "mlp.down_proj.weight"),
          Map.entry("attn_norm.weight", "input_layernorm.weight"),
          Map.entry("ffn_norm.weight", "post_attention_layernorm.weight"));

  private GgufModels() {}

  public static String architecture(Gguf g) throws IOException {
    Object arch = g.get("general.architecture");
    if (!(arch instanceof String a) || !PERMUTED.containsKey(a)) {
      throw new IOException(
          g.path()
              + ": general.architecture '"
              + arch
              + "' is not supported; supported: "
              + String.join(", ", PERMUTED.keySet().stream().sorted().toList()));
    }
    return a;
  }

  /** The model's shape from the GGUF metadata; unsupported rope variants are refused. */
  public static LlamaConfig config(Gguf g) throws IOException {
    String a = architecture(g);
    Object scaling = g.get(a + ".rope.scaling.type");
    if (scaling != null && !scaling.equals("none")) {
      throw new IOException(
          g.path() + ": " + a + ".rope.scaling.type '" + scaling + "' is not supported");
    }
    if (g.tensor("rope_freqs.weight") != null) {
      throw new IOException(
          g.path() + ": tensor 'rope_freqs.weight' (Llama 3.1 rope scaling) is not supported");
    }
    Gguf.TensorInfo embed = g.tensor("token_embd.weight");
    if (embed == null || embed.dims().length != 2) {
      throw new IOException(g.path() + ": no 2-D tensor 'token_embd.weight'");
    }
    int hidden = integer(g, a + ".embedding_length", null);
    int heads = integer(g, a + ".attention.head_count", null);
    int headDim = integer(g, a + ".attention.key_length", hidden / heads);
    Gguf.TensorInfo qBias = g.tensor("blk.0.attn_q.bias");
    try {
      return new LlamaConfig(
          integer(g, a + ".vocab_size", (int) embed.dims()[1]),
          hidden,
          integer(g, a + ".feed_forward_length", null),
          integer(g, a + ".block_count", null),
          heads,
          integer(g, a + ".attention.head_count_kv", heads),
          headDim,
          number(g, a + ".attention.layer_norm_rms_epsilon", null),
          number(g, a + ".rope.freq_base", 10000.0),
          g.tensor("output.weight") == null,
          integer(g, a + ".context_length", null),
          qBias != null);
    } catch (IllegalArgumentException e) {
      throw new IOException(g.path() + ": " + e.getMessage());
    }
  }

  private static int integer(Gguf g, String key, Integer fallback) throws IOException {
    Object v = g.get(key);
    if (v instanceof Long n) {
      return Math.toIntExact(n);
    }
    if (v == null && fallback != null) {
      return fallback;
    }
    throw new IOException(g.path() + ": metadata '" + key + "' is missing or not an integer");
  }

  private static double number(Gguf g, String key, Double fallback) throws IOException {
    Object v = g.get(key);
    if (v instanceof Double x) {
      return x;
    }
    if (v instanceof Long n) {
      return n;
    }
    if (v == null && fallback != null) {
      return fallback;
    }
    throw new IOException(g.path() + ": metadata '" + key + "' is missing or not a number");
  }

  /** Every tensor dequantised to float32, under HF names, q/k in HF's row order. */
  public static LinkedHashMap<String, float[]> weights(Gguf g, LlamaConfig c) throws IOException {
    boolean permuted = PERMUTED.get(architecture(g));
    LinkedHashMap<String, float[]> raw = g.readAll();
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
    for (Gguf.TensorInfo t : g.tensors()) {
      String name = hfName(g, t.name());
      float[] w = raw.get(t.name());
      if (permuted && name.contains("self_attn.q_proj")) {
        w = unpermute(w, c.numAttentionHeads(), c.headDim());
      } else if (permuted && name.contains("self_attn.k_proj")) {
        w = unpermute(w, c.numKeyValueHeads(), c.headDim());
      }
      out.put(name, w);
      shapes.put(name, t.rowMajorShape());
    }
    return LlamaWeights.checked(c, out, shapes, g.path().toString());
  }

  static String hfName(Gguf g, String name) throws IOException {
    switch (name) {
      case "token_embd.weight":
        return "model.embed_tokens.weight";
      case "output_norm.weight":
        return "model.norm.weight";
      case "output.weight":
        return "lm_head.weight";
      default:
        Matcher m = BLOCK.matcher(name);
        if (m.matches() && LAYER_NAMES.containsKey(m.group(2))) {
          return "model.layers." + m.group(1) + "." + LAYER_NAMES.get(m.group(2));
        }
        throw new IOException(g.path() + ": tensor '" + name + "' has no Hugging Face name");
    }
  }

  /**
   * Inverse of llama.cpp's {@code permute}: within each head, HF row j·half + i (half = head_dim/2,
   * j in {0, 1}) was stored at row 2i + j. {@code w} is [heads·headDim, cols] row-major (cols = 1
   * for a bias).
   */
  static float[] unpermute(float[] w, int heads, int headDim) {
    int rows = heads * headDim;
    int cols = w.length / rows;
    int half = headDim / 2;
    float[] out = new float[w.length];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < half; i++) {
        for (int j = 0; j < 2; j++) {
          int from = h * headDim + 2 * i + j;
          int to = h * headDim + j * half + i;
          System.arraycopy(w, from * cols, out, to * cols, cols);
        }
      }
    }
    return out;
  }
}

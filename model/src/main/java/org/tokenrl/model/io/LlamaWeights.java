package org.tokenrl.model.io;

import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * The Hugging Face tensor names and shapes of a {@link LlamaConfig} model (nn.Linear weights are
 * [out, in], row-major), in the order {@code transformers} saves them. These names are the seam
 * between the file readers/writers and the engine ({@code Policy.importWeights}).
 */
public final class LlamaWeights {
  private LlamaWeights() {}

  /** Every tensor the model has, name to row-major shape. */
  public static LinkedHashMap<String, long[]> shapes(LlamaConfig c) {
    LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
    long d = c.hiddenSize();
    long q = (long) c.numAttentionHeads() * c.headDim();
    long kv = (long) c.numKeyValueHeads() * c.headDim();
    s.put("model.embed_tokens.weight", new long[] {c.vocabSize(), d});
    for (int i = 0; i < c.numHiddenLayers(); i++) {
      String p = "model.layers." + i + ".";
      s.put(p + "self_attn.q_proj.weight", new long[] {q, d});
      s.put(p + "self_attn.k_proj.weight", new long[] {kv, d});
      s.put(p + "self_attn.v_proj.weight", new long[] {kv, d});
      if (c.attentionBias()) {
        s.put(p + "self_attn.q_proj.bias", new long[] {q});
        s.put(p + "self_attn.k_proj.bias", new long[] {kv});
        s.put(p + "self_attn.v_proj.bias", new long[] {kv});
      }
      s.put(p + "self_attn.o_proj.weight", new long[] {d, q});
      s.put(p + "mlp.gate_proj.weight", new long[] {c.intermediateSize(), d});
      s.put(p + "mlp.up_proj.weight", new long[] {c.intermediateSize(), d});
      s.put(p + "mlp.down_proj.weight", new long[] {d, c.intermediateSize()});
      s.put(p + "input_layernorm.weight", new long[] {d});
      s.put(p + "post_attention_layernorm.weight", new long[] {d});
    }
    s.put("model.norm.weight", new long[] {d});
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new long[] {c.vocabSize(), d});
    }
    return s;
  }

  /**
   * Checks that {@code found} holds exactly the model's tensors with their shapes and returns the
   * weights in canonical order. Buffers some exporters save ({@code rotary_emb.inv_freq}) are
   * dropped; a tied model's redundant {@code lm_head.weight} is dropped when it equals the
   * embedding. {@code source} names the file in errors.
   */
  public static LinkedHashMap<String, float[]> checked(
      LlamaConfig c, Map<String, float[]> found, Map<String, long[]> foundShapes, String source)
      throws IOException {
    LinkedHashMap<String, long[]> expected = shapes(c);
    LinkedHashMap<String, float[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      float[] w = found.get(e.getKey());
      if (w == null) {
        throw new IOException(source + ": tensor '" + e.getKey() + "' is missing");
      }
      long[] shape = foundShapes.get(e.getKey());
      if (!Arrays.equals(shape, e.getValue())) {
        throw new IOException(
            source
                + ": tensor '"
                + e.getKey()
                + "' has shape "
                + Arrays.toString(shape)
                + " but the config gives "
                + Arrays.toString(e.getValue()));
      }
      out.put(e.getKey(), w);
    }
    for (String name : found.keySet()) {
      boolean redundantHead =
          name.equals("lm_head.weight")
              && c.tieWordEmbeddings()
              && Arrays.equals(found.get(name), found.get("model.embed_tokens.weight"));
      if (!expected.containsKey(name) && !name.endsWith("rotary_emb.inv_freq") && !redundantHead) {
        throw new IOException(
            source
                + ": unexpected tensor '"
                + name
                + "' for this configuration"
                + (name.equals("lm_head.weight")
                    ? " (config says tie_word_embeddings = true)"
                    : ""));
      }
    }
    return out;
  }
}

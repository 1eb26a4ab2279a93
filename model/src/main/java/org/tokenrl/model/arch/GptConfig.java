package org.tokenrl.model.arch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Shape of the decoder-only transformer: a token embedding (tied with the LM head), learned
 * positions, {@code layers} pre-LayerNorm blocks of causal multi-head attention and a GELU MLP, and
 * a final LayerNorm. Linear layers have no bias; LayerNorms have gain and bias.
 *
 * @param vocabSize number of token ids (one-hot embedding, so keep it small: ~100 chars)
 * @param dModel width of the residual stream
 * @param layers number of transformer blocks
 * @param heads attention heads; must divide {@code dModel}
 * @param dFF hidden width of the MLP
 * @param maxSeqLen number of learned positions: the longest input a forward pass may see
 */
public record GptConfig(int vocabSize, int dModel, int layers, int heads, int dFF, int maxSeqLen)
    implements ModelSpec {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  public GptConfig {
    require(vocabSize >= 2, "model.vocabSize must be >= 2, got " + vocabSize);
    require(dModel >= 1, "model.dModel must be >= 1, got " + dModel);
    require(layers >= 1, "model.layers must be >= 1, got " + layers);
    require(heads >= 1, "model.heads must be >= 1, got " + heads);
    require(
        dModel % heads == 0,
        "model.dModel (" + dModel + ") must be divisible by model.heads (" + heads + ")");
    require(dFF >= 1, "model.dFF must be >= 1, got " + dFF);
    require(maxSeqLen >= 1, "model.maxSeqLen must be >= 1, got " + maxSeqLen);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Width of one attention head. */
  public int headDim() {
    return dModel / heads;
  }

  /** Number of trainable scalars (embeddings, blocks, final LayerNorm; the head is tied). */
  public long parameterCount() {
    long d = dModel;
    long perLayer = 4 * d * d + 2 * d * dFF + 4 * d; // attention, MLP, two LayerNorms
    return (long) vocabSize * d + (long) maxSeqLen * d + layers * perLayer + 2 * d;
  }

  @Override
  public String arch() {
    return "gpt";
  }

  @Override
  public String toJson() {
    try {
      com.fasterxml.jackson.databind.node.ObjectNode node = JSON.createObjectNode();
      node.put("arch", arch());
      node.setAll((com.fasterxml.jackson.databind.node.ObjectNode) JSON.valueToTree(this));
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + this, e);
    }
  }

  /** Reads {@link #toJson}'s output; the {@code "arch"} field is optional but must be gpt. */
  public static GptConfig fromJson(String json) {
    try {
      com.fasterxml.jackson.databind.JsonNode tree = JSON.readTree(json);
      if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode obj && obj.has("arch")) {
        if (!"gpt".equals(obj.get("arch").asText())) {
          throw new IllegalArgumentException("not a gpt model config: " + json);
        }
        obj.remove("arch");
      }
      if (tree instanceof com.fasterxml.jackson.databind.node.ObjectNode obj) {
        obj.remove(java.util.List.of("lora", "base_model")); // a checkpoint's, read by Checkpoint
      }
      return JSON.treeToValue(tree, GptConfig.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "not a valid model config JSON: " + e.getOriginalMessage(), e);
    }
  }
}

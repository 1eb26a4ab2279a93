package org.tokenrl.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * Hugging Face {@code config.json} to and from {@link LlamaConfig}. Only the Llama family is
 * accepted (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM); anything the engine would
 * silently compute differently (another activation, rope scaling, sliding-window attention, MLP
 * biases) is refused with the key that asks for it.
 */
public final class HfConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** transformers' class names and model_type values we map. */
  static final List<String> ARCHITECTURES =
      List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");

  static final List<String> MODEL_TYPES = List.of("llama", "mistral", "qwen2");

  private HfConfig() {}

  public static LlamaConfig read(Path configJson) throws IOException {
    JsonNode c;
    try {
      c = JSON.readTree(configJson.toFile());
    } catch (IOException e) {
      throw new IOException(configJson + ": not valid JSON (" + firstLine(e) + ")");
    }
    if (c == null || !c.isObject()) {
      throw new IOException(configJson + ": not a JSON object");
    }
    return parse(c, configJson.toString());
  }

  static LlamaConfig parse(JsonNode c, String source) throws IOException {
    String modelType = c.path("model_type").asText("");
    JsonNode archs = c.path("architectures");
    String arch = archs.isArray() && archs.size() > 0 ? archs.get(0).asText() : "";
    if (!MODEL_TYPES.contains(modelType) || !(arch.isEmpty() || ARCHITECTURES.contains(arch))) {
      throw new IOException(
          source
              + ": architectures "
              + archs
              + " (model_type '"
              + modelType
              + "') is not"
              + " supported; supported: "
              + String.join(", ", ARCHITECTURES));
    }
    String act = c.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new IOException(source + ": hidden_act '" + act + "' is not supported (only silu)");
    }
    JsonNode scaling = c.path("rope_scaling");
    if (!scaling.isMissingNode() && !scaling.isNull()) {
      String type = scaling.path("rope_type").asText(scaling.path("type").asText("?"));
      if (!type.equals("default")) {
        throw new IOException(
            source + ": rope_scaling type '" + type + "' is not supported (only unscaled rope)");
      }
    }
    if (c.path("mlp_bias").asBoolean(false)) {
      throw new IOException(source + ": mlp_bias = true is not supported");
    }
    int maxPositions = c.path("max_position_embeddings").asInt(defaultContext(modelType));
    if (modelType.equals("mistral")
        && c.hasNonNull("sliding_window")
        && c.path("sliding_window").asInt() < maxPositions) {
      throw new IOException(
          source
              + ": sliding_window "
              + c.path("sliding_window").asInt()
              + " (sliding-window attention) is not supported");
    }
    if (modelType.equals("qwen2") && c.path("use_sliding_window").asBoolean(false)) {
      throw new IOException(source + ": use_sliding_window = true is not supported");
    }
    int hidden = required(c, "hidden_size", source);
    int heads = required(c, "num_attention_heads", source);
    int headDim = c.hasNonNull("head_dim") ? c.path("head_dim").asInt() : hidden / heads;
    try {
      return new LlamaConfig(
          required(c, "vocab_size", source),
          hidden,
          required(c, "intermediate_size", source),
          required(c, "num_hidden_layers", source),
          heads,
          c.path("num_key_value_heads").asInt(heads),
          headDim,
          c.path("rms_norm_eps").asDouble(1e-6),
          c.path("rope_theta").asDouble(10000.0),
          c.path("tie_word_embeddings").asBoolean(false),
          maxPositions,
          // Qwen2's q/k/v projections always have biases; its config has no key for it.
          modelType.equals("qwen2") || c.path("attention_bias").asBoolean(false));
    } catch (IllegalArgumentException e) {
      throw new IOException(source + ": " + e.getMessage());
    }
  }

  private static int defaultContext(String modelType) {
    return switch (modelType) {
      case "mistral" -> 131072;
      case "qwen2" -> 32768;
      default -> 2048;
    };
  }

  private static int required(JsonNode c, String key, String source) throws IOException {
    if (!c.path(key).canConvertToInt()) {
      throw new IOException(source + ": '" + key + "' is missing or not an integer");
    }
    return c.path(key).asInt();
  }

  /**
   * A config.json transformers loads as LlamaForCausalLM (or Qwen2ForCausalLM when the q/k/v
   * projections have biases, which LlamaForCausalLM only gets through {@code attention_bias}).
   */
  public static ObjectNode toJson(LlamaConfig c, int bosTokenId, int eosTokenId) {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add("LlamaForCausalLM");
    o.put("model_type", "llama");
    o.put("vocab_size", c.vocabSize());
    o.put("hidden_size", c.hiddenSize());
    o.put("intermediate_size", c.intermediateSize());
    o.put("num_hidden_layers", c.numHiddenLayers());
    o.put("num_attention_heads", c.numAttentionHeads());
    o.put("num_key_value_heads", c.numKeyValueHeads());
    o.put("head_dim", c.headDim());
    o.put("hidden_act", "silu");
    o.put("rms_norm_eps", c.rmsNormEps());
    o.put("rope_theta", c.ropeTheta());
    o.putNull("rope_scaling");
    o.put("tie_word_embeddings", c.tieWordEmbeddings());
    o.put("max_position_embeddings", c.maxPositionEmbeddings());
    o.put("attention_bias", c.attentionBias());
    o.put("mlp_bias", false);
    o.put("attention_dropout", 0.0);
    o.put("initializer_range", 0.02);
    o.put("pretraining_tp", 1);
    o.put("use_cache", true);
    o.put("bos_token_id", bosTokenId);
    o.put("eos_token_id", eosTokenId);
    o.put("torch_dtype", "float32");
    return o;
  }

  static String firstLine(Exception e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}

package org.tokenrl.model.arch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The shape of a policy model, one record per architecture: {@link GptConfig} ({@code gpt}, the
 * from-scratch model) and {@link LlamaConfig} ({@code llama}). {@code model.arch} in a config and
 * {@code "arch"} in a checkpoint's model.json select one.
 */
public sealed interface ModelSpec permits GptConfig, LlamaConfig {
  /** {@code gpt} or {@code llama}. */
  String arch();

  int vocabSize();

  /** The longest input a forward pass may see. */
  int maxSeqLen();

  long parameterCount();

  /** JSON with an {@code "arch"} field; {@link #fromJson} reads it back. */
  String toJson();

  /** Reads either architecture; JSON without {@code "arch"} (older checkpoints) is {@code gpt}. */
  static ModelSpec fromJson(String json) {
    JsonNode tree;
    try {
      tree = new ObjectMapper().readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          "not a valid model config JSON: " + e.getOriginalMessage());
    }
    if (!(tree instanceof ObjectNode obj)) {
      throw new IllegalArgumentException("model config JSON must be an object, got " + json);
    }
    String arch = obj.has("arch") ? obj.get("arch").asText() : "gpt";
    return switch (arch) {
      case "gpt" -> GptConfig.fromJson(json);
      case "llama" -> LlamaConfig.fromJson(json);
      default ->
          throw new IllegalArgumentException(
              "unknown model arch '" + arch + "' (expected gpt or llama)");
    };
  }
}

package org.tokenrl.model.arch;

/**
 * Shape of a Llama-family decoder (Llama 2/3, Mistral, Qwen2/2.5, SmolLM/SmolLM2): RMSNorm, rotary
 * position embeddings in Hugging Face's {@code rotate_half} layout, a SwiGLU MLP, grouped-query
 * attention and an optionally tied LM head. Field names follow HF's {@code config.json} keys
 * (camel-cased), so a loader maps them one to one and a config key {@code model.hidden_size} names
 * the same thing as the file.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size}: width of the residual stream
 * @param intermediateSize {@code intermediate_size}: hidden width of the SwiGLU MLP
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param numKeyValueHeads {@code num_key_value_heads}: divides numAttentionHeads (GQA)
 * @param headDim {@code head_dim}: usually hiddenSize / numAttentionHeads
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the LM head is the token embedding
 * @param maxPositionEmbeddings {@code max_position_embeddings}: the longest input a pass may see
 * @param attentionBias {@code attention_bias}: q/k/v projections have biases (Qwen2 sets it)
 */
public record LlamaConfig(
    int vocabSize,
    int hiddenSize,
    int intermediateSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int numKeyValueHeads,
    int headDim,
    double rmsNormEps,
    double ropeTheta,
    boolean tieWordEmbeddings,
    int maxPositionEmbeddings,
    boolean attentionBias)
    implements ModelSpec {

  public LlamaConfig {
    require(vocabSize >= 2, "model.vocab_size must be >= 2, got " + vocabSize);
    require(hiddenSize >= 1, "model.hidden_size must be >= 1, got " + hiddenSize);
    require(intermediateSize >= 1, "model.intermediate_size must be >= 1, got " + intermediateSize);
    require(numHiddenLayers >= 1, "model.num_hidden_layers must be >= 1, got " + numHiddenLayers);
    require(
        numAttentionHeads >= 1, "model.num_attention_heads must be >= 1, got " + numAttentionHeads);
    require(
        numKeyValueHeads >= 1 && numAttentionHeads % numKeyValueHeads == 0,
        "model.num_key_value_heads ("
            + numKeyValueHeads
            + ") must divide model.num_attention_heads ("
            + numAttentionHeads
            + ")");
    require(
        headDim >= 2 && headDim % 2 == 0, "model.head_dim must be even and >= 2, got " + headDim);
    require(rmsNormEps > 0, "model.rms_norm_eps must be > 0, got " + rmsNormEps);
    require(ropeTheta > 0, "model.rope_theta must be > 0, got " + ropeTheta);
    require(
        maxPositionEmbeddings >= 1,
        "model.max_position_embeddings must be >= 1, got " + maxPositionEmbeddings);
  }

  /** SmolLM2-135M's shape (random weights unless loaded): the benchmark's and tests' large case. */
  public static LlamaConfig smollm2135m() {
    return new LlamaConfig(49152, 576, 1536, 30, 9, 3, 64, 1e-5, 100000, true, 8192, false);
  }

  @Override
  public String arch() {
    return "llama";
  }

  @Override
  public int maxSeqLen() {
    return maxPositionEmbeddings;
  }

  /** HF config.json's keys (snake_case) plus {@code "arch": "llama"}. */
  @Override
  public String toJson() {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode o = json.createObjectNode();
    o.put("arch", arch());
    o.put("vocab_size", vocabSize);
    o.put("hidden_size", hiddenSize);
    o.put("intermediate_size", intermediateSize);
    o.put("num_hidden_layers", numHiddenLayers);
    o.put("num_attention_heads", numAttentionHeads);
    o.put("num_key_value_heads", numKeyValueHeads);
    o.put("head_dim", headDim);
    o.put("rms_norm_eps", rmsNormEps);
    o.put("rope_theta", ropeTheta);
    o.put("tie_word_embeddings", tieWordEmbeddings);
    o.put("max_position_embeddings", maxPositionEmbeddings);
    o.put("attention_bias", attentionBias);
    return o.toString();
  }

  /** Reads {@link #toJson}'s output (every key required; {@code arch} optional). */
  public static LlamaConfig fromJson(String text) {
    com.fasterxml.jackson.databind.JsonNode o;
    try {
      o = new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(
          "not a valid llama config JSON: " + e.getOriginalMessage());
    }
    java.util.function.Function<String, com.fasterxml.jackson.databind.JsonNode> key =
        k -> {
          if (!o.has(k)) {
            throw new IllegalArgumentException("llama config JSON lacks \"" + k + "\": " + text);
          }
          return o.get(k);
        };
    return new LlamaConfig(
        key.apply("vocab_size").asInt(),
        key.apply("hidden_size").asInt(),
        key.apply("intermediate_size").asInt(),
        key.apply("num_hidden_layers").asInt(),
        key.apply("num_attention_heads").asInt(),
        key.apply("num_key_value_heads").asInt(),
        key.apply("head_dim").asInt(),
        key.apply("rms_norm_eps").asDouble(),
        key.apply("rope_theta").asDouble(),
        key.apply("tie_word_embeddings").asBoolean(),
        key.apply("max_position_embeddings").asInt(),
        key.apply("attention_bias").asBoolean());
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Query heads that share one key/value head. */
  public int groupSize() {
    return numAttentionHeads / numKeyValueHeads;
  }

  /** Number of trainable scalars, counting a tied head once. */
  public long parameterCount() {
    long d = hiddenSize;
    long q = (long) numAttentionHeads * headDim;
    long kv = (long) numKeyValueHeads * headDim;
    long attention = d * q + 2 * d * kv + q * d + (attentionBias ? q + 2 * kv : 0);
    long perLayer = attention + 3 * d * intermediateSize + 2 * d;
    long embed = (long) vocabSize * d;
    return embed + numHiddenLayers * perLayer + d + (tieWordEmbeddings ? 0 : embed);
  }
}

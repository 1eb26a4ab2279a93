package org.tokenrl.model;

import java.util.List;

/**
 * Low-rank adaptation (Hu et al., 2021) as PEFT configures it: every targeted linear layer keeps
 * its weight W frozen and learns y = x·Wᵀ + (alpha/rank)·dropout(x)·Aᵀ·Bᵀ with A [rank, in] and B
 * [out, rank]. rank 0 means full fine-tuning (no adapters, every weight trains).
 *
 * @param targets module names matched against the last segment of a linear's module path: {@code
 *     q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj} for llama, {@code wq, wk, wv,
 *     wo, w1, w2} for gpt
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {
  public static final LoraConfig NONE = new LoraConfig(0, 0, 0, List.of());

  public LoraConfig {
    targets = List.copyOf(targets);
    if (rank < 0) {
      throw new IllegalArgumentException("LoRA rank must be >= 0, got " + rank);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
    }
    if (rank > 0 && targets.isEmpty()) {
      throw new IllegalArgumentException("LoRA needs at least one target module");
    }
  }

  public boolean enabled() {
    return rank > 0;
  }

  /** {"rank", "alpha", "dropout", "targets"}; {@link #fromJson} reads it back. */
  public com.fasterxml.jackson.databind.node.ObjectNode toJson() {
    var json = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    json.put("rank", rank);
    json.put("alpha", alpha);
    json.put("dropout", dropout);
    targets.forEach(json.putArray("targets")::add);
    return json;
  }

  /** {@link #toJson}'s output; a missing node is {@link #NONE}. */
  public static LoraConfig fromJson(com.fasterxml.jackson.databind.JsonNode json) {
    if (json == null || json.isMissingNode() || json.isNull()) {
      return NONE;
    }
    List<String> targets = new java.util.ArrayList<>();
    json.path("targets").forEach(t -> targets.add(t.asText()));
    return new LoraConfig(
        json.path("rank").asInt(),
        json.path("alpha").asDouble(),
        json.path("dropout").asDouble(),
        targets);
  }

  /** alpha / rank: the factor on B·A (PEFT's default, not rsLoRA's alpha/sqrt(rank)). */
  public double scaling() {
    return alpha / rank;
  }

  /** Whether the linear at {@code modulePath} (e.g. model.layers.0.self_attn.q_proj) is adapted. */
  public boolean targets(String modulePath) {
    return targets.contains(modulePath.substring(modulePath.lastIndexOf('.') + 1));
  }
}

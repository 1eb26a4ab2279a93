package org.tokenrl.model;

import java.util.Map;

/**
 * {@link Policy#referenceView}: a LoRA policy's model scored with the adapters switched off (the
 * base) or swapped for a frozen copy for the length of the call. Owns nothing.
 */
final class AdapterReference implements ReferenceScorer {
  private final Policy policy;
  private final Map<String, float[]> frozenAdapters; // null: adapters off

  AdapterReference(Policy policy, Map<String, float[]> frozenAdapters) {
    this.policy = policy;
    this.frozenAdapters = frozenAdapters;
  }

  @Override
  public TokenScores score(int[][] prompts, int[][] responses, double temperature) {
    return policy.scoreAsReference(frozenAdapters, prompts, responses, temperature);
  }

  @Override
  public void close() {}
}

package org.tokenrl.model;

/**
 * The frozen reference of a KL term: it scores responses and cannot update. Two kinds: {@link
 * #frozen}, a copy of a policy that only this scorer holds, and {@link Policy#referenceView}, a
 * LoRA policy's own model scored with its adapters off or swapped for a frozen copy.
 */
public interface ReferenceScorer extends AutoCloseable {
  /** Per response-token log-prob and entropy, as {@link Policy#score}. */
  TokenScores score(int[][] prompts, int[][] responses, double temperature);

  /** Releases what the scorer owns: a frozen copy's weights; nothing for a view. */
  @Override
  void close();

  /**
   * A reference that takes {@code policy} over: only scoring reaches it, and closing the reference
   * closes it. The caller must not keep using {@code policy}.
   */
  static ReferenceScorer frozen(Policy policy) {
    return new FrozenPolicy(policy);
  }
}

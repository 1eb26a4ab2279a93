package org.tokenrl.rewards;

/**
 * What a reward function returns for a batch.
 *
 * @param scores one score per row, finite
 * @param tokenRewards optional, may be null: per-token rewards {@code [N][len_i]} aligned to {@link
 *     RewardInput#responseIds()}, where row {@code i} spreads {@code scores[i]} over the response
 *     tokens (it must sum to {@code scores[i]}). It reaches the RL algorithm's batch ({@code
 *     RlBatch.tokenRewards}); GRPO, TEMPO and D3S use only the sum (docs/token-rewards.md).
 */
public record RewardScores(double[] scores, double[][] tokenRewards) {

  /** Scores only, no per-token rewards. */
  public static RewardScores of(double[] scores) {
    return new RewardScores(scores, null);
  }
}

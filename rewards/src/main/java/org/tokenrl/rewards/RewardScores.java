package org.tokenrl.rewards;

import java.util.Map;

/**
 * What a reward function returns for a batch.
 *
 * @param scores one score per row, finite; NaN only where {@code unscored[i]}
 * @param tokenRewards optional, may be null: per-token rewards {@code [N][len_i]} aligned to {@link
 *     RewardInput#responseIds()}, where row {@code i} spreads {@code scores[i]} over the response
 *     tokens (it must sum to {@code scores[i]}). It reaches the RL algorithm's batch ({@code
 *     RlBatch.tokenRewards}); GRPO, TEMPO and D3S use only the sum (docs/token-rewards.md).
 * @param metrics optional, may be null: extra per-row values logged as {@code
 *     reward/<component>/<key>} (their mean over the rows where they are not NaN)
 * @param failures optional, may be null: per row, why the function could not score it (null where
 *     it could); {@link CompositeReward} treats these rows as failed samples ({@code
 *     reward.on_error})
 * @param unscored optional, may be null: rows the function declines to score (TRL's {@code None}):
 *     their score is NaN, left out of the total and the means; a row no component scores has a NaN
 *     total, which the algorithms treat as unscorable
 */
public record RewardScores(
    double[] scores,
    double[][] tokenRewards,
    Map<String, double[]> metrics,
    String[] failures,
    boolean[] unscored) {

  /** Scores and optional per-token rewards only. */
  public RewardScores(double[] scores, double[][] tokenRewards) {
    this(scores, tokenRewards, null, null, null);
  }

  /** Scores only, no per-token rewards. */
  public static RewardScores of(double[] scores) {
    return new RewardScores(scores, null);
  }
}

package org.tokenrl.algorithms.rl;

import java.util.Arrays;

/**
 * One scored RL batch as an algorithm sees it: everything {@link RlAlgorithm#credit} may read. Rows
 * are group-major: response {@code i} belongs to prompt group {@code i / groupSize}. Per-token
 * arrays are ragged: row {@code i} holds exactly the {@code responses[i].length} response tokens
 * (EOS included, no padding).
 *
 * <p>The loss mask says which response tokens are the policy's own: single-turn rollouts have every
 * token true; a multi-turn rollout sets false for tokens the environment wrote (tool output, the
 * user's next turn). Every RL algorithm gives a false token no advantage and no loss term, and
 * leaves it out of the loss normalisers (token counts), so masking a token trains exactly as if it
 * were not there — except that it still forms part of the prefix the later tokens were sampled
 * after (TEMPO's prefix tree sees it).
 *
 * @param rewards scalar outcome reward per response, [N]; NaN marks an unscorable response. When a
 *     reward emits per-token rewards this is still their sum (docs/token-rewards.md)
 * @param responses response token ids, [N][len_i]
 * @param groupSize G, responses per prompt; N must be a multiple of it
 * @param truncated whether response i hit the length limit without EOS, [N]; null means none did
 * @param entropies sampling-time token entropies, [N][len_i]; null when not computed
 * @param tokenRewards per-token rewards, [N][len_i], row i summing to {@code rewards[i]} (an empty
 *     response carries its reward with no token); null when no reward emitted any. GRPO, TEMPO and
 *     D3S read only {@code rewards} (docs/token-rewards.md)
 * @param lossMask true where a token may carry loss, [N][len_i]; null in the constructor means
 *     every token (the accessor never returns null)
 * @param progress training progress in [0, 1] (step / totalSteps), drives schedules such as D3S
 */
public record RlBatch(
    double[] rewards,
    int[][] responses,
    int groupSize,
    boolean[] truncated,
    double[][] entropies,
    double[][] tokenRewards,
    boolean[][] lossMask,
    double progress) {

  public RlBatch {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
    }
    if (rewards.length != responses.length) {
      throw new IllegalArgumentException(
          "rewards has " + rewards.length + " rows but responses has " + responses.length);
    }
    if (rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(
          "batch of "
              + rewards.length
              + " responses is not a whole number of groups of "
              + groupSize);
    }
    if (truncated != null && truncated.length != rewards.length) {
      throw new IllegalArgumentException("truncated must have one flag per response");
    }
    if (entropies != null) {
      checkRows("entropies", entropies.length, responses);
      for (int i = 0; i < responses.length; i++) {
        checkTokens("entropies", i, entropies[i].length, responses[i].length);
      }
    }
    if (tokenRewards != null) {
      checkRows("tokenRewards", tokenRewards.length, responses);
      for (int i = 0; i < responses.length; i++) {
        checkTokens("tokenRewards", i, tokenRewards[i].length, responses[i].length);
      }
    }
    if (lossMask == null) {
      lossMask = new boolean[responses.length][];
      for (int i = 0; i < responses.length; i++) {
        lossMask[i] = new boolean[responses[i].length];
        Arrays.fill(lossMask[i], true);
      }
    } else {
      checkRows("lossMask", lossMask.length, responses);
      for (int i = 0; i < responses.length; i++) {
        checkTokens("lossMask", i, lossMask[i].length, responses[i].length);
      }
    }
    if (!(progress >= 0 && progress <= 1)) {
      throw new IllegalArgumentException("progress must be in [0,1], got " + progress);
    }
  }

  /** A batch without token rewards whose every token may carry loss. */
  public RlBatch(
      double[] rewards,
      int[][] responses,
      int groupSize,
      boolean[] truncated,
      double[][] entropies,
      double progress) {
    this(rewards, responses, groupSize, truncated, entropies, null, null, progress);
  }

  /** A batch with no truncation flags, no entropies, no token rewards and progress 0. */
  public static RlBatch of(double[] rewards, int[][] responses, int groupSize) {
    return new RlBatch(rewards, responses, groupSize, null, null, 0.0);
  }

  /** This batch with another loss mask, [N][len_i]. */
  public RlBatch withLossMask(boolean[][] mask) {
    return new RlBatch(
        rewards, responses, groupSize, truncated, entropies, tokenRewards, mask, progress);
  }

  public int size() {
    return rewards.length;
  }

  public boolean isTruncated(int i) {
    return truncated != null && truncated[i];
  }

  private static void checkRows(String name, int rows, int[][] responses) {
    if (rows != responses.length) {
      throw new IllegalArgumentException(name + " must have one row per response");
    }
  }

  private static void checkTokens(String name, int row, int values, int tokens) {
    if (values != tokens) {
      throw new IllegalArgumentException(
          name + " row " + row + " has " + values + " values for " + tokens + " tokens");
    }
  }
}

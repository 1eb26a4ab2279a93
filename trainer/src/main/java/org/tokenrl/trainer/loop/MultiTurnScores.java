package org.tokenrl.trainer.loop;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.RolloutBatch;

/**
 * What a multi-turn batch adds to scoring: the environments' reward contributions (the pool's
 * reward column; NaN where an environment failed under {@code rollout.env_on_error = zero}), the
 * text the task's verifier judges (the policy's last turn, never a tool's output), and the {@code
 * rollout/*} multi-turn metrics. For a single-turn batch it changes nothing.
 */
final class MultiTurnScores {
  private final double[] env;
  private final boolean active;

  private MultiTurnScores(double[] env, boolean active) {
    this.env = env;
    this.active = active;
  }

  /** Reads the environment rewards before the composite reward overwrites the column. */
  static MultiTurnScores of(RolloutBatch batch, boolean[][] lossMask, boolean poolRewards) {
    double[] env = batch.rewards();
    boolean active = false;
    for (boolean[] row : lossMask) {
      for (boolean policy : row) {
        active |= !policy;
      }
    }
    if (!poolRewards) {
      for (double r : env) {
        active |= r != 0; // a reward contribution, or NaN: a failed environment
      }
    }
    return new MultiTurnScores(env, active);
  }

  boolean active() {
    return active;
  }

  /** The tokens of the last policy turn (all of them for a single-turn batch). */
  int[] judged(int[] response, boolean[] mask) {
    if (!active) {
      return response;
    }
    int end = response.length;
    while (end > 0 && !mask[end - 1]) {
      end--;
    }
    int start = end;
    while (start > 0 && mask[start - 1]) {
      start--;
    }
    return java.util.Arrays.copyOfRange(response, start, end);
  }

  /**
   * Totals with each row's environment reward added; a failed row gets 0. Per-token rewards, if
   * any, get the contribution on the row's last policy token (so a row still sums to its total).
   */
  double[] addTo(double[] totals, double[][] tokenRewards, boolean[][] mask) {
    double[] out = totals.clone();
    for (int i = 0; i < out.length; i++) {
      boolean failed = Double.isNaN(env[i]);
      double add = failed ? 0 : env[i];
      out[i] = failed ? 0 : totals[i] + add;
      if (tokenRewards != null && tokenRewards[i] != null) {
        if (failed) {
          java.util.Arrays.fill(tokenRewards[i], 0);
        } else {
          int last = lastPolicyToken(mask[i]);
          if (last >= 0) {
            tokenRewards[i][last] += add;
          }
        }
      }
    }
    return out;
  }

  Map<String, Double> withMetrics(Map<String, Double> rewardMetrics, boolean[][] mask) {
    Map<String, Double> m = new LinkedHashMap<>(rewardMetrics);
    double turns = 0;
    long envTokens = 0;
    long tokens = 0;
    double envReward = 0;
    int errors = 0;
    for (int i = 0; i < mask.length; i++) {
      boolean previous = false;
      for (boolean policy : mask[i]) {
        turns += policy && !previous ? 1 : 0;
        envTokens += policy ? 0 : 1;
        previous = policy;
      }
      tokens += mask[i].length;
      errors += Double.isNaN(env[i]) ? 1 : 0;
      envReward += Double.isNaN(env[i]) ? 0 : env[i];
    }
    int n = Math.max(mask.length, 1);
    m.put(Metrics.ROLLOUT_TURNS_MEAN, turns / n);
    m.put(Metrics.ROLLOUT_ENV_TOKEN_FRAC, tokens == 0 ? 0 : (double) envTokens / tokens);
    m.put(Metrics.ROLLOUT_ENV_REWARD_MEAN, envReward / n);
    m.put(Metrics.ROLLOUT_ENV_ERRORS, (double) errors);
    return m;
  }

  /**
   * The mean over the policy's tokens only (an environment's tokens carry entropy 0, not a sampling
   * entropy); NaN when there are none.
   */
  static double policyMean(double[][] rows, boolean[][] mask) {
    double s = 0;
    long n = 0;
    for (int i = 0; i < rows.length; i++) {
      for (int t = 0; t < rows[i].length; t++) {
        if (mask == null || mask[i] == null || mask[i][t]) {
          s += rows[i][t];
          n++;
        }
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  private static int lastPolicyToken(boolean[] mask) {
    for (int t = mask.length - 1; t >= 0; t--) {
      if (mask[t]) {
        return t;
      }
    }
    return -1;
  }
}

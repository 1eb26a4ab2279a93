package org.tokenrl.rewards;

import com.typesafe.config.Config;

/**
 * {@code length_penalty}: a non-positive reward for responses longer than {@code target} tokens,
 * with n = the response's token count and excess = max(0, n - target):
 *
 * <ul>
 *   <li>{@code window = 0} (linear, the default): {@code -coef * excess}.
 *   <li>{@code window > 0} (normalised): {@code -coef * min(1, excess / window)}, which ramps from
 *       0 at {@code target} to {@code -coef} at {@code target + window} and stays there: DAPO's
 *       soft overlong punishment (Yu et al. 2025, arXiv:2503.14476) with L_max = target + window
 *       and L_cache = window.
 * </ul>
 *
 * <p>Parameters (defaults): {@code target} (0), {@code coef} (0.01), {@code window} (0). Also
 * returns per-token rewards: the penalty falls on the tokens past {@code target} (each {@code
 * -coef}, or {@code -coef / window} for the first {@code window} of them), so token-level
 * algorithms charge the tokens that made the response long.
 */
public final class LengthPenaltyReward implements RewardFunction {
  public static final String NAME = "length_penalty";

  private final int target;
  private final double coef;
  private final int window;

  public LengthPenaltyReward(Config params) {
    RewardParams p = RewardParams.of(params, NAME, "target", "coef", "window");
    double targetValue = p.number("target", 0);
    double windowValue = p.number("window", 0);
    coef = p.number("coef", 0.01);
    p.require(isCount(targetValue), "target", "must be a whole number >= 0");
    p.require(isCount(windowValue), "window", "must be a whole number >= 0");
    p.require(Double.isFinite(coef), "coef", "must be finite");
    target = (int) targetValue;
    window = (int) windowValue;
  }

  private static boolean isCount(double value) {
    return value >= 0 && value == Math.rint(value) && value <= Integer.MAX_VALUE;
  }

  @Override
  public RewardScores score(RewardInput input) {
    int rows = input.size();
    double[] scores = new double[rows];
    double[][] tokens = new double[rows][];
    for (int i = 0; i < rows; i++) {
      int length = input.responseIds()[i].length;
      tokens[i] = new double[length];
      // Tokens at positions >= target are the excess; with a window only the first `window` of
      // them are charged, so the total is capped at -coef.
      int charged = Math.max(0, length - target);
      double perToken = -coef;
      if (window > 0) {
        charged = Math.min(charged, window);
        perToken = -coef / window;
      }
      for (int t = target; t < target + charged; t++) {
        tokens[i][t] = perToken;
      }
      scores[i] = window > 0 ? -coef * Math.min(1.0, (double) charged / window) : -coef * charged;
    }
    return new RewardScores(scores, tokens);
  }

  @Override
  public String name() {
    return NAME;
  }
}

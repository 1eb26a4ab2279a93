package org.tokenrl.algorithms;

/**
 * cDPO's token-level contrastive estimation (Lin et al., arXiv 2411.19943, Eq. 1; docs/preference.md §4.2): a
 * model fine-tuned on correct answers (positive) and one fine-tuned on incorrect answers (negative)
 * score each token of a rejected response,
 *
 * <pre>
 *   s_t = softmax_v((1+λ)·z_pos[t] − λ·z_neg[t])[y_t],   weight w_t = 1 − s_t
 * </pre>
 *
 * on raw logits (the per-position log-normalisers cancel inside the softmax). A low s_t means the
 * negative model likes the token much more than the positive one: a likely critical token, so
 * its weight in the rejected reward is high.
 */
public final class ContrastiveEstimation {
  private ContrastiveEstimation() {}

  /**
   * s_t per response token, via a log-sum-exp that is stable for any logit scale.
   *
   * @param zPos positive model's logits predicting each response token, [T][V]
   * @param zNeg negative model's logits, [T][V] (same vocabulary: both are fine-tunes of one base)
   * @param tokens the response tokens y_t, [T]
   * @param lambda λ ≥ 0 (paper and code: 1)
   */
  public static double[] scores(double[][] zPos, double[][] zNeg, int[] tokens, double lambda) {
    check(zPos.length, zNeg.length, tokens, lambda);
    double[] s = new double[tokens.length];
    for (int t = 0; t < tokens.length; t++) {
      checkRow(t, zPos[t].length, zNeg[t].length, tokens[t]);
      double[] c = new double[zPos[t].length];
      for (int v = 0; v < c.length; v++) {
        c[v] = (1 + lambda) * zPos[t][v] - lambda * zNeg[t][v];
      }
      s[t] = Math.exp(c[tokens[t]] - logSumExp(c));
    }
    return s;
  }

  /** {@link #scores(double[][], double[][], int[], double)} for float logits, in double. */
  public static double[] scores(float[][] zPos, float[][] zNeg, int[] tokens, double lambda) {
    check(zPos.length, zNeg.length, tokens, lambda);
    double[] s = new double[tokens.length];
    for (int t = 0; t < tokens.length; t++) {
      checkRow(t, zPos[t].length, zNeg[t].length, tokens[t]);
      double[] c = new double[zPos[t].length];
      for (int v = 0; v < c.length; v++) {
        c[v] = (1 + lambda) * (double) zPos[t][v] - lambda * (double) zNeg[t][v];
      }
      s[t] = Math.exp(c[tokens[t]] - logSumExp(c));
    }
    return s;
  }

  /**
   * w_t = 1 − s_t; when the response ends with EOS its weight is {@code eosWeight} instead (the
   * official code appends a 0 score for EOS, so it weighs 1).
   */
  public static double[] weights(double[] scores, boolean endsWithEos, double eosWeight) {
    double[] w = new double[scores.length];
    for (int t = 0; t < w.length; t++) {
      w[t] = 1 - scores[t];
    }
    if (endsWithEos && w.length > 0) {
      w[w.length - 1] = eosWeight;
    }
    return w;
  }

  static double logSumExp(double[] c) {
    double m = Double.NEGATIVE_INFINITY;
    for (double x : c) {
      m = Math.max(m, x);
    }
    double sum = 0;
    for (double x : c) {
      sum += Math.exp(x - m);
    }
    return m + Math.log(sum);
  }

  private static void check(int pos, int neg, int[] tokens, double lambda) {
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("algorithm.lambda must be >= 0, got " + lambda);
    }
    if (pos != tokens.length || neg != tokens.length) {
      throw new IllegalArgumentException(
          "need one logit row per response token: "
              + tokens.length
              + " tokens, zPos has "
              + pos
              + " rows, zNeg "
              + neg);
    }
  }

  private static void checkRow(int t, int vPos, int vNeg, int token) {
    if (vPos != vNeg) {
      throw new IllegalArgumentException(
          "token "
              + t
              + ": positive model has "
              + vPos
              + " logits, negative "
              + vNeg
              + " (both must be fine-tunes of the same base model)");
    }
    if (token < 0 || token >= vPos) {
      throw new IllegalArgumentException(
          "token " + t + " id " + token + " is outside the vocabulary [0, " + vPos + ")");
    }
  }
}

package org.tokenrl.algorithms.rl;

import java.util.Map;

/**
 * Per-token credit for one batch, rows aligned with {@link RlBatch#responses()}.
 *
 * @param advantages A[i][t], [N][len_i]
 * @param keep tokens whose loss term counts; false tokens contribute nothing, [N][len_i]
 * @param denominatorMask tokens counted by the loss normaliser (token counts, non-empty sequences).
 *     Equal to {@code keep} unless an algorithm drops tokens but normalises by the full mask (D3S
 *     {@code loss_denominator = full}); always a superset of {@code keep}
 * @param metrics diagnostics with namespaced keys ({@code credit/...}, {@code d3s/...})
 */
public record TokenCredit(
    double[][] advantages,
    boolean[][] keep,
    boolean[][] denominatorMask,
    Map<String, Double> metrics) {

  /**
   * Checks that {@code keep} and {@code denominatorMask} have the batch's shape and lie inside its
   * loss mask, the contract of {@link RlAlgorithm#credit}.
   *
   * @throws IllegalStateException naming {@code algorithm}, the row and the token otherwise
   */
  public void requireWithin(boolean[][] lossMask, String algorithm) {
    if (keep.length != lossMask.length
        || advantages.length != lossMask.length
        || denominatorMask.length != lossMask.length) {
      throw new IllegalStateException(
          algorithm + " credit has " + keep.length + " rows for a batch of " + lossMask.length);
    }
    for (int i = 0; i < lossMask.length; i++) {
      int len = lossMask[i].length;
      if (keep[i].length != len
          || advantages[i].length != len
          || denominatorMask[i].length != len) {
        throw new IllegalStateException(
            algorithm + " credit row " + i + " does not have the response's " + len + " tokens");
      }
      for (int t = 0; t < len; t++) {
        if (!lossMask[i][t] && (keep[i][t] || denominatorMask[i][t] || advantages[i][t] != 0)) {
          throw new IllegalStateException(
              algorithm
                  + " credit gives token "
                  + t
                  + " of response "
                  + i
                  + " an advantage or a loss term, but it is outside the batch's loss mask");
        }
      }
    }
  }

  /** The loss input for one update epoch, combining this credit with the epoch's log-probs. */
  public PolicyLossInput lossInput(
      double[][] logpNew, double[][] logpOld, double[][] logpRef, int maxCompletionLength) {
    return new PolicyLossInput(
        logpNew, logpOld, logpRef, advantages, keep, denominatorMask, maxCompletionLength);
  }
}

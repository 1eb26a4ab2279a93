package org.tokenrl.algorithms;

import java.util.Map;

/**
 * Per-token credit for one batch, rows aligned with {@link CreditInput#responses()}.
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

  /** The loss input for one update epoch, combining this credit with the epoch's log-probs. */
  public PolicyLossInput lossInput(
      double[][] logpNew, double[][] logpOld, double[][] logpRef, int maxCompletionLength) {
    return new PolicyLossInput(
        logpNew, logpOld, logpRef, advantages, keep, denominatorMask, maxCompletionLength);
  }
}

package org.tokenrl.algorithms.rl;

import java.util.Map;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.PolicyLossInput;

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

  /**
   * Whether any kept token has a non-zero advantage. Without one the policy-gradient term is 0 and
   * only a KL penalty could move the model, so a trainer with kl_beta = 0 may skip the update (the
   * choice for D3S batches whose advantages are all 0, docs/d3s.md §6).
   */
  public boolean hasSignal() {
    for (int i = 0; i < advantages.length; i++) {
      for (int t = 0; t < advantages[i].length; t++) {
        if (keep[i][t] && advantages[i][t] != 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** The loss input for one update epoch, combining this credit with the epoch's log-probs. */
  public PolicyLossInput lossInput(
      double[][] logpNew, double[][] logpOld, double[][] logpRef, int maxCompletionLength) {
    return new PolicyLossInput(
        logpNew, logpOld, logpRef, advantages, keep, denominatorMask, maxCompletionLength);
  }
}

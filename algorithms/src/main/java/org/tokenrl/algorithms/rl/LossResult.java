package org.tokenrl.algorithms.rl;

import java.util.Map;

/**
 * Scalar loss to minimise, its exact gradient per token and diagnostics.
 *
 * @param loss the aggregated loss
 * @param gradLogpNew dLoss/dlogpNew per token, [N][len_i]; 0 where masked
 * @param metrics {@code actor/...} diagnostics
 * @param gradEntropy dLoss/dH per token, [N][len_i], where H is the current policy's entropy of
 *     {@link PolicyLossInput#entropies()}; null when the loss has no entropy term. H depends on the
 *     whole next-token distribution, so this gradient reaches the logits through dH/dz_v = −p_v ·
 *     (log p_v + H), not through logpNew (docs/entropy-bonus.md)
 */
public record LossResult(
    double loss, double[][] gradLogpNew, Map<String, Double> metrics, double[][] gradEntropy) {

  /** A loss without an entropy term. */
  public LossResult(double loss, double[][] gradLogpNew, Map<String, Double> metrics) {
    this(loss, gradLogpNew, metrics, null);
  }
}

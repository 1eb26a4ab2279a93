package org.tokenrl.algorithms.rl;

import java.util.Map;

/**
 * Scalar loss to minimise, its exact gradient per token and diagnostics.
 *
 * @param loss the aggregated loss
 * @param gradLogpNew dLoss/dlogpNew per token, [N][len_i]; 0 where masked
 * @param metrics {@code actor/...} diagnostics
 */
public record LossResult(double loss, double[][] gradLogpNew, Map<String, Double> metrics) {}

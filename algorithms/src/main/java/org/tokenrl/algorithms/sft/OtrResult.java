package org.tokenrl.algorithms.sft;

import java.util.Map;

/**
 * OTR loss of a batch and the coefficients the policy back-propagates.
 *
 * @param loss the reduced loss
 * @param vocabCoef dLoss/dlog p(v | prefix) for every response position and vocabulary entry,
 *     [N][T_i][V], with the reduction's normalisation folded in: pass it as Policy.update's
 *     vocabCoef (targetCoef = null or zeros)
 * @param metrics {@code otr/*} diagnostics
 */
public record OtrResult(double loss, double[][][] vocabCoef, Map<String, Double> metrics) {}

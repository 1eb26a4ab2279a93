package org.tokenrl.algorithms.preference;

import java.util.Map;

/**
 * Loss of a batch of preference pairs, its exact gradient per token and diagnostics.
 *
 * @param loss the loss to minimise (mean over pairs)
 * @param gradChosen dLoss/dlog πθ(y^w_t), same ragged shape as {@link
 *     PairLossInput#policyChosen()}: the targetCoef the policy back-propagates
 * @param gradRejected dLoss/dlog πθ(y^l_t)
 * @param metrics {@code pref/reward_chosen}, {@code pref/reward_rejected}, {@code
 *     pref/reward_margin}, {@code pref/accuracy} (TRL's rewards/*, means over pairs) plus the
 *     algorithm's own ({@code treg/*}, {@code cdpo/*})
 */
public record PairLossResult(
    double loss, double[][] gradChosen, double[][] gradRejected, Map<String, Double> metrics) {}

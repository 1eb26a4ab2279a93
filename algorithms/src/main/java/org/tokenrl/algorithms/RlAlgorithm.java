package org.tokenrl.algorithms;

import com.typesafe.config.Config;

/**
 * A configured RL algorithm: what the trainer calls and the few options that change its loop.
 *
 * <p>Per batch: {@code credit.assign(input)} once (truncation masking already applied when {@code
 * mask_truncated = true}); then, for each of {@code updatesPerBatch} epochs, score logpNew and call
 * {@code objective.compute(credit.lossInput(logpNew, logpOld, logpRef, maxLen))}, where logpOld are
 * the sampling-time log-probs for every epoch.
 *
 * @param name registry name
 * @param credit advantages and keep-masks
 * @param objective clipped surrogate and KL penalty
 * @param updatesPerBatch optimisation epochs over each batch (TRL num_iterations, verl ppo_epochs)
 * @param needsEntropies whether {@link CreditInput#entropies()} must be filled (D3S)
 * @param settings the resolved {@code algorithm} block, for logging
 */
public record RlAlgorithm(
    String name,
    CreditAssigner credit,
    ClippedPolicyObjective objective,
    int updatesPerBatch,
    boolean needsEntropies,
    Config settings) {

  /** Whether the trainer must compute reference-policy log-probs (kl_beta > 0). */
  public boolean needsReference() {
    return objective.needsReference();
  }
}

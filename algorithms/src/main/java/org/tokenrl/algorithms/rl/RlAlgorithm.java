package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.core.StrictSettings;

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

  /** Keys every RL algorithm accepts (objective and trainer loop), with the TRL-HEAD defaults. */
  static final Config COMMON_DEFAULTS =
      ConfigFactory.parseString(
          """
          clip_eps_low = 0.2
          clip_eps_high = 0.2
          dual_clip_c = 0
          kl_beta = 0.0
          kl_estimator = k3
          loss_agg = token-mean
          seq_mean_rows = all
          updates_per_batch = 1
          mask_truncated = false
          """);

  /** Reads the common keys of a resolved block and wraps {@code credit} as they ask. */
  static RlAlgorithm assemble(
      String name, Config c, CreditAssigner credit, boolean needsEntropies) {
    int updates = c.getInt("updates_per_batch");
    if (updates < 1) {
      throw new IllegalArgumentException(
          "algorithm.updates_per_batch must be >= 1, got " + updates);
    }
    CreditAssigner wrapped = c.getBoolean("mask_truncated") ? new TruncationMask(credit) : credit;
    return new RlAlgorithm(
        name,
        wrapped,
        new ClippedPolicyObjective(ClippedPolicyObjective.Options.from(c)),
        updates,
        needsEntropies,
        StrictSettings.with(c, "name", name));
  }

  /**
   * {@code mask_truncated = true}: drops every token of responses that hit the length limit (DAPO's
   * overlong filtering, TRL {@code mask_truncated_completions}). Their rewards still entered the
   * group statistics of the wrapped assigner, and they leave the normaliser too.
   */
  private static final class TruncationMask implements CreditAssigner {
    private final CreditAssigner base;

    TruncationMask(CreditAssigner base) {
      this.base = base;
    }

    @Override
    public TokenCredit assign(CreditInput in) {
      TokenCredit c = base.assign(in);
      boolean shared = c.keep() == c.denominatorMask();
      boolean[][] keep = c.keep().clone();
      boolean[][] denominator = shared ? keep : c.denominatorMask().clone();
      int truncated = 0;
      for (int i = 0; i < in.size(); i++) {
        if (in.isTruncated(i)) {
          truncated++;
          keep[i] = new boolean[keep[i].length];
          if (!shared) {
            denominator[i] = new boolean[denominator[i].length];
          }
        }
      }
      Map<String, Double> metrics = new LinkedHashMap<>(c.metrics());
      metrics.put("credit/truncated_frac", in.size() == 0 ? 0 : truncated / (double) in.size());
      return new TokenCredit(c.advantages(), keep, denominator, metrics);
    }
  }
}

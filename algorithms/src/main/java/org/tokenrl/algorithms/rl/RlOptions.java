package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;

/**
 * The keys every clipped-objective RL algorithm (GRPO, TEMPO, D3S) shares: the objective's, {@code
 * updates_per_batch} and {@code mask_truncated}.
 *
 * @param objective the clipped surrogate and KL penalty
 * @param updatesPerBatch optimisation epochs over each batch
 * @param maskTruncated drop every token of responses that hit the length limit
 * @param entropyCoef coefficient of the entropy bonus (docs/entropy-bonus.md); 0 = off
 */
record RlOptions(
    ClippedPolicyObjective objective,
    int updatesPerBatch,
    boolean maskTruncated,
    double entropyCoef) {

  /** The keys with the TRL-HEAD defaults. */
  static final Config DEFAULTS =
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
          entropy_coef = 0.0
          """);

  /** The defaults, for algorithms built directly from their options. */
  static RlOptions defaults() {
    return from(DEFAULTS);
  }

  /** Reads the common keys of a resolved block. */
  static RlOptions from(Config c) {
    int updates = c.getInt("updates_per_batch");
    if (updates < 1) {
      throw new IllegalArgumentException(
          "algorithm.updates_per_batch must be >= 1, got " + updates);
    }
    double entropyCoef = Algorithms.SETTINGS.number(c, "entropy_coef");
    if (!(entropyCoef >= 0)) {
      throw new IllegalArgumentException("algorithm.entropy_coef must be >= 0, got " + entropyCoef);
    }
    return new RlOptions(
        new ClippedPolicyObjective(ClippedPolicyObjective.Options.from(c)),
        updates,
        c.getBoolean("mask_truncated"),
        entropyCoef);
  }

  /**
   * The entropy bonus (docs/entropy-bonus.md): {@code base} with
   *
   * <pre>
   *   loss −= entropy_coef · Σ_i Σ_t w_i · M_it · H_it          (w_i: the loss_agg row weights)
   * </pre>
   *
   * its gradient dLoss/dH_it = −entropy_coef · w_i · M_it in {@link LossResult#gradEntropy()}, and
   * {@code actor/policy_entropy} = Σ_i Σ_t w_i · M_it · H_it. {@code base} unchanged when
   * entropy_coef = 0.
   *
   * @throws IllegalArgumentException when entropy_coef > 0 and the input has no entropies (a caller
   *     bug: RlTrainer always passes them)
   */
  LossResult withEntropyBonus(PolicyLossInput in, LossResult base) {
    if (entropyCoef == 0) {
      return base;
    }
    if (in.entropies() == null) {
      throw new IllegalArgumentException(
          "algorithm.entropy_coef = "
              + entropyCoef
              + " needs the current policy's token entropies in the loss input"
              + " (PolicyLossInput.withEntropies); got none");
    }
    ClippedPolicyObjective.Options o = objective.options();
    double[] w =
        o.lossAgg().rowWeights(in.normaliserMask(), in.maxCompletionLength(), o.seqMeanRows());
    int n = in.logpNew().length;
    double[][] grad = new double[n][];
    double entropy = 0;
    for (int i = 0; i < n; i++) {
      grad[i] = new double[in.logpNew()[i].length];
      for (int t = 0; t < grad[i].length; t++) {
        if (in.mask()[i][t]) {
          entropy += w[i] * in.entropies()[i][t];
          grad[i][t] = -entropyCoef * w[i];
        }
      }
    }
    double loss = base.loss() - entropyCoef * entropy;
    Map<String, Double> metrics = new LinkedHashMap<>(base.metrics());
    metrics.put(Metrics.ACTOR_POLICY_ENTROPY, entropy);
    // the base's actor/loss lacks the bonus, and the trainer logs these metrics over loss()
    if (metrics.containsKey(Metrics.ACTOR_LOSS)) {
      metrics.put(Metrics.ACTOR_LOSS, loss);
    }
    return new LossResult(loss, base.gradLogpNew(), metrics, grad);
  }

  /**
   * {@code mask_truncated = true}: drops every token of responses that hit the length limit (DAPO's
   * overlong filtering, TRL {@code mask_truncated_completions}). Their rewards still entered the
   * group statistics of the credit rule, and they leave the normaliser too. Otherwise {@code c}
   * unchanged.
   */
  TokenCredit maskTruncated(RlBatch in, TokenCredit c) {
    if (!maskTruncated) {
      return c;
    }
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
    metrics.put(Metrics.CREDIT_TRUNCATED_FRAC, in.size() == 0 ? 0 : truncated / (double) in.size());
    return new TokenCredit(c.advantages(), keep, denominator, metrics);
  }
}

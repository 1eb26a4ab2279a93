package org.tokenrl.algorithms.preference;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * DPO (Rafailov et al., arXiv 2305.18290) as in TRL's DPOTrainer (docs/preference.md §2). Per pair,
 * with sequence log-probs as sums over response tokens:
 *
 * <pre>
 *   Δw = Σ logπθ(y^w) − Σ logπref(y^w),  Δl = the same for y^l,  h = Δw − Δl,  z = β·h
 *   sigmoid:      ℓ = −log σ(z)
 *   conservative: ℓ = −(1−ε)·log σ(z) − ε·log σ(−z)             (Mitchell's cDPO note; TRL ≤ 0.28
 *                                                                "sigmoid" with label_smoothing)
 *   robust:       ℓ = [−(1−ε)·log σ(z) + ε·log σ(−z)] / (1−2ε)   (TRL "robust")
 * </pre>
 *
 * The loss is the mean over pairs; every token of a response inherits its sequence's derivative
 * ±β·ℓ'(z)/B.
 */
public final class Dpo implements PairObjective {

  /** Which per-pair loss (TRL loss_type). */
  public enum Variant {
    SIGMOID,
    CONSERVATIVE,
    ROBUST
  }

  /**
   * @param beta β, the inverse temperature of the implicit reward (TRL default 0.1)
   * @param loss the per-pair loss
   * @param labelSmoothing ε in [0, 0.5): the assumed label-noise rate; must be 0 for sigmoid
   */
  public record Options(double beta, Variant loss, double labelSmoothing) {
    public Options {
      if (!(beta > 0) || Double.isInfinite(beta)) {
        throw new IllegalArgumentException("algorithm.beta must be > 0 and finite, got " + beta);
      }
      if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
        throw new IllegalArgumentException(
            "algorithm.label_smoothing must be in [0, 0.5) (at 0.5 the robust loss divides by 0),"
                + " got "
                + labelSmoothing);
      }
      if (loss == Variant.SIGMOID && labelSmoothing != 0) {
        // TRL ≥ 0.29 silently ignores it here; TRL ≤ 0.28 meant conservative DPO. Make it explicit.
        throw new IllegalArgumentException(
            "algorithm.label_smoothing = "
                + labelSmoothing
                + " has no effect with loss = sigmoid; use loss = conservative (TRL <= 0.28"
                + " behaviour) or loss = robust");
      }
    }

    static Options from(Config c) {
      return new Options(
          Algorithms.SETTINGS.number(c, "beta"),
          Algorithms.SETTINGS.choice(c, "loss", Variant.class),
          Algorithms.SETTINGS.number(c, "label_smoothing"));
    }
  }

  /** DPO's keys and defaults (TRL HEAD DPOConfig); documented in configs/algorithm/dpo.conf. */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          beta = 0.1
          loss = sigmoid
          label_smoothing = 0.0
          """);

  public static PreferenceAlgorithm create(Config block) {
    Config c = Algorithms.SETTINGS.resolve(block, DEFAULTS, Algorithms.NAME_KEYS, "dpo");
    return new PreferenceAlgorithm(
        "dpo",
        new Dpo(Options.from(c)),
        false,
        false,
        false,
        StrictSettings.with(c, "name", "dpo"));
  }

  private final Options options;

  public Dpo(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /** ℓ(z) of one pair, z = β·h. */
  public double pairLoss(double z) {
    double e = options.labelSmoothing();
    return switch (options.loss()) {
      case SIGMOID -> Sigmoids.softplus(-z);
      case CONSERVATIVE -> (1 - e) * Sigmoids.softplus(-z) + e * Sigmoids.softplus(z);
      case ROBUST -> ((1 - e) * Sigmoids.softplus(-z) - e * Sigmoids.softplus(z)) / (1 - 2 * e);
    };
  }

  /** dℓ/dz of one pair. */
  public double pairSlope(double z) {
    double e = options.labelSmoothing();
    double down = Sigmoids.sigmoid(-z); // d softplus(−z)/dz = −σ(−z)
    double up = Sigmoids.sigmoid(z); // d softplus(z)/dz = σ(z)
    return switch (options.loss()) {
      case SIGMOID -> -down;
      case CONSERVATIVE -> -(1 - e) * down + e * up;
      case ROBUST -> (-(1 - e) * down - e * up) / (1 - 2 * e);
    };
  }

  @Override
  public PairLossResult compute(PairLossInput in) {
    int b = in.size();
    double beta = options.beta();
    double[] dw = logRatioSums(in.policyChosen(), in.refChosen());
    double[] dl = logRatioSums(in.policyRejected(), in.refRejected());
    double[][] gradC = zerosLike(in.policyChosen());
    double[][] gradR = zerosLike(in.policyRejected());
    double loss = 0;
    for (int p = 0; p < b; p++) {
      double z = beta * (dw[p] - dl[p]);
      loss += pairLoss(z) / b;
      double g = beta * pairSlope(z) / b;
      Arrays.fill(gradC[p], g);
      Arrays.fill(gradR[p], -g);
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    putRewardMetrics(metrics, beta, dw, dl);
    return new PairLossResult(loss, gradC, gradR, metrics);
  }

  /** Σ_t (policy − ref) per row: the sequence log-ratio Δ. */
  static double[] logRatioSums(double[][] policy, double[][] ref) {
    double[] d = new double[policy.length];
    for (int p = 0; p < policy.length; p++) {
      for (int t = 0; t < policy[p].length; t++) {
        d[p] += policy[p][t] - ref[p][t];
      }
    }
    return d;
  }

  static double[][] zerosLike(double[][] rows) {
    double[][] z = new double[rows.length][];
    for (int p = 0; p < rows.length; p++) {
      z[p] = new double[rows[p].length];
    }
    return z;
  }

  /**
   * TRL's rewards/* under {@code pref/}: implicit rewards β·Δ, their margin and the fraction of
   * pairs ranked correctly (strictly), means over pairs; all detached.
   */
  static void putRewardMetrics(Map<String, Double> m, double beta, double[] dw, double[] dl) {
    int b = dw.length;
    double chosen = 0;
    double rejected = 0;
    double accuracy = 0;
    for (int p = 0; p < b; p++) {
      chosen += beta * dw[p];
      rejected += beta * dl[p];
      accuracy += beta * dw[p] > beta * dl[p] ? 1 : 0;
    }
    double inv = b == 0 ? 0 : 1.0 / b;
    m.put(Metrics.PREF_REWARD_CHOSEN, chosen * inv);
    m.put(Metrics.PREF_REWARD_REJECTED, rejected * inv);
    m.put(Metrics.PREF_REWARD_MARGIN, (chosen - rejected) * inv);
    m.put(Metrics.PREF_ACCURACY, accuracy * inv);
  }
}

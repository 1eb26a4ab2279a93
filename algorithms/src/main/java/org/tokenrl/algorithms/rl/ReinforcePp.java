package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * REINFORCE++ (Hu, arXiv 2501.03262; docs/rloo-reinforce-pp.md) as verl defines it, in two
 * registered forms that differ in one line, trained with the shared {@link ClippedPolicyObjective}.
 *
 * <pre>
 *   reinforce_pp:           x_it = r_i              (the return of an outcome reward, γ = 1)
 *   reinforce_pp_baseline:  x_it = r_i − mean_g              (group mean; 0 for a group of one)
 *   both:                   A_it = (x_it − μ) / sqrt(σ² + 1e-8)
 * </pre>
 *
 * where μ and σ² are the mean and unbiased variance of x over every loss-mask token of the batch —
 * verl's {@code masked_whiten}, so a response weighs in proportion to its length. No group std is
 * used. NaN-reward responses are left out of every statistic and get A = 0; a batch with fewer than
 * two such tokens gets A = 0 (the unbiased variance is undefined). Tokens outside the loss mask get
 * A = 0.
 */
public final class ReinforcePp implements RlAlgorithm {

  /** verl's masked_whiten adds this to the variance before the square root. */
  static final double WHITEN_EPS = 1e-8;

  /** No keys of its own; the common ones are in configs/algorithm/reinforce_pp*.conf. */
  static final Config DEFAULTS = ConfigFactory.empty();

  /** {@code algorithm = reinforce_pp}: whiten the raw rewards. */
  public static ReinforcePp create(Config block) {
    return create(block, "reinforce_pp", false);
  }

  /** {@code algorithm = reinforce_pp_baseline}: subtract the group mean, then whiten. */
  public static ReinforcePp createBaseline(Config block) {
    return create(block, "reinforce_pp_baseline", true);
  }

  private static ReinforcePp create(Config block, String name, boolean baseline) {
    Config c =
        Algorithms.SETTINGS.resolve(
            block, DEFAULTS.withFallback(RlOptions.DEFAULTS), Algorithms.NAME_KEYS, name);
    return new ReinforcePp(name, baseline, RlOptions.from(c), StrictSettings.with(c, "name", name));
  }

  private final String name;
  private final boolean baseline;
  private final RlOptions common;
  private final Config settings;

  private ReinforcePp(String name, boolean baseline, RlOptions common, Config settings) {
    this.name = name;
    this.baseline = baseline;
    this.common = common;
    this.settings = settings;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Config settings() {
    return settings;
  }

  @Override
  public int updatesPerBatch() {
    return common.updatesPerBatch();
  }

  @Override
  public boolean needsReference() {
    return common.objective().needsReference();
  }

  @Override
  public TokenCredit credit(RlBatch in) {
    double[][] adv = advantages(in.rewards(), in.groupSize(), in.lossMask(), baseline);
    int n = in.size();
    boolean[][] keep = new boolean[n][];
    double absSum = 0;
    for (int i = 0; i < n; i++) {
      keep[i] = in.lossMask()[i].clone();
      double rowAbs = 0; // a response's whitened advantage is the same on each of its kept tokens
      for (int t = 0; t < keep[i].length; t++) {
        rowAbs = Math.max(rowAbs, Math.abs(adv[i][t]));
      }
      absSum += rowAbs;
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    Grpo.putRewardMetrics(metrics, in.rewards(), in.groupSize());
    metrics.put(Metrics.CREDIT_ADV_ABS_MEAN, n == 0 ? 0 : absSum / n);
    return common.maskTruncated(in, new TokenCredit(adv, keep, keep, metrics));
  }

  @Override
  public LossResult loss(PolicyLossInput input) {
    return common.withEntropyBonus(input, common.objective().compute(input));
  }

  /**
   * Whitened advantages, [N][len_i], 0 outside {@code lossMask}.
   *
   * @param baseline subtract each group's mean reward before whitening
   */
  public static double[][] advantages(
      double[] rewards, int groupSize, boolean[][] lossMask, boolean baseline) {
    int n = rewards.length;
    double[] x = new double[n];
    for (int from = 0; from < n; from += groupSize) {
      int count = 0;
      double sum = 0;
      for (int i = from; i < from + groupSize; i++) {
        if (!Double.isNaN(rewards[i])) {
          count++;
          sum += rewards[i];
        }
      }
      // verl: a group of one has baseline 0
      double mean = baseline && count > 1 ? sum / count : 0.0;
      for (int i = from; i < from + groupSize; i++) {
        x[i] = rewards[i] - mean; // NaN stays NaN
      }
    }
    long tokens = 0;
    double sum = 0;
    for (int i = 0; i < n; i++) {
      int len = count(lossMask[i]);
      if (!Double.isNaN(x[i])) {
        tokens += len;
        sum += len * x[i];
      }
    }
    double[][] adv = new double[n][];
    for (int i = 0; i < n; i++) {
      adv[i] = new double[lossMask[i].length];
    }
    if (tokens < 2) {
      return adv;
    }
    double mu = sum / tokens;
    double ss = 0;
    for (int i = 0; i < n; i++) {
      if (!Double.isNaN(x[i])) {
        ss += count(lossMask[i]) * (x[i] - mu) * (x[i] - mu);
      }
    }
    double scale = 1.0 / Math.sqrt(ss / (tokens - 1) + WHITEN_EPS);
    for (int i = 0; i < n; i++) {
      if (Double.isNaN(x[i])) {
        continue;
      }
      for (int t = 0; t < adv[i].length; t++) {
        adv[i][t] = lossMask[i][t] ? (x[i] - mu) * scale : 0.0;
      }
    }
    return adv;
  }

  private static int count(boolean[] mask) {
    int c = 0;
    for (boolean b : mask) {
      c += b ? 1 : 0;
    }
    return c;
  }
}

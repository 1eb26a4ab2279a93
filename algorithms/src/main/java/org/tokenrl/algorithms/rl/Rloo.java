package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * RLOO, REINFORCE Leave-One-Out (Kool et al. 2019; Ahmadian et al., arXiv 2402.14740;
 * docs/rloo-reinforce-pp.md): each response is compared with the mean reward of the other G − 1
 * responses to its prompt, with no division by a std, trained with the shared {@link
 * ClippedPolicyObjective}.
 *
 * <pre>
 *   A_i = r_i − (1/(G−1)) Σ_{j≠i} r_j  =  G/(G−1) · (r_i − mean_g)
 * </pre>
 *
 * As verl's {@code compute_rloo_outcome_advantage}: a group with a single (finite) reward keeps A =
 * r (no baseline to leave out). NaN rewards are left out of the group (G counts the finite ones)
 * and get A = 0. A_i is broadcast to the response's loss-mask tokens; other tokens get 0.
 */
public final class Rloo implements RlAlgorithm {

  /** RLOO has no keys of its own; the common ones are in configs/algorithm/rloo.conf. */
  static final Config DEFAULTS = ConfigFactory.empty();

  public static Rloo create(Config block) {
    Config c =
        Algorithms.SETTINGS.resolve(
            block, DEFAULTS.withFallback(RlOptions.DEFAULTS), Algorithms.NAME_KEYS, "rloo");
    return new Rloo(RlOptions.from(c), StrictSettings.with(c, "name", "rloo"));
  }

  private final RlOptions common;
  private final Config settings;

  private Rloo(RlOptions common, Config settings) {
    this.common = common;
    this.settings = settings;
  }

  @Override
  public String name() {
    return "rloo";
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
    double[] adv = advantages(in.rewards(), in.groupSize());
    int n = in.size();
    double[][] tokenAdv = new double[n][];
    boolean[][] keep = new boolean[n][];
    double absSum = 0;
    for (int i = 0; i < n; i++) {
      keep[i] = in.lossMask()[i].clone();
      tokenAdv[i] = new double[keep[i].length];
      for (int t = 0; t < keep[i].length; t++) {
        tokenAdv[i][t] = keep[i][t] ? adv[i] : 0.0;
      }
      absSum += Math.abs(adv[i]);
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    Grpo.putRewardMetrics(metrics, in.rewards(), in.groupSize());
    metrics.put(Metrics.CREDIT_ADV_ABS_MEAN, n == 0 ? 0 : absSum / n);
    return common.maskTruncated(in, new TokenCredit(tokenAdv, keep, keep, metrics));
  }

  @Override
  public LossResult loss(PolicyLossInput input) {
    return common.withEntropyBonus(input, common.objective().compute(input));
  }

  /** One leave-one-out advantage per response, rows group-major. */
  public static double[] advantages(double[] rewards, int groupSize) {
    double[] adv = new double[rewards.length];
    for (int from = 0; from < rewards.length; from += groupSize) {
      int count = 0;
      double sum = 0;
      for (int i = from; i < from + groupSize; i++) {
        if (!Double.isNaN(rewards[i])) {
          count++;
          sum += rewards[i];
        }
      }
      for (int i = from; i < from + groupSize; i++) {
        if (Double.isNaN(rewards[i])) {
          continue;
        }
        adv[i] = count > 1 ? rewards[i] - (sum - rewards[i]) / (count - 1) : rewards[i];
      }
    }
    return adv;
  }
}

package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * GRPO (DeepSeekMath, arXiv 2402.03300; docs/grpo.md): group-relative advantages broadcast to every
 * loss token of a response, trained with the shared {@link ClippedPolicyObjective}.
 *
 * <pre>
 *   group: A_i = (r_i − mean_g) / (std_g + ε_adv)      none: A_i = r_i − mean_g
 *   batch: A_i = (r_i − mean_g) / (std_batch + ε_adv)  (std unbiased, over finite rewards)
 * </pre>
 *
 * A group of one, a group whose finite rewards are all equal, and every NaN-reward response get A =
 * 0 (TRL). NaN rewards are left out of the statistics. Tokens outside the batch's loss mask get A =
 * 0 and no loss. r_i is the response's total reward; per-token rewards enter only through it (it is
 * their sum, docs/token-rewards.md).
 *
 * <p>Reading GRPO end to end: this file holds its keys ({@link #DEFAULTS}), options, credit rule
 * and how it calls its loss; {@link ClippedPolicyObjective} the loss shared by every RL algorithm
 * (with its keys, KL estimators and loss aggregations); {@link RlAlgorithm} how the trainer calls
 * it.
 */
public final class Grpo implements RlAlgorithm {

  /** How the centred rewards are scaled. */
  public enum ScaleRewards {
    GROUP,
    BATCH,
    NONE
  }

  /**
   * @param scale scale_rewards
   * @param epsAdv ε_adv added to the std (TRL 1e-4, verl 1e-6)
   */
  public record Options(ScaleRewards scale, double epsAdv) {
    public Options {
      if (!(epsAdv >= 0)) {
        throw new IllegalArgumentException("algorithm.eps_adv must be >= 0, got " + epsAdv);
      }
    }

    static Options from(Config c) {
      return new Options(
          Algorithms.SETTINGS.choice(c, "scale_rewards", ScaleRewards.class),
          Algorithms.SETTINGS.number(c, "eps_adv"));
    }
  }

  /**
   * GRPO's keys and their defaults (TRL HEAD, docs/grpo.md §5); documented in
   * configs/algorithm/grpo.conf.
   */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          scale_rewards = group
          eps_adv = 1e-4
          """);

  public static Grpo create(Config block) {
    Config c =
        Algorithms.SETTINGS.resolve(
            block, DEFAULTS.withFallback(RlOptions.DEFAULTS), Algorithms.NAME_KEYS, "grpo");
    return new Grpo(Options.from(c), RlOptions.from(c), StrictSettings.with(c, "name", "grpo"));
  }

  private final Options options;
  private final RlOptions common;
  private final Config settings;

  private Grpo(Options options, RlOptions common, Config settings) {
    this.options = options;
    this.common = common;
    this.settings = settings;
  }

  /** GRPO with these options and every common key at its default (settings hold only the name). */
  public Grpo(Options options) {
    this(options, RlOptions.defaults(), StrictSettings.with(ConfigFactory.empty(), "name", "grpo"));
  }

  @Override
  public String name() {
    return "grpo";
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

  public ClippedPolicyObjective objective() {
    return common.objective();
  }

  @Override
  public TokenCredit credit(RlBatch in) {
    double[] adv = advantages(in.rewards(), in.groupSize(), options);
    int n = in.size();
    double[][] tokenAdv = new double[n][];
    boolean[][] keep = new boolean[n][];
    for (int i = 0; i < n; i++) {
      keep[i] = in.lossMask()[i].clone();
      tokenAdv[i] = new double[keep[i].length];
      for (int t = 0; t < keep[i].length; t++) {
        tokenAdv[i][t] = keep[i][t] ? adv[i] : 0.0;
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    putRewardMetrics(metrics, in.rewards(), in.groupSize());
    double absSum = 0;
    for (double a : adv) {
      absSum += Math.abs(a);
    }
    metrics.put(Metrics.CREDIT_ADV_ABS_MEAN, n == 0 ? 0 : absSum / n);
    return common.maskTruncated(in, new TokenCredit(tokenAdv, keep, keep, metrics));
  }

  @Override
  public LossResult loss(PolicyLossInput input) {
    return common.withEntropyBonus(input, common.objective().compute(input));
  }

  /** One advantage per response, rows group-major. */
  public static double[] advantages(double[] rewards, int groupSize, Options options) {
    int n = rewards.length;
    double[] adv = new double[n];
    double batchStd = GroupStats.of(rewards, 0, n).std();
    for (int g = 0; g < n / groupSize; g++) {
      int from = g * groupSize;
      GroupStats s = GroupStats.of(rewards, from, groupSize);
      if (s.constant()) {
        continue; // A = 0/(0+ε) = 0: skip the rounding noise of r − mean
      }
      double scale =
          switch (options.scale()) {
            case GROUP -> 1.0 / (s.std() + options.epsAdv());
            case BATCH -> 1.0 / (batchStd + options.epsAdv());
            case NONE -> 1.0;
          };
      for (int i = from; i < from + groupSize; i++) {
        adv[i] = Double.isNaN(rewards[i]) ? 0.0 : (rewards[i] - s.mean()) * scale;
      }
    }
    return adv;
  }

  /**
   * {@code credit/*} reward diagnostics shared by the group-relative estimators. (The fraction of
   * zero-std groups is the trainer's {@code completions/zero_std_group_frac}, over every sampled
   * group: over the credit batch it is 0 by construction under refill.)
   */
  static void putRewardMetrics(Map<String, Double> metrics, double[] rewards, int groupSize) {
    int nan = 0;
    for (double r : rewards) {
      nan += Double.isNaN(r) ? 1 : 0;
    }
    metrics.put(
        Metrics.CREDIT_NAN_REWARD_FRAC, rewards.length == 0 ? 0 : nan / (double) rewards.length);
  }

  /**
   * Mean and unbiased std of the finite rewards of one group (NaN rewards are unscorable and left
   * out, as TRL does).
   *
   * @param mean mean of the finite rewards (0 when there are none)
   * @param std unbiased (n−1) standard deviation; 0 when fewer than two finite rewards
   * @param count number of finite rewards
   * @param constant fewer than two finite rewards, or all of them equal: such a group carries no
   *     relative signal and every advantage in it is exactly 0
   */
  record GroupStats(double mean, double std, int count, boolean constant) {

    static GroupStats of(double[] r, int from, int length) {
      int count = 0;
      double sum = 0;
      double first = Double.NaN;
      boolean allEqual = true;
      for (int i = from; i < from + length; i++) {
        if (Double.isNaN(r[i])) {
          continue;
        }
        if (count == 0) {
          first = r[i];
        } else if (r[i] != first) {
          allEqual = false;
        }
        count++;
        sum += r[i];
      }
      if (count == 0) {
        return new GroupStats(0, 0, 0, true);
      }
      double mean = sum / count;
      double ss = 0;
      for (int i = from; i < from + length; i++) {
        if (!Double.isNaN(r[i])) {
          ss += (r[i] - mean) * (r[i] - mean);
        }
      }
      double std = count > 1 ? Math.sqrt(ss / (count - 1)) : 0.0;
      return new GroupStats(mean, std, count, count < 2 || allEqual);
    }
  }
}

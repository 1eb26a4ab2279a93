package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * GSPO, Group Sequence Policy Optimization (Zheng et al., arXiv 2507.18071; docs/gspo.md): GRPO's
 * group advantages with one importance ratio per response instead of one per token.
 *
 * <pre>
 *   s_i  = exp( (1/|y_i|) Σ_t M_it (logpNew_it − logpOld_it) )     |y_i| = Σ_t M_it   (eq. 7)
 *   pg_i = max(−A_i·s_i, −A_i·clip(s_i, 1−ε_low, 1+ε_high))        (dual clip as in GRPO)
 *   ℓ_it = pg_i + β·KL_it        aggregated by loss_agg (default seq-mean-token-mean:
 *                                 loss = (1/N') Σ_i pg_i + β·KL, the paper's eq. 5)
 * </pre>
 *
 * ds_i/dlogpNew_it = s_i/|y_i|, so every kept token of a response shares its gradient.
 *
 * <p>{@code variant = token} is GSPO-token (eq. 13–14): s_it = sg[s_i]·π(y_t)/sg[π(y_t)], equal to
 * s_i in value, with ds_it/dlogpNew_it = s_i, so each token is clipped and weighted with its own
 * advantage A_it. With GRPO's broadcast advantages the two variants give the same loss and gradient
 * (the paper's remark after eq. 14); they differ only when A_it varies inside a response. The
 * sequence variant then uses the mean kept-token advantage as A_i.
 *
 * <p>Tokens outside the loss mask enter neither s_i nor |y_i| and get no gradient. The mean
 * log-ratio is clamped to ±20 before exp (as the token objective); beyond the clamp the gradient is
 * 0.
 */
public final class Gspo implements RlAlgorithm {

  /** Where the importance ratio's gradient goes. */
  public enum Variant {
    /** GSPO: one ratio and one advantage per response. */
    SEQUENCE,
    /** GSPO-token: the sequence ratio's value with a per-token gradient and advantage. */
    TOKEN
  }

  /**
   * @param variant sequence or token
   * @param advantages GRPO's advantage options (scale_rewards, eps_adv)
   */
  public record Options(Variant variant, Grpo.Options advantages) {
    static Options from(Config c) {
      return new Options(
          Algorithms.SETTINGS.choice(c, "variant", Variant.class), Grpo.Options.from(c));
    }
  }

  /**
   * GSPO's keys: the paper's clip range (§5.1: "left and right clipping ranges ... 3e-4 and 4e-4")
   * and its sequence-mean loss; GRPO's advantages. Documented in configs/algorithm/gspo.conf.
   */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          variant = sequence
          clip_eps_low = 3e-4
          clip_eps_high = 4e-4
          loss_agg = seq-mean-token-mean
          """);

  private static final double LOG_RATIO_BOUND = 20.0;

  public static Gspo create(Config block) {
    Config c =
        Algorithms.SETTINGS.resolve(
            block,
            DEFAULTS.withFallback(Grpo.DEFAULTS).withFallback(RlOptions.DEFAULTS),
            Algorithms.NAME_KEYS,
            "gspo");
    return new Gspo(Options.from(c), RlOptions.from(c), StrictSettings.with(c, "name", "gspo"));
  }

  private final Options options;
  private final RlOptions common;
  private final Config settings;

  private Gspo(Options options, RlOptions common, Config settings) {
    this.options = options;
    this.common = common;
    this.settings = settings;
  }

  @Override
  public String name() {
    return "gspo";
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

  public Variant variant() {
    return options.variant();
  }

  /** GRPO's credit: one group advantage per response on its loss-mask tokens. */
  @Override
  public TokenCredit credit(RlBatch in) {
    double[] adv = Grpo.advantages(in.rewards(), in.groupSize(), options.advantages());
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
  public LossResult loss(PolicyLossInput in) {
    ClippedPolicyObjective.Options o = common.objective().options();
    if (needsReference() && in.logpRef() == null) {
      throw new IllegalArgumentException(
          "kl_beta = " + o.klBeta() + " needs reference log-probs (logpRef), got null");
    }
    int n = in.logpNew().length;
    boolean[][] mask = in.mask();
    double[] w =
        o.lossAgg().rowWeights(in.normaliserMask(), in.maxCompletionLength(), o.seqMeanRows());
    double lo = 1 - o.clipEpsLow();
    double hi = 1 + o.clipEpsHigh();
    double[][] grad = new double[n][];
    double pgLoss = 0;
    double klLoss = 0;
    long tokens = 0;
    long low = 0;
    long high = 0;
    long dual = 0;
    double ratioSum = 0;
    double approxKlSum = 0;
    for (int i = 0; i < n; i++) {
      double[] lpNew = in.logpNew()[i];
      double[] lpOld = in.logpOld()[i];
      double[] adv = in.advantages()[i];
      grad[i] = new double[lpNew.length];
      int count = 0;
      double logRatioSum = 0;
      double advSum = 0;
      for (int t = 0; t < lpNew.length; t++) {
        if (mask[i][t]) {
          count++;
          logRatioSum += lpNew[t] - lpOld[t];
          advSum += adv[t];
        }
      }
      if (count == 0) {
        continue;
      }
      double meanLogRatio = logRatioSum / count;
      boolean clamped = Math.abs(meanLogRatio) > LOG_RATIO_BOUND;
      double s = Math.exp(Math.max(-LOG_RATIO_BOUND, Math.min(LOG_RATIO_BOUND, meanLogRatio)));
      double dS = clamped ? 0.0 : s; // d s / d(mean log-ratio)
      SeqTerm seq = clip(s, advSum / count, lo, hi, o.dualClipC());
      for (int t = 0; t < lpNew.length; t++) {
        if (!mask[i][t]) {
          continue;
        }
        SeqTerm term =
            options.variant() == Variant.TOKEN ? clip(s, adv[t], lo, hi, o.dualClipC()) : seq;
        pgLoss += w[i] * term.pg();
        // sequence: d pg_i/d s_i · s_i/|y_i| on each of |y_i| tokens, summed by the row weight
        // once per token → w_i·|y_i|·(…)/|y_i| = w_i·dpg/ds·s_i. token: ds_it/dlogp_t = s_i.
        grad[i][t] = w[i] * term.dPgDs() * dS;
        if (in.logpRef() != null) {
          double kl = o.klEstimator().value(lpNew[t], in.logpRef()[i][t]);
          klLoss += w[i] * kl;
          if (o.klBeta() > 0) {
            grad[i][t] +=
                w[i] * o.klBeta() * o.klEstimator().derivative(lpNew[t], in.logpRef()[i][t]);
          }
        }
        tokens++;
        low += term.clippedLow() ? 1 : 0;
        high += term.clippedHigh() ? 1 : 0;
        dual += term.dualClipped() ? 1 : 0;
        ratioSum += s;
        approxKlSum += lpOld[t] - lpNew[t];
      }
    }
    double loss = pgLoss + (o.klBeta() > 0 ? o.klBeta() * klLoss : 0.0);
    Map<String, Double> metrics =
        ClippedPolicyObjective.clipMetrics(
            pgLoss,
            in.logpRef() != null ? klLoss : null,
            low,
            high,
            o.dualClipC() > 0 ? dual : -1,
            ratioSum,
            approxKlSum,
            tokens);
    return common.withEntropyBonus(in, new LossResult(loss, grad, metrics));
  }

  /**
   * The clipped term of one ratio s with advantage a.
   *
   * @param pg max(−a·s, −a·clip(s)), capped at −a·c by the dual clip
   * @param dPgDs d pg / d s (0 where a clip is the active branch)
   */
  private record SeqTerm(
      double pg, double dPgDs, boolean clippedLow, boolean clippedHigh, boolean dualClipped) {}

  private static SeqTerm clip(double s, double a, double lo, double hi, double dualClipC) {
    double unclipped = -a * s;
    double clipped = -a * Math.max(lo, Math.min(hi, s));
    double pg = Math.max(unclipped, clipped);
    boolean inside = s >= lo && s <= hi;
    double d = (inside || unclipped > clipped) ? -a : 0.0;
    boolean dual = false;
    if (dualClipC > 0 && a < 0 && -a * dualClipC < pg) {
      pg = -a * dualClipC;
      d = 0.0;
      dual = true;
    }
    return new SeqTerm(pg, d, s < lo && a < 0, s > hi && a > 0, dual);
  }
}

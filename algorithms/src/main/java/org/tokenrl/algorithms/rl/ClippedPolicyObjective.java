package org.tokenrl.algorithms.rl;

import com.typesafe.config.Config;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossAggregation.SeqMeanRows;
import org.tokenrl.core.Metrics;

/**
 * The PPO-style clipped surrogate with optional dual clip and KL penalty shared by GRPO, TEMPO and
 * D3S (docs/grpo.md §2–§4), computed on plain arrays with its exact gradient in logpNew.
 *
 * <p>Per token, with ρ = exp(clamp(logpNew − logpOld, ±20)):
 *
 * <pre>
 *   pg = max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high))
 *   if dual_clip_c > 0 and A < 0: pg = min(pg, −A·c)
 *   ℓ  = pg + β·KL(logpNew, logpRef)
 * </pre>
 *
 * and the per-token losses are aggregated by {@link LossAggregation}.
 */
public final class ClippedPolicyObjective {

  /**
   * Hyperparameters of the objective.
   *
   * @param clipEpsLow ε_low: ratios below 1−ε_low are clipped when A < 0
   * @param clipEpsHigh ε_high: ratios above 1+ε_high are clipped when A > 0 (DAPO: 0.28)
   * @param dualClipC verl's clip_ratio_c for A < 0; 0 turns dual clipping off, otherwise > 1
   * @param klBeta β of the per-token KL penalty; 0 means no reference model is needed
   * @param klEstimator which KL estimator the penalty uses
   * @param lossAgg how per-token losses are aggregated
   * @param seqMeanRows N' of the per-sequence aggregation modes
   */
  public record Options(
      double clipEpsLow,
      double clipEpsHigh,
      double dualClipC,
      double klBeta,
      KlEstimator klEstimator,
      LossAggregation lossAgg,
      SeqMeanRows seqMeanRows) {

    public Options {
      if (!(clipEpsLow >= 0 && clipEpsLow < 1)) {
        throw new IllegalArgumentException(
            "algorithm.clip_eps_low must be in [0,1), got " + clipEpsLow);
      }
      if (!(clipEpsHigh >= 0)) {
        throw new IllegalArgumentException(
            "algorithm.clip_eps_high must be >= 0, got " + clipEpsHigh);
      }
      if (!(dualClipC == 0 || dualClipC > 1)) {
        throw new IllegalArgumentException(
            "algorithm.dual_clip_c must be 0 (off) or > 1 (verl uses 3.0), got " + dualClipC);
      }
      if (!(klBeta >= 0)) {
        throw new IllegalArgumentException("algorithm.kl_beta must be >= 0, got " + klBeta);
      }
    }

    /** Reads the objective keys of a resolved {@code algorithm} block. */
    public static Options from(Config c) {
      return new Options(
          Algorithms.SETTINGS.number(c, "clip_eps_low"),
          Algorithms.SETTINGS.number(c, "clip_eps_high"),
          Algorithms.SETTINGS.number(c, "dual_clip_c"),
          Algorithms.SETTINGS.number(c, "kl_beta"),
          Algorithms.SETTINGS.choice(c, "kl_estimator", KlEstimator.class),
          Algorithms.SETTINGS.choice(c, "loss_agg", LossAggregation.class),
          Algorithms.SETTINGS.choice(c, "seq_mean_rows", SeqMeanRows.class));
    }
  }

  /**
   * One token's contribution before aggregation.
   *
   * @param loss ℓ = pg + β·KL
   * @param grad dℓ/dlogpNew
   * @param pg the policy-gradient term
   * @param kl the KL estimate (NaN without a reference)
   * @param ratio ρ
   * @param clippedLow ρ < 1−ε_low and A < 0
   * @param clippedHigh ρ > 1+ε_high and A > 0
   * @param dualClipped the dual clip −A·c was the active branch
   */
  public record TokenTerm(
      double loss,
      double grad,
      double pg,
      double kl,
      double ratio,
      boolean clippedLow,
      boolean clippedHigh,
      boolean dualClipped) {}

  private static final double LOG_RATIO_BOUND = 20.0;

  private final Options options;

  public ClippedPolicyObjective(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /** Whether {@link PolicyLossInput#logpRef()} must be supplied. */
  public boolean needsReference() {
    return options.klBeta() > 0;
  }

  /**
   * Loss, dLoss/dlogpNew and {@code actor/*} metrics of one batch. The metrics {@code
   * actor/pg_loss} and {@code actor/kl} use the loss aggregation, so loss = pg_loss + β·kl.
   */
  public LossResult compute(PolicyLossInput in) {
    if (needsReference() && in.logpRef() == null) {
      throw new IllegalArgumentException(
          "kl_beta = " + options.klBeta() + " needs reference log-probs (logpRef), got null");
    }
    int n = in.logpNew().length;
    boolean[][] mask = in.mask();
    double[] w =
        options
            .lossAgg()
            .rowWeights(in.normaliserMask(), in.maxCompletionLength(), options.seqMeanRows());
    double[][] grad = new double[n][];
    double loss = 0;
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
      grad[i] = new double[lpNew.length];
      for (int t = 0; t < lpNew.length; t++) {
        if (!mask[i][t]) {
          continue; // padding-like positions may hold garbage: never read them
        }
        double lpRef = in.logpRef() == null ? Double.NaN : in.logpRef()[i][t];
        TokenTerm term = term(lpNew[t], in.logpOld()[i][t], lpRef, in.advantages()[i][t]);
        loss += w[i] * term.loss();
        pgLoss += w[i] * term.pg();
        klLoss += w[i] * term.kl();
        grad[i][t] = w[i] * term.grad();
        tokens++;
        low += term.clippedLow() ? 1 : 0;
        high += term.clippedHigh() ? 1 : 0;
        dual += term.dualClipped() ? 1 : 0;
        ratioSum += term.ratio();
        approxKlSum += in.logpOld()[i][t] - lpNew[t];
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put(Metrics.ACTOR_LOSS, loss);
    metrics.putAll(
        clipMetrics(
            pgLoss,
            in.logpRef() != null ? klLoss : null,
            low,
            high,
            options.dualClipC() > 0 ? dual : -1,
            ratioSum,
            approxKlSum,
            tokens));
    return new LossResult(loss, grad, metrics);
  }

  /**
   * The {@code actor/*} diagnostics of a clipped objective (this one, GSPO's sequence ratio): the
   * policy-gradient loss, the KL term when there is a reference ({@code kl} null otherwise), the
   * fractions of loss tokens clipped low, high and by the dual clip ({@code dual} &lt; 0 when off),
   * the mean ratio and the approximate KL.
   */
  static Map<String, Double> clipMetrics(
      double pgLoss,
      Double kl,
      long low,
      long high,
      long dual,
      double ratioSum,
      double approxKlSum,
      long tokens) {
    double perToken = 1.0 / Math.max(1, tokens);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put(Metrics.ACTOR_PG_LOSS, pgLoss);
    if (kl != null) {
      metrics.put(Metrics.ACTOR_KL, kl);
    }
    metrics.put(Metrics.ACTOR_CLIP_FRAC_LOW, low * perToken);
    metrics.put(Metrics.ACTOR_CLIP_FRAC_HIGH, high * perToken);
    metrics.put(Metrics.ACTOR_CLIP_FRAC, (low + high) * perToken);
    if (dual >= 0) {
      metrics.put(Metrics.ACTOR_DUAL_CLIP_FRAC, dual * perToken);
    }
    metrics.put(Metrics.ACTOR_RATIO_MEAN, ratioSum * perToken);
    metrics.put(Metrics.ACTOR_PPO_KL, approxKlSum * perToken);
    metrics.put(Metrics.ACTOR_LOSS_TOKENS, (double) tokens);
    return metrics;
  }

  /**
   * Loss and gradient of one token (docs/grpo.md §2–§3).
   *
   * @param logpRef NaN when there is no reference policy (then KL is NaN and not added)
   */
  public TokenTerm term(double logpNew, double logpOld, double logpRef, double adv) {
    double logRatio = logpNew - logpOld;
    // verl clamps the log-ratio before exp; beyond the clamp ρ no longer depends on logpNew
    boolean ratioClamped = Math.abs(logRatio) > LOG_RATIO_BOUND;
    double ratio = Math.exp(Math.max(-LOG_RATIO_BOUND, Math.min(LOG_RATIO_BOUND, logRatio)));
    double dRatio = ratioClamped ? 0.0 : ratio;
    double lo = 1 - options.clipEpsLow();
    double hi = 1 + options.clipEpsHigh();
    double clipped = Math.max(lo, Math.min(hi, ratio));
    double pgUnclipped = -adv * ratio;
    double pgClipped = -adv * clipped;
    double pg = Math.max(pgUnclipped, pgClipped);
    // Inside [lo, hi] both branches equal −A·ρ and both carry its gradient; outside, only the
    // unclipped branch depends on logpNew, so the gradient flows iff it is the maximum.
    boolean inside = ratio >= lo && ratio <= hi;
    double grad = (inside || pgUnclipped > pgClipped) ? -adv * dRatio : 0.0;
    boolean dualClipped = false;
    if (options.dualClipC() > 0 && adv < 0) {
      double pgDual = -adv * options.dualClipC();
      if (pgDual < pg) {
        pg = pgDual;
        grad = 0.0;
        dualClipped = true;
      }
    }
    double kl = Double.NaN;
    double loss = pg;
    if (!Double.isNaN(logpRef)) {
      kl = options.klEstimator().value(logpNew, logpRef);
      if (options.klBeta() > 0) {
        loss += options.klBeta() * kl;
        grad += options.klBeta() * options.klEstimator().derivative(logpNew, logpRef);
      }
    }
    return new TokenTerm(
        loss, grad, pg, kl, ratio, ratio < lo && adv < 0, ratio > hi && adv > 0, dualClipped);
  }

  /**
   * Per-token estimators of KL(π_θ || π_ref) from one sample, with x = logpNew − logpRef
   * (docs/grpo.md §3, Schulman's k1/k2/k3). Each returns its value and its derivative in logpNew.
   */
  public enum KlEstimator {
    /** x; unbiased, can be negative (verl "kl"). */
    K1,
    /** x²/2 (verl "mse"). */
    K2,
    /**
     * exp(−x) + x − 1 ≥ 0, DeepSeekMath/TRL. verl clamps −x to [−20, 20] and the value to [−10,
     * 10]; the gradient is 0 wherever a clamp is active.
     */
    K3;

    /** KL value for one token. */
    public double value(double logpNew, double logpRef) {
      double x = logpNew - logpRef;
      return switch (this) {
        case K1 -> x;
        case K2 -> 0.5 * x * x;
        case K3 -> {
          double d = clamp(-x, 20);
          yield clamp(Math.exp(d) - d - 1, 10);
        }
      };
    }

    /** d value / d logpNew for one token. */
    public double derivative(double logpNew, double logpRef) {
      double x = logpNew - logpRef;
      return switch (this) {
        case K1 -> 1.0;
        case K2 -> x;
        case K3 -> {
          double d = -x;
          if (Math.abs(d) > 20) {
            yield 0.0;
          }
          double v = Math.exp(d) - d - 1;
          yield Math.abs(v) > 10 ? 0.0 : 1 - Math.exp(d);
        }
      };
    }

    private static double clamp(double v, double bound) {
      return Math.max(-bound, Math.min(bound, v));
    }
  }

  /**
   * How per-token losses become one scalar (docs/grpo.md §4). M is the loss mask, D the normaliser
   * mask (equal to M except under D3S {@code loss_denominator = full}), N the number of rows, N'
   * the row count of the per-sequence modes, L = max_completion_length.
   */
  public enum LossAggregation {
    /** Σ M·ℓ / Σ D: DAPO; TRL "dapo"/"bnpo", verl default. */
    TOKEN_MEAN,
    /** (1/N') Σ_i Σ_t M·ℓ / max(1, Σ_t D): DeepSeekMath eq. 3, TRL "grpo". */
    SEQ_MEAN_TOKEN_MEAN,
    /** Σ M·ℓ / (N·L): TRL "dr_grpo". */
    DR_GRPO,
    /** (1/N') Σ_i Σ_t M·ℓ: verl. */
    SEQ_MEAN_TOKEN_SUM,
    /** Σ M·ℓ / L, no division by N: verl. */
    SEQ_MEAN_TOKEN_SUM_NORM;

    /** Which rows N' counts in the per-sequence modes. */
    public enum SeqMeanRows {
      /** N' = N; an empty row adds 0 and still counts (TRL). */
      ALL,
      /** N' = rows with at least one normaliser token (verl). */
      NONEMPTY
    }

    /**
     * Weight w_i with loss = Σ_i Σ_t w_i · M_it · ℓ_it, one per row.
     *
     * @param denominator normaliser mask D, [N][len_i]
     */
    double[] rowWeights(boolean[][] denominator, int maxCompletionLength, SeqMeanRows rows) {
      int n = denominator.length;
      int[] count = new int[n];
      long total = 0;
      int nonEmpty = 0;
      for (int i = 0; i < n; i++) {
        for (boolean b : denominator[i]) {
          count[i] += b ? 1 : 0;
        }
        total += count[i];
        nonEmpty += count[i] > 0 ? 1 : 0;
      }
      double seqRows = Math.max(1, rows == SeqMeanRows.ALL ? n : nonEmpty);
      double[] w = new double[n];
      for (int i = 0; i < n; i++) {
        w[i] =
            switch (this) {
              case TOKEN_MEAN -> 1.0 / Math.max(1, total);
              case SEQ_MEAN_TOKEN_MEAN -> 1.0 / (seqRows * Math.max(1, count[i]));
              case DR_GRPO -> 1.0 / ((double) Math.max(1, n) * maxCompletionLength);
              case SEQ_MEAN_TOKEN_SUM -> 1.0 / seqRows;
              case SEQ_MEAN_TOKEN_SUM_NORM -> 1.0 / maxCompletionLength;
            };
      }
      return w;
    }
  }
}

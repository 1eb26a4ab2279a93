package org.tokenrl.algorithms.preference;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * cDPO, "Critical Tokens Matter" (Lin et al., ICML 2025, arXiv 2411.19943; docs/preference.md §4):
 * DPO whose rejected reward weighs each token by w_t = 1 − s_t from {@link ContrastiveEstimation},
 * so the update concentrates on the tokens that made the answer wrong.
 *
 * <pre>
 *   paper (default):  z = γ·(Σ_t wc_t·Δc_t − Σ_t w_t·Δr_t),  ℓ = −log σ(z),  mean over pairs
 *   per-position:     the official code's per-token sigmoid: on the padded, label-shifted grid of
 *                     each pair (prompt positions first), ℓ_g = −log σ(γ·(wc_g·Δc_g − w_g·Δr_g)),
 *                     mean over ALL B·G grid positions (prompt and padding add log 2 each)
 * </pre>
 *
 * Δ = logπθ − logπref per token; wc = 1 unless tokenWeightChosen is given (paper and code: none).
 * The per-position grid puts response token j at position promptLength − 1 + j, and G is the batch
 * maximum of promptLength − 1 + response length over both sides (TRL 0.9.6 padding).
 */
public final class Cdpo implements PairObjective {

  /** Paper's sequence-level form or the released code's per-position form. */
  public enum Form {
    PAPER,
    PER_POSITION
  }

  /**
   * @param gamma γ, DPO's β (paper 1.0, official code 0.1)
   * @param form which loss shape
   */
  public record Options(double gamma, Form form) {
    public Options {
      if (!(gamma > 0) || Double.isInfinite(gamma)) {
        throw new IllegalArgumentException("algorithm.beta (gamma) must be > 0, got " + gamma);
      }
    }
  }

  /**
   * cDPO's keys: the loss (beta, form), the contrastive estimation (lambda, eos_weight) and the
   * pipeline the trainer runs before it; documented in configs/algorithm/cdpo.conf.
   */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
          """
          beta = 1.0
          lambda = 1.0
          form = paper
          eos_weight = 1.0
          contrastive_sft_steps = 100
          contrastive_learning_rate = 3e-4
          contrastive_batch_size = 32
          negative_coverage = 0.5
          """);

  public static PreferenceAlgorithm create(Config block) {
    Config c = Algorithms.SETTINGS.resolve(block, DEFAULTS, Algorithms.NAME_KEYS, "cdpo");
    Options o =
        new Options(
            Algorithms.SETTINGS.number(c, "beta"),
            Algorithms.SETTINGS.choice(c, "form", Form.class));
    double lambda = Algorithms.SETTINGS.number(c, "lambda");
    if (!(lambda >= 0)) {
      throw new IllegalArgumentException("algorithm.lambda must be >= 0, got " + lambda);
    }
    double eos = Algorithms.SETTINGS.number(c, "eos_weight");
    if (!(eos >= 0 && eos <= 1)) {
      throw new IllegalArgumentException("algorithm.eos_weight must be in [0,1], got " + eos);
    }
    Algorithms.SETTINGS.fraction(c, "negative_coverage");
    if (c.getInt("contrastive_sft_steps") < 1 || c.getInt("contrastive_batch_size") < 1) {
      throw new IllegalArgumentException(
          "algorithm.contrastive_sft_steps and contrastive_batch_size must be >= 1");
    }
    if (!(Algorithms.SETTINGS.number(c, "contrastive_learning_rate") > 0)) {
      throw new IllegalArgumentException("algorithm.contrastive_learning_rate must be > 0");
    }
    return new PreferenceAlgorithm(
        "cdpo",
        new Cdpo(o),
        false,
        true,
        o.form() == Form.PER_POSITION,
        StrictSettings.with(c, "name", "cdpo"));
  }

  private final Options options;

  public Cdpo(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  @Override
  public PairLossResult compute(PairLossInput in) {
    double[][] wr = PairLossInput.require(in.tokenWeightRejected(), "tokenWeightRejected", "cdpo");
    double[][] wc = in.tokenWeightChosen();
    int b = in.size();
    double gamma = options.gamma();
    double[][] gradC = Dpo.zerosLike(in.policyChosen());
    double[][] gradR = Dpo.zerosLike(in.policyRejected());
    double[] weightedChosen = new double[b];
    double[] weightedRejected = new double[b];
    for (int p = 0; p < b; p++) {
      for (int t = 0; t < in.policyChosen()[p].length; t++) {
        weightedChosen[p] += weight(wc, p, t) * delta(in.policyChosen(), in.refChosen(), p, t);
      }
      for (int t = 0; t < in.policyRejected()[p].length; t++) {
        weightedRejected[p] += wr[p][t] * delta(in.policyRejected(), in.refRejected(), p, t);
      }
    }
    double loss =
        options.form() == Form.PAPER
            ? paper(weightedChosen, weightedRejected, wc, wr, gradC, gradR)
            : perPosition(in, wc, wr, gradC, gradR);

    Map<String, Double> metrics = new LinkedHashMap<>();
    Dpo.putRewardMetrics(
        metrics,
        gamma,
        Dpo.logRatioSums(in.policyChosen(), in.refChosen()),
        Dpo.logRatioSums(in.policyRejected(), in.refRejected()));
    double wSum = 0;
    long wCount = 0;
    double weightedMargin = 0;
    for (int p = 0; p < b; p++) {
      for (double w : wr[p]) {
        wSum += w;
        wCount++;
      }
      weightedMargin += gamma * (weightedChosen[p] - weightedRejected[p]) / b;
    }
    metrics.put(Metrics.CDPO_WEIGHT_MEAN, wCount == 0 ? 0 : wSum / wCount);
    metrics.put(Metrics.CDPO_WEIGHTED_MARGIN, weightedMargin);
    return new PairLossResult(loss, gradC, gradR, metrics);
  }

  private double paper(
      double[] sc, double[] sr, double[][] wc, double[][] wr, double[][] gradC, double[][] gradR) {
    int b = sc.length;
    double gamma = options.gamma();
    double loss = 0;
    for (int p = 0; p < b; p++) {
      double z = gamma * (sc[p] - sr[p]);
      loss += Sigmoids.softplus(-z) / b;
      double g = gamma * Sigmoids.sigmoid(-z) / b; // −dℓ/dz · γ / B
      for (int t = 0; t < gradC[p].length; t++) {
        gradC[p][t] = -g * weight(wc, p, t);
      }
      for (int t = 0; t < gradR[p].length; t++) {
        gradR[p][t] = g * wr[p][t];
      }
    }
    return loss;
  }

  private double perPosition(
      PairLossInput in, double[][] wc, double[][] wr, double[][] gradC, double[][] gradR) {
    int[] prompt =
        PairLossInput.require(in.promptLengths(), "promptLengths", "cdpo form = per-position");
    int b = in.size();
    int grid = 0;
    for (int p = 0; p < b; p++) {
      int offset = prompt[p] - 1; // shifted positions that predict prompt tokens
      grid = Math.max(grid, offset + Math.max(gradC[p].length, gradR[p].length));
    }
    double gamma = options.gamma();
    double cells = (double) b * grid;
    double loss = 0;
    for (int p = 0; p < b; p++) {
      int offset = prompt[p] - 1;
      for (int g = 0; g < grid; g++) {
        int t = g - offset; // response token index at this grid position
        boolean hasC = t >= 0 && t < gradC[p].length;
        boolean hasR = t >= 0 && t < gradR[p].length;
        double c = hasC ? weight(wc, p, t) * delta(in.policyChosen(), in.refChosen(), p, t) : 0;
        double r = hasR ? wr[p][t] * delta(in.policyRejected(), in.refRejected(), p, t) : 0;
        double z = gamma * (c - r);
        loss += Sigmoids.softplus(-z) / cells;
        double slope = gamma * Sigmoids.sigmoid(-z) / cells;
        if (hasC) {
          gradC[p][t] = -slope * weight(wc, p, t);
        }
        if (hasR) {
          gradR[p][t] = slope * wr[p][t];
        }
      }
    }
    return loss;
  }

  private static double weight(double[][] w, int p, int t) {
    return w == null ? 1.0 : w[p][t];
  }

  private static double delta(double[][] policy, double[][] ref, int p, int t) {
    return policy[p][t] - ref[p][t];
  }

  /**
   * cDPO's token-level contrastive estimation (Lin et al., arXiv 2411.19943, Eq. 1;
   * docs/preference.md §4.2): a model fine-tuned on correct answers (positive) and one fine-tuned
   * on incorrect answers (negative) score each token of a rejected response,
   *
   * <pre>
   *   s_t = softmax_v((1+λ)·z_pos[t] − λ·z_neg[t])[y_t],   weight w_t = 1 − s_t
   * </pre>
   *
   * on raw logits (the per-position log-normalisers cancel inside the softmax). A low s_t means the
   * negative model likes the token much more than the positive one: a likely critical token, so its
   * weight in the rejected reward is high.
   */
  public static final class ContrastiveEstimation {
    private ContrastiveEstimation() {}

    /**
     * s_t per response token, via a log-sum-exp that is stable for any logit scale.
     *
     * @param zPos positive model's logits predicting each response token, [T][V]
     * @param zNeg negative model's logits, [T][V] (same vocabulary: both are fine-tunes of one
     *     base)
     * @param tokens the response tokens y_t, [T]
     * @param lambda λ ≥ 0 (paper and code: 1)
     */
    public static double[] scores(double[][] zPos, double[][] zNeg, int[] tokens, double lambda) {
      check(zPos.length, zNeg.length, tokens, lambda);
      double[] s = new double[tokens.length];
      for (int t = 0; t < tokens.length; t++) {
        checkRow(t, zPos[t].length, zNeg[t].length, tokens[t]);
        double[] c = new double[zPos[t].length];
        for (int v = 0; v < c.length; v++) {
          c[v] = (1 + lambda) * zPos[t][v] - lambda * zNeg[t][v];
        }
        s[t] = Math.exp(c[tokens[t]] - logSumExp(c));
      }
      return s;
    }

    /** {@link #scores(double[][], double[][], int[], double)} for float logits, in double. */
    public static double[] scores(float[][] zPos, float[][] zNeg, int[] tokens, double lambda) {
      check(zPos.length, zNeg.length, tokens, lambda);
      double[] s = new double[tokens.length];
      for (int t = 0; t < tokens.length; t++) {
        checkRow(t, zPos[t].length, zNeg[t].length, tokens[t]);
        double[] c = new double[zPos[t].length];
        for (int v = 0; v < c.length; v++) {
          c[v] = (1 + lambda) * (double) zPos[t][v] - lambda * (double) zNeg[t][v];
        }
        s[t] = Math.exp(c[tokens[t]] - logSumExp(c));
      }
      return s;
    }

    /**
     * w_t = 1 − s_t; when the response ends with EOS its weight is {@code eosWeight} instead (the
     * official code appends a 0 score for EOS, so it weighs 1).
     */
    public static double[] weights(double[] scores, boolean endsWithEos, double eosWeight) {
      double[] w = new double[scores.length];
      for (int t = 0; t < w.length; t++) {
        w[t] = 1 - scores[t];
      }
      if (endsWithEos && w.length > 0) {
        w[w.length - 1] = eosWeight;
      }
      return w;
    }

    public static double logSumExp(double[] c) {
      double m = Double.NEGATIVE_INFINITY;
      for (double x : c) {
        m = Math.max(m, x);
      }
      double sum = 0;
      for (double x : c) {
        sum += Math.exp(x - m);
      }
      return m + Math.log(sum);
    }

    private static void check(int pos, int neg, int[] tokens, double lambda) {
      if (!(lambda >= 0) || Double.isInfinite(lambda)) {
        throw new IllegalArgumentException("algorithm.lambda must be >= 0, got " + lambda);
      }
      if (pos != tokens.length || neg != tokens.length) {
        throw new IllegalArgumentException(
            "need one logit row per response token: "
                + tokens.length
                + " tokens, zPos has "
                + pos
                + " rows, zNeg "
                + neg);
      }
    }

    private static void checkRow(int t, int vPos, int vNeg, int token) {
      if (vPos != vNeg) {
        throw new IllegalArgumentException(
            "token "
                + t
                + ": positive model has "
                + vPos
                + " logits, negative "
                + vNeg
                + " (both must be fine-tunes of the same base model)");
      }
      if (token < 0 || token >= vPos) {
        throw new IllegalArgumentException(
            "token " + t + " id " + token + " is outside the vocabulary [0, " + vPos + ")");
      }
    }
  }
}

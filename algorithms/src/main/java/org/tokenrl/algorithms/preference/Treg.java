package org.tokenrl.algorithms.preference;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;
import org.tokenrl.core.StrictSettings;

/**
 * T-REG (Zhou et al., ACL 2025, arXiv 2412.02685; docs/preference.md §3, provisional: built from
 * third-party summaries): DPO plus a token-weighted LM term that pulls DPO's implicit token rewards
 * towards self-generated ones r̂ ({@link TokenRewards}). Per pair:
 *
 * <pre>
 *   L = ℓ_DPO(βh) + α·w·(L_REG(y^w) + L_REG(y^l)),   L_REG(y) = −β·Σ_t r̂_t·logπθ(y_t),
 *   w = σ(−βh)   (the factor of the DPO gradient: large while the pair is mis-ranked)
 * </pre>
 *
 * mean over pairs. w is detached by default ([GUESS]); with {@code detach_weight = false} its
 * derivative dw/dh = −β·w·(1−w) also flows into every token through h. α = 0 is exactly DPO.
 */
public final class Treg implements PairObjective {

  /**
   * @param dpo the DPO part (β, loss variant, label smoothing)
   * @param alpha α ≥ 0, the regulariser's weight (searched in {0.1, 0.25, 0.5})
   * @param detachWeight treat w = σ(−βh) as a constant
   */
  public record Options(Dpo.Options dpo, double alpha, boolean detachWeight) {
    public Options {
      if (!(alpha >= 0) || Double.isInfinite(alpha)) {
        throw new IllegalArgumentException("algorithm.alpha must be >= 0, got " + alpha);
      }
    }
  }

  /** T-REG's keys: DPO's plus the regulariser and the contrastive-prompt templates. */
  static final Config DEFAULTS =
      ConfigFactory.parseString(
              """
              alpha = 0.25
              detach_weight = true
              better_template = "good:{prompt}"
              worse_template = "bad:{prompt}"
              """)
          .withFallback(Dpo.DEFAULTS);

  public static PreferenceAlgorithm create(Config block) {
    Config c = Algorithms.SETTINGS.resolve(block, DEFAULTS, Algorithms.NAME_KEYS, "treg");
    for (String key : new String[] {"better_template", "worse_template"}) {
      if (!c.getString(key).contains("{prompt}")) {
        throw new IllegalArgumentException(
            "algorithm."
                + key
                + " must contain {prompt} (where the query goes), got '"
                + c.getString(key)
                + "'");
      }
    }
    Options o =
        new Options(
            Dpo.Options.from(c),
            Algorithms.SETTINGS.number(c, "alpha"),
            c.getBoolean("detach_weight"));
    return new PreferenceAlgorithm(
        "treg", new Treg(o), true, false, false, StrictSettings.with(c, "name", "treg"));
  }

  private final Options options;
  private final Dpo dpo;

  public Treg(Options options) {
    this.options = options;
    this.dpo = new Dpo(options.dpo());
  }

  public Options options() {
    return options;
  }

  @Override
  public PairLossResult compute(PairLossInput in) {
    double[][] rc = PairLossInput.require(in.tokenRewardChosen(), "tokenRewardChosen", "treg");
    double[][] rr = PairLossInput.require(in.tokenRewardRejected(), "tokenRewardRejected", "treg");
    int b = in.size();
    double beta = options.dpo().beta();
    double alpha = options.alpha();
    double[] dw = Dpo.logRatioSums(in.policyChosen(), in.refChosen());
    double[] dl = Dpo.logRatioSums(in.policyRejected(), in.refRejected());
    double[][] gradC = Dpo.zerosLike(in.policyChosen());
    double[][] gradR = Dpo.zerosLike(in.policyRejected());
    double loss = 0;
    double dpoLoss = 0;
    double regLoss = 0;
    double weightSum = 0;
    for (int p = 0; p < b; p++) {
      double z = beta * (dw[p] - dl[p]);
      double w = Sigmoids.sigmoid(-z);
      double reg =
          tokenWeightedNll(beta, rc[p], in.policyChosen()[p])
              + tokenWeightedNll(beta, rr[p], in.policyRejected()[p]);
      double lDpo = dpo.pairLoss(z);
      loss += (lDpo + alpha * w * reg) / b;
      dpoLoss += lDpo / b;
      regLoss += alpha * w * reg / b;
      weightSum += w;
      // d/dh of ℓ_DPO, plus the weight's own derivative when it is not detached
      double dh = beta * dpo.pairSlope(z);
      if (!options.detachWeight()) {
        dh += alpha * reg * (-beta * w * (1 - w));
      }
      for (int t = 0; t < gradC[p].length; t++) {
        gradC[p][t] = (dh - alpha * w * beta * rc[p][t]) / b;
      }
      for (int t = 0; t < gradR[p].length; t++) {
        gradR[p][t] = (-dh - alpha * w * beta * rr[p][t]) / b;
      }
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    Dpo.putRewardMetrics(metrics, beta, dw, dl);
    metrics.put(Metrics.TREG_DPO_LOSS, dpoLoss);
    metrics.put(Metrics.TREG_REG_LOSS, regLoss);
    metrics.put(Metrics.TREG_WEIGHT_MEAN, b == 0 ? 0 : weightSum / b);
    return new PairLossResult(loss, gradC, gradR, metrics);
  }

  /** L_REG(y) = −β·Σ_t r̂_t·logπθ(y_t). */
  static double tokenWeightedNll(double beta, double[] rhat, double[] logp) {
    double s = 0;
    for (int t = 0; t < logp.length; t++) {
      s += rhat[t] * logp[t];
    }
    return -beta * s;
  }

  /**
   * T-REG's self-generated token rewards by contrastive prompting (docs/preference.md §3.1): the
   * same response is teacher-forced after a "write a better answer" prompt and a "write a worse
   * answer" prompt, and each token is rewarded by how much more likely the better prompt makes it.
   */
  public static final class TokenRewards {
    private TokenRewards() {}

    /**
     * r̂_t = σ(better_t − worse_t) − ½ ∈ (−½, ½), per response token.
     *
     * @param better log π_eval(y_t | x_better, y_&lt;t), ragged [rows][len_i]
     * @param worse log π_eval(y_t | x_worse, y_&lt;t), same shape
     */
    public static double[][] contrastive(double[][] better, double[][] worse) {
      if (better.length != worse.length) {
        throw new IllegalArgumentException(
            "better has " + better.length + " rows, worse has " + worse.length);
      }
      double[][] r = new double[better.length][];
      for (int i = 0; i < better.length; i++) {
        if (better[i].length != worse[i].length) {
          throw new IllegalArgumentException(
              "row "
                  + i
                  + ": better has "
                  + better[i].length
                  + " log-probs, worse has "
                  + worse[i].length
                  + " (score the same response ids under both prompts)");
        }
        r[i] = new double[better[i].length];
        for (int t = 0; t < r[i].length; t++) {
          r[i][t] = Sigmoids.centredSigmoid(better[i][t] - worse[i][t]);
        }
      }
      return r;
    }
  }
}

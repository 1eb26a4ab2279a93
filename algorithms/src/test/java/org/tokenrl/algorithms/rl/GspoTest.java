package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;

/**
 * GSPO: worked examples computed by hand, the paper's defaults, and gradients by finite
 * differences.
 */
class GspoTest {
  private static final double TOL = 1e-9;

  /**
   * One group, r = {1, 0}, scale_rewards = none: A = ±0.5. Row 0 (A = +0.5): log-ratios {0.1, 0.3},
   * mean 0.2, s = e^0.2 = 1.2214 > 1.2: clipped, pg = −0.5·1.2 = −0.6, no gradient. Row 1 (A =
   * −0.5): log-ratios {−0.2, masked, 0.0}, mean over the 2 kept tokens −0.1, s = e^−0.1 = 0.904837,
   * inside [0.8, 1.2]: pg = 0.5·0.904837 = 0.452419. Loss = (−0.6 + 0.452419)/2 = −0.073791.
   * dLoss/dlogp on row 1's kept tokens = (1/2)·0.5·s·(1/2) = 0.113105.
   */
  @Test
  void workedExample() {
    RlAlgorithm gspo =
        Algorithms.create(
            "name = gspo, scale_rewards = none, clip_eps_low = 0.2, clip_eps_high = 0.2");
    boolean[][] mask = {{true, true}, {true, false, true}};
    RlBatch batch =
        new RlBatch(
            new double[] {1, 0}, new int[][] {{1, 2}, {3, 4, 5}}, 2, null, null, null, mask, 0);
    TokenCredit credit = gspo.credit(batch);
    assertEquals(0.5, credit.advantages()[0][1], TOL);
    assertEquals(-0.5, credit.advantages()[1][0], TOL);
    assertEquals(0.0, credit.advantages()[1][1], TOL);
    double[][] lpOld = {{-1, -1}, {-1, -1, -1}};
    double[][] lpNew = {{-0.9, -0.7}, {-1.2, 4.0, -1.0}};
    LossResult res = gspo.loss(credit.lossInput(lpNew, lpOld, null, 8));
    assertEquals((-0.6 + 0.5 * Math.exp(-0.1)) / 2, res.loss(), TOL);
    assertEquals(-0.073790645, res.loss(), 1e-9);
    assertEquals(0.0, res.gradLogpNew()[0][0], TOL);
    assertEquals(0.0, res.gradLogpNew()[0][1], TOL);
    assertEquals(0.113104677, res.gradLogpNew()[1][0], 1e-9);
    assertEquals(0.0, res.gradLogpNew()[1][1], TOL);
    assertEquals(0.113104677, res.gradLogpNew()[1][2], 1e-9);
    assertEquals(0.5, res.metrics().get(Metrics.ACTOR_CLIP_FRAC_HIGH), TOL); // 2 of 4 kept tokens
    assertEquals(0.0, res.metrics().get(Metrics.ACTOR_CLIP_FRAC_LOW), TOL);
    assertEquals(4.0, res.metrics().get(Metrics.ACTOR_LOSS_TOKENS), TOL);
  }

  /** The paper's §5.1 clip range: a mean log-ratio of 5e-4 (s − 1 ≈ 5.0e-4 > 4e-4) is clipped. */
  @Test
  void defaultsAreThePapers() {
    RlAlgorithm gspo = Algorithms.create("name = gspo");
    assertEquals(3e-4, gspo.settings().getDouble("clip_eps_low"));
    assertEquals(4e-4, gspo.settings().getDouble("clip_eps_high"));
    assertEquals("seq-mean-token-mean", gspo.settings().getString("loss_agg"));
    assertEquals("sequence", gspo.settings().getString("variant"));
    double[][] adv = {{1, 1}, {-1, -1}};
    boolean[][] mask = {{true, true}, {true, true}};
    double[][] lpOld = {{-1, -1}, {-1, -1}};
    // row 0: mean 5e-4 → clipped high; row 1: mean −2e-4 → inside [1 − 3e-4, 1 + 4e-4]
    double[][] lpNew = {{-1 + 4e-4, -1 + 6e-4}, {-1 - 2e-4, -1 - 2e-4}};
    LossResult res = gspo.loss(new PolicyLossInput(lpNew, lpOld, null, adv, mask, 8));
    assertEquals((-(1 + 4e-4) + Math.exp(-2e-4)) / 2, res.loss(), 1e-12);
    assertEquals(0.0, res.gradLogpNew()[0][0], TOL);
    assertEquals(0.5, res.metrics().get(Metrics.ACTOR_CLIP_FRAC_HIGH), TOL);
    assertEquals(0.25 * Math.exp(-2e-4), res.gradLogpNew()[1][0], 1e-12);
  }

  /**
   * Per-token advantages {1, −2} on one response with s = 1 (log-ratios ±0.1): both variants give
   * loss (−1 + 2)/2 = 0.5, but GSPO-token weights each token by its own advantage, gradient
   * (1/2)·(−A_t)·s = {−0.5, 1.0}, while GSPO uses the mean advantage −0.5 on both: {0.25, 0.25}.
   */
  @Test
  void tokenVariantHasPerTokenGradient() {
    double[][] adv = {{1, -2}};
    boolean[][] mask = {{true, true}};
    double[][] lpOld = {{-1, -1}};
    double[][] lpNew = {{-0.9, -1.1}};
    PolicyLossInput in = new PolicyLossInput(lpNew, lpOld, null, adv, mask, 8);
    LossResult token = Algorithms.create("name = gspo, variant = token").loss(in);
    LossResult seq = Algorithms.create("name = gspo").loss(in);
    assertEquals(0.5, token.loss(), TOL);
    assertEquals(0.5, seq.loss(), TOL);
    assertEquals(-0.5, token.gradLogpNew()[0][0], TOL);
    assertEquals(1.0, token.gradLogpNew()[0][1], TOL);
    assertEquals(0.25, seq.gradLogpNew()[0][0], TOL);
    assertEquals(0.25, seq.gradLogpNew()[0][1], TOL);
  }

  private static final String[] CONFIGS = {
    "name = gspo, clip_eps_low = 0.1, clip_eps_high = 0.15",
    "name = gspo, variant = token, clip_eps_low = 0.1, clip_eps_high = 0.15",
    "name = gspo, clip_eps_low = 0.1, clip_eps_high = 0.1, loss_agg = token-mean",
    "name = gspo, clip_eps_low = 0.1, clip_eps_high = 0.1, loss_agg = dr-grpo, dual_clip_c = 1.1",
    "name = gspo, variant = token, kl_beta = 0.3, kl_estimator = k2, loss_agg = seq-mean-token-sum,"
        + " clip_eps_low = 0.2, clip_eps_high = 0.2",
    "name = gspo, kl_beta = 0.2, seq_mean_rows = nonempty, clip_eps_low = 0.05",
  };

  /**
   * dLoss/dlogpNew against central differences. With the credit's broadcast advantages GSPO-token's
   * analytic gradient equals the sequence one, so both pass; rows whose s lies within 1e-3 of a
   * clip or dual-clip bound are regenerated (the loss has a kink there).
   */
  @Test
  void gradientPassesFiniteDifferences() {
    Random rnd = new Random(11);
    double h = 1e-6;
    int checked = 0;
    for (String config : CONFIGS) {
      RlAlgorithm gspo = Algorithms.create(config);
      double lo = 1 - gspo.settings().getDouble("clip_eps_low");
      double hi = 1 + gspo.settings().getDouble("clip_eps_high");
      double c = gspo.settings().getDouble("dual_clip_c");
      for (int trial = 0; trial < 20; trial++) {
        int g = 2 + rnd.nextInt(3);
        int n = 2 * g;
        double[] r = new double[n];
        int[][] tok = new int[n][];
        boolean[][] mask = new boolean[n][];
        double[][] lpOld = new double[n][];
        double[][] lpNew = new double[n][];
        double[][] lpRef = new double[n][];
        for (int i = 0; i < n; i++) {
          r[i] = rnd.nextGaussian();
          int len = rnd.nextInt(5);
          tok[i] = new int[len];
          mask[i] = new boolean[len];
          lpOld[i] = new double[len];
          lpNew[i] = new double[len];
          lpRef[i] = new double[len];
          while (true) {
            double sum = 0;
            int count = 0;
            for (int t = 0; t < len; t++) {
              mask[i][t] = rnd.nextInt(5) != 0;
              lpOld[i][t] = -0.2 - 2 * rnd.nextDouble();
              lpNew[i][t] = lpOld[i][t] + 0.25 * rnd.nextGaussian();
              lpRef[i][t] = lpOld[i][t] + 0.3 * rnd.nextGaussian();
              if (mask[i][t]) {
                sum += lpNew[i][t] - lpOld[i][t];
                count++;
              }
            }
            double s = count == 0 ? 1 : Math.exp(sum / count);
            if (count == 0
                || Math.abs(s - lo) > 1e-3 && Math.abs(s - hi) > 1e-3 && Math.abs(s - c) > 1e-3) {
              break;
            }
          }
        }
        RlBatch batch = new RlBatch(r, tok, g, null, null, null, mask, 0);
        TokenCredit credit = gspo.credit(batch);
        double[][] ref = gspo.needsReference() ? lpRef : null;
        LossResult res = gspo.loss(credit.lossInput(lpNew, lpOld, ref, 5));
        for (int i = 0; i < n; i++) {
          for (int t = 0; t < tok[i].length; t++) {
            double keep = lpNew[i][t];
            lpNew[i][t] = keep + h;
            double up = gspo.loss(credit.lossInput(lpNew, lpOld, ref, 5)).loss();
            lpNew[i][t] = keep - h;
            double down = gspo.loss(credit.lossInput(lpNew, lpOld, ref, 5)).loss();
            lpNew[i][t] = keep;
            assertEquals(
                (up - down) / (2 * h), res.gradLogpNew()[i][t], 1e-7, config + " " + i + "," + t);
            checked++;
          }
        }
      }
    }
    assertTrue(checked > 500, "checked " + checked);
  }

  @Test
  void rejectsUnknownVariant() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Algorithms.create("name = gspo, variant = seq"));
    assertTrue(e.getMessage().contains("algorithm.variant"), e.getMessage());
  }
}

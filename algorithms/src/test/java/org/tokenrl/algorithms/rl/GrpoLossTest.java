package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.KlEstimator;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossAggregation;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossAggregation.SeqMeanRows;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.Options;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.TokenTerm;

/** Spec §1.6 G-2 (a), (b) and G-3: per-token losses, gradients and every aggregation. */
class GrpoLossTest {
  private static final double TOL = 1e-9;
  private static final double P = 0; // unread: padding position of response 2

  private static final double[][] LOGP_NEW = {{-0.5, -1.0, -0.2}, {-2.0, -0.1, P}};
  private static final double[][] LOGP_OLD = {{-0.6, -1.0, -0.5}, {-1.5, -0.1, P}};
  private static final double[][] LOGP_REF = {{-0.55, -1.2, -0.3}, {-1.8, -0.05, P}};
  private static final double[][] ADV = {{1, 1, 1}, {-1, -1, -1}};
  private static final boolean[][] MASK = {{true, true, true}, {true, true, false}};

  private static ClippedPolicyObjective objective(
      double epsHigh, double beta, LossAggregation agg) {
    return new ClippedPolicyObjective(
        new Options(0.2, epsHigh, 0, beta, KlEstimator.K3, agg, SeqMeanRows.ALL));
  }

  private static double loss(double epsHigh, double beta, LossAggregation agg, int maxLen) {
    double[][] ref = beta > 0 ? LOGP_REF : null;
    return objective(epsHigh, beta, agg)
        .compute(new PolicyLossInput(LOGP_NEW, LOGP_OLD, ref, ADV, MASK, maxLen))
        .loss();
  }

  private static void assertTokens(double epsHigh, double beta, double[][] loss, double[][] grad) {
    ClippedPolicyObjective obj = objective(epsHigh, beta, LossAggregation.TOKEN_MEAN);
    int[][] tokens = {{0, 0}, {0, 1}, {0, 2}, {1, 0}, {1, 1}};
    for (int k = 0; k < tokens.length; k++) {
      int i = tokens[k][0];
      int t = tokens[k][1];
      TokenTerm term = obj.term(LOGP_NEW[i][t], LOGP_OLD[i][t], LOGP_REF[i][t], ADV[i][t]);
      assertEquals(loss[i][t], term.loss(), TOL, "loss of r" + (i + 1) + " t" + t);
      assertEquals(grad[i][t], term.grad(), TOL, "grad of r" + (i + 1) + " t" + t);
    }
  }

  @Test
  void exampleG2aPerToken() {
    assertTokens(
        0.2,
        0,
        new double[][] {{-1.1051709181, -1, -1.2}, {0.8, 1}},
        new double[][] {{-1.1051709181, -1, 0}, {0, 1}});
  }

  @Test
  void exampleG2aAggregations() {
    assertEquals(-0.1008618197, loss(0.2, 0, LossAggregation.SEQ_MEAN_TOKEN_MEAN, 4), TOL);
    assertEquals(-0.3010341836, loss(0.2, 0, LossAggregation.TOKEN_MEAN, 4), TOL);
    assertEquals(-0.1881463648, loss(0.2, 0, LossAggregation.DR_GRPO, 4), TOL);
    assertEquals(-0.3762927295, loss(0.2, 0, LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM, 4), TOL);
    assertEquals(-0.7525854590, loss(0.2, 0, LossAggregation.SEQ_MEAN_TOKEN_SUM, 4), TOL);
  }

  @Test
  void exampleG2bPerToken() {
    assertTokens(
        0.28,
        0.04,
        new double[][] {
          {-1.1051217411, -0.9992507699, -1.2798065033}, {0.8008561103, 1.0000508439}
        },
        new double[][] {
          {-1.1032200951, -0.9927492301, 0.0038065033}, {-0.0088561103, 0.9979491561}
        });
  }

  @Test
  void exampleG2bAggregations() {
    assertEquals(-0.1138030972, loss(0.28, 0.04, LossAggregation.SEQ_MEAN_TOKEN_MEAN, 4), TOL);
    assertEquals(-0.3166544120, loss(0.28, 0.04, LossAggregation.TOKEN_MEAN, 4), TOL);
    assertEquals(-0.1979090075, loss(0.28, 0.04, LossAggregation.DR_GRPO, 4), TOL);
    assertEquals(-0.3958180150, loss(0.28, 0.04, LossAggregation.SEQ_MEAN_TOKEN_SUM_NORM, 4), TOL);
  }

  @Test
  void exampleG2GradientsAreTheTokenGradientsTimesTheAggregationWeight() {
    // token-mean over 5 tokens: every per-token gradient is divided by 5
    LossResult r =
        objective(0.28, 0.04, LossAggregation.TOKEN_MEAN)
            .compute(new PolicyLossInput(LOGP_NEW, LOGP_OLD, LOGP_REF, ADV, MASK, 4));
    assertEquals(-1.1032200951 / 5, r.gradLogpNew()[0][0], TOL);
    assertEquals(0.9979491561 / 5, r.gradLogpNew()[1][1], TOL);
    assertEquals(0.0, r.gradLogpNew()[1][2], 0.0);
    assertEquals(
        r.loss(), r.metrics().get("actor/pg_loss") + 0.04 * r.metrics().get("actor/kl"), TOL);
    // r1 t2 is high-clipped (A > 0), r2 t0 low-clipped (A < 0)
    assertEquals(0.2, r.metrics().get("actor/clip_frac_high"), TOL);
    assertEquals(0.2, r.metrics().get("actor/clip_frac_low"), TOL);
  }

  @Test
  void exampleG3KlEstimators() {
    double[][] pairs = {{-0.5, -0.55}, {-2.0, -1.8}, {-0.1, -2.3}};
    double[][] expected = {
      {0.05, 0.00125, 0.0012294245}, {-0.2, 0.02, 0.0214027582}, {2.2, 2.42, 1.3108031584}
    };
    for (int p = 0; p < 3; p++) {
      KlEstimator[] ks = KlEstimator.values();
      for (int k = 0; k < 3; k++) {
        assertEquals(
            expected[p][k], ks[k].value(pairs[p][0], pairs[p][1]), TOL, ks[k] + " pair " + p);
      }
    }
  }

  @Test
  void verlSeqMeanCountsOnlyNonEmptyRows() {
    boolean[][] mask = {{true, true, true}, {false, false, false}};
    ClippedPolicyObjective trl = objective(0.2, 0, LossAggregation.SEQ_MEAN_TOKEN_MEAN);
    ClippedPolicyObjective verl =
        new ClippedPolicyObjective(
            new Options(
                0.2,
                0.2,
                0,
                0,
                KlEstimator.K3,
                LossAggregation.SEQ_MEAN_TOKEN_MEAN,
                SeqMeanRows.NONEMPTY));
    double a = trl.compute(new PolicyLossInput(LOGP_NEW, LOGP_OLD, null, ADV, mask, 4)).loss();
    double b = verl.compute(new PolicyLossInput(LOGP_NEW, LOGP_OLD, null, ADV, mask, 4)).loss();
    assertEquals(2 * a, b, TOL);
    assertEquals((-1.1051709181 - 1 - 1.2) / 3, b, TOL);
  }

  @Test
  void dualClipBoundsTheLossOfNegativeAdvantages() {
    ClippedPolicyObjective obj =
        new ClippedPolicyObjective(
            new Options(
                0.2, 0.2, 3.0, 0, KlEstimator.K3, LossAggregation.TOKEN_MEAN, SeqMeanRows.ALL));
    // ρ = e^2 ≈ 7.39 with A = −1: unclipped −A·ρ = 7.39 > c = 3, so the loss is 3 with no gradient
    TokenTerm t = obj.term(0.0, -2.0, Double.NaN, -1.0);
    assertEquals(3.0, t.loss(), TOL);
    assertEquals(0.0, t.grad(), 0.0);
    assertEquals(true, t.dualClipped());
    // ρ = e^0.5 < 3: the ordinary branch, gradient −A·ρ
    TokenTerm u = obj.term(0.0, -0.5, Double.NaN, -1.0);
    assertEquals(Math.exp(0.5), u.loss(), TOL);
    assertEquals(Math.exp(0.5), u.grad(), TOL);
  }
}

package org.tokenrl.algorithms.sft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.preference.Cdpo.ContrastiveEstimation;
import org.tokenrl.algorithms.sft.Otr.Options;
import org.tokenrl.algorithms.sft.Otr.Reduction;

/**
 * Spec §4.6 examples O1–O3 to 1e-9 on double log-probs, the float entry point the trainer uses, the
 * sampler, and MC → expectation.
 */
class OtrTest {
  private static final double TOL = 1e-9;
  private static final double[] Z = {2.0, 1.0, 0.5, -1.0};

  private static double[] logSoftmax(double[] z) {
    double lse = ContrastiveEstimation.logSumExp(z);
    double[] lp = new double[z.length];
    for (int v = 0; v < z.length; v++) {
      lp[v] = z[v] - lse;
    }
    return lp;
  }

  private static float[] toFloat(double[] x) {
    float[] out = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
    return out;
  }

  private static Otr otr(double tau, double beta, Reduction r, boolean exp) {
    return new Otr(new Options(256, tau, beta, r, 0, exp));
  }

  /** ∂L/∂z_j = Σ_v c_v (δ_vj − p_j) with p = softmax(z): what the policy's backward computes. */
  private static double[] logitGradient(double[] coef, double[] lp) {
    double sum = 0;
    for (double c : coef) {
      sum += c;
    }
    double[] g = new double[coef.length];
    for (int j = 0; j < coef.length; j++) {
      g[j] = coef[j] - Math.exp(lp[j]) * sum;
    }
    return g;
  }

  private static OtrResult single(Otr loss, int... samples) {
    return loss.compute(
        new double[][][] {{logSoftmax(Z)}}, new int[][] {{1}}, new int[][][] {{samples}});
  }

  @Test
  void exampleO1MonteCarlo() {
    OtrResult r = single(otr(1.5, -0.1, Reduction.SEQ_MEAN, false), 0, 1, 0, 2, 1, 0, 3, 0);
    assertEquals(0.2804068322, r.loss(), TOL);
    assertArrayEquals(
        new double[] {0.1566555066, -0.2107636318, 0.03629806026, 0.01781006500},
        logitGradient(r.vocabCoef()[0][0], logSoftmax(Z)),
        TOL);
    assertEquals(2.0 / 8, r.metrics().get("otr/gt_sample_frac"), 1e-12);
  }

  @Test
  void exampleO1Expectation() {
    double[][][] lp = {{logSoftmax(Z)}};
    int[][] gt = {{1}};
    assertEquals(
        0.2673143405, otr(1.0, -0.1, Reduction.SEQ_MEAN, true).compute(lp, gt, 0L).loss(), TOL);
    assertEquals(
        0.2962528888, otr(1.5, -0.1, Reduction.SEQ_MEAN, true).compute(lp, gt, 0L).loss(), TOL);
    OtrResult dft = otr(1.0, 0, Reduction.SEQ_MEAN, true).compute(lp, gt, 0L);
    assertEquals(0.3352314710, dft.loss(), TOL);
    // β = 0, τ = 1 is DFT: the gradient is −sg(π(x))·∇log π(x)
    double[] c = dft.vocabCoef()[0][0];
    assertArrayEquals(new double[] {0, -0.2242078180, 0, 0}, c, TOL);
    assertArrayEquals(
        new double[] {0.6094600376, 0.2242078180, 0.1359889158, 0.03034322856},
        Otr.temperedProbabilities(logSoftmax(Z), 1.0),
        TOL);
    assertArrayEquals(
        new double[] {0.4958763312, 0.2545913974, 0.1824227076, 0.06710956374},
        Otr.temperedProbabilities(logSoftmax(Z), 1.5),
        TOL);
  }

  @Test
  void exampleO2EdgeCases() {
    OtrResult a = single(otr(1.0, -0.1, Reduction.SEQ_MEAN, false), 0, 0, 2, 3);
    assertEquals(-0.1620181898, a.loss(), TOL);
    assertArrayEquals(
        new double[] {-0.01094600376, -0.02242078180, 0.01140110842, 0.02196567714},
        logitGradient(a.vocabCoef()[0][0], logSoftmax(Z)),
        TOL);
    OtrResult b = single(otr(1.0, -0.1, Reduction.SEQ_MEAN, false), 1, 1, 1, 1);
    assertEquals(1.495181898, b.loss(), TOL);
    assertArrayEquals(
        new double[] {0.6094600376, -0.7757921820, 0.1359889158, 0.03034322856},
        logitGradient(b.vocabCoef()[0][0], logSoftmax(Z)),
        TOL);
    OtrResult c = single(otr(1.0, 0, Reduction.SEQ_MEAN, false), 0, 0, 2, 3);
    assertEquals(0.0, c.loss(), 0);
    for (double v : c.vocabCoef()[0][0]) {
      assertEquals(0.0, v, 0.0);
    }
  }

  /**
   * O3: with every candidate equal to the label, L_t = −log π(x); pick logits so the per-position
   * losses are 0.6, 0.2 (sequence A) and 0.9 (sequence B, whose pad is simply not in the arrays).
   */
  @Test
  void exampleO3Reductions() {
    double[][][] lp = {{pinned(0.6), pinned(0.2)}, {pinned(0.9)}};
    int[][] gt = {{0, 0}, {0}};
    int[][][] s = {{{0}, {0}}, {{0}}};
    OtrResult seq = otr(1, -0.1, Reduction.SEQ_MEAN, false).compute(lp, gt, s);
    OtrResult tok = otr(1, -0.1, Reduction.TOKEN_MEAN, false).compute(lp, gt, s);
    assertEquals(0.65, seq.loss(), TOL);
    assertEquals(0.5666666667, tok.loss(), TOL);
    // the normalisation is folded into the coefficients
    assertEquals(-0.25, seq.vocabCoef()[0][0][0], TOL);
    assertEquals(-0.5, seq.vocabCoef()[1][0][0], TOL);
    assertEquals(-1.0 / 3, tok.vocabCoef()[1][0][0], TOL);
  }

  /** A two-token log-softmax row whose token 0 has −log p = nll. */
  private static double[] pinned(double nll) {
    return new double[] {-nll, Math.log1p(-Math.exp(-nll))};
  }

  @Test
  void lossIsLinearInTheCoefficients() {
    // L = Σ c·logp exactly (the surrogate the policy differentiates), for sampled draws and sft_mix
    Random rnd = new Random(2);
    float[][][] lp = randomLogProbs(rnd, new int[] {3, 0, 5}, 7);
    int[][] gt = {{1, 2, 3}, {}, {0, 6, 6, 1, 2}};
    Otr loss = new Otr(new Options(16, 1.3, -0.2, Reduction.SEQ_MEAN, 0.5, false));
    OtrResult r = loss.compute(lp, gt, 42L);
    double surrogate = 0;
    for (int i = 0; i < lp.length; i++) {
      for (int t = 0; t < lp[i].length; t++) {
        for (int v = 0; v < 7; v++) {
          surrogate += r.vocabCoef()[i][t][v] * (double) lp[i][t][v];
        }
      }
    }
    assertEquals(r.loss(), surrogate, 1e-6);
    assertEquals(3 + 5, r.metrics().get("otr/tokens"));
  }

  @Test
  void drawsAreDeterministicAndIndependentOfOtherRows() {
    Random rnd = new Random(4);
    float[][][] lp = randomLogProbs(rnd, new int[] {4, 6}, 9);
    int[][] gt = {{0, 1, 2, 3}, {0, 1, 2, 3, 4, 5}};
    Otr loss = new Otr(new Options(8, 1.5, -0.1, Reduction.TOKEN_MEAN, 0, false));
    OtrResult a = loss.compute(lp, gt, 7L);
    OtrResult b = loss.compute(lp, gt, 7L);
    OtrResult alone =
        loss.compute(new float[][][] {lp[0], new float[0][]}, new int[][] {gt[0], {}}, 7L);
    for (int t = 0; t < 4; t++) {
      assertArrayEquals(a.vocabCoef()[0][t], b.vocabCoef()[0][t]);
      // token-mean weights differ (4 vs 10 tokens): compare the unnormalised coefficients
      for (int v = 0; v < 9; v++) {
        assertEquals(a.vocabCoef()[0][t][v] * 10, alone.vocabCoef()[0][t][v] * 4, 1e-6);
      }
    }
    OtrResult other = loss.compute(lp, gt, 8L);
    assertTrue(other.loss() != a.loss(), "another seed draws other candidates");
  }

  @Test
  void samplerMatchesTheTemperedDistribution() {
    double[] lp = logSoftmax(new double[] {2, 1, 0.5, -1, -30});
    int k = 200_000;
    int[] ids = Otr.draw(lp, 1.5, k, Otr.key(1, 0, 0));
    double[] q = Otr.temperedProbabilities(lp, 1.5);
    int[] counts = new int[5];
    for (int j = 0; j < k; j++) {
      counts[ids[j]]++;
      assertTrue(j == 0 || ids[j] >= ids[j - 1], "ids come out sorted");
    }
    for (int v = 0; v < 5; v++) {
      double sd = Math.sqrt(q[v] * (1 - q[v]) / k);
      assertEquals(q[v], counts[v] / (double) k, 5 * sd + 1e-9, "token " + v);
    }
  }

  @Test
  void monteCarloApproachesTheExpectation() {
    Random rnd = new Random(9);
    float[][][] lp = randomLogProbs(rnd, new int[] {6, 3}, 12);
    int[][] gt = {{0, 3, 5, 11, 2, 2}, {7, 1, 0}};
    int k = 50_000;
    Otr mc = new Otr(new Options(k, 1.5, -0.1, Reduction.SEQ_MEAN, 0, false));
    Otr exact = new Otr(new Options(k, 1.5, -0.1, Reduction.SEQ_MEAN, 0, true));
    OtrResult e = exact.compute(lp, gt, 0L);
    OtrResult m = mc.compute(lp, gt, 123L);
    // per-position std of R·log p is < max|log p| ≈ 10; averaged over ≥ 3 positions
    double sd = 10 / Math.sqrt(k);
    assertEquals(e.loss(), m.loss(), 5 * sd);
    for (int i = 0; i < 2; i++) {
      for (int t = 0; t < lp[i].length; t++) {
        assertArrayEquals(e.vocabCoef()[i][t], m.vocabCoef()[i][t], 0.01f);
      }
    }
  }

  @Test
  void badSettingsAreRejected() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Options(0, 1.5, -0.1, Reduction.SEQ_MEAN, 0, false));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Options(8, 0, -0.1, Reduction.SEQ_MEAN, 0, false));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Options(8, 1.5, 1.0, Reduction.SEQ_MEAN, 0, false));
    assertTrue(e.getMessage().contains("algorithm.beta"), e.getMessage());
    IllegalArgumentException shape =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                otr(1, -0.1, Reduction.SEQ_MEAN, true)
                    .compute(new double[][][] {{logSoftmax(Z)}}, new int[][] {{1, 2}}, 0L));
    assertTrue(shape.getMessage().contains("labels row 0"), shape.getMessage());
  }

  private static float[][][] randomLogProbs(Random rnd, int[] lengths, int vocab) {
    float[][][] lp = new float[lengths.length][][];
    for (int i = 0; i < lengths.length; i++) {
      lp[i] = new float[lengths[i]][];
      for (int t = 0; t < lengths[i]; t++) {
        double[] z = new double[vocab];
        for (int v = 0; v < vocab; v++) {
          z[v] = 2 * rnd.nextGaussian();
        }
        lp[i][t] = toFloat(logSoftmax(z)); // the float entry point, as the trainer calls it
      }
    }
    return lp;
  }
}

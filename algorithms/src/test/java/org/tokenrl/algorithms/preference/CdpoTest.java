package org.tokenrl.algorithms.preference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.preference.Cdpo.ContrastiveEstimation;
import org.tokenrl.algorithms.preference.Cdpo.Form;
import org.tokenrl.algorithms.preference.Cdpo.Options;

/** Spec §3.7 examples C1, C2; uniform weights are DPO; finite-difference gradients. */
class CdpoTest {
  private static final double TOL = 1e-9;

  private static double[] c1Weights() {
    double[][] zPos = {{2, 1, 0, -1}, {0.5, 0.5, 0.5, 0.5}, {3, 0, 0, 0}};
    double[][] zNeg = {{0, 2, 0, -1}, {0.5, 0.5, 0.5, 0.5}, {3, 0, 0, 0}};
    double[] s = ContrastiveEstimation.scores(zPos, zNeg, new int[] {1, 2, 0}, 1.0);
    assertArrayEquals(new double[] {0.01755432157, 0.25, 0.8700485066}, s, TOL);
    float[][] fPos = new float[3][];
    float[][] fNeg = new float[3][];
    for (int t = 0; t < 3; t++) {
      fPos[t] = new float[4];
      fNeg[t] = new float[4];
      for (int v = 0; v < 4; v++) {
        fPos[t][v] = (float) zPos[t][v];
        fNeg[t][v] = (float) zNeg[t][v];
      }
    }
    assertArrayEquals(s, ContrastiveEstimation.scores(fPos, fNeg, new int[] {1, 2, 0}, 1.0), 1e-12);
    double[] w = ContrastiveEstimation.weights(s, false, 1.0);
    assertArrayEquals(new double[] {0.9824456784, 0.75, 0.1299514934}, w, TOL);
    return w;
  }

  /** Log-ratios Δ given as policy with a zero reference. */
  private static PairLossInput pair(double[] dc, double[] dr, double[] wr, int[] prompt) {
    return new PairLossInput(
        new double[][] {dc},
        new double[][] {dr},
        new double[][] {new double[dc.length]},
        new double[][] {new double[dr.length]},
        null,
        null,
        null,
        new double[][] {wr},
        prompt);
  }

  @Test
  void exampleC1() {
    double[] w = c1Weights();
    PairLossInput in = pair(new double[] {0.3, -0.2, 0.1}, new double[] {-0.4, 0.2, 0.5}, w, null);
    PairLossResult one = new Cdpo(new Options(1.0, Form.PAPER)).compute(in);
    assertEquals(0.5219013235, one.loss(), TOL);
    for (double g : one.gradChosen()[0]) {
      assertEquals(-0.4066087540, g, TOL);
    }
    assertArrayEquals(
        new double[] {0.3994710132, 0.3049565655, 0.05283941483}, one.gradRejected()[0], TOL);
    assertEquals(1.0 * (0.2 + 0.1780025247), one.metrics().get("cdpo/weighted_margin"), TOL);
    PairLossResult tenth = new Cdpo(new Options(0.1, Form.PAPER)).compute(in);
    assertEquals(0.6744256511, tenth.loss(), TOL);
    for (double g : tenth.gradChosen()[0]) {
      assertEquals(-0.04905510619, g, TOL);
    }
    assertArrayEquals(
        new double[] {0.04819397709, 0.03679132965, 0.006374784311}, tenth.gradRejected()[0], TOL);
    // plain DPO on the same numbers
    double[] ones = {1, 1, 1};
    PairLossInput uniform = pair(in.policyChosen()[0], in.policyRejected()[0], ones, null);
    assertEquals(0.7443966601, new Cdpo(new Options(1.0, Form.PAPER)).compute(uniform).loss(), TOL);
    assertEquals(0.6981596805, new Cdpo(new Options(0.1, Form.PAPER)).compute(uniform).loss(), TOL);
  }

  @Test
  void exampleC2PerPositionLegacyForm() {
    // prompt of 3 tokens → 2 shifted prompt positions; chosen has 4 tokens (incl. EOS), rejected 3
    double[] dc = {0.3, -0.2, 0.1, 0.05};
    double[] dr = {-0.4, 0.2, 0.5};
    double[] wr = {0.9824456784, 0.75, 1.0};
    PairLossInput in = pair(dc, dr, wr, new int[] {3});
    PairLossResult legacy = new Cdpo(new Options(0.1, Form.PER_POSITION)).compute(in);
    assertEquals(0.6933650920, legacy.loss(), TOL);
    PairLossResult paper = new Cdpo(new Options(0.1, Form.PAPER)).compute(in);
    assertEquals(0.6934983286, paper.loss(), TOL);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Cdpo(new Options(0.1, Form.PER_POSITION)).compute(pair(dc, dr, wr, null)));
    assertTrue(e.getMessage().contains("promptLengths"), e.getMessage());
  }

  @Test
  void uniformWeightsEqualDpoExactly() {
    Random rnd = new Random(11);
    for (int trial = 0; trial < 20; trial++) {
      PairLossInput r = PairGradients.random(rnd, 1 + rnd.nextInt(5));
      double[][] ones = Dpo.zerosLike(r.policyRejected());
      for (double[] row : ones) {
        Arrays.fill(row, 1.0);
      }
      PairLossInput in =
          new PairLossInput(
              r.policyChosen(),
              r.policyRejected(),
              r.refChosen(),
              r.refRejected(),
              null,
              null,
              null,
              ones,
              null);
      double gamma = 0.05 + rnd.nextDouble();
      PairLossResult c = new Cdpo(new Options(gamma, Form.PAPER)).compute(in);
      PairLossResult d = new Dpo(new Dpo.Options(gamma, Dpo.Variant.SIGMOID, 0)).compute(in);
      assertEquals(d.loss(), c.loss(), 0);
      PairGradients.assertArrays(d.gradChosen(), c.gradChosen(), 0, "chosen");
      PairGradients.assertArrays(d.gradRejected(), c.gradRejected(), 0, "rejected");
      assertEquals(d.metrics().get("pref/accuracy"), c.metrics().get("pref/accuracy"));
    }
  }

  @Test
  void gradientsMatchFiniteDifferencesInBothForms() {
    Random rnd = new Random(5);
    for (Form form : Form.values()) {
      Cdpo loss = new Cdpo(new Options(0.8, form));
      for (int trial = 0; trial < 10; trial++) {
        PairGradients.check(loss, PairGradients.random(rnd, 1 + rnd.nextInt(4)), 1e-8);
      }
    }
  }

  @Test
  void eosWeightAndStableScores() {
    double[] w = ContrastiveEstimation.weights(new double[] {0.2, 0.9}, true, 1.0);
    assertArrayEquals(new double[] {0.8, 1.0}, w, 0);
    // huge logits must not overflow
    double[] s =
        ContrastiveEstimation.scores(
            new double[][] {{1000, 0}}, new double[][] {{-1000, 0}}, new int[] {0}, 1.0);
    assertEquals(1.0, s[0], 0);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ContrastiveEstimation.scores(
                    new double[][] {{1, 0}}, new double[][] {{1, 0, 0}}, new int[] {0}, 1.0));
    assertTrue(e.getMessage().contains("same base"), e.getMessage());
  }
}

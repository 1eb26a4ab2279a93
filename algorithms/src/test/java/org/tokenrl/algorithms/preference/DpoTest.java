package org.tokenrl.algorithms.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.preference.Dpo.Options;
import org.tokenrl.algorithms.preference.Dpo.Variant;

/** Spec §1.6 examples D1, D2, the stable primitives of §0.3, and finite-difference gradients. */
class DpoTest {
  private static final double TOL = 1e-9;

  /** D1: the rejected padding token is simply not in the ragged arrays. */
  static PairLossInput d1() {
    return PairLossInput.dpo(
        new double[][] {{-1.0, -2.0, -0.5}},
        new double[][] {{-1.5, -1.0}},
        new double[][] {{-1.2, -2.1, -0.7}},
        new double[][] {{-1.0, -0.8}});
  }

  private static Dpo dpo(Variant v, double eps) {
    return new Dpo(new Options(0.1, v, eps));
  }

  @Test
  void stablePrimitives() {
    assertEquals(Math.log(2), Sigmoids.softplus(0), 0);
    assertEquals(500.0, -Sigmoids.logSigmoid(-500), 0);
    assertEquals(7.124576406741286e-218, -Sigmoids.logSigmoid(500), 1e-230);
    assertEquals(0.0, Sigmoids.sigmoid(-1000), 0);
    assertEquals(1.0, Sigmoids.sigmoid(1000), 0);
  }

  @Test
  void exampleD1() {
    PairLossResult r = dpo(Variant.SIGMOID, 0).compute(d1());
    assertEquals(0.6349461016, r.loss(), TOL);
    assertEquals(0.6469461016, dpo(Variant.CONSERVATIVE, 0.1).compute(d1()).loss(), TOL);
    assertEquals(0.6199461016, dpo(Variant.ROBUST, 0.1).compute(d1()).loss(), TOL);
    assertEquals(0.05, r.metrics().get("pref/reward_chosen"), 1e-12);
    assertEquals(-0.07, r.metrics().get("pref/reward_rejected"), 1e-12);
    assertEquals(0.12, r.metrics().get("pref/reward_margin"), 1e-12);
    assertEquals(1.0, r.metrics().get("pref/accuracy"));
    for (double g : r.gradChosen()[0]) {
      assertEquals(-0.04700359482, g, TOL);
    }
    for (double g : r.gradRejected()[0]) {
      assertEquals(0.04700359482, g, TOL);
    }
  }

  /** D2: pairs given directly by h, as one-token responses with zero reference. */
  private static PairLossInput byMargins(double... h) {
    double[][] pc = new double[h.length][];
    double[][] pr = new double[h.length][];
    double[][] zero = new double[h.length][];
    for (int p = 0; p < h.length; p++) {
      pc[p] = new double[] {h[p]};
      pr[p] = new double[] {0};
      zero[p] = new double[] {0};
    }
    return PairLossInput.dpo(pc, pr, zero, zero);
  }

  @Test
  void exampleD2() {
    Dpo d = dpo(Variant.SIGMOID, 0);
    assertEquals(0.6931471806, d.compute(byMargins(0)).loss(), TOL);
    assertEquals(0.4740769842, d.compute(byMargins(5)).loss(), TOL);
    assertEquals(7.124576407e-218, d.compute(byMargins(5000)).loss(), 1e-226);
    assertEquals(500.0, d.compute(byMargins(-5000)).loss(), 0);
    PairLossResult two = d.compute(byMargins(0, 50));
    assertEquals(0.3499312645, two.loss(), TOL);
    assertEquals(0.5, two.metrics().get("pref/accuracy"));
  }

  @Test
  void identicalResponsesGiveLog2AndCancellingGradients() {
    double[][] lp = {{-1, -2}};
    double[][] ref = {{-1.5, -1}};
    PairLossResult r = dpo(Variant.SIGMOID, 0).compute(PairLossInput.dpo(lp, lp, ref, ref));
    assertEquals(Math.log(2), r.loss(), 1e-15);
    for (int t = 0; t < 2; t++) {
      assertEquals(0, r.gradChosen()[0][t] + r.gradRejected()[0][t], 1e-15);
    }
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    Random rnd = new Random(1);
    for (Variant v : Variant.values()) {
      Dpo d = new Dpo(new Options(0.5, v, v == Variant.SIGMOID ? 0 : 0.2));
      for (int trial = 0; trial < 10; trial++) {
        PairGradients.check(d, PairGradients.random(rnd, 1 + rnd.nextInt(4)), 1e-8);
      }
    }
  }

  @Test
  void badOptionsAreRejectedWithTheKey() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> dpo(Variant.ROBUST, 0.5));
    assertTrue(e.getMessage().contains("label_smoothing"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> dpo(Variant.SIGMOID, 0.1));
    assertTrue(e.getMessage().contains("conservative"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Options(0, Variant.SIGMOID, 0));
  }

  @Test
  void shapeMismatchNamesTheArray() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PairLossInput.dpo(
                    new double[][] {{-1, -2}},
                    new double[][] {{-1}},
                    new double[][] {{-1}},
                    new double[][] {{-1}}));
    assertTrue(e.getMessage().contains("refChosen row 0 has 1 tokens"), e.getMessage());
  }
}

package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;

/** RLOO and REINFORCE++ (plain and baseline): advantages worked out by hand. */
class RlooReinforcePpTest {
  private static final double TOL = 1e-9;

  /**
   * r = {1, 0, 0, 1 | 3, 1}, G = 3 → groups {1, 0, 0}, {1, 3, 1}. Leave-one-out: 1 − 0 = 1, 0 − 0.5
   * = −0.5, −0.5; 1 − 2 = −1, 3 − 1 = 2, −1.
   */
  @Test
  void rlooLeavesOneOut() {
    assertArrayEquals(
        new double[] {1, -0.5, -0.5, -1, 2, -1},
        Rloo.advantages(new double[] {1, 0, 0, 1, 3, 1}, 3));
  }

  /**
   * verl: a group of one keeps A = r. A NaN reward gets 0 and leaves the group: {1, NaN, 0} is the
   * group {1, 0}, A = 1 − 0 and 0 − 1.
   */
  @Test
  void rlooSingletonsAndNaN() {
    assertArrayEquals(new double[] {2, -1}, Rloo.advantages(new double[] {2, -1}, 1));
    assertArrayEquals(new double[] {1, 0, -1}, Rloo.advantages(new double[] {1, Double.NaN, 0}, 3));
  }

  @Test
  void rlooBroadcastsToLossMaskTokens() {
    RlBatch b =
        new RlBatch(
            new double[] {1, 0},
            new int[][] {{1, 2}, {3}},
            2,
            null,
            null,
            null,
            new boolean[][] {{true, false}, {true}},
            0);
    TokenCredit c = Algorithms.create("name = rloo").credit(b);
    assertEquals(1.0, c.advantages()[0][0], TOL);
    assertEquals(0.0, c.advantages()[0][1], TOL);
    assertEquals(-1.0, c.advantages()[1][0], TOL);
  }

  /**
   * REINFORCE++, r = {1, 0} with 3 and 1 loss tokens: token values {1, 1, 1, 0}, mean 0.75,
   * unbiased variance (3·0.0625 + 0.5625)/3 = 0.25, std 0.5: A = (1 − 0.75)/0.5 = 0.5 on row 0 and
   * (0 − 0.75)/0.5 = −1.5 on row 1 (up to the 1e-8 inside the square root).
   */
  @Test
  void reinforcePpWhitensOverTokensOfTheBatch() {
    boolean[][] mask = {{true, true, true}, {true}};
    double[][] a = ReinforcePp.advantages(new double[] {1, 0}, 2, mask, false);
    double scale = 0.5 / Math.sqrt(0.25 + 1e-8);
    assertEquals(0.5 * scale, a[0][0], TOL);
    assertEquals(0.5 * scale, a[0][2], TOL);
    assertEquals(-1.5 * scale, a[1][0], TOL);
  }

  /**
   * REINFORCE++-baseline, r = {1, 0 | 2, 2}, G = 2, one token each: centred {0.5, −0.5, 0, 0}, mean
   * 0, unbiased variance 0.5/3: A = ±0.5/sqrt(1/6), 0, 0. Plain REINFORCE++ on the same: {1, 0, 2,
   * 2}, mean 1.25, variance (0.0625 + 1.5625 + 2·0.5625)/3 = 0.916667.
   */
  @Test
  void baselineSubtractsTheGroupMeanFirst() {
    boolean[][] mask = {{true}, {true}, {true}, {true}};
    double[] r = {1, 0, 2, 2};
    double[][] b = ReinforcePp.advantages(r, 2, mask, true);
    double s = Math.sqrt(0.5 / 3 + 1e-8);
    assertEquals(0.5 / s, b[0][0], TOL);
    assertEquals(-0.5 / s, b[1][0], TOL);
    assertEquals(0.0, b[2][0], TOL);
    double[][] p = ReinforcePp.advantages(r, 2, mask, false);
    double v = (0.0625 + 1.5625 + 2 * 0.5625) / 3;
    assertEquals((1 - 1.25) / Math.sqrt(v + 1e-8), p[0][0], TOL);
    assertEquals((2 - 1.25) / Math.sqrt(v + 1e-8), p[3][0], TOL);
  }

  /** NaN rewards are left out of the statistics and get 0; fewer than two tokens give 0. */
  @Test
  void reinforcePpEdgeCases() {
    boolean[][] mask = {{true}, {true}, {true}};
    double[][] a = ReinforcePp.advantages(new double[] {1, Double.NaN, 0}, 3, mask, false);
    double s = Math.sqrt(0.5 + 1e-8);
    assertEquals(0.5 / s, a[0][0], TOL);
    assertEquals(0.0, a[1][0], TOL);
    assertEquals(-0.5 / s, a[2][0], TOL);
    assertEquals(
        0.0, ReinforcePp.advantages(new double[] {1}, 1, new boolean[][] {{true}}, false)[0][0]);
  }

  @Test
  void namesAndDefaults() {
    assertEquals("reinforce_pp", Algorithms.create("name = reinforce_pp").name());
    assertEquals("reinforce_pp_baseline", Algorithms.create("name = reinforce_pp_baseline").name());
    assertEquals(0.2, Algorithms.create("name = rloo").settings().getDouble("clip_eps_low"));
  }

  private static void assertArrayEquals(double[] expected, double[] actual) {
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, TOL);
  }
}

package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.Grpo.Options;
import org.tokenrl.algorithms.rl.Grpo.ScaleRewards;

/** Spec §1.6 G-1 and G-1b, and the §1.5 edge cases. */
class GrpoAdvantageTest {
  private static final double TOL = 1e-9;
  private static final double[] G1 = {1, 0, 0, 1, 1, 1, 1, 1};

  private static double[] signs(double a) {
    return new double[] {a, -a, -a, a, 0, 0, 0, 0};
  }

  @Test
  void exampleG1TrlGroup() {
    double[] adv = Grpo.advantages(G1, 4, new Options(ScaleRewards.GROUP, 1e-4));
    assertArrayEquals(signs(0.8658754298), adv, TOL);
  }

  @Test
  void exampleG1VerlGroup() {
    double[] adv = Grpo.advantages(G1, 4, new Options(ScaleRewards.GROUP, 1e-6));
    assertArrayEquals(signs(0.8660239038), adv, TOL);
  }

  @Test
  void exampleG1None() {
    double[] adv = Grpo.advantages(G1, 4, new Options(ScaleRewards.NONE, 1e-4));
    assertArrayEquals(signs(0.5), adv, TOL);
  }

  @Test
  void exampleG1Batch() {
    double[] adv = Grpo.advantages(G1, 4, new Options(ScaleRewards.BATCH, 1e-4));
    assertArrayEquals(signs(1.0798901668), adv, TOL);
  }

  @Test
  void exampleG1b() {
    double[] r = {0.2, 0.9, 0.4};
    assertArrayEquals(
        new double[] {-0.8318195891, 1.1090927855, -0.2772731964},
        Grpo.advantages(r, 3, new Options(ScaleRewards.GROUP, 1e-4)),
        TOL);
    assertArrayEquals(
        new double[] {-0.8320479867, 1.1093973155, -0.2773493289},
        Grpo.advantages(r, 3, new Options(ScaleRewards.GROUP, 1e-6)),
        TOL);
  }

  @Test
  void singletonGroupsGetZero() {
    double[] adv =
        Grpo.advantages(new double[] {0.3, 1.0, -2.0}, 1, new Options(ScaleRewards.GROUP, 1e-4));
    assertArrayEquals(new double[3], adv, 0.0);
  }

  @Test
  void nanRewardsAreLeftOutOfStatisticsAndGetZero() {
    double[] withNan = {1, Double.NaN, 0, 0, 1};
    double[] without = {1, 0, 0, 1};
    Options o = new Options(ScaleRewards.GROUP, 1e-4);
    double[] a = Grpo.advantages(withNan, 5, o);
    double[] b = Grpo.advantages(without, 4, o);
    assertArrayEquals(new double[] {b[0], 0.0, b[1], b[2], b[3]}, a, 0.0);
  }

  @Test
  void creditBroadcastsToTokens() {
    RlBatch in = RlBatch.of(G1, new int[][] {{1, 2}, {3}, {}, {4, 5, 6}, {1}, {1}, {1}, {1}}, 4);
    TokenCredit c = new Grpo(new Options(ScaleRewards.GROUP, 1e-4)).credit(in);
    double[] expected = signs(0.8658754298);
    for (int i = 0; i < 8; i++) {
      assertEquals(in.responses()[i].length, c.advantages()[i].length);
      for (int t = 0; t < c.advantages()[i].length; t++) {
        assertEquals(expected[i], c.advantages()[i][t], TOL);
        assertEquals(true, c.keep()[i][t]);
      }
    }
    assertEquals(0.0, c.metrics().get("credit/nan_reward_frac"), 0.0);
    assertTrue(hasSignal(c));
    RlBatch flat = RlBatch.of(new double[] {1, 1}, new int[][] {{1}, {2}}, 2);
    assertFalse(hasSignal(new Grpo(new Options(ScaleRewards.GROUP, 1e-4)).credit(flat)));
  }

  @Test
  void dynamicSamplingDropsZeroVarianceGroups() {
    double[] r = {1, 0, 0, 1, 1, 1, 1, 1, 0.5, Double.NaN, 0.5, 0.5, 0, Double.NaN, 1, 1};
    boolean[] keep = DynamicSampling.keepGroups(r, 4);
    assertArrayEquals(new boolean[] {true, false, false, true}, keep);
    assertArrayEquals(new int[] {0, 1, 2, 3, 12, 13, 14, 15}, DynamicSampling.keptRows(keep, 4));
  }

  @Test
  void maskTruncatedDropsWholeResponsesButKeepsTheirRewardsInTheStatistics() {
    RlAlgorithm algo = Algorithms.create("name = grpo, mask_truncated = true");
    RlBatch in =
        new RlBatch(
            new double[] {1, 0, 0, 1},
            new int[][] {{1, 2}, {3, 4}, {5}, {6, 7, 8}},
            4,
            new boolean[] {false, true, false, false},
            null,
            0.0);
    TokenCredit c = algo.credit(in);
    assertArrayEquals(new boolean[] {false, false}, c.keep()[1]);
    assertArrayEquals(new boolean[] {true, true}, c.keep()[0]);
    assertEquals(-0.8658754298, c.advantages()[1][0], TOL);
    assertEquals(0.25, c.metrics().get("credit/truncated_frac"), 0.0);
  }

  /** Whether any kept token has a non-zero advantage (the policy-gradient term can move). */
  private static boolean hasSignal(TokenCredit c) {
    for (int i = 0; i < c.advantages().length; i++) {
      for (int t = 0; t < c.advantages()[i].length; t++) {
        if (c.keep()[i][t] && c.advantages()[i][t] != 0) {
          return true;
        }
      }
    }
    return false;
  }
}

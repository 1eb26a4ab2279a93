package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.Tempo.Options;

/** Spec §3.5 T-1 to T-4, and the trie against a direct O(G²T²) computation. */
class TempoTest {
  private static final double TOL = 1e-9;

  private static double[][] tempo(int[][] responses, double[] r, boolean normStd) {
    return new Tempo(new Options(normStd, 1e-6, 1.0))
        .credit(RlBatch.of(r, responses, r.length))
        .advantages();
  }

  private static void assertRows(double[][] expected, double[][] actual) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertArrayEquals(expected[i], actual[i], TOL, "response " + (i + 1));
    }
  }

  private static final int[][] T1 = {{5, 7, 9, 2}, {5, 7, 8, 2}, {5, 6, 9, 2}, {4, 6, 9, 2}};
  private static final double[] T1R = {1, 0, 1, 0};

  @Test
  void exampleT1NormStd() {
    assertRows(
        new double[][] {
          {1.1546985384, 0.5773492692, 1.7320478076, 0.8660239038},
          {-0.5773492692, -1.1546985384, -1.7320478076, -0.8660239038},
          {1.1546985384, 1.4433731730, 0.8660239038, 0.8660239038},
          {-1.7320478076, -0.8660239038, -0.8660239038, -0.8660239038}
        },
        tempo(T1, T1R, true));
  }

  @Test
  void exampleT1Raw() {
    assertRows(
        new double[][] {
          {0.6666666667, 0.3333333333, 1.0, 0.5},
          {-0.3333333333, -0.6666666667, -1.0, -0.5},
          {0.6666666667, 0.8333333333, 0.5, 0.5},
          {-1.0, -0.5, -0.5, -0.5}
        },
        tempo(T1, T1R, false));
  }

  private static final int[][] T2 = {{3, 4, 2}, {3, 4, 5, 2}, {3, 4, 2}, {3, 7}};
  private static final double[] T2R = {1, 0, 1, 0};

  @Test
  void exampleT2DifferentLengthsDuplicatesTruncation() {
    double[] o1 = {0.8660239038, 1.1546985384, 1.4433731730};
    assertRows(
        new double[][] {
          o1,
          {-0.8660239038, -0.5773492692, -2.0207224422, -0.8660239038},
          o1,
          {-0.8660239038, -1.7320478076}
        },
        tempo(T2, T2R, true));
    double[] raw1 = {0.5, 0.6666666667, 0.8333333333};
    assertRows(
        new double[][] {raw1, {-0.5, -0.3333333333, -1.1666666667, -0.5}, raw1, {-0.5, -1.0}},
        tempo(T2, T2R, false));
  }

  @Test
  void exampleT3AllEqualRewardsGiveZeros() {
    assertRows(
        new double[][] {{0, 0}, {0, 0}, {0}},
        tempo(new int[][] {{1, 2}, {1, 3}, {4}}, new double[] {1, 1, 1}, true));
  }

  @Test
  void exampleT4SingletonGivesZeros() {
    assertRows(new double[][] {{0, 0}}, tempo(new int[][] {{1, 2}}, new double[] {1}, true));
  }

  @Test
  void zeroTdWeightIsGrpoWithTheSameEpsilon() {
    TokenCredit c = new Tempo(new Options(true, 1e-6, 0.0)).credit(RlBatch.of(T1R, T1, 4));
    double[] grpo = Grpo.advantages(T1R, 4, new Grpo.Options(Grpo.ScaleRewards.GROUP, 1e-6));
    double[][] reference = TempoReference.advantages(T1, T1R, true, 1e-6, 0.0);
    for (int i = 0; i < 4; i++) {
      for (int t = 0; t < T1[i].length; t++) {
        assertEquals(grpo[i], c.advantages()[i][t], TOL);
        assertEquals(reference[i][t], c.advantages()[i][t], TOL);
      }
    }
  }

  @Test
  void trieMatchesDirectComputationOnRandomGroups() {
    Random rnd = new Random(2024);
    for (int rep = 0; rep < 300; rep++) {
      int g = 2 + rnd.nextInt(7);
      int[][] tok = new int[g][];
      double[] r = new double[g];
      for (int i = 0; i < g; i++) {
        double u = rnd.nextDouble();
        if (i > 0 && u < 0.2) {
          tok[i] = tok[rnd.nextInt(i)].clone(); // duplicate
        } else if (i > 0 && u < 0.4) {
          int[] other = tok[rnd.nextInt(i)];
          tok[i] = Arrays.copyOf(other, rnd.nextInt(other.length + 1)); // a prefix of another
        } else if (i > 0 && u < 0.6) {
          int[] other = tok[rnd.nextInt(i)];
          tok[i] = Arrays.copyOf(other, other.length + 1 + rnd.nextInt(3)); // extends another
          for (int t = other.length; t < tok[i].length; t++) {
            tok[i][t] = rnd.nextInt(3);
          }
        } else {
          tok[i] = rnd.ints(rnd.nextInt(8), 0, 3).toArray(); // small vocab: many shared prefixes
        }
        r[i] = rnd.nextBoolean() ? rnd.nextInt(2) : rnd.nextGaussian();
      }
      boolean normStd = rnd.nextBoolean();
      double w = rnd.nextBoolean() ? 1.0 : rnd.nextDouble();
      TokenCredit c = new Tempo(new Options(normStd, 1e-6, w)).credit(RlBatch.of(r, tok, g));
      double[][] expectedRows = TempoReference.advantages(tok, r, normStd, 1e-6, w);
      long branching = 0;
      long tokens = 0;
      for (int i = 0; i < g; i++) {
        assertEquals(tok[i].length, c.advantages()[i].length);
        for (int t = 0; t < tok[i].length; t++) {
          assertEquals(
              expectedRows[i][t],
              c.advantages()[i][t],
              1e-9,
              "rep " + rep + " response " + i + " t " + t);
          int sharedBefore = 0;
          int sharedAfter = 0;
          for (int[] other : tok) {
            sharedBefore += other.length >= t && Arrays.equals(other, 0, t, tok[i], 0, t) ? 1 : 0;
            sharedAfter +=
                other.length > t && Arrays.equals(other, 0, t + 1, tok[i], 0, t + 1) ? 1 : 0;
          }
          branching += sharedAfter < sharedBefore ? 1 : 0;
          tokens++;
        }
      }
      double frac = tokens == 0 ? 0 : branching / (double) tokens;
      assertEquals(frac, c.metrics().get("tempo/branch_token_frac"), 1e-12);
    }
  }

  @Test
  void tempoDefaultsFollowTheOfficialScripts() {
    Tempo tempo = (Tempo) Algorithms.create("name = tempo");
    assertEquals(0.28, tempo.objective().options().clipEpsHigh(), 0.0);
    assertEquals(0.2, tempo.objective().options().clipEpsLow(), 0.0);
    assertTrue(!tempo.needsReference());
    assertRows(tempo(T1, T1R, true), tempo.credit(RlBatch.of(T1R, T1, 4)).advantages());
  }
}

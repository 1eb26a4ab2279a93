package org.tokenrl.algorithms.preference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

/** Finite-difference checks and random inputs shared by the preference-loss tests. */
final class PairGradients {
  private PairGradients() {}

  private static final double H = 1e-6;

  /** Central differences of loss w.r.t. every policy log-prob against the analytic gradient. */
  static void check(PairObjective objective, PairLossInput in, double tol) {
    checkAgainst(objective, in, objective.compute(in), tol);
  }

  /** Central differences of {@code objective}'s loss against the gradients of {@code r}. */
  static void checkAgainst(
      PairObjective objective, PairLossInput in, PairLossResult r, double tol) {
    checkSide(objective, in, in.policyChosen(), r.gradChosen(), tol, "chosen");
    checkSide(objective, in, in.policyRejected(), r.gradRejected(), tol, "rejected");
  }

  private static void checkSide(
      PairObjective objective,
      PairLossInput in,
      double[][] x,
      double[][] grad,
      double tol,
      String side) {
    for (int p = 0; p < x.length; p++) {
      for (int t = 0; t < x[p].length; t++) {
        double keep = x[p][t];
        x[p][t] = keep + H;
        double up = objective.compute(in).loss();
        x[p][t] = keep - H;
        double down = objective.compute(in).loss();
        x[p][t] = keep;
        assertEquals((up - down) / (2 * H), grad[p][t], tol, side + " [" + p + "][" + t + "]");
      }
    }
  }

  /** A ragged batch with every optional input filled (rewards in (−½,½), weights in [0,1]). */
  static PairLossInput random(Random rnd, int pairs) {
    double[][][] a = new double[8][pairs][];
    int[] prompt = new int[pairs];
    for (int p = 0; p < pairs; p++) {
      int lc = 1 + rnd.nextInt(5);
      int lr = 1 + rnd.nextInt(5);
      prompt[p] = 1 + rnd.nextInt(4);
      for (int k = 0; k < 8; k++) {
        int len = k % 2 == 0 ? lc : lr;
        a[k][p] = new double[len];
        for (int t = 0; t < len; t++) {
          a[k][p][t] =
              switch (k / 2) {
                case 0, 1 -> -3 * rnd.nextDouble();
                case 2 -> rnd.nextDouble() - 0.5;
                default -> rnd.nextDouble();
              };
        }
      }
    }
    return new PairLossInput(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], prompt);
  }

  static void assertArrays(double[][] expected, double[][] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int p = 0; p < expected.length; p++) {
      assertEquals(expected[p].length, actual[p].length, what + " row " + p);
      for (int t = 0; t < expected[p].length; t++) {
        assertEquals(expected[p][t], actual[p][t], tol, what + " [" + p + "][" + t + "]");
      }
    }
  }
}

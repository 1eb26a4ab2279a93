package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.KlEstimator;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossAggregation;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.LossAggregation.SeqMeanRows;
import org.tokenrl.algorithms.rl.ClippedPolicyObjective.Options;

/**
 * gradLogpNew against central finite differences of loss(logpNew), on random ragged batches, for
 * every aggregation, KL estimator, N' convention and with dual clipping on and off. Inputs avoid
 * the kinks (clip bounds, clamps) by a margin much larger than the step, and include tokens beyond
 * the ±20 log-ratio and k3 clamps, where the gradient must be 0.
 */
class GrpoGradientCheckTest {
  private static final double H = 1e-6;

  private record Batch(
      double[][] lpNew,
      double[][] lpOld,
      double[][] lpRef,
      double[][] adv,
      boolean[][] mask,
      boolean[][] denominator) {}

  private static boolean nearKink(double lpNew, double lpOld, double lpRef, double adv, Options o) {
    double lr = lpNew - lpOld;
    double rho = Math.exp(lr);
    double d = lpRef - lpNew;
    double k3 = Math.exp(d) - d - 1;
    return Math.abs(rho - (1 - o.clipEpsLow())) < 1e-3
        || Math.abs(rho - (1 + o.clipEpsHigh())) < 1e-3
        || (o.dualClipC() > 0 && adv < 0 && Math.abs(rho - o.dualClipC()) < 1e-3)
        || Math.abs(Math.abs(lr) - 20) < 1e-3
        || Math.abs(Math.abs(d) - 20) < 1e-3
        || Math.abs(k3 - 10) < 1e-3;
  }

  private static Batch randomBatch(Random rnd, Options o) {
    int n = 2 + rnd.nextInt(5);
    double[][] lpNew = new double[n][];
    double[][] lpOld = new double[n][];
    double[][] lpRef = new double[n][];
    double[][] adv = new double[n][];
    boolean[][] mask = new boolean[n][];
    boolean[][] denominator = new boolean[n][];
    for (int i = 0; i < n; i++) {
      int len = rnd.nextInt(7);
      lpNew[i] = new double[len];
      lpOld[i] = new double[len];
      lpRef[i] = new double[len];
      adv[i] = new double[len];
      mask[i] = new boolean[len];
      denominator[i] = new boolean[len];
      double rowAdv = rnd.nextGaussian();
      for (int t = 0; t < len; t++) {
        mask[i][t] = rnd.nextDouble() < 0.8;
        denominator[i][t] = mask[i][t] || rnd.nextDouble() < 0.5;
        if (!mask[i][t]) {
          // never read: garbage must not leak into the loss
          lpNew[i][t] = Double.NaN;
          lpOld[i][t] = Double.NaN;
          lpRef[i][t] = Double.NaN;
          adv[i][t] = Double.NaN;
          continue;
        }
        adv[i][t] = rnd.nextBoolean() ? rowAdv : rnd.nextGaussian();
        do {
          lpOld[i][t] = -3 * rnd.nextDouble();
          double u = rnd.nextDouble();
          double shift = u < 0.05 ? 25 : u < 0.1 ? -25 : 0.8 * rnd.nextGaussian();
          lpNew[i][t] = lpOld[i][t] + shift;
          double v = rnd.nextDouble();
          lpRef[i][t] = lpNew[i][t] + (v < 0.05 ? 15 : v < 0.1 ? -25 : rnd.nextGaussian());
        } while (nearKink(lpNew[i][t], lpOld[i][t], lpRef[i][t], adv[i][t], o));
      }
    }
    return new Batch(lpNew, lpOld, lpRef, adv, mask, denominator);
  }

  private static double lossAt(
      ClippedPolicyObjective obj, Batch b, double[][] lpNew, boolean fullDenominator) {
    return obj.compute(input(b, lpNew, fullDenominator)).loss();
  }

  private static PolicyLossInput input(Batch b, double[][] lpNew, boolean fullDenominator) {
    return new PolicyLossInput(
        lpNew,
        b.lpOld(),
        b.lpRef(),
        b.adv(),
        b.mask(),
        fullDenominator ? b.denominator() : null,
        5);
  }

  @Test
  void analyticGradientMatchesFiniteDifferences() {
    Random rnd = new Random(12345);
    int checked = 0;
    for (LossAggregation agg : LossAggregation.values()) {
      for (KlEstimator kl : KlEstimator.values()) {
        for (SeqMeanRows rows : SeqMeanRows.values()) {
          for (double dual : new double[] {0, 3.0}) {
            for (double beta : new double[] {0, 0.1}) {
              Options o = new Options(0.2, 0.28, dual, beta, kl, agg, rows);
              ClippedPolicyObjective obj = new ClippedPolicyObjective(o);
              for (int rep = 0; rep < 3; rep++) {
                Batch b = randomBatch(rnd, o);
                boolean full = rnd.nextBoolean();
                LossResult r = obj.compute(input(b, b.lpNew(), full));
                assertTrue(Double.isFinite(r.loss()), "loss must ignore masked garbage");
                for (int i = 0; i < b.lpNew().length; i++) {
                  for (int t = 0; t < b.lpNew()[i].length; t++) {
                    if (!b.mask()[i][t]) {
                      assertEquals(0.0, r.gradLogpNew()[i][t], 0.0);
                      continue;
                    }
                    double[][] plus = deepCopy(b.lpNew());
                    double[][] minus = deepCopy(b.lpNew());
                    plus[i][t] += H;
                    minus[i][t] -= H;
                    double fd =
                        (lossAt(obj, b, plus, full) - lossAt(obj, b, minus, full)) / (2 * H);
                    double an = r.gradLogpNew()[i][t];
                    // a token beyond the ratio clamp can hold A·e^20 of loss: its rounding error
                    // divided by 2H bounds how well any finite difference can be resolved
                    double roundoff = 8 * Math.ulp(Math.abs(r.loss()) + 1) / (2 * H);
                    assertEquals(
                        fd,
                        an,
                        1e-6 * Math.max(1, Math.abs(fd)) + roundoff,
                        o + " row " + i + " token " + t);
                    checked++;
                  }
                }
              }
            }
          }
        }
      }
    }
    assertTrue(checked > 1000, "checked " + checked + " tokens");
  }

  @Test
  void lossIsPgPlusBetaKlInEveryAggregation() {
    Random rnd = new Random(7);
    for (LossAggregation agg : LossAggregation.values()) {
      Options o = new Options(0.2, 0.2, 0, 0.3, KlEstimator.K2, agg, SeqMeanRows.ALL);
      Batch b = randomBatch(rnd, o);
      LossResult r = new ClippedPolicyObjective(o).compute(input(b, b.lpNew(), false));
      double sum = r.metrics().get("actor/pg_loss") + 0.3 * r.metrics().get("actor/kl");
      assertEquals(r.loss(), sum, 1e-12 * Math.max(1, Math.abs(sum)));
    }
  }

  private static double[][] deepCopy(double[][] a) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
    }
    return c;
  }
}

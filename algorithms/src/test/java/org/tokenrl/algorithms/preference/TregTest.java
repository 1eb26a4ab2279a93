package org.tokenrl.algorithms.preference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.preference.Dpo.Variant;
import org.tokenrl.algorithms.preference.Treg.Options;
import org.tokenrl.algorithms.preference.Treg.TokenRewards;

/** Spec §2.6 examples T1, T2; α = 0 is DPO; both weight modes against finite differences. */
class TregTest {
  private static final double TOL = 1e-9;

  private static Treg treg(double beta, double alpha, boolean detach) {
    return new Treg(new Options(new Dpo.Options(beta, Variant.SIGMOID, 0), alpha, detach));
  }

  private static PairLossInput withRewards(PairLossInput d, double[][] rc, double[][] rr) {
    return new PairLossInput(
        d.policyChosen(),
        d.policyRejected(),
        d.refChosen(),
        d.refRejected(),
        rc,
        rr,
        null,
        null,
        null);
  }

  @Test
  void exampleT1() {
    double[][] rc =
        TokenRewards.contrastive(
            new double[][] {{-0.2, -1.0, -0.3}}, new double[][] {{-0.9, -1.0, -0.1}});
    double[][] rr =
        TokenRewards.contrastive(new double[][] {{-2.0, -0.4}}, new double[][] {{-0.5, -0.6}});
    assertArrayEquals(new double[] {0.1681877722, 0.0, -0.04983399731}, rc[0], TOL);
    assertArrayEquals(new double[] {-0.3175744762, 0.04983399731}, rr[0], TOL);
    // D1's pair (the padded rejected token is not in the ragged arrays)
    PairLossResult r = treg(0.1, 0.5, true).compute(withRewards(DpoTest.d1(), rc, rr));
    assertEquals(0.6282890543, r.loss(), TOL);
    assertArrayEquals(
        new double[] {-0.05095630977, -0.04700359482, -0.04583240631}, r.gradChosen()[0], TOL);
    assertArrayEquals(new double[] {0.05446716583, 0.04583240631}, r.gradRejected()[0], TOL);
    assertEquals(0.4700359482, r.metrics().get("treg/weight_mean"), TOL);
    assertEquals(0.6349461016, r.metrics().get("treg/dpo_loss"), TOL);
    assertEquals(
        0.5 * 0.4700359482 * (0.01432707735 - 0.04265277170),
        r.metrics().get("treg/reg_loss"),
        TOL);
  }

  @Test
  void exampleT2() {
    double[][] same = {{-0.5, -0.5}};
    double[][] zero = TokenRewards.contrastive(same, same);
    double[][] lp = {{-1, -3}};
    double[][] ref = {{-1.2, -2}};
    PairLossInput a = withRewards(PairLossInput.dpo(lp, lp, ref, ref), zero, zero);
    assertEquals(0.6931471806, treg(0.1, 0.5, true).compute(a).loss(), TOL);
    double[][] rhat = {{0.2, -0.1}};
    PairLossInput b = withRewards(PairLossInput.dpo(lp, lp, ref, ref), rhat, rhat);
    assertEquals(0.6881471806, treg(0.1, 0.5, true).compute(b).loss(), TOL);
  }

  @Test
  void alphaZeroIsExactlyDpo() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 20; trial++) {
      PairLossInput in = PairGradients.random(rnd, 1 + rnd.nextInt(5));
      for (boolean detach : new boolean[] {true, false}) {
        PairLossResult t = treg(0.3, 0, detach).compute(in);
        PairLossResult d = new Dpo(new Dpo.Options(0.3, Variant.SIGMOID, 0)).compute(in);
        assertEquals(d.loss(), t.loss(), 0);
        PairGradients.assertArrays(d.gradChosen(), t.gradChosen(), 0, "chosen");
        PairGradients.assertArrays(d.gradRejected(), t.gradRejected(), 0, "rejected");
      }
    }
  }

  @Test
  void gradientsMatchFiniteDifferencesInBothWeightModes() {
    Random rnd = new Random(3);
    for (int trial = 0; trial < 10; trial++) {
      PairLossInput in = PairGradients.random(rnd, 1 + rnd.nextInt(4));
      PairGradients.check(treg(0.7, 0.5, false), in, 1e-8);
    }
    // detached: differentiate the loss with every pair's w frozen at its current value
    PairLossInput in = PairGradients.random(rnd, 3);
    double[] w0 = new double[3];
    double[] dw = Dpo.logRatioSums(in.policyChosen(), in.refChosen());
    double[] dl = Dpo.logRatioSums(in.policyRejected(), in.refRejected());
    for (int p = 0; p < 3; p++) {
      w0[p] = Sigmoids.sigmoid(-0.7 * (dw[p] - dl[p]));
    }
    Dpo plain = new Dpo(new Dpo.Options(0.7, Variant.SIGMOID, 0));
    PairObjective frozen =
        x -> {
          PairLossResult d = plain.compute(x);
          double loss = d.loss();
          for (int p = 0; p < 3; p++) {
            double reg =
                Treg.tokenWeightedNll(0.7, x.tokenRewardChosen()[p], x.policyChosen()[p])
                    + Treg.tokenWeightedNll(0.7, x.tokenRewardRejected()[p], x.policyRejected()[p]);
            loss += 0.5 * w0[p] * reg / 3;
          }
          return new PairLossResult(loss, null, null, null);
        };
    PairLossResult det = treg(0.7, 0.5, true).compute(in);
    PairGradients.checkAgainst(frozen, in, det, 1e-8);
    PairLossResult live = treg(0.7, 0.5, false).compute(in);
    assertEquals(det.loss(), live.loss(), 0);
    assertTrue(det.gradChosen()[0][0] != live.gradChosen()[0][0]);
  }

  @Test
  void missingTokenRewardsNameTheAlgorithm() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> treg(0.1, 0.5, true).compute(DpoTest.d1()));
    assertTrue(e.getMessage().contains("tokenRewardChosen") && e.getMessage().contains("treg"));
  }
}

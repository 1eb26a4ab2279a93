package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.core.Metrics;

/**
 * The entropy bonus (docs/entropy-bonus.md): its value and dLoss/dH for every policy-gradient
 * algorithm, and the exact logits gradient of the entropy that the model must apply.
 */
class EntropyBonusTest {
  private static final double TOL = 1e-12;

  private static final double[][] LP_OLD = {{-1, -1, -1}, {-1}};
  private static final double[][] LP_NEW = {{-0.9, -1.1, -1.0}, {-1.2}};
  private static final double[][] H = {{0.5, 2.0, 1.0}, {0.3}};
  private static final boolean[][] MASK = {{true, false, true}, {true}};

  private static RlBatch batch() {
    return new RlBatch(
        new double[] {1, 0}, new int[][] {{1, 2, 3}, {4}}, 2, null, null, null, MASK, 0);
  }

  /**
   * GRPO, token-mean over the 3 kept tokens: the bonus is 0.1·(0.5 + 1.0 + 0.3)/3 = 0.06 (the
   * masked token's H = 2 is ignored), dLoss/dH = −0.1/3 on kept tokens, 0 on the masked one.
   */
  @Test
  void workedExampleTokenMean() {
    RlAlgorithm with = Algorithms.create("name = grpo, entropy_coef = 0.1");
    RlAlgorithm without = Algorithms.create("name = grpo");
    TokenCredit c = with.credit(batch());
    PolicyLossInput in = c.lossInput(LP_NEW, LP_OLD, null, 4);
    LossResult base = without.loss(in);
    LossResult res = with.loss(in.withEntropies(H));
    assertEquals(base.loss() - 0.06, res.loss(), TOL);
    assertEquals(0.6, res.metrics().get(Metrics.ACTOR_POLICY_ENTROPY), TOL);
    assertEquals(res.loss(), res.metrics().get(Metrics.ACTOR_LOSS), TOL); // the logged loss too
    assertEquals(-0.1 / 3, res.gradEntropy()[0][0], TOL);
    assertEquals(0.0, res.gradEntropy()[0][1], TOL);
    assertEquals(-0.1 / 3, res.gradEntropy()[1][0], TOL);
    for (int i = 0; i < 2; i++) {
      for (int t = 0; t < LP_NEW[i].length; t++) {
        assertEquals(base.gradLogpNew()[i][t], res.gradLogpNew()[i][t], TOL); // H is not a logp
      }
    }
    assertNull(base.gradEntropy());
  }

  /** dLoss/dH against central differences in H, for every policy-gradient algorithm. */
  @Test
  void gradEntropyPassesFiniteDifferences() {
    String[] configs = {
      "name = grpo, entropy_coef = 0.2, loss_agg = seq-mean-token-mean",
      "name = tempo, entropy_coef = 0.05",
      "name = d3s, entropy_coef = 0.1, n_init = 1, k_init = 1",
      "name = gspo, entropy_coef = 0.3",
      "name = gspo, variant = token, entropy_coef = 0.3, loss_agg = dr-grpo",
      "name = rloo, entropy_coef = 0.01, loss_agg = seq-mean-token-sum",
      "name = reinforce_pp, entropy_coef = 0.01",
      "name = reinforce_pp_baseline, entropy_coef = 0.5, kl_beta = 0.1",
    };
    double h = 1e-6;
    double[][] lpRef = {{-1.1, -0.8, -1.3}, {-0.9}};
    for (String config : configs) {
      RlAlgorithm a = Algorithms.create(config);
      TokenCredit c = a.credit(batch());
      double[][] ent = {H[0].clone(), H[1].clone()};
      double[][] ref = a.needsReference() ? lpRef : null;
      LossResult res = a.loss(c.lossInput(LP_NEW, LP_OLD, ref, 4).withEntropies(ent));
      for (int i = 0; i < 2; i++) {
        for (int t = 0; t < ent[i].length; t++) {
          double keep = ent[i][t];
          ent[i][t] = keep + h;
          double up = a.loss(c.lossInput(LP_NEW, LP_OLD, ref, 4).withEntropies(ent)).loss();
          ent[i][t] = keep - h;
          double down = a.loss(c.lossInput(LP_NEW, LP_OLD, ref, 4).withEntropies(ent)).loss();
          ent[i][t] = keep;
          assertEquals((up - down) / (2 * h), res.gradEntropy()[i][t], 1e-8, config + " " + i + t);
        }
      }
    }
  }

  /**
   * The exact gradient the model needs: for logits z with p = softmax(z), dH/dz_u = −p_u·(log p_u +
   * H). The same gradient comes out of the model's existing surrogate Σ_v c_v·log p_v (Policy's
   * VocabCoef) with detached dense coefficients c_v = −p_v·log p_v: its z-gradient is c_u − p_u·Σ_v
   * c_v = −p_u·log p_u − p_u·H. Both checked against finite differences of H(z).
   */
  @Test
  void entropyLogitGradientPassesFiniteDifferences() {
    Random rnd = new Random(5);
    double h = 1e-6;
    for (int trial = 0; trial < 20; trial++) {
      double[] z = new double[2 + rnd.nextInt(9)];
      for (int v = 0; v < z.length; v++) {
        z[v] = 3 * rnd.nextGaussian();
      }
      double[] p = softmax(z);
      double ent = entropy(z);
      double[] c = new double[z.length];
      double cSum = 0;
      for (int v = 0; v < z.length; v++) {
        c[v] = -p[v] * Math.log(p[v]);
        cSum += c[v];
      }
      for (int u = 0; u < z.length; u++) {
        double keep = z[u];
        z[u] = keep + h;
        double up = entropy(z);
        z[u] = keep - h;
        double down = entropy(z);
        z[u] = keep;
        double fd = (up - down) / (2 * h);
        assertEquals(fd, -p[u] * (Math.log(p[u]) + ent), 1e-8);
        assertEquals(fd, c[u] - p[u] * cSum, 1e-8);
      }
    }
  }

  @Test
  void needsEntropiesAndRejectsNegative() {
    RlAlgorithm a = Algorithms.create("name = rloo, entropy_coef = 0.1");
    TokenCredit c = a.credit(batch());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> a.loss(c.lossInput(LP_NEW, LP_OLD, null, 4)));
    assertTrue(e.getMessage().contains("algorithm.entropy_coef"), e.getMessage());
    IllegalArgumentException neg =
        assertThrows(
            IllegalArgumentException.class,
            () -> Algorithms.create("name = gspo, entropy_coef = -1"));
    assertTrue(neg.getMessage().contains("algorithm.entropy_coef"), neg.getMessage());
  }

  private static double[] softmax(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : z) {
      max = Math.max(max, x);
    }
    double sum = 0;
    double[] p = new double[z.length];
    for (int v = 0; v < z.length; v++) {
      p[v] = Math.exp(z[v] - max);
      sum += p[v];
    }
    for (int v = 0; v < z.length; v++) {
      p[v] /= sum;
    }
    return p;
  }

  private static double entropy(double[] z) {
    double[] p = softmax(z);
    double ent = 0;
    for (double q : p) {
      ent -= q * Math.log(q);
    }
    return ent;
  }
}

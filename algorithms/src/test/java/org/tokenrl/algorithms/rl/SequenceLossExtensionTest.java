package org.tokenrl.algorithms.rl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The {@link RlAlgorithm} contract carries a loss that is not per-token: a GSPO-style sequence
 * ratio (arXiv 2507.18071) written as one class against the interface alone, honouring the loss
 * mask, with its gradient checked by finite differences.
 */
class SequenceLossExtensionTest {

  /**
   * GSPO: s_i = exp(mean_t (logpNew − logpOld)) over loss tokens, clipped like PPO per sequence.
   */
  private static final class SequenceRatio implements RlAlgorithm {
    private static final double EPS = 0.2;
    private final Grpo.Options options = new Grpo.Options(Grpo.ScaleRewards.GROUP, 1e-4);

    @Override
    public String name() {
      return "seq_ratio";
    }

    @Override
    public Config settings() {
      return ConfigFactory.parseString("name = seq_ratio");
    }

    @Override
    public int updatesPerBatch() {
      return 1;
    }

    @Override
    public boolean needsReference() {
      return false;
    }

    @Override
    public TokenCredit credit(RlBatch batch) {
      double[] a = Grpo.advantages(batch.rewards(), batch.groupSize(), options);
      double[][] adv = new double[batch.size()][];
      boolean[][] keep = new boolean[batch.size()][];
      for (int i = 0; i < adv.length; i++) {
        keep[i] = batch.lossMask()[i].clone();
        adv[i] = new double[keep[i].length];
        for (int t = 0; t < keep[i].length; t++) {
          adv[i][t] = keep[i][t] ? a[i] : 0.0;
        }
      }
      return new TokenCredit(adv, keep, keep, Map.of());
    }

    @Override
    public LossResult loss(PolicyLossInput in) {
      int n = in.logpNew().length;
      double[][] grad = new double[n][];
      double loss = 0;
      for (int i = 0; i < n; i++) {
        grad[i] = new double[in.logpNew()[i].length];
        int count = 0;
        double logRatio = 0;
        double adv = 0;
        for (int t = 0; t < grad[i].length; t++) {
          if (in.mask()[i][t]) {
            count++;
            logRatio += in.logpNew()[i][t] - in.logpOld()[i][t];
            adv = in.advantages()[i][t];
          }
        }
        if (count == 0) {
          continue;
        }
        double s = Math.exp(logRatio / count);
        double clipped = Math.max(1 - EPS, Math.min(1 + EPS, s));
        boolean unclippedActive = -adv * s >= -adv * clipped;
        loss += Math.max(-adv * s, -adv * clipped) / n;
        double dLossDs = unclippedActive ? -adv / n : 0.0;
        for (int t = 0; t < grad[i].length; t++) {
          grad[i][t] = in.mask()[i][t] ? dLossDs * s / count : 0.0;
        }
      }
      return new LossResult(loss, grad, Map.of("actor/loss", loss));
    }
  }

  @Test
  void aSequenceLevelLossNeedsOnlyTheInterface() {
    Random rnd = new Random(3);
    double[] r = {1, 0, 0, 1};
    int[][] tok = {{1, 2, 3}, {1, 2}, {3, 1, 1, 2}, {2}};
    boolean[][] mask = {{true, false, true}, {true, true}, {true, true, false, true}, {true}};
    double[][] lpOld = new double[4][];
    double[][] lpNew = new double[4][];
    for (int i = 0; i < 4; i++) {
      lpOld[i] = rnd.doubles(tok[i].length, -2, -0.5).toArray();
      lpNew[i] = new double[tok[i].length];
      for (int t = 0; t < tok[i].length; t++) {
        lpNew[i][t] = lpOld[i][t] + 0.05 * rnd.nextGaussian();
      }
    }
    RlAlgorithm algo = new SequenceRatio();
    RlBatch batch = new RlBatch(r, tok, 4, null, null, null, mask, 0.0);
    TokenCredit credit = algo.credit(batch);
    credit.requireWithin(batch.lossMask(), algo.name());
    LossResult res = algo.loss(credit.lossInput(lpNew, lpOld, null, 4));
    double h = 1e-6;
    for (int i = 0; i < 4; i++) {
      for (int t = 0; t < tok[i].length; t++) {
        double keep = lpNew[i][t];
        lpNew[i][t] = keep + h;
        double up = algo.loss(credit.lossInput(lpNew, lpOld, null, 4)).loss();
        lpNew[i][t] = keep - h;
        double down = algo.loss(credit.lossInput(lpNew, lpOld, null, 4)).loss();
        lpNew[i][t] = keep;
        assertEquals((up - down) / (2 * h), res.gradLogpNew()[i][t], 1e-7, i + "," + t);
      }
    }
  }
}

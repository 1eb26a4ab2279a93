package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.algorithms.Algorithms;
import org.tokenrl.algorithms.rl.LossResult;
import org.tokenrl.algorithms.rl.RlAlgorithm;
import org.tokenrl.algorithms.rl.RlBatch;
import org.tokenrl.algorithms.rl.TokenCredit;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.UpdateStats;
import org.tokenrl.model.arch.GptConfig;

/**
 * Environment tokens get no gradient, on a real (tiny) model through the real update path.
 *
 * <p>A multi-turn batch (policy tokens, then "tool" tokens with mask false, then policy tokens)
 * goes through GRPO's credit and loss and {@code Policy.update}, as in RlTrainer. The parameter
 * gradient the update applied is read back from the weights: with AdamW's first step, {@code Δθ =
 * −lr · g / (|g| + eps)}, so {@code g = −Δθ · eps / (lr − |Δθ|)}... with lr = 1 and eps = 1 this is
 * {@code g = −Δθ / (1 − |Δθ|)}. It must equal the central finite difference of a reference loss
 * that never sees the masked positions: GRPO's loss over the same log-probs with the masked
 * positions removed (and no mask at all). The masked tokens still condition the later tokens (they
 * are in the sequence the model reads), but their own log-probs carry no loss.
 */
class LossMaskGradientTest {
  static final GptConfig TINY = new GptConfig(9, 8, 1, 2, 16, 16);
  static final int[][] PROMPTS = {{1, 3}, {1, 3}, {1, 4, 5}, {1, 4, 5}};
  static final int[][] RESPONSES = {
    {3, 4, 7, 7, 5, 2}, {6, 7, 7, 8, 2}, {5, 7, 7, 3, 3, 2}, {4, 2, 2}
  };
  // tokens 7 are an environment's (a tool result between two policy turns)
  static final boolean[][] MASK = mask();
  static final double[] REWARDS = {1.0, 0.0, 0.2, 0.9};

  private static boolean[][] mask() {
    boolean[][] m = new boolean[RESPONSES.length][];
    for (int i = 0; i < m.length; i++) {
      m[i] = new boolean[RESPONSES[i].length];
      for (int t = 0; t < m[i].length; t++) {
        m[i][t] = RESPONSES[i][t] != 7;
      }
    }
    return m;
  }

  private static final RlAlgorithm GRPO = Algorithms.create("name = grpo");

  /** GRPO's loss over log-probs with the masked positions dropped, as if they were not there. */
  private static double referenceLoss(double[][] logp, double[][] logpOld) {
    int n = RESPONSES.length;
    int[][] kept = new int[n][];
    double[][] lp = new double[n][];
    double[][] old = new double[n][];
    for (int i = 0; i < n; i++) {
      List<Integer> idx = new ArrayList<>();
      for (int t = 0; t < MASK[i].length; t++) {
        if (MASK[i][t]) {
          idx.add(t);
        }
      }
      kept[i] = new int[idx.size()];
      lp[i] = new double[idx.size()];
      old[i] = new double[idx.size()];
      for (int k = 0; k < idx.size(); k++) {
        kept[i][k] = RESPONSES[i][idx.get(k)];
        lp[i][k] = logp[i][idx.get(k)];
        old[i][k] = logpOld[i][idx.get(k)];
      }
    }
    TokenCredit c = GRPO.credit(RlBatch.of(REWARDS, kept, 2));
    return GRPO.loss(c.lossInput(lp, old, null, 8)).loss();
  }

  @Test
  void maskedTokensGetNoGradientThroughTheRealUpdate() {
    // lr 1, eps 1: AdamW's first step is Δθ = −g / (|g| + 1), which gives g back exactly
    Policy policy = Policy.create(TINY, new OptimizerConfig(1.0, 0.9, 0.95, 1.0, 0.0, 0.0), 3);
    double[][] logpOld = policy.score(PROMPTS, RESPONSES, 1.0).logprobs();
    RlBatch batch = RlBatch.of(REWARDS, RESPONSES, 2).withLossMask(MASK);
    TokenCredit credit = GRPO.credit(batch);
    credit.requireWithin(batch.lossMask(), "grpo");
    LossResult loss = GRPO.loss(credit.lossInput(logpOld, logpOld, null, 8));
    for (int i = 0; i < RESPONSES.length; i++) {
      for (int t = 0; t < RESPONSES[i].length; t++) {
        if (!MASK[i][t]) {
          assertEquals(0.0, loss.gradLogpNew()[i][t], "dLoss/dlogp of masked token " + i + "," + t);
        }
      }
    }
    assertEquals(referenceLoss(logpOld, logpOld), loss.loss(), 1e-12);

    // finite differences of the reference loss, before the update moves the weights
    Random rng = new Random(5);
    Map<String, long[]> shapes = policy.parameterShapes();
    List<String> names = new ArrayList<>();
    List<Long> indices = new ArrayList<>();
    List<Double> numeric = new ArrayList<>();
    double h = 1e-3;
    for (String name : shapes.keySet()) {
      INDArray p = policy.parameter(name);
      for (int probe = 0; probe < 3; probe++) {
        long idx = rng.nextInt((int) p.length());
        double orig = p.getDouble(idx);
        p.putScalar(idx, orig + h);
        double plus = referenceLoss(policy.score(PROMPTS, RESPONSES, 1.0).logprobs(), logpOld);
        p.putScalar(idx, orig - h);
        double minus = referenceLoss(policy.score(PROMPTS, RESPONSES, 1.0).logprobs(), logpOld);
        p.putScalar(idx, orig);
        names.add(name);
        indices.add(idx);
        numeric.add((plus - minus) / (2 * h));
      }
    }

    Map<String, float[]> before = policy.exportWeights();
    UpdateStats stats =
        policy.update(PROMPTS, RESPONSES, loss.gradLogpNew(), null, loss.gradEntropy(), 1.0);
    assertTrue(!stats.skipped(), stats.toString());
    Map<String, float[]> after = policy.exportWeights();
    double largest = 0;
    for (int k = 0; k < names.size(); k++) {
      int idx = Math.toIntExact(indices.get(k));
      double delta = (double) after.get(names.get(k))[idx] - before.get(names.get(k))[idx];
      double applied = -delta / (1 - Math.abs(delta));
      double want = numeric.get(k);
      largest = Math.max(largest, Math.abs(want));
      assertEquals(want, applied, 2e-4 + 3e-2 * Math.abs(want), names.get(k) + "[" + idx + "]");
    }
    assertTrue(largest > 1e-3, "the probes saw a real gradient: " + largest);
  }
}

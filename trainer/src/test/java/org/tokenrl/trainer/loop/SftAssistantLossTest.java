package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.core.Metrics;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.rollout.env.ConversationIds;
import org.tokenrl.trainer.setup.SftConversations;

/**
 * SFT on conversations trains on the assistant's tokens only, through the real step ({@link
 * SftTrainer} on {@code sft.data}-style rows) and {@code Policy.update} on a tiny model: the
 * gradient the update applied (read back from AdamW's first step with lr = 1, eps = 1: {@code g =
 * −Δθ / (1 − |Δθ|)}, as in {@link LossMaskGradientTest}) equals the central finite difference of
 * the mean NLL over the assistant tokens alone; the tool/template tokens have coefficient exactly 0
 * and their own log-probs do not enter the loss (they still condition later tokens).
 */
class SftAssistantLossTest {
  static final int[][] PROMPTS = {{1, 3}, {1, 4, 5}, {1, 6}};
  // 7 and 8 are a tool result and template tokens between two assistant turns
  static final int[][] RESPONSES = {{3, 4, 7, 8, 5, 2}, {6, 7, 8, 8, 3, 3, 2}, {4, 2}};
  static final boolean[][] ASSISTANT = assistant();

  private static boolean[][] assistant() {
    boolean[][] m = new boolean[RESPONSES.length][];
    for (int i = 0; i < m.length; i++) {
      m[i] = new boolean[RESPONSES[i].length];
      for (int t = 0; t < m[i].length; t++) {
        m[i][t] = RESPONSES[i][t] != 7 && RESPONSES[i][t] != 8;
      }
    }
    return m;
  }

  /** −(1/n) Σ over the assistant tokens of log p, n = their count; the rest is not looked at. */
  private static double referenceLoss(double[][] logp) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < logp.length; i++) {
      for (int t = 0; t < logp[i].length; t++) {
        if (ASSISTANT[i][t]) {
          sum += logp[i][t];
          n++;
        }
      }
    }
    return -sum / n;
  }

  @Test
  void coefficientsAreMinusOneOverNOnAssistantTokensAndExactlyZeroElsewhere() {
    double[][] c = SftTrainer.meanNllCoefficients(RESPONSES, ASSISTANT);
    int n = 0;
    for (boolean[] row : ASSISTANT) {
      for (boolean a : row) {
        n += a ? 1 : 0;
      }
    }
    assertEquals(10, n);
    for (int i = 0; i < c.length; i++) {
      for (int t = 0; t < c[i].length; t++) {
        assertEquals(ASSISTANT[i][t] ? -1.0 / n : 0.0, c[i][t], "row " + i + " token " + t);
      }
    }
  }

  @Test
  void theRealSftStepAppliesTheGradientOfTheAssistantOnlyNll() {
    Policy policy =
        Policy.create(
            LossMaskGradientTest.TINY, new OptimizerConfig(1.0, 0.9, 0.95, 1.0, 0.0, 0.0), 3);
    List<SftConversations.Row> rows = new ArrayList<>();
    for (int i = 0; i < PROMPTS.length; i++) {
      rows.add(
          new SftConversations.Row(
              "demos.jsonl:" + (i + 1),
              new ConversationIds.Ids(PROMPTS[i], RESPONSES[i], ASSISTANT[i])));
    }
    SftTrainer sft =
        new SftTrainer(
            policy,
            SftData.conversations(new ExampleStream<>(rows, 1)),
            rows.size(), // the whole set in one step: the order does not change the sum
            LearningRateSchedule.of(1.0, 0, 1, "constant"),
            null,
            0);

    Random rng = new Random(7);
    List<String> names = new ArrayList<>();
    List<Long> indices = new ArrayList<>();
    List<Double> numeric = new ArrayList<>();
    List<Double> allTokens = new ArrayList<>(); // the NLL over every token, for contrast
    double h = 1e-3;
    double start = referenceLoss(policy.score(PROMPTS, RESPONSES, 1.0).logprobs());
    for (String name : policy.parameterShapes().keySet()) {
      INDArray p = policy.parameter(name);
      for (int probe = 0; probe < 3; probe++) {
        long idx = rng.nextInt((int) p.length());
        double orig = p.getDouble(idx);
        p.putScalar(idx, orig + h);
        double[][] plus = policy.score(PROMPTS, RESPONSES, 1.0).logprobs();
        p.putScalar(idx, orig - h);
        double[][] minus = policy.score(PROMPTS, RESPONSES, 1.0).logprobs();
        p.putScalar(idx, orig);
        names.add(name);
        indices.add(idx);
        numeric.add((referenceLoss(plus) - referenceLoss(minus)) / (2 * h));
        allTokens.add((meanAll(plus) - meanAll(minus)) / (2 * h));
      }
    }

    Map<String, float[]> before = policy.exportWeights();
    Map<String, Double> m = sft.step(1);
    assertEquals(0.0, m.get(Metrics.OPTIM_SKIPPED));
    assertEquals(start, m.get(Metrics.SFT_NLL), 1e-5, "sft/nll is the assistant-only NLL");
    Map<String, float[]> after = policy.exportWeights();
    double largest = 0;
    double apart = 0;
    for (int k = 0; k < names.size(); k++) {
      int idx = Math.toIntExact(indices.get(k));
      double delta = (double) after.get(names.get(k))[idx] - before.get(names.get(k))[idx];
      double applied = -delta / (1 - Math.abs(delta));
      double want = numeric.get(k);
      largest = Math.max(largest, Math.abs(want));
      apart = Math.max(apart, Math.abs(applied - allTokens.get(k)));
      assertEquals(want, applied, 2e-4 + 3e-2 * Math.abs(want), names.get(k) + "[" + idx + "]");
    }
    assertTrue(largest > 1e-3, "the probes saw a real gradient: " + largest);
    assertTrue(apart > 1e-3, "training on every token would differ: " + apart);
  }

  private static double meanAll(double[][] logp) {
    double sum = 0;
    int n = 0;
    for (double[] row : logp) {
      for (double v : row) {
        sum += v;
        n++;
      }
    }
    return -sum / n;
  }
}

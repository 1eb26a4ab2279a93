package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.GptConfig;

/** The surrogate-loss gradient against central finite differences, and the update's effects. */
public class PolicyGradientTest {
  static final GptConfig TINY = new GptConfig(7, 8, 1, 2, 16, 12);
  static final int[][] PROMPTS = {{0, 3, 4}, {0}, {0, 5, 6, 1, 2}};
  static final int[][] RESPONSES = {{1, 2, 6}, {4, 4, 5, 1}, {3}};

  private static double[][] randomCoef(Random rng) {
    double[][] c = new double[RESPONSES.length][];
    for (int i = 0; i < c.length; i++) {
      c[i] = rng.doubles(RESPONSES[i].length, -1, 1).toArray();
    }
    return c;
  }

  private static float[][][] randomVocabCoef(Random rng, int vocab) {
    float[][][] c = new float[RESPONSES.length][][];
    for (int i = 0; i < c.length; i++) {
      c[i] = new float[RESPONSES[i].length][vocab];
      for (float[] row : c[i]) {
        for (int k = 0; k < vocab; k++) {
          row[k] = (float) (rng.nextDouble() - 0.5);
        }
      }
    }
    return c;
  }

  /** Every entry of a dense [N][T][V] array as a sparse coefficient list. */
  static VocabCoef[][] sparse(float[][][] dense) {
    VocabCoef[][] out = new VocabCoef[dense.length][];
    for (int i = 0; i < dense.length; i++) {
      out[i] = new VocabCoef[dense[i].length];
      for (int t = 0; t < dense[i].length; t++) {
        int v = dense[i][t].length;
        out[i][t] = new VocabCoef(java.util.stream.IntStream.range(0, v).toArray(), dense[i][t]);
      }
    }
    return out;
  }

  @Test
  void gradientMatchesCentralFiniteDifferences() {
    Policy policy = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE);
    Random rng = new Random(1);
    double[][] coef = randomCoef(rng);
    VocabCoef[][] vocabCoef = sparse(randomVocabCoef(rng, TINY.vocabSize()));
    double temperature = 0.7;
    Policy.Surrogate s = policy.surrogate(PROMPTS, RESPONSES, coef, vocabCoef, temperature);
    assertTrue(s.skipReason() == null, s.skipReason());
    Map<String, INDArray> analytic = new java.util.LinkedHashMap<>();
    s.gradients().forEach((k, g) -> analytic.put(k, g.dup()));

    double eps = 1e-5;
    int checked = 0;
    for (String name : policy.parameterShapes().keySet()) {
      INDArray p = policy.parameter(name);
      for (int probe = 0; probe < 3; probe++) {
        long idx = rng.nextInt((int) p.length());
        double orig = p.getDouble(idx);
        p.putScalar(idx, orig + eps);
        double plus = policy.surrogate(PROMPTS, RESPONSES, coef, vocabCoef, temperature).loss();
        p.putScalar(idx, orig - eps);
        double minus = policy.surrogate(PROMPTS, RESPONSES, coef, vocabCoef, temperature).loss();
        p.putScalar(idx, orig);
        double numeric = (plus - minus) / (2 * eps);
        double exact = analytic.get(name).getDouble(idx);
        assertEquals(numeric, exact, 1e-6 + 1e-4 * Math.abs(numeric), name + "[" + idx + "]");
        checked++;
      }
    }
    assertEquals(3 * policy.parameterShapes().size(), checked);
  }

  @Test
  void surrogateLossEqualsCoefficientsTimesScoredLogProbs() {
    Policy policy = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 3, DataType.DOUBLE);
    double[][] coef = randomCoef(new Random(2));
    TokenScores scores = policy.score(PROMPTS, RESPONSES, 1.3);
    double expected = 0;
    for (int i = 0; i < coef.length; i++) {
      for (int t = 0; t < coef[i].length; t++) {
        expected += coef[i][t] * scores.logprobs()[i][t];
      }
    }
    assertEquals(expected, policy.surrogate(PROMPTS, RESPONSES, coef, null, 1.3).loss(), 1e-10);
  }

  @Test
  void vocabCoefficientOnTheTargetEqualsTargetCoefficient() {
    Policy policy = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 5, DataType.DOUBLE);
    double[][] coef = randomCoef(new Random(3));
    float[][][] asVocab = new float[RESPONSES.length][][];
    double[][] zero = new double[RESPONSES.length][];
    for (int i = 0; i < RESPONSES.length; i++) {
      asVocab[i] = new float[RESPONSES[i].length][TINY.vocabSize()];
      zero[i] = new double[RESPONSES[i].length];
      for (int t = 0; t < RESPONSES[i].length; t++) {
        coef[i][t] = (float) coef[i][t];
        asVocab[i][t][RESPONSES[i][t]] = (float) coef[i][t];
      }
    }
    Map<String, INDArray> viaTarget = copy(policy.surrogate(PROMPTS, RESPONSES, coef, null, 1.0));
    Map<String, INDArray> viaVocab =
        copy(policy.surrogate(PROMPTS, RESPONSES, zero, sparse(asVocab), 1.0));
    viaTarget.forEach(
        (k, g) -> assertTrue(g.equalsWithEps(viaVocab.get(k), 1e-12), "gradient of " + k));
  }

  private static Map<String, INDArray> copy(Policy.Surrogate s) {
    Map<String, INDArray> out = new java.util.LinkedHashMap<>();
    s.gradients().forEach((k, g) -> out.put(k, g.dup()));
    return out;
  }

  @Test
  void zeroCoefficientsLeaveWeightsUnchanged() {
    OptimizerConfig opt = new OptimizerConfig(1e-2, 0.9, 0.95, 1e-8, 0.0, 1.0);
    Policy policy = Policy.create(TINY, opt, 11);
    Map<String, float[]> before = policy.exportWeights();
    double[][] zero = new double[RESPONSES.length][];
    for (int i = 0; i < zero.length; i++) {
      zero[i] = new double[RESPONSES[i].length];
    }
    UpdateStats stats = policy.update(PROMPTS, RESPONSES, zero, null, 1.0);
    assertFalse(stats.skipped());
    assertEquals(0.0, stats.gradNorm());
    assertEquals(1, policy.optimizer().step());
    Map<String, float[]> after = policy.exportWeights();
    before.forEach((k, w) -> assertArrayEquals(w, after.get(k), k));
  }

  @Test
  void negativeCoefficientRaisesTheSequenceLogProb() {
    Policy policy = Policy.create(TINY, OptimizerConfig.defaults(1e-2), 13);
    double before = total(policy.score(PROMPTS, RESPONSES, 1.0));
    double[][] minusOne = new double[RESPONSES.length][];
    for (int i = 0; i < minusOne.length; i++) {
      minusOne[i] = new double[RESPONSES[i].length];
      java.util.Arrays.fill(minusOne[i], -1.0);
    }
    List<Double> history = new ArrayList<>();
    for (int step = 0; step < 5; step++) {
      UpdateStats stats = policy.update(PROMPTS, RESPONSES, minusOne, null, 1.0);
      assertFalse(stats.skipped());
      history.add(stats.loss());
    }
    double after = total(policy.score(PROMPTS, RESPONSES, 1.0));
    assertTrue(after > before + 0.5, "log-prob " + before + " -> " + after);
    assertEquals(-before, history.get(0), 1e-4); // surrogate = -sum logp before the first step
  }

  public static double total(TokenScores s) {
    double sum = 0;
    for (double[] row : s.logprobs()) {
      for (double x : row) {
        sum += x;
      }
    }
    return sum;
  }
}

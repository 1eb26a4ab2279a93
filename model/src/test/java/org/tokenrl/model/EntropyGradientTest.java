package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.nn.LmHead;

/**
 * The entropy term of {@link Policy#update} (docs/entropy-bonus.md): the whole-model gradient of
 *
 * <pre>
 *   L = Σ_{i,t} c_it · logp_it + Σ_{i,t} g_it · H_it
 * </pre>
 *
 * against central finite differences of L computed from {@link Policy#score} (an independent
 * forward pass: its log-probs and entropies, not the surrogate's own sum), in double, for llama and
 * gpt, with and without LoRA, over several passes and LM-head chunks.
 */
class EntropyGradientTest {
  static final int[][] PROMPTS = LlamaTest.PROMPTS;
  static final int[][] RESPONSES = LlamaTest.RESPONSES;
  static final double TEMPERATURE = 0.8;

  private static double[][] random(Random rng, double scale) {
    double[][] c = new double[RESPONSES.length][];
    for (int i = 0; i < c.length; i++) {
      c[i] = rng.doubles(RESPONSES[i].length, -scale, scale).toArray();
    }
    return c;
  }

  /** L from a scoring pass: Σ c · logp + Σ g · H. */
  private static double scoredLoss(Policy policy, double[][] coef, double[][] g) {
    TokenScores s = policy.score(PROMPTS, RESPONSES, TEMPERATURE);
    double sum = 0;
    for (int i = 0; i < RESPONSES.length; i++) {
      for (int t = 0; t < RESPONSES[i].length; t++) {
        sum += coef[i][t] * s.logprobs()[i][t] + g[i][t] * s.entropies()[i][t];
      }
    }
    return sum;
  }

  /**
   * Checks 3 random entries of every trained parameter; returns the largest relative error |numeric
   * − exact| / max(|numeric|, 1e-3).
   */
  private static double check(Policy policy, double[][] coef, double[][] g, Random rng) {
    Policy.Surrogate s = policy.surrogate(PROMPTS, RESPONSES, coef, null, g, TEMPERATURE);
    assertNull(s.skipReason());
    assertEquals(scoredLoss(policy, coef, g), s.loss(), 1e-10, "surrogate loss = Σ c logp + Σ g H");
    Map<String, INDArray> analytic = new LinkedHashMap<>();
    s.gradients().forEach((k, grad) -> analytic.put(k, grad.dup()));
    assertFalse(analytic.isEmpty());
    double eps = 1e-5;
    double worst = 0;
    for (String name : analytic.keySet()) {
      INDArray p = policy.parameter(name);
      for (int probe = 0; probe < 3; probe++) {
        long idx = rng.nextInt((int) p.length());
        double orig = p.getDouble(idx);
        p.putScalar(idx, orig + eps);
        double plus = scoredLoss(policy, coef, g);
        p.putScalar(idx, orig - eps);
        double minus = scoredLoss(policy, coef, g);
        p.putScalar(idx, orig);
        double numeric = (plus - minus) / (2 * eps);
        double exact = analytic.get(name).getDouble(idx);
        assertEquals(numeric, exact, 1e-8 + 1e-5 * Math.abs(numeric), name + "[" + idx + "]");
        worst = Math.max(worst, Math.abs(numeric - exact) / Math.max(Math.abs(numeric), 1e-3));
      }
    }
    return worst;
  }

  private static double[][] zeros() {
    double[][] z = new double[RESPONSES.length][];
    for (int i = 0; i < z.length; i++) {
      z[i] = new double[RESPONSES[i].length];
    }
    return z;
  }

  /** The entropy term alone (c = 0), then with the log-prob term, for one model. */
  private static void checkBoth(Policy policy, long seed) {
    Random rng = new Random(seed);
    double pure = check(policy, zeros(), random(rng, 1.0), rng);
    double mixed = check(policy, random(rng, 1.0), random(rng, 1.0), rng);
    System.out.printf(
        "entropy gradient check %s lora=%s: worst relative error %.2e (H only), %.2e (with logp)%n",
        policy.config().getClass().getSimpleName(), policy.lora().enabled(), pure, mixed);
  }

  private static Policy create(ModelSpec spec, LoraConfig lora) {
    Policy p = Policy.create(spec, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE, lora);
    // non-zero LoRA B (fresh adapters are zero there, which would hide the A gradient)
    Random rng = new Random(5);
    p.parameterShapes().keySet().stream()
        .filter(n -> n.endsWith("lora_B.weight"))
        .forEach(
            n -> {
              INDArray b = p.parameter(n);
              for (long i = 0; i < b.length(); i++) {
                b.putScalar(i, 0.3 * rng.nextGaussian());
              }
            });
    return p;
  }

  @Test
  void llamaEntropyGradientMatchesFiniteDifferences() {
    try (Policy p = create(LlamaTest.TINY, LoraConfig.NONE)) {
      checkBoth(p, 1);
    }
  }

  @Test
  void gptEntropyGradientMatchesFiniteDifferences() {
    try (Policy p = create(PolicyGradientTest.TINY, LoraConfig.NONE)) {
      checkBoth(p, 2);
    }
  }

  @Test
  void loraEntropyGradientMatchesFiniteDifferencesOverPassesAndChunks() {
    long saved = LmHead.chunkElements;
    LmHead.chunkElements = 2 * 11; // two rows of the 11-token vocabulary per chunk
    try (Policy llama =
            create(LlamaTest.TINY, new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "down_proj")));
        Policy gpt =
            create(PolicyGradientTest.TINY, new LoraConfig(2, 3.0, 0.0, List.of("wq", "w2")))) {
      llama.setPassTokens(6); // one row per pass
      checkBoth(llama, 3);
      checkBoth(gpt, 4);
    } finally {
      LmHead.chunkElements = saved;
    }
  }

  @Test
  void zeroOrNullEntropyCoefficientsGiveTheSameGradientsBitForBit() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      try (Policy p =
          Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-3), 7, type, LoraConfig.NONE)) {
        double[][] coef = random(new Random(6), 1.0);
        Map<String, INDArray> without = copy(p.surrogate(PROMPTS, RESPONSES, coef, null, 0.8));
        Policy.Surrogate zero = p.surrogate(PROMPTS, RESPONSES, coef, null, zeros(), 0.8);
        without.forEach((k, g) -> assertEquals(g, zero.gradients().get(k), type + " " + k));
        Policy.Surrogate with =
            p.surrogate(PROMPTS, RESPONSES, coef, null, random(new Random(7), 1.0), 0.8);
        assertTrue(
            without.entrySet().stream()
                .anyMatch(e -> !e.getValue().equalsWithEps(with.gradients().get(e.getKey()), 1e-4)),
            "the entropy term changes the gradient");
      }
    }
  }

  /**
   * In float32 (the CPU-kernel LM-head path training uses): steps that pay for entropy (g = −1, as
   * dLoss/dH of a bonus) keep the scored entropy of a sharp policy (temperature 0.3) well above
   * where the log-prob term alone (g = 0) takes it, and above its start; g = +1 pushes it below.
   */
  @Test
  void entropyCoefficientMovesTheScoredEntropyItsWay() {
    double[] after = new double[3];
    double before = Double.NaN;
    double[] signs = {-1, 0, 1};
    for (int k = 0; k < 3; k++) {
      try (Policy p = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-2), 9)) {
        before = meanEntropy(p);
        double[][] g = zeros();
        for (double[] row : g) {
          java.util.Arrays.fill(row, signs[k]);
        }
        double[][] coef = random(new Random(8), 0.1);
        for (int step = 0; step < 5; step++) {
          assertFalse(p.update(PROMPTS, RESPONSES, coef, null, g, 0.3).skipped());
        }
        after[k] = meanEntropy(p);
      }
    }
    System.out.printf(
        "entropy at T=0.3: %.4f before, after 5 steps %.4f (g=-1), %.4f (g=0), %.4f (g=+1)%n",
        before, after[0], after[1], after[2]);
    assertTrue(after[0] > after[1] + 0.1 && after[0] > before, "g = -1 raises H");
    assertTrue(after[2] < after[1] - 0.1, "g = +1 lowers H");
  }

  private static double meanEntropy(Policy p) {
    double sum = 0;
    int n = 0;
    for (double[] row : p.score(PROMPTS, RESPONSES, 0.3).entropies()) {
      for (double h : row) {
        sum += h;
        n++;
      }
    }
    return sum / n;
  }

  @Test
  void nonFiniteEntropyCoefficientSkipsTheStep() {
    try (Policy p = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-3), 7)) {
      double[][] g = zeros();
      g[1][2] = Double.NaN;
      UpdateStats stats = p.update(PROMPTS, RESPONSES, zeros(), null, g, 1.0);
      assertTrue(stats.skipped());
      assertTrue(stats.skipReason().contains("entropyCoef[1][2]"), stats.skipReason());
      assertEquals(0, p.optimizer().step());
    }
  }

  private static Map<String, INDArray> copy(Policy.Surrogate s) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    s.gradients().forEach((k, g) -> out.put(k, g.dup()));
    return out;
  }
}

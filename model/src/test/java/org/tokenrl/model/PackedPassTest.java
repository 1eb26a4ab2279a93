package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.nn.LmHead;

/**
 * The packed and shared-prefix pass layouts against today's padded one, in double precision: the
 * same log-probs, entropies, surrogate loss and gradient of every parameter (llama and gpt, LoRA on
 * and off, groups of different prompt lengths, mixed and empty responses, one pass and several,
 * groups split across rows); the shared path against finite differences; and the one-pass update
 * against score-then-update.
 */
class PackedPassTest {
  static final GptConfig GPT = new GptConfig(11, 8, 2, 2, 16, 16);
  static final ModelSpec[] ARCHS = {LlamaTest.TINY, GPT};
  static final LoraConfig LORA = new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "down_proj", "wq"));

  // groups: A (3 rows, one empty response), B (2), a single row, C (4), A's prompt again but not
  // next to A (not shared with it), and a row with nothing to score
  static final int[][] PROMPTS = {
    {0, 3, 4, 7},
    {0, 3, 4, 7},
    {0, 3, 4, 7},
    {0},
    {0},
    {0, 5, 6, 1, 2},
    {0, 9, 9, 2, 7, 1},
    {0, 9, 9, 2, 7, 1},
    {0, 9, 9, 2, 7, 1},
    {0, 9, 9, 2, 7, 1},
    {0, 3, 4, 7},
    {0, 1}
  };
  static final int[][] RESPONSES = {
    {1, 2, 6, 5},
    {},
    {8},
    {4, 4, 5, 1, 9},
    {2, 3},
    {3, 10},
    {3},
    {6, 6, 2},
    {1, 2, 3, 4, 5, 6},
    {10, 1},
    {5, 5},
    {}
  };

  /** Pass budgets: everything in one pass, one row per pass, and groups split across rows. */
  static final int[] BUDGETS = {4096, 20, 8};

  static Policy policy(ModelSpec spec, boolean lora, long seed) {
    Policy p =
        Policy.create(
            spec,
            OptimizerConfig.defaults(1e-2),
            seed,
            DataType.DOUBLE,
            lora ? LORA : LoraConfig.NONE);
    if (lora) { // B is zero at init: one step first, so every adapter gradient flows
      p.setPassLayout(PassLayout.PADDED);
      p.update(PROMPTS, RESPONSES, coef(new Random(seed), 1.0), null, 1.0);
    }
    return p;
  }

  static double[][] coef(Random rng, double scale) {
    double[][] c = new double[RESPONSES.length][];
    for (int i = 0; i < c.length; i++) {
      c[i] = rng.doubles(RESPONSES[i].length, -scale, scale).toArray();
    }
    return c;
  }

  static VocabCoef[][] vocab(Random rng, int v) {
    VocabCoef[][] out = new VocabCoef[RESPONSES.length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new VocabCoef[RESPONSES[i].length];
      for (int t = 0; t < out[i].length; t++) {
        out[i][t] =
            new VocabCoef(new int[] {rng.nextInt(v), rng.nextInt(v)}, new float[] {0.4f, -0.7f});
      }
    }
    return out;
  }

  static Map<String, double[]> grads(Policy.Surrogate s) {
    Map<String, double[]> out = new LinkedHashMap<>();
    s.gradients().forEach((k, g) -> out.put(k, g.dup().data().asDouble()));
    return out;
  }

  /** max |a − b| ≤ 1e-6 · max |a| for every tensor (and the norms agree). */
  static void assertClose(Map<String, double[]> want, Map<String, double[]> got, String what) {
    assertEquals(want.keySet(), got.keySet());
    int nonZero = 0;
    for (String k : want.keySet()) {
      double[] a = want.get(k);
      double[] b = got.get(k);
      double scale = 0;
      for (double x : a) {
        scale = Math.max(scale, Math.abs(x));
      }
      nonZero += scale > 0 ? 1 : 0;
      for (int j = 0; j < a.length; j++) {
        assertEquals(a[j], b[j], 1e-6 * scale + 1e-14, what + ": " + k + "[" + j + "]");
      }
    }
    assertTrue(nonZero > 0, what + ": every gradient is zero");
  }

  @Test
  void everyLayoutHasTheSameScoresLossAndGradients() {
    for (ModelSpec spec : ARCHS) {
      for (boolean lora : new boolean[] {false, true}) {
        String name = spec.getClass().getSimpleName() + (lora ? " lora" : "");
        Policy policy = policy(spec, lora, 5);
        Random rng = new Random(9);
        double[][] c = coef(rng, 1.0);
        double[][] ent = coef(rng, 0.3);
        VocabCoef[][] v = vocab(rng, spec.vocabSize());
        policy.setPassLayout(PassLayout.PADDED);
        policy.setPassTokens(4096);
        assertEquals(1, policy.passes(PROMPTS, RESPONSES).size());
        TokenScores want = policy.score(PROMPTS, RESPONSES, 0.8);
        Policy.Surrogate ref = policy.surrogate(PROMPTS, RESPONSES, c, v, ent, 0.8);
        double refLoss = ref.loss();
        Map<String, double[]> refGrads = grads(ref);
        for (PassLayout layout : PassLayout.values()) {
          for (int budget : BUDGETS) {
            String what = name + " " + layout + " budget " + budget;
            policy.setPassLayout(layout);
            policy.setPassTokens(budget);
            if (budget < 4096) {
              assertTrue(policy.passes(PROMPTS, RESPONSES).size() > 1, what);
            }
            TokenScores got = policy.score(PROMPTS, RESPONSES, 0.8);
            for (int i = 0; i < PROMPTS.length; i++) {
              assertArrayEquals(want.logprobs()[i], got.logprobs()[i], 1e-10, what + " row " + i);
              assertArrayEquals(want.entropies()[i], got.entropies()[i], 1e-10, what + " row " + i);
            }
            Policy.Surrogate s = policy.surrogate(PROMPTS, RESPONSES, c, v, ent, 0.8);
            assertEquals(refLoss, s.loss(), 1e-10 * Math.abs(refLoss), what);
            assertClose(refGrads, grads(s), what);
          }
        }
      }
    }
  }

  /** The float path (the CPU attention kernels with the tree mask) agrees to float rounding. */
  @Test
  void floatKernelsAgreeAcrossLayouts() {
    for (ModelSpec spec : ARCHS) {
      Policy policy = Policy.create(spec, OptimizerConfig.defaults(1e-2), 6);
      double[][] c = coef(new Random(2), 1.0);
      policy.setPassLayout(PassLayout.PADDED);
      TokenScores want = policy.score(PROMPTS, RESPONSES, 1.0);
      Map<String, double[]> ref = grads(policy.surrogate(PROMPTS, RESPONSES, c, null, 1.0));
      policy.setPassLayout(PassLayout.SHARED_PREFIX);
      TokenScores got = policy.score(PROMPTS, RESPONSES, 1.0);
      for (int i = 0; i < PROMPTS.length; i++) {
        assertArrayEquals(want.logprobs()[i], got.logprobs()[i], 1e-5, "row " + i);
      }
      Map<String, double[]> shared = grads(policy.surrogate(PROMPTS, RESPONSES, c, null, 1.0));
      for (String k : ref.keySet()) {
        double scale = java.util.Arrays.stream(ref.get(k)).map(Math::abs).max().orElse(0);
        assertArrayEquals(ref.get(k), shared.get(k), 1e-4 * scale + 1e-9, k);
      }
    }
  }

  @Test
  void sharingComputesEachPromptOnceAndPackingDropsPadding() {
    Policy policy = policy(LlamaTest.TINY, false, 1);
    long[] slots = new long[3];
    for (PassLayout layout : PassLayout.values()) {
      policy.setPassLayout(layout);
      slots[layout.ordinal()] = policy.passSlots(PROMPTS, RESPONSES);
    }
    // padded: 12 rows × 11 slots. Packed: the 10 scored rows' P + C − 1 = 7 4 5 2 6 6 8 11 7 5
    // first-fit into rows of at most the longest (11): [7 4] [5 2] [6 5] [6] [8] [11] [7], 7 × 11.
    // Shared: units A 4+3 = 7, B 1+4+1 = 6, the single row 6, C 6+2+5+1 = 14, 5: [7 6] [6 5]
    // [14], 3 × 14.
    assertEquals(12 * 11, slots[PassLayout.PADDED.ordinal()]);
    assertEquals(7 * 11, slots[PassLayout.PACKED.ordinal()]);
    assertEquals(3 * 14, slots[PassLayout.SHARED_PREFIX.ordinal()]);
  }

  @Test
  void loraDropoutKeepsThePaddedLayoutAndSaysWhy() {
    Policy p =
        Policy.create(
            LlamaTest.TINY,
            OptimizerConfig.defaults(1e-3),
            1,
            DataType.DOUBLE,
            new LoraConfig(2, 4.0, 0.1, List.of("q_proj")));
    assertEquals(PassLayout.PADDED, p.passLayout());
    assertTrue(p.passLayoutNote().contains("dropout"), p.passLayoutNote());
    p.setPassLayout(PassLayout.SHARED_PREFIX);
    assertEquals(PassLayout.PADDED, p.passLayout());
    Policy plain = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-3), 1);
    assertEquals(PassLayout.SHARED_PREFIX, plain.passLayout());
    assertEquals(PassLayout.SHARED_PREFIX, plain.copy().passLayout());
  }

  @Test
  void sharedPathGradientMatchesFiniteDifferences() {
    for (boolean lora : new boolean[] {false, true}) {
      Policy policy = policy(LlamaTest.TINY, lora, 3);
      policy.setPassLayout(PassLayout.SHARED_PREFIX);
      policy.setPassTokens(20);
      Random rng = new Random(4);
      double[][] c = coef(rng, 1.0);
      double[][] ent = coef(rng, 0.3);
      Policy.Surrogate s = policy.surrogate(PROMPTS, RESPONSES, c, null, ent, 0.9);
      Map<String, INDArray> analytic = new LinkedHashMap<>();
      s.gradients().forEach((k, g) -> analytic.put(k, g.dup()));
      double eps = 1e-5;
      for (String name : analytic.keySet()) {
        INDArray p = policy.parameter(name);
        for (int probe = 0; probe < (lora ? 2 : 1); probe++) {
          long idx = rng.nextInt((int) p.length());
          double orig = p.getDouble(idx);
          p.putScalar(idx, orig + eps);
          double plus = policy.surrogate(PROMPTS, RESPONSES, c, null, ent, 0.9).loss();
          p.putScalar(idx, orig - eps);
          double minus = policy.surrogate(PROMPTS, RESPONSES, c, null, ent, 0.9).loss();
          p.putScalar(idx, orig);
          double numeric = (plus - minus) / (2 * eps);
          double exact = analytic.get(name).getDouble(idx);
          assertEquals(numeric, exact, 1e-7 + 1e-4 * Math.abs(numeric), name + "[" + idx + "]");
        }
      }
    }
  }

  /**
   * A sequence-level objective (it needs whole rows' log-probs, as GSPO does) with an entropy term:
   * L = Σ_i (mean_t logp_it + 1)² + 0.1 Σ H.
   */
  static final class SquaredMean implements UpdateObjective {
    TokenScores seen;

    @Override
    public Coefficients coefficients(TokenScores current) {
      seen = current;
      double[][] g = new double[current.logprobs().length][];
      double[][] h = new double[g.length][];
      for (int i = 0; i < g.length; i++) {
        double[] lp = current.logprobs()[i];
        double mean = java.util.Arrays.stream(lp).average().orElse(0);
        g[i] = new double[lp.length];
        h[i] = new double[lp.length];
        java.util.Arrays.fill(g[i], 2 * (mean + 1) / Math.max(1, lp.length));
        java.util.Arrays.fill(h[i], 0.1);
      }
      return new Coefficients(g, h);
    }
  }

  @Test
  void onePassUpdateEqualsScoreThenUpdate() {
    for (ModelSpec spec : ARCHS) {
      for (LoraConfig lora :
          new LoraConfig[] {LoraConfig.NONE, LORA, new LoraConfig(2, 4.0, 0.2, LORA.targets())}) {
        for (int budget : new int[] {4096, 20}) {
          String what = spec.getClass().getSimpleName() + " " + lora + " budget " + budget;
          Policy onePass =
              Policy.create(spec, OptimizerConfig.defaults(1e-2), 2, DataType.DOUBLE, lora);
          Policy twoPass =
              Policy.create(spec, OptimizerConfig.defaults(1e-2), 2, DataType.DOUBLE, lora);
          onePass.setPassTokens(budget);
          twoPass.setPassTokens(budget);
          for (int step = 0; step < 2; step++) { // the second step moves LoRA's B off zero
            SquaredMean objective = new SquaredMean();
            UpdateStats a = onePass.update(PROMPTS, RESPONSES, 0.9, objective);
            TokenScores scores = twoPass.score(PROMPTS, RESPONSES, 0.9);
            UpdateObjective.Coefficients c = new SquaredMean().coefficients(scores);
            UpdateStats b =
                twoPass.update(PROMPTS, RESPONSES, c.gradLogp(), null, c.gradEntropy(), 0.9);
            for (int i = 0; i < PROMPTS.length; i++) {
              assertArrayEquals(scores.logprobs()[i], objective.seen.logprobs()[i], 1e-12, what);
              assertArrayEquals(scores.entropies()[i], objective.seen.entropies()[i], 1e-12, what);
            }
            assertFalse(a.skipped(), a.skipReason());
            assertEquals(b.loss(), a.loss(), 1e-10, what);
            assertEquals(b.gradNorm(), a.gradNorm(), 1e-10 * b.gradNorm(), what);
          }
          Map<String, float[]> wa = onePass.exportWeights();
          Map<String, float[]> wb = twoPass.exportWeights();
          wb.forEach((k, w) -> assertArrayEquals(w, wa.get(k), 1e-6f, what + " " + k));
        }
      }
    }
  }

  /** The head's logits kept from the scoring call (default) or recomputed: the same step. */
  @Test
  void keptLogitsGiveTheSameStepAsRecomputedOnes() {
    long keep = LmHead.keepElements;
    Map<String, float[]> kept;
    Map<String, float[]> recomputed;
    try {
      Policy a = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-2), 8, DataType.DOUBLE);
      a.update(PROMPTS, RESPONSES, 0.9, new SquaredMean());
      kept = a.exportWeights();
      LmHead.keepElements = 0;
      Policy b = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-2), 8, DataType.DOUBLE);
      b.update(PROMPTS, RESPONSES, 0.9, new SquaredMean());
      recomputed = b.exportWeights();
    } finally {
      LmHead.keepElements = keep;
    }
    assertTrue(kept.size() > 0);
    kept.forEach((k, w) -> assertArrayEquals(w, recomputed.get(k), 1e-7f, k));
  }

  @Test
  void onePassUpdateSkipsNonFiniteCoefficientsAndEmptyBatches() {
    Policy p = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-2), 2);
    Map<String, float[]> before = p.exportWeights();
    UpdateStats bad =
        p.update(
            PROMPTS,
            RESPONSES,
            1.0,
            s -> {
              double[][] g = new SquaredMean().coefficients(s).gradLogp();
              g[0][1] = Double.NaN;
              return new UpdateObjective.Coefficients(g, null);
            });
    assertTrue(bad.skipped());
    assertTrue(bad.skipReason().contains("targetCoef[0][1]"), bad.skipReason());
    int[][] empty = {{}, {}};
    UpdateStats none = p.update(new int[][] {{0}, {0, 1}}, empty, 1.0, new SquaredMean());
    assertTrue(none.skipped());
    assertEquals(0, p.optimizer().step());
    Map<String, float[]> after = p.exportWeights();
    before.forEach((k, w) -> assertArrayEquals(w, after.get(k), k));
  }
}

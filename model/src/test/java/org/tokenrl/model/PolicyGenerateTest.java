package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tokenrl.model.arch.GptConfig;

/** KV-cache decoding against full recomputation, sampling controls, and agreement with score(). */
class PolicyGenerateTest {
  static final GptConfig CFG = new GptConfig(13, 16, 2, 2, 32, 24);
  static final int[][] PROMPTS = {{0, 1, 2}, {0}, {0, 4, 5, 6, 7, 8}, {0, 9}};
  static final long[] SEEDS = {11, 22, 33, 44};
  static Policy policy;

  @BeforeAll
  static void setUp() {
    policy = Policy.create(CFG, OptimizerConfig.defaults(1e-3), 42);
    // Scale the embeddings up so the untrained model has peaked, prompt-dependent distributions.
    policy.parameter("wte").muli(20);
    policy.parameter("wpe").muli(10);
  }

  @AfterAll
  static void tearDown() {
    policy.close();
  }

  private static SamplingParams greedy(int maxNew) {
    return new SamplingParams(1.0, 0, 1.0, maxNew, -1, true);
  }

  private static SamplingParams sampled(int maxNew) {
    return new SamplingParams(1.0, 0, 1.0, maxNew, -1, false);
  }

  @Test
  void kvCacheGreedyEqualsFullRecomputationWithMixedPromptLengths() {
    List<double[][]> cached = new ArrayList<>();
    List<double[][]> full = new ArrayList<>();
    Generation a = policy.decodeLoop(PROMPTS, greedy(10), SEEDS, true, cached);
    Generation b = policy.decodeLoop(PROMPTS, greedy(10), SEEDS, false, full);
    assertEquals(10, cached.size());
    for (int i = 0; i < PROMPTS.length; i++) {
      assertArrayEquals(b.responses()[i], a.responses()[i], "row " + i);
    }
    double maxDiff = 0;
    for (int step = 0; step < cached.size(); step++) {
      for (int i = 0; i < PROMPTS.length; i++) {
        for (int k = 0; k < CFG.vocabSize(); k++) {
          maxDiff = Math.max(maxDiff, Math.abs(cached.get(step)[i][k] - full.get(step)[i][k]));
        }
      }
    }
    assertTrue(maxDiff < 1e-5, "max logit difference " + maxDiff);
    // the rows must actually differ, or mixed lengths were not exercised
    assertFalse(java.util.Arrays.equals(a.responses()[1], a.responses()[2]));
  }

  @Test
  void samplingWithSameSeedsIsIdenticalWithAndWithoutCache() {
    Generation a = policy.generate(PROMPTS, sampled(12), SEEDS);
    Generation b = policy.decodeLoop(PROMPTS, sampled(12), SEEDS, false, null);
    Generation c = policy.generate(PROMPTS, sampled(12), SEEDS);
    for (int i = 0; i < PROMPTS.length; i++) {
      assertArrayEquals(b.responses()[i], a.responses()[i]);
      assertArrayEquals(a.responses()[i], c.responses()[i]);
      assertArrayEquals(a.logprobs()[i], c.logprobs()[i]);
    }
    Generation other = policy.generate(PROMPTS, sampled(12), new long[] {1, 2, 3, 4});
    boolean anyDifferent = false;
    for (int i = 0; i < PROMPTS.length; i++) {
      anyDifferent |= !java.util.Arrays.equals(a.responses()[i], other.responses()[i]);
    }
    assertTrue(anyDifferent, "different seeds should give different samples");
  }

  @Test
  void rowSamplesDoNotDependOnBatchComposition() {
    Generation all = policy.generate(PROMPTS, sampled(12), SEEDS);
    Generation alone =
        policy.generate(new int[][] {PROMPTS[2]}, sampled(12), new long[] {SEEDS[2]});
    Generation reordered =
        policy.generate(
            new int[][] {PROMPTS[1], PROMPTS[3], PROMPTS[2]},
            sampled(12),
            new long[] {SEEDS[1], SEEDS[3], SEEDS[2]});
    assertArrayEquals(all.responses()[2], alone.responses()[0]);
    assertArrayEquals(all.responses()[2], reordered.responses()[2]);
    assertArrayEquals(all.responses()[1], reordered.responses()[0]);
  }

  @Test
  void generatedLogProbsAndEntropiesEqualScore() {
    SamplingParams params = new SamplingParams(0.8, 0, 1.0, 9, -1, false);
    Generation g = policy.generate(PROMPTS, params, SEEDS);
    TokenScores s = policy.score(PROMPTS, g.responses(), 0.8);
    for (int i = 0; i < PROMPTS.length; i++) {
      assertEquals(9, g.responses()[i].length);
      for (int t = 0; t < g.responses()[i].length; t++) {
        assertEquals(s.logprobs()[i][t], g.logprobs()[i][t], 1e-5, "logprob " + i + "," + t);
        assertEquals(s.entropies()[i][t], g.entropies()[i][t], 1e-5, "entropy " + i + "," + t);
      }
    }
    float[][][] rows = new float[PROMPTS.length][][];
    for (int i = 0; i < PROMPTS.length; i++) {
      rows[i] = new float[g.responses()[i].length][];
    }
    policy.responseLogProbs(PROMPTS, g.responses(), 0.8, (i, t, lp) -> rows[i][t] = lp.clone());
    for (int i = 0; i < PROMPTS.length; i++) {
      for (int t = 0; t < g.responses()[i].length; t++) {
        assertEquals(s.logprobs()[i][t], rows[i][t][g.responses()[i][t]], 1e-6);
        double mass = 0;
        for (float lp : rows[i][t]) {
          mass += Math.exp(lp);
        }
        assertEquals(1.0, mass, 1e-5);
      }
    }
  }

  @Test
  void decodeGraphSeesWeightUpdatesMadeThroughTheTrainingGraph() {
    try (Policy trained = policy.copy()) {
      Generation before = trained.generate(PROMPTS, greedy(6), SEEDS);
      double[][] coef = new double[PROMPTS.length][];
      for (int i = 0; i < coef.length; i++) {
        coef[i] = new double[before.responses()[i].length];
        java.util.Arrays.fill(coef[i], 0.5); // push the greedy continuation down
      }
      for (int step = 0; step < 3; step++) {
        assertFalse(trained.update(PROMPTS, before.responses(), coef, null, 1.0).skipped());
      }
      Generation after = trained.generate(PROMPTS, sampled(6), SEEDS);
      TokenScores s = trained.score(PROMPTS, after.responses(), 1.0);
      for (int i = 0; i < PROMPTS.length; i++) {
        for (int t = 0; t < after.responses()[i].length; t++) {
          assertEquals(s.logprobs()[i][t], after.logprobs()[i][t], 1e-5);
        }
      }
      TokenScores old = policy.score(PROMPTS, after.responses(), 1.0);
      assertTrue(Math.abs(old.logprobs()[0][0] - s.logprobs()[0][0]) > 1e-4, "weights moved");
    }
  }

  @Test
  void topKOneAndTinyTopPEqualGreedy() {
    Generation greedy = policy.generate(PROMPTS, greedy(8), SEEDS);
    Generation top1 =
        policy.generate(PROMPTS, new SamplingParams(1.5, 1, 1.0, 8, -1, false), SEEDS);
    Generation nucleus =
        policy.generate(PROMPTS, new SamplingParams(1.5, 0, 1e-9, 8, -1, false), SEEDS);
    for (int i = 0; i < PROMPTS.length; i++) {
      assertArrayEquals(greedy.responses()[i], top1.responses()[i]);
      assertArrayEquals(greedy.responses()[i], nucleus.responses()[i]);
    }
  }

  @Test
  void eosStopsARowAndMaxNewTokensTruncates() {
    Generation free = policy.generate(PROMPTS, greedy(6), SEEDS);
    for (int i = 0; i < PROMPTS.length; i++) {
      assertEquals(6, free.responses()[i].length);
      assertTrue(free.truncated()[i]);
    }
    int eos = free.responses()[0][2];
    int firstEos = 0;
    while (free.responses()[0][firstEos] != eos) {
      firstEos++;
    }
    Generation stopped =
        policy.generate(PROMPTS, new SamplingParams(1.0, 0, 1.0, 6, eos, true), SEEDS);
    assertEquals(firstEos + 1, stopped.responses()[0].length);
    assertEquals(eos, stopped.responses()[0][firstEos]);
    assertFalse(stopped.truncated()[0]);
    assertEquals(stopped.responses()[0].length, stopped.logprobs()[0].length);
    for (int i = 0; i < PROMPTS.length; i++) {
      int[] prefix = java.util.Arrays.copyOf(free.responses()[i], stopped.responses()[i].length);
      assertArrayEquals(prefix, stopped.responses()[i], "row " + i + " is the greedy prefix");
    }
  }

  @Test
  void samplingHonoursTopKTopPAndTemperature() {
    double[] logits = {Math.log(0.5), Math.log(0.3), Math.log(0.2)};
    assertFrequencies(
        new double[] {0.5, 0.3, 0.2}, logits, new SamplingParams(1, 0, 1, 1, -1, false));
    assertFrequencies(
        new double[] {0.625, 0.375, 0}, logits, new SamplingParams(1, 2, 1, 1, -1, false));
    assertFrequencies(
        new double[] {0.625, 0.375, 0}, logits, new SamplingParams(1, 0, 0.6, 1, -1, false));
    assertFrequencies(new double[] {1, 0, 0}, logits, new SamplingParams(1, 0, 0.5, 1, -1, false));
    double z = Math.sqrt(0.5) + Math.sqrt(0.3) + Math.sqrt(0.2);
    assertFrequencies(
        new double[] {Math.sqrt(0.5) / z, Math.sqrt(0.3) / z, Math.sqrt(0.2) / z},
        logits,
        new SamplingParams(2, 0, 1, 1, -1, false));
  }

  /** Empirical frequencies over 40k draws within 0.01 of the expected probabilities. */
  private static void assertFrequencies(double[] expected, double[] logits, SamplingParams params) {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    int n = 40_000;
    int[] counts = new int[logits.length];
    for (int i = 0; i < n; i++) {
      counts[Sampler.next(logits, params, rng)]++;
    }
    for (int k = 0; k < expected.length; k++) {
      assertEquals(expected[k], (double) counts[k] / n, 0.01, "token " + k + " with " + params);
    }
  }
}

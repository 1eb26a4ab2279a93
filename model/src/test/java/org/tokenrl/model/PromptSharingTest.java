package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;

/**
 * Shared-prefix sampling: rows with the same prompt read one prefilled prompt block, and the
 * tokens, log-probs and entropies are bit-identical to every row having its own block; both equal
 * the uncached reference (full recomputation each step) in their tokens.
 */
class PromptSharingTest {
  static final LlamaConfig GQA =
      new LlamaConfig(13, 16, 24, 2, 4, 2, 4, 1e-5, 500, true, 32, false);
  static final GptConfig GPT = new GptConfig(13, 16, 2, 2, 32, 24);

  /** Groups of 3 consecutive copies (as the pools send them), prompts of different lengths. */
  static final int[][] GROUPED = {
    {0, 1, 2},
    {0, 1, 2},
    {0, 1, 2},
    {0, 4, 5, 6, 7, 8},
    {0, 4, 5, 6, 7, 8},
    {0, 4, 5, 6, 7, 8},
    {0},
    {0},
    {0, 9}
  };

  /** The same prompts interleaved (sharing must not assume consecutive copies). */
  static final int[][] INTERLEAVED = {{0, 9}, {0, 1, 2}, {0}, {0, 1, 2}, {0, 9}, {0}};

  static final int[][] DISTINCT = {{0, 1, 2}, {0}, {0, 4, 5, 6, 7, 8}, {0, 9}};

  private static Policy model(ModelSpec spec, DataType type) {
    Policy p = Policy.create(spec, OptimizerConfig.defaults(1e-3), 9, type);
    for (String name : p.parameterShapes().keySet()) {
      // peaked, prompt-dependent distributions; norms stay at 1
      boolean norm = name.contains("norm") || name.startsWith("ln");
      p.parameter(name).muli(norm ? 1.0 : 8.0);
    }
    return p;
  }

  private static long[] seeds(int n) {
    long[] s = new long[n];
    for (int i = 0; i < n; i++) {
      s[i] = 1000 + 37L * i;
    }
    return s;
  }

  @Test
  void blocksGroupIdenticalPromptsInOrderOfFirstAppearance() {
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1, 2, 2, 3}, Generator.blocks(GROUPED, true));
    assertArrayEquals(new int[] {0, 1, 2, 1, 0, 2}, Generator.blocks(INTERLEAVED, true));
    assertArrayEquals(new int[] {0, 1, 2, 3}, Generator.blocks(DISTINCT, true));
    assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5}, Generator.blocks(INTERLEAVED, false));
  }

  @Test
  void sharingOnAndOffGiveIdenticalSamplesForLlamaAndGptInFloatAndDouble() {
    // eos 3: some rows stop early, others run to the limit
    SamplingParams sampled = new SamplingParams(1.0, 0, 1.0, 9, 3, false);
    SamplingParams topK = new SamplingParams(0.7, 4, 0.9, 7, 3, false);
    SamplingParams greedy = new SamplingParams(1.0, 0, 1.0, 6, -1, true);
    int early = 0;
    int full = 0;
    for (ModelSpec spec : new ModelSpec[] {GQA, GPT}) {
      for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
        try (Policy p = model(spec, type)) {
          for (int[][] prompts : new int[][][] {GROUPED, INTERLEAVED, DISTINCT}) {
            // every sampling mode on the grouped batch, one each on the others (keeps it fast)
            SamplingParams[] modes =
                prompts == GROUPED
                    ? new SamplingParams[] {sampled, topK, greedy}
                    : new SamplingParams[] {prompts == INTERLEAVED ? sampled : topK};
            for (SamplingParams params : modes) {
              String what = spec.getClass().getSimpleName() + " " + type + " " + prompts.length;
              long[] seeds = seeds(prompts.length);
              p.sharePrompts(false);
              List<double[][]> offLogits = new ArrayList<>();
              Generation off = p.decodeLoop(prompts, params, seeds, true, offLogits);
              p.sharePrompts(true);
              List<double[][]> onLogits = new ArrayList<>();
              Generation on = p.decodeLoop(prompts, params, seeds, true, onLogits);
              p.samplingThreads(3); // rows drawn in parallel slices: the same draws
              Generation generated = p.generate(prompts, params, seeds);
              p.samplingThreads(1);
              for (int i = 0; i < prompts.length; i++) {
                assertArrayEquals(off.responses()[i], on.responses()[i], what + " row " + i);
                assertArrayEquals(off.logprobs()[i], on.logprobs()[i], what + " row " + i);
                assertArrayEquals(off.entropies()[i], on.entropies()[i], what + " row " + i);
                assertArrayEquals(on.responses()[i], generated.responses()[i], what);
                assertArrayEquals(on.logprobs()[i], generated.logprobs()[i], what);
                assertArrayEquals(on.entropies()[i], generated.entropies()[i], what);
                if (on.responses()[i].length < params.maxNewTokens()) {
                  early++;
                } else {
                  full++;
                }
              }
              assertArrayEquals(off.truncated(), on.truncated(), what);
              assertEquals(offLogits.size(), onLogits.size(), what);
              for (int step = 0; step < onLogits.size(); step++) {
                for (int i = 0; i < prompts.length; i++) {
                  assertArrayEquals(offLogits.get(step)[i], onLogits.get(step)[i], what);
                }
              }
            }
          }
        }
      }
    }
    assertTrue(early > 10 && full > 10, "stops exercised: " + early + " early, " + full + " full");
  }

  @Test
  void sharedCacheSamplesEqualTheUncachedReference() {
    SamplingParams sampled = new SamplingParams(1.0, 0, 1.0, 8, -1, false);
    for (ModelSpec spec : new ModelSpec[] {GQA, GPT}) {
      try (Policy p = model(spec, DataType.DOUBLE)) {
        long[] seeds = seeds(GROUPED.length);
        List<double[][]> cached = new ArrayList<>();
        List<double[][]> reference = new ArrayList<>();
        Generation a = p.decodeLoop(GROUPED, sampled, seeds, true, cached);
        Generation b = p.decodeLoop(GROUPED, sampled, seeds, false, reference);
        double worst = 0;
        for (int step = 0; step < cached.size(); step++) {
          for (int i = 0; i < GROUPED.length; i++) {
            for (int v = 0; v < spec.vocabSize(); v++) {
              worst = Math.max(worst, Math.abs(cached.get(step)[i][v] - reference.get(step)[i][v]));
            }
          }
        }
        assertTrue(worst < 1e-9, spec + ": max logit difference " + worst);
        boolean differ = false;
        for (int i = 0; i < GROUPED.length; i++) {
          assertArrayEquals(b.responses()[i], a.responses()[i], "row " + i);
          for (int t = 0; t < a.logprobs()[i].length; t++) {
            assertEquals(b.logprobs()[i][t], a.logprobs()[i][t], 1e-6);
          }
          differ |= i > 0 && !java.util.Arrays.equals(a.responses()[i], a.responses()[0]);
        }
        // the rows of a group drew different samples: their tails really are separate
        assertTrue(differ && !java.util.Arrays.equals(a.responses()[0], a.responses()[1]));
      }
    }
  }

  @Test
  void finishedRowsDropOutOfTheDecodeStepsWithoutChangingTheOtherRows() {
    // eos 3: rows stop at different steps; the cached path stops computing them, the uncached
    // reference recomputes every row every step, so any mix-up of rows would show as a difference
    SamplingParams sampled = new SamplingParams(1.0, 0, 1.0, 9, 3, false);
    for (ModelSpec spec : new ModelSpec[] {GQA, GPT}) {
      try (Policy p = model(spec, DataType.DOUBLE)) {
        long[] seeds = seeds(GROUPED.length);
        List<double[][]> cached = new ArrayList<>();
        p.samplingThreads(2); // and the attention of the live rows in two slices
        Generation a = p.decodeLoop(GROUPED, sampled, seeds, true, cached);
        p.samplingThreads(1);
        Generation b = p.decodeLoop(GROUPED, sampled, seeds, false, null);
        int early = 0;
        int longest = 0;
        for (int i = 0; i < GROUPED.length; i++) {
          assertArrayEquals(b.responses()[i], a.responses()[i], spec + " row " + i);
          for (int t = 0; t < a.logprobs()[i].length; t++) {
            assertEquals(b.logprobs()[i][t], a.logprobs()[i][t], 1e-9, spec + " row " + i);
            assertEquals(b.entropies()[i][t], a.entropies()[i][t], 1e-9, spec + " row " + i);
          }
          int len = a.responses()[i].length;
          longest = Math.max(longest, len);
          // a row has logits while it samples, none after its last token
          for (int step = 0; step < cached.size(); step++) {
            assertEquals(step < len, cached.get(step)[i] != null, spec + " row " + i + " " + step);
          }
        }
        for (int i = 0; i < GROUPED.length; i++) {
          early += a.responses()[i].length < longest ? 1 : 0;
        }
        assertEquals(longest, cached.size());
        assertTrue(early >= 2 && early < GROUPED.length, spec + ": rows finished early " + early);
      }
    }
  }
}

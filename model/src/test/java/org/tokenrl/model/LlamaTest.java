package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.model.nn.LmHead;

/**
 * The llama architecture: whole-model gradients against finite differences, logits against the
 * independent numpy reference (model/src/test/python/llama_reference.py), KV-cache decoding against
 * full recomputation with GQA and mixed prompt lengths, HF names and shapes, and a 50,000-token
 * vocabulary trained without any [N·T, V] array.
 */
public class LlamaTest {
  /** GQA (4 query heads on 2 kv heads), q/k/v biases, untied head, head_dim·heads != hidden. */
  public static final LlamaConfig TINY =
      new LlamaConfig(11, 8, 12, 2, 4, 2, 4, 1e-5, 10000, false, 24, true);

  public static final LlamaConfig TIED =
      new LlamaConfig(13, 16, 24, 2, 4, 2, 4, 1e-5, 500, true, 32, false);
  public static final int[][] PROMPTS = {{0, 3, 4}, {0}, {0, 5, 6, 1, 2}};
  public static final int[][] RESPONSES = {{1, 2, 6}, {4, 4, 5, 1}, {3}};

  @Test
  void gradientMatchesCentralFiniteDifferences() {
    Policy policy = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE);
    // non-trivial norms and biases, so their gradients are exercised away from the init point
    Random rng = new Random(3);
    policy
        .parameterShapes()
        .forEach(
            (name, shape) -> {
              if (name.endsWith("bias") || name.contains("norm")) {
                INDArray p = policy.parameter(name);
                for (long i = 0; i < p.length(); i++) {
                  p.putScalar(i, p.getDouble(i) + 0.3 * rng.nextGaussian());
                }
              }
            });
    double[][] coef = new double[RESPONSES.length][];
    VocabCoef[][] vocab = new VocabCoef[RESPONSES.length][];
    for (int i = 0; i < coef.length; i++) {
      coef[i] = rng.doubles(RESPONSES[i].length, -1, 1).toArray();
      vocab[i] = new VocabCoef[RESPONSES[i].length];
      for (int t = 0; t < RESPONSES[i].length; t++) {
        vocab[i][t] =
            new VocabCoef(new int[] {rng.nextInt(11), rng.nextInt(11)}, new float[] {0.5f, -0.3f});
      }
    }
    Policy.Surrogate s = policy.surrogate(PROMPTS, RESPONSES, coef, vocab, 0.8);
    assertTrue(s.skipReason() == null, s.skipReason());
    Map<String, INDArray> analytic = new java.util.LinkedHashMap<>();
    s.gradients().forEach((k, g) -> analytic.put(k, g.dup()));
    double eps = 1e-5;
    for (String name : policy.parameterShapes().keySet()) {
      INDArray p = policy.parameter(name);
      for (int probe = 0; probe < 3; probe++) {
        long idx = rng.nextInt((int) p.length());
        double orig = p.getDouble(idx);
        p.putScalar(idx, orig + eps);
        double plus = policy.surrogate(PROMPTS, RESPONSES, coef, vocab, 0.8).loss();
        p.putScalar(idx, orig - eps);
        double minus = policy.surrogate(PROMPTS, RESPONSES, coef, vocab, 0.8).loss();
        p.putScalar(idx, orig);
        double numeric = (plus - minus) / (2 * eps);
        double exact = analytic.get(name).getDouble(idx);
        assertEquals(numeric, exact, 1e-7 + 1e-4 * Math.abs(numeric), name + "[" + idx + "]");
      }
    }
  }

  @Test
  void aBatchSplitIntoPassesHasTheSameScoresLossAndGradients() {
    LoraConfig lora = new LoraConfig(2, 4.0, 0.0, List.of("q_proj", "down_proj"));
    Policy whole = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE, lora);
    Policy split = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE, lora);
    split.setPassTokens(6); // rows of 5, 4 and 5 tokens: one row per pass
    assertEquals(1, whole.passes(PROMPTS, RESPONSES).size());
    assertEquals(3, split.passes(PROMPTS, RESPONSES).size());
    Random rng = new Random(5);
    double[][] coef = new double[RESPONSES.length][];
    for (int i = 0; i < coef.length; i++) {
      coef[i] = rng.doubles(RESPONSES[i].length, -1, 1).toArray();
    }
    // B is zero at init: one step first, so the adapters' gradients all flow
    whole.update(PROMPTS, RESPONSES, coef, null, 1.0);
    split.update(PROMPTS, RESPONSES, coef, null, 1.0);
    TokenScores a = whole.score(PROMPTS, RESPONSES, 0.8);
    TokenScores b = split.score(PROMPTS, RESPONSES, 0.8);
    for (int i = 0; i < PROMPTS.length; i++) {
      assertArrayEquals(a.logprobs()[i], b.logprobs()[i], 1e-12);
      assertArrayEquals(a.entropies()[i], b.entropies()[i], 1e-12);
    }
    Policy.Surrogate sw = whole.surrogate(PROMPTS, RESPONSES, coef, null, 0.8);
    Map<String, double[]> gw = new java.util.LinkedHashMap<>();
    sw.gradients().forEach((k, g) -> gw.put(k, g.dup().data().asDouble()));
    Policy.Surrogate ss = split.surrogate(PROMPTS, RESPONSES, coef, null, 0.8);
    assertTrue(sw.gradNorm() > 0);
    assertEquals(sw.loss(), ss.loss(), 1e-12);
    assertEquals(sw.gradNorm(), ss.gradNorm(), 1e-12);
    ss.gradients().forEach((k, g) -> assertArrayEquals(gw.get(k), g.data().asDouble(), 1e-12, k));
  }

  @Test
  void parametersUseHuggingFaceNamesAndShapes() {
    try (Policy p = Policy.create(TINY, OptimizerConfig.defaults(1e-3), 1)) {
      Map<String, long[]> shapes = p.parameterShapes();
      assertArrayEquals(new long[] {11, 8}, shapes.get("model.embed_tokens.weight"));
      assertArrayEquals(new long[] {16, 8}, shapes.get("model.layers.1.self_attn.q_proj.weight"));
      assertArrayEquals(new long[] {8, 8}, shapes.get("model.layers.1.self_attn.k_proj.weight"));
      assertArrayEquals(new long[] {8}, shapes.get("model.layers.0.self_attn.v_proj.bias"));
      assertArrayEquals(new long[] {8, 16}, shapes.get("model.layers.0.self_attn.o_proj.weight"));
      assertArrayEquals(new long[] {12, 8}, shapes.get("model.layers.0.mlp.gate_proj.weight"));
      assertArrayEquals(new long[] {8, 12}, shapes.get("model.layers.0.mlp.down_proj.weight"));
      assertArrayEquals(new long[] {8}, shapes.get("model.norm.weight"));
      assertArrayEquals(new long[] {11, 8}, shapes.get("lm_head.weight"));
      long count =
          shapes.values().stream().mapToLong(s -> s.length == 1 ? s[0] : s[0] * s[1]).sum();
      assertEquals(TINY.parameterCount(), count);
    }
    try (Policy tied = Policy.create(TIED, OptimizerConfig.defaults(1e-3), 1)) {
      assertFalse(tied.parameterShapes().containsKey("lm_head.weight"));
    }
  }

  @Test
  void checkpointRoundTripKeepsArchitectureWeightsAndOptimizerState(@TempDir Path dir)
      throws Exception {
    try (Policy p = Policy.create(TINY, OptimizerConfig.defaults(1e-2), 3)) {
      double[][] coef = {{-1, -1, -1}, {-1, -1, -1, -1}, {-1}};
      p.update(PROMPTS, RESPONSES, coef, null, 1.0);
      Checkpoint.save(dir.resolve("ckpt"), p, "{}", "{}");
      assertTrue(Files.readString(dir.resolve("ckpt/model.json")).contains("\"arch\":\"llama\""));
      try (Policy q = Checkpoint.load(dir.resolve("ckpt")).policy()) {
        assertEquals(TINY, q.config());
        assertEquals(1, q.optimizer().step());
        Map<String, float[]> w = q.exportWeights();
        p.exportWeights().forEach((k, v) -> assertArrayEquals(v, w.get(k), k));
        Map<String, float[]> s = q.optimizer().exportState();
        p.optimizer().exportState().forEach((k, v) -> assertArrayEquals(v, s.get(k), k));
        assertArrayEquals(
            p.score(PROMPTS, RESPONSES, 1.0).logprobs()[0],
            q.score(PROMPTS, RESPONSES, 1.0).logprobs()[0],
            0.0);
      }
    }
  }

  @Test
  void logitsMatchTheIndependentNumpyReference(@TempDir Path dir) throws Exception {
    for (LlamaConfig cfg : new LlamaConfig[] {TINY, TIED}) {
      try (Policy p = Policy.create(cfg, OptimizerConfig.defaults(1e-3), 5)) {
        // larger weights than the init so the logits are far from uniform
        for (String name : p.parameterShapes().keySet()) {
          p.parameter(name).muli(name.contains("norm") ? 1.0 : 8.0);
        }
        Path model = Files.createDirectories(dir.resolve(cfg.tieWordEmbeddings() ? "tied" : "gqa"));
        Files.writeString(model.resolve("config.json"), cfg.toJson());
        SafeTensors.write(
            model.resolve("model.safetensors"), p.exportWeights(), p.parameterShapes(), Map.of());
        int[][] seqs = {{1, 2, 3, 4, 5, 6, 7}, {9, 0}, {4}};
        Path out = model.resolve("logits.safetensors");
        Process proc =
            org.tokenrl.core.Python.processBuilder(
                    Path.of("src/test/python/llama_reference.py").toAbsolutePath().toString(),
                    "--model",
                    model.toString(),
                    "--ids",
                    "[[1,2,3,4,5,6,7],[9,0],[4]]",
                    "--out",
                    out.toString())
                .redirectErrorStream(true)
                .start();
        String log = new String(proc.getInputStream().readAllBytes());
        assertEquals(0, proc.waitFor(), log);
        Map<String, float[]> ref = SafeTensors.read(out).tensors();
        for (int i = 0; i < seqs.length; i++) {
          float[] expected = ref.get("logits." + i);
          double[][] actual = p.logits(seqs[i]);
          double maxRef = 0;
          double maxDiff = 0;
          for (int t = 0; t < seqs[i].length; t++) {
            for (int v = 0; v < cfg.vocabSize(); v++) {
              double e = expected[t * cfg.vocabSize() + v];
              maxRef = Math.max(maxRef, Math.abs(e));
              maxDiff = Math.max(maxDiff, Math.abs(e - actual[t][v]));
            }
          }
          assertTrue(maxRef > 0.5, "reference logits too flat to compare: " + maxRef);
          assertTrue(
              maxDiff / maxRef <= 1e-5,
              cfg + " seq " + i + ": max|Δ|/max|ref| = " + maxDiff / maxRef);
        }
      }
    }
  }

  @Test
  void kvCacheDecodingEqualsFullRecomputationWithGqaAndMixedPromptLengths() {
    int[][] prompts = {{0, 1, 2}, {0}, {0, 4, 5, 6, 7, 8}, {0, 9}};
    long[] seeds = {1, 2, 3, 4};
    try (Policy p = Policy.create(TIED, OptimizerConfig.defaults(1e-3), 9)) {
      for (String name : p.parameterShapes().keySet()) {
        p.parameter(name).muli(name.contains("norm") ? 1.0 : 10.0);
      }
      SamplingParams greedy = new SamplingParams(1.0, 0, 1.0, 10, -1, true);
      List<double[][]> cached = new ArrayList<>();
      List<double[][]> full = new ArrayList<>();
      Generation a = p.decodeLoop(prompts, greedy, seeds, true, cached); // left-padded prefill
      Generation b = p.decodeLoop(prompts, greedy, seeds, false, full); // right-padded, full
      double maxDiff = 0;
      for (int step = 0; step < cached.size(); step++) {
        for (int i = 0; i < prompts.length; i++) {
          for (int k = 0; k < TIED.vocabSize(); k++) {
            maxDiff = Math.max(maxDiff, Math.abs(cached.get(step)[i][k] - full.get(step)[i][k]));
          }
        }
      }
      assertTrue(maxDiff < 1e-4, "max logit difference " + maxDiff);
      for (int i = 0; i < prompts.length; i++) {
        assertArrayEquals(b.responses()[i], a.responses()[i], "row " + i);
        // and both equal an unpadded single-row recomputation
        int[] seq = java.util.Arrays.copyOf(prompts[i], prompts[i].length + 9);
        System.arraycopy(a.responses()[i], 0, seq, prompts[i].length, 9);
        double[][] alone = p.logits(seq);
        double[] last = alone[seq.length - 1];
        for (int k = 0; k < TIED.vocabSize(); k++) {
          assertEquals(last[k], cached.get(9)[i][k], 1e-4);
        }
      }
      assertTrue(distinct(a.responses()) > 1, "rows should differ");
    }
  }

  private static int distinct(int[][] rows) {
    java.util.Set<String> s = new java.util.HashSet<>();
    for (int[] r : rows) {
      s.add(java.util.Arrays.toString(r));
    }
    return s.size();
  }

  @Test
  void fiftyThousandTokenVocabularyTrainsInChunks() {
    LlamaConfig big = new LlamaConfig(50_000, 16, 32, 1, 2, 1, 8, 1e-5, 10000, true, 64, false);
    int n = 4;
    int t = 40;
    long saved = LmHead.chunkElements;
    LmHead.chunkElements = 16L * 50_000; // 16 rows per chunk
    LmHead.largestChunk = 0;
    try (Policy p = Policy.create(big, OptimizerConfig.defaults(1e-2), 1)) {
      Random rng = new Random(4);
      int[][] prompts = new int[n][];
      int[][] responses = new int[n][];
      double[][] coef = new double[n][];
      for (int i = 0; i < n; i++) {
        prompts[i] = new int[] {1};
        responses[i] = rng.ints(t, 0, 50_000).toArray();
        coef[i] = new double[t];
        java.util.Arrays.fill(coef[i], -1.0 / (n * t));
      }
      double before = PolicyGradientTest.total(p.score(prompts, responses, 1.0));
      UpdateStats s = p.update(prompts, responses, coef, null, 1.0);
      assertFalse(s.skipped(), s.skipReason());
      double after = PolicyGradientTest.total(p.score(prompts, responses, 1.0));
      assertTrue(after > before, before + " -> " + after);
      assertEquals(16L * 50_000, LmHead.largestChunk, "logits chunk");
      assertTrue(LmHead.largestChunk * 10 <= (long) n * t * 50_000, "chunk is a fraction of N·T·V");
    } finally {
      LmHead.chunkElements = saved;
    }
  }
}

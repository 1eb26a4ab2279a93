package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tokenrl.core.HfTokenizer;
import org.tokenrl.core.PythonRunner;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;
import org.tokenrl.model.io.BaseModel;
import org.tokenrl.model.io.Checkpoint;
import org.tokenrl.model.io.FileTrees;
import org.tokenrl.model.io.HfExport;
import org.tokenrl.model.io.PeftExport;
import org.tokenrl.model.io.PretrainedModel;
import org.tokenrl.model.io.SafeTensors;
import org.tokenrl.model.io.SmolLm2;

/**
 * LoRA: adapter gradients against finite differences (llama and gpt, with dropout), a frozen base
 * (no gradients, no moments, bit-identical after updates), zero-B adapters equal the base exactly,
 * merged weights equal base + adapters, the reference view, and PEFT's file layout read by the real
 * {@code safetensors} package.
 */
class LoraTest {
  static final List<String> LLAMA_TARGETS =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
  static final LoraConfig LORA = new LoraConfig(2, 4.0, 0.0, LLAMA_TARGETS);
  static final int[][] PROMPTS = LlamaTest.PROMPTS;
  static final int[][] RESPONSES = LlamaTest.RESPONSES;

  private static void randomiseB(Policy p, long seed) {
    Random rng = new Random(seed);
    p.parameterShapes().keySet().stream()
        .filter(n -> n.endsWith("lora_B.weight"))
        .forEach(
            n -> {
              INDArray b = p.parameter(n);
              for (long i = 0; i < b.length(); i++) {
                b.putScalar(i, 0.3 * rng.nextGaussian());
              }
            });
  }

  private static double[][] coef(Random rng) {
    double[][] c = new double[RESPONSES.length][];
    for (int i = 0; i < c.length; i++) {
      c[i] = rng.doubles(RESPONSES[i].length, -1, 1).toArray();
    }
    return c;
  }

  private static void checkFiniteDifferences(Policy policy, Random rng) {
    double[][] coef = coef(rng);
    Policy.Surrogate s = policy.surrogate(PROMPTS, RESPONSES, coef, null, 0.9);
    assertTrue(s.skipReason() == null, s.skipReason());
    // only adapters have gradients
    assertFalse(s.gradients().isEmpty());
    s.gradients().keySet().forEach(k -> assertTrue(k.contains(".lora_"), k));
    Map<String, INDArray> analytic = new LinkedHashMap<>();
    s.gradients().forEach((k, g) -> analytic.put(k, g.dup()));
    double eps = 1e-5;
    for (String name : analytic.keySet()) {
      INDArray p = policy.parameter(name);
      for (int probe = 0; probe < 3; probe++) {
        long idx = rng.nextInt((int) p.length());
        double orig = p.getDouble(idx);
        p.putScalar(idx, orig + eps);
        double plus = policy.surrogate(PROMPTS, RESPONSES, coef, null, 0.9).loss();
        p.putScalar(idx, orig - eps);
        double minus = policy.surrogate(PROMPTS, RESPONSES, coef, null, 0.9).loss();
        p.putScalar(idx, orig);
        double numeric = (plus - minus) / (2 * eps);
        double exact = analytic.get(name).getDouble(idx);
        assertEquals(numeric, exact, 1e-8 + 1e-5 * Math.abs(numeric), name + "[" + idx + "]");
      }
    }
  }

  @Test
  void llamaAdapterGradientsMatchFiniteDifferencesWithDropout() {
    LoraConfig withDropout = new LoraConfig(2, 4.0, 0.3, LLAMA_TARGETS);
    Policy p =
        Policy.create(
            LlamaTest.TINY, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE, withDropout);
    randomiseB(p, 1);
    assertEquals(2 * 7 * LlamaTest.TINY.numHiddenLayers(), p.adapterWeights().size());
    checkFiniteDifferences(p, new Random(2));
  }

  @Test
  void gptAdapterGradientsMatchFiniteDifferences() {
    LoraConfig gpt = new LoraConfig(3, 3.0, 0.0, List.of("wq", "wk", "wv", "wo", "w1", "w2"));
    Policy p =
        Policy.create(
            PolicyGradientTest.TINY, OptimizerConfig.defaults(1e-3), 7, DataType.DOUBLE, gpt);
    randomiseB(p, 3);
    assertTrue(p.parameterShapes().containsKey("blocks.0.attn.wq.lora_A.weight"));
    checkFiniteDifferences(p, new Random(4));
  }

  @Test
  void checkpointsHoldAdaptersAndTheBaseDigestAndRefuseAChangedBase(@TempDir Path dir)
      throws Exception {
    // A tiny pretrained base as an HF directory (SmolLM2's tokenizer, random small weights).
    HfTokenizer tokenizer = PretrainedModel.loadTokenizer(SmolLm2.gguf());
    LlamaConfig tiny = new LlamaConfig(49152, 16, 24, 2, 4, 2, 4, 1e-5, 10000, true, 32, false);
    Path base = dir.resolve("base");
    try (Policy random = Policy.create(tiny, OptimizerConfig.defaults(1e-2), 9)) {
      HfExport.write(base, tiny, random.exportWeights(), tokenizer, null, SafeTensors.DType.F32);
    }
    Path ckpt = dir.resolve("ckpt");
    TokenScores trained;
    LinkedHashMap<String, float[]> adapters;
    try (Policy p = PretrainedModel.load(base).newPolicy(OptimizerConfig.defaults(1e-2), LORA, 5)) {
      for (int step = 0; step < 2; step++) {
        assertFalse(p.update(PROMPTS, RESPONSES, coef(new Random(step)), null, 1.0).skipped());
      }
      trained = p.score(PROMPTS, RESPONSES, 1.0);
      adapters = p.adapterWeights();
      Checkpoint.save(ckpt, p, "{}", "{}");
    }
    // The checkpoint's weights file holds the adapters alone, its model.json the base's digest.
    SafeTensors.Contents saved = SafeTensors.read(ckpt.resolve("model.safetensors"));
    assertEquals(adapters.keySet(), saved.tensors().keySet());
    String modelJson = java.nio.file.Files.readString(ckpt.resolve("model.json"));
    assertTrue(modelJson.contains(BaseModel.digest(base)), modelJson);
    try (Policy back = Checkpoint.load(ckpt).policy()) {
      assertEquals(2, back.optimizer().step());
      TokenScores again = back.score(PROMPTS, RESPONSES, 1.0);
      for (int i = 0; i < PROMPTS.length; i++) {
        assertArrayEquals(trained.logprobs()[i], again.logprobs()[i], 0.0);
      }
      assertFalse(
          java.util.Arrays.equals(
              adapters.values().iterator().next(),
              new float[adapters.values().iterator().next().length]));
    }
    // Another base under the same path: refused, naming both digests.
    FileTrees.deleteRecursively(base);
    try (Policy other = Policy.create(tiny, OptimizerConfig.defaults(1e-2), 10)) {
      HfExport.write(base, tiny, other.exportWeights(), tokenizer, null, SafeTensors.DType.F32);
    }
    java.io.IOException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.io.IOException.class, () -> Checkpoint.load(ckpt));
    assertTrue(e.getMessage().contains("has changed"), e.getMessage());
  }

  @Test
  void updatesChangeOnlyAdaptersAndTheBaseHasNoMoments() {
    try (Policy p = Policy.create(LlamaTest.TIED, OptimizerConfig.defaults(1e-2), 5, LORA)) {
      LinkedHashMap<String, float[]> before = p.exportWeights();
      for (int step = 0; step < 2; step++) {
        UpdateStats u = p.update(PROMPTS, RESPONSES, coef(new Random(step)), null, 1.0);
        assertFalse(u.skipped(), u.skipReason());
      }
      LinkedHashMap<String, float[]> after = p.exportWeights();
      int changed = 0;
      for (String name : before.keySet()) {
        if (name.contains(".lora_")) {
          changed += java.util.Arrays.equals(before.get(name), after.get(name)) ? 0 : 1;
        } else {
          assertArrayEquals(before.get(name), after.get(name), name + " must stay bit-identical");
        }
      }
      assertEquals(p.adapterWeights().size(), changed, "every adapter matrix trained");
      Map<String, float[]> moments = p.optimizer().exportState();
      assertEquals(2 * p.adapterWeights().size(), moments.size());
      moments.keySet().forEach(k -> assertTrue(k.contains(".lora_"), k));
    }
  }

  @Test
  void freshAdaptersLeaveTheBaseExactlyUnchanged() {
    try (Policy base = Policy.create(LlamaTest.TIED, OptimizerConfig.defaults(1e-3), 5);
        Policy lora = Policy.create(LlamaTest.TIED, OptimizerConfig.defaults(1e-3), 9, LORA)) {
      LinkedHashMap<String, float[]> w = base.exportWeights();
      lora.importWeights(w); // base weights only: the adapters keep their fresh values
      for (int[] seq : new int[][] {{1, 2, 3, 4, 5}, {7}}) {
        double[][] a = base.logits(seq);
        double[][] b = lora.logits(seq);
        for (int t = 0; t < a.length; t++) {
          assertArrayEquals(a[t], b[t], 0.0, "position " + t);
        }
      }
      // A is non-zero (kaiming-uniform), B zero: the product is exactly zero
      lora.adapterWeights()
          .forEach(
              (n, v) -> {
                boolean allZero = true;
                for (float x : v) {
                  allZero &= x == 0f;
                }
                assertEquals(n.endsWith("lora_B.weight"), allZero, n);
              });
    }
  }

  @Test
  void mergedWeightsGiveTheLogitsOfBasePlusAdapters() {
    for (ModelSpec spec : new ModelSpec[] {LlamaTest.TINY, PolicyGradientTest.TINY}) {
      LoraConfig cfg =
          spec instanceof LlamaConfig ? LORA : new LoraConfig(2, 8, 0, List.of("wq", "wo", "w2"));
      try (Policy lora = Policy.create(spec, OptimizerConfig.defaults(1e-3), 5, cfg);
          Policy plain = Policy.create(spec, OptimizerConfig.defaults(1e-3), 5)) {
        randomiseB(lora, 11);
        plain.importWeights(lora.mergedWeights());
        int[] seq = {1, 2, 3, 4, 5, 6};
        double[][] a = lora.logits(seq);
        double[][] b = plain.logits(seq);
        double worst = 0;
        double moved = 0;
        double[][] base;
        try (Policy unmerged = Policy.create(spec, OptimizerConfig.defaults(1e-3), 5)) {
          base = unmerged.logits(seq);
        }
        for (int t = 0; t < a.length; t++) {
          for (int v = 0; v < a[t].length; v++) {
            worst = Math.max(worst, Math.abs(a[t][v] - b[t][v]));
            moved = Math.max(moved, Math.abs(a[t][v] - base[t][v]));
          }
        }
        assertTrue(moved > 1e-3, "the adapters must change the logits (" + moved + ")");
        assertTrue(worst < 1e-5, spec + ": merged vs adapters max |Δlogit| " + worst);
      }
    }
  }

  @Test
  void referenceViewScoresTheBaseOrTheFrozenAdapters() {
    try (Policy p = Policy.create(LlamaTest.TIED, OptimizerConfig.defaults(1e-2), 5, LORA);
        Policy base = Policy.create(LlamaTest.TIED, OptimizerConfig.defaults(1e-2), 5)) {
      randomiseB(p, 2);
      ReferenceScorer off = p.referenceView(false);
      ReferenceScorer frozen = p.referenceView(true);
      double[][] atFreeze = p.score(PROMPTS, RESPONSES, 1.0).logprobs();
      p.update(PROMPTS, RESPONSES, coef(new Random(1)), null, 1.0);
      double[][] now = p.score(PROMPTS, RESPONSES, 1.0).logprobs();
      double[][] ref = off.score(PROMPTS, RESPONSES, 1.0).logprobs();
      double[][] baseLp = base.score(PROMPTS, RESPONSES, 1.0).logprobs();
      double[][] frozenLp = frozen.score(PROMPTS, RESPONSES, 1.0).logprobs();
      for (int i = 0; i < PROMPTS.length; i++) {
        assertArrayEquals(baseLp[i], ref[i], 0.0);
        assertArrayEquals(atFreeze[i], frozenLp[i], 0.0);
      }
      assertNotEquals(atFreeze[0][0], now[0][0], "the update moved the policy");
      // scoring through a view leaves the live adapters as they were
      assertArrayEquals(now[0], p.score(PROMPTS, RESPONSES, 1.0).logprobs()[0], 0.0);
      off.close(); // a view frees nothing
      assertArrayEquals(now[0], p.score(PROMPTS, RESPONSES, 1.0).logprobs()[0], 0.0);
    }
  }

  @Test
  void peftExportHasPeftNamesShapesAndConfig(@TempDir Path dir) throws Exception {
    try (Policy p = Policy.create(LlamaTest.TINY, OptimizerConfig.defaults(1e-3), 5, LORA)) {
      randomiseB(p, 4);
      PeftExport.write(dir, p, "HuggingFaceTB/SmolLM2-135M-Instruct");
      String script =
          String.join(
              "\n",
              "import json, sys",
              "from safetensors.numpy import load_file",
              "d = sys.argv[1]",
              "t = load_file(d + '/adapter_model.safetensors')",
              "c = json.load(open(d + '/adapter_config.json'))",
              "k = 'base_model.model.model.layers.1.self_attn.q_proj'",
              "print(len(t), t[k + '.lora_A.weight'].shape, t[k + '.lora_B.weight'].shape,",
              "  t['base_model.model.model.layers.0.mlp.down_proj.lora_B.weight'].shape,",
              "  float(t[k + '.lora_B.weight'][3, 1]))",
              "print(c['peft_type'], c['task_type'], c['r'], c['lora_alpha'], c['lora_dropout'],",
              "  c['bias'], c['base_model_name_or_path'], sorted(c['target_modules']))");
      String[] lines = PythonRunner.run(script, dir.toString()).strip().split("\n");
      float b31 =
          p.adapterWeights().get("model.layers.1.self_attn.q_proj.lora_B.weight")[3 * 2 + 1];
      assertEquals("28 (2, 8) (16, 2) (8, 2) " + (double) b31, lines[0]);
      assertEquals(
          "LORA CAUSAL_LM 2 4.0 0.0 none HuggingFaceTB/SmolLM2-135M-Instruct ['down_proj',"
              + " 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']",
          lines[1]);
    }
  }
}

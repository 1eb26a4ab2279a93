package org.tokenrl.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.model.arch.LlamaConfig;

/**
 * A LoRA policy's sampler copy reads the trainer's frozen base (the same arrays, no second copy)
 * and owns its adapters: it samples what the trainer samples, a trainer update reaches it only
 * through an adapter sync, and closing either leaves the other working.
 */
class LoraSharedBaseTest {
  static final LlamaConfig CFG =
      new LlamaConfig(13, 16, 24, 2, 4, 2, 4, 1e-5, 500, true, 32, false);
  static final int[][] PROMPTS = {{0, 1, 2}, {0, 1, 2}, {0, 5}};
  static final long[] SEEDS = {1, 2, 3};
  static final SamplingParams SAMPLED = new SamplingParams(1.0, 0, 1.0, 6, -1, false);

  @Test
  void samplerCopySharesTheBaseAndOwnsItsAdapters() {
    LoraConfig lora =
        new LoraConfig(
            2,
            4.0,
            0.0,
            java.util.List.of(
                "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));
    Policy trainer = Policy.create(CFG, OptimizerConfig.defaults(5e-2), 3, lora);
    for (String name : trainer.parameterShapes().keySet()) {
      if (!name.contains("lora_") && !name.contains("norm")) {
        trainer.parameter(name).muli(8); // peaked distributions
      }
    }
    Policy sampler = trainer.copy();
    String base = "model.layers.0.self_attn.q_proj.weight";
    String adapter = "model.layers.0.self_attn.q_proj.lora_B.weight";
    assertSame(trainer.parameter(base), sampler.parameter(base), "one base array");
    assertSame(
        trainer.parameter("model.embed_tokens.weight"),
        sampler.parameter("model.embed_tokens.weight"));
    assertNotSame(trainer.parameter(adapter), sampler.parameter(adapter), "own adapters");
    assertSameSamples(trainer, sampler);

    // an update moves the trainer's adapters only; the sampler follows after a sync
    Generation g = trainer.generate(PROMPTS, SAMPLED, SEEDS);
    double[][] coef = new double[PROMPTS.length][];
    for (int i = 0; i < coef.length; i++) {
      coef[i] = new double[g.responses()[i].length];
      java.util.Arrays.fill(coef[i], -1.0);
    }
    float[] baseBefore = trainer.exportWeights().get(base);
    for (int s = 0; s < 3; s++) {
      assertFalse(trainer.update(PROMPTS, g.responses(), coef, null, 1.0).skipped());
    }
    assertArrayEquals(baseBefore, trainer.exportWeights().get(base), "the base stays frozen");
    Map<String, float[]> adapters = trainer.weightsToSync();
    assertTrue(adapters.keySet().stream().allMatch(n -> n.contains(".lora_")));
    assertFalse(
        java.util.Arrays.equals(adapters.get(adapter), sampler.adapterWeights().get(adapter)),
        "the trainer's adapters moved, the sampler's did not");
    sampler.importWeights(adapters);
    assertSameSamples(trainer, sampler);

    // closing the sampler leaves the trainer's base intact, and the other way round
    sampler.close();
    assertSameSamples(trainer, trainer);
    Policy second = trainer.copy();
    trainer.close();
    System.gc();
    Generation after = second.generate(PROMPTS, SAMPLED, SEEDS);
    assertTrue(after.responses()[0].length > 0);
    second.close();
  }

  private static void assertSameSamples(Policy a, Policy b) {
    Generation x = a.generate(PROMPTS, SAMPLED, SEEDS);
    Generation y = b.generate(PROMPTS, SAMPLED, SEEDS);
    for (int i = 0; i < PROMPTS.length; i++) {
      assertArrayEquals(x.responses()[i], y.responses()[i]);
      assertArrayEquals(x.logprobs()[i], y.logprobs()[i]);
    }
  }
}

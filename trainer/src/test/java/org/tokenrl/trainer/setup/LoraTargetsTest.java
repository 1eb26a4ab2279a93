package org.tokenrl.trainer.setup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.ConfigException;
import org.tokenrl.model.LoraConfig;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.arch.GptConfig;
import org.tokenrl.model.arch.LlamaConfig;
import org.tokenrl.model.arch.ModelSpec;

/**
 * model.lora is checked against the model before anything is built: targets must be the model's
 * linear layers, the rank at most min(in, out) of each targeted one. The layer shapes the check
 * uses are those of the adapters the real model builds (lora_A is [r, in], lora_B [out, r]).
 */
class LoraTargetsTest {
  private static final GptConfig GPT = new GptConfig(40, 32, 2, 4, 48, 16);
  // GQA: k_proj/v_proj are 64 -> 2 * 8 = 16 wide, the narrowest layers.
  private static final LlamaConfig LLAMA =
      new LlamaConfig(40, 64, 96, 2, 8, 2, 8, 1e-5, 10000, true, 32, false);

  private static final List<String> LLAMA_TARGETS =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  @Test
  void theLayerShapesAreThoseOfTheAdaptersTheModelBuilds() {
    for (ModelSpec shape : List.of(GPT, LLAMA)) {
      List<LoraTargets.Layer> layers = LoraTargets.layers(shape);
      List<String> names = layers.stream().map(LoraTargets.Layer::name).toList();
      int rank = 2;
      try (Policy p =
          Policy.create(
              shape, OptimizerConfig.defaults(1e-3), 1, new LoraConfig(rank, 4, 0, names))) {
        Map<String, float[]> weights = new LinkedHashMap<>(p.exportWeights());
        for (LoraTargets.Layer l : layers) {
          float[] a = find(weights, "." + l.name() + ".lora_A.weight");
          float[] b = find(weights, "." + l.name() + ".lora_B.weight");
          assertEquals(rank * l.in(), a.length, shape.arch() + " " + l.name() + " lora_A");
          assertEquals(rank * l.out(), b.length, shape.arch() + " " + l.name() + " lora_B");
        }
      }
    }
  }

  private static float[] find(Map<String, float[]> weights, String suffix) {
    return weights.entrySet().stream()
        .filter(e -> e.getKey().endsWith(suffix))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no weight ending in " + suffix + ": " + weights.keySet()))
        .getValue();
  }

  @Test
  void aTargetTheModelDoesNotHaveIsNamed() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> LoraTargets.check(new LoraConfig(4, 8, 0, List.of("wq", "q_proj")), GPT));
    assertTrue(e.getMessage().contains("model.lora.targets [q_proj]"), e.getMessage());
    assertTrue(e.getMessage().contains("[wq, wk, wv, wo, w1, w2]"), e.getMessage());
  }

  @Test
  void theRankIsBoundedByTheNarrowestTargetedLayer() {
    // k_proj is 64 -> 16: rank 16 fits, 17 does not.
    LoraTargets.check(new LoraConfig(16, 8, 0, LLAMA_TARGETS), LLAMA);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> LoraTargets.check(new LoraConfig(17, 8, 0, LLAMA_TARGETS), LLAMA));
    assertTrue(e.getMessage().contains("model.lora.rank = 17"), e.getMessage());
    assertTrue(e.getMessage().contains("k_proj [64 -> 16]"), e.getMessage());
    assertTrue(e.getMessage().contains("1..16"), e.getMessage());
    // Without the narrow layers the MLP's 64 is the bound.
    LoraTargets.check(new LoraConfig(64, 8, 0, List.of("gate_proj", "down_proj")), LLAMA);
    assertThrows(
        ConfigException.class,
        () -> LoraTargets.check(new LoraConfig(65, 8, 0, List.of("gate_proj")), LLAMA));
    LoraTargets.check(LoraConfig.NONE, LLAMA); // full fine-tuning: nothing to check
  }
}

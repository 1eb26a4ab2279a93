package org.tokenrl.model.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tokenrl.model.OptimizerConfig;
import org.tokenrl.model.Policy;
import org.tokenrl.model.SamplingParams;

/** Config validation, JSON round trip, and the parameter count against the real shapes. */
class GptConfigTest {
  @Test
  void rejectsHeadsThatDoNotDivideTheWidthWithAClearMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new GptConfig(98, 130, 2, 4, 512, 64));
    assertTrue(e.getMessage().contains("dModel (130) must be divisible by model.heads (4)"));
    assertThrows(IllegalArgumentException.class, () -> new GptConfig(1, 8, 1, 1, 8, 8));
    assertThrows(IllegalArgumentException.class, () -> new GptConfig(9, 8, 0, 1, 8, 8));
  }

  @Test
  void jsonRoundTripAndUnknownKeysFail() {
    GptConfig cfg = new GptConfig(98, 128, 2, 4, 512, 64);
    assertEquals(cfg, GptConfig.fromJson(cfg.toJson()));
    assertThrows(
        IllegalArgumentException.class,
        () -> GptConfig.fromJson(cfg.toJson().replace("}", ",\"dropout\":0.1}")));
  }

  @Test
  void parameterCountMatchesTheModelsArrays() {
    GptConfig cfg = new GptConfig(11, 16, 2, 4, 40, 20);
    try (Policy p = Policy.create(cfg, OptimizerConfig.defaults(1e-3), 1)) {
      long total = 0;
      for (long[] shape : p.parameterShapes().values()) {
        long n = 1;
        for (long d : shape) {
          n *= d;
        }
        total += n;
      }
      assertEquals(cfg.parameterCount(), total);
      assertEquals(
          java.util.List.of(11L, 16L),
          java.util.Arrays.stream(p.parameterShapes().get("wte")).boxed().toList());
    }
  }

  @Test
  void samplingParamsValidate() {
    assertThrows(IllegalArgumentException.class, () -> new SamplingParams(0, 0, 1, 8, -1, false));
    assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 1, 0, -1, false));
    assertEquals(1.0, new SamplingParams(0, 0, 1, 8, -1, true).scoringTemperature());
  }
}

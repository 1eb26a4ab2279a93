package org.tokenrl.runlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tokenrl.core.Metrics;

class ProgressTest {
  private long nanos;

  private String step(Progress p, long step, double seconds, Map<String, Double> m) {
    nanos += (long) (seconds * 1e9);
    p.stepDone(step);
    return p.line(m, false);
  }

  @Test
  void etaFromTheFirstStepThenWithoutTheStartUpStep() {
    Progress p = new Progress("grpo", 10, () -> nanos);
    // Step 1 is all there is: 9 steps left at its 30 s.
    assertTrue(step(p, 1, 30, Map.of()).endsWith("30s/step | ETA 4m30s"), "step 1");
    // From step 2 the start-up step is left out: 8 steps left at 2 s.
    String line = step(p, 2, 2, Map.of());
    assertTrue(line.endsWith("2.0s/step | ETA 0m16s"), line);
    assertEquals(8 * 2.0, p.etaSeconds(), 1e-9);
    step(p, 3, 4, Map.of());
    assertEquals(7 * 3.0, p.etaSeconds(), 1e-9); // mean of 2 s and 4 s
  }

  @Test
  void eachPhaseCountsItsOwnSteps() {
    Progress sft = new Progress("sft", 1000, () -> nanos);
    for (int s = 1; s <= 1000; s++) {
      step(sft, s, 0.01, Map.of());
    }
    // The RL phase's ETA comes from RL steps only, not from the cheap SFT steps before it.
    Progress rl = new Progress("grpo", 300, () -> nanos);
    String line = step(rl, 1, 0.5, Map.of(Metrics.TRAIN_REWARD_MEAN, 0.25));
    assertTrue(line.startsWith("[grpo] step 1/300 | reward 0.250"), line);
    assertEquals(299 * 0.5, rl.etaSeconds(), 1e-9);
  }

  @Test
  void samplingSpeedIsTokensOverSamplingTime() {
    Progress p = new Progress("grpo", 2, () -> nanos);
    String line =
        step(
            p,
            1,
            10,
            Map.of(
                Metrics.PERF_ROLLOUT_TOKENS,
                290.0,
                Metrics.phaseTime("rollout"),
                10.0,
                Metrics.PERF_TOKENS_PER_SEC,
                8.0));
    assertTrue(line.contains("| 29 sampled tok/s |"), line);
    nanos += 1;
    p.stepDone(2);
    assertTrue(p.line(Map.of(), true).startsWith("grpo 2/2 [####################]"));
  }
}

package org.tokenrl.runlog;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private long nanos;

  private String step(Progress p, String phase, long step, double seconds) {
    nanos += (long) (seconds * 1e9);
    return p.line(phase, step, Map.of(), Double.NaN);
  }

  @Test
  void noEtaBeforeFiveStepsOfTheCurrentPhase() {
    Progress p = new Progress(20, 10, () -> nanos);
    // A slow first step (start-up) must not be extrapolated over the run.
    assertFalse(step(p, "sft", 1, 3600).contains("ETA"));
    for (int s = 2; s <= 4; s++) {
      assertFalse(step(p, "sft", s, 1).contains("ETA"), "step " + s);
    }
    assertTrue(step(p, "sft", 5, 1).contains("ETA"));
    // A new phase starts counting again.
    for (int s = 11; s <= 14; s++) {
      assertFalse(step(p, "grpo", s, 2).contains("ETA"), "step " + s);
    }
    // 5 RL steps in 10 s: 2 s per step, 5 steps left.
    String line = step(p, "grpo", 15, 2);
    assertTrue(line.endsWith("ETA 0m10s"), line);
  }
}

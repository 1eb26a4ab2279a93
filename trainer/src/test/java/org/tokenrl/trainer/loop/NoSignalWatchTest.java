package org.tokenrl.trainer.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NoSignalWatchTest {
  private static Map<String, Double> step(double zeroStd, double grad, double truncated) {
    return Map.of(
        "completions/zero_std_group_frac", zeroStd,
        "optim/grad_norm", grad,
        "completions/clipped_ratio", truncated,
        "optim/skipped", 0.0);
  }

  @Test
  void warnsOnceAfterFiveStepsWithoutSignalAndNamesTruncation() {
    NoSignalWatch w = new NoSignalWatch();
    for (int s = 1; s <= 4; s++) {
      assertEquals(Optional.empty(), w.observe(s, step(1.0, 0.0, 1.0)));
    }
    String warning = w.observe(5, step(1.0, 0.0, 1.0)).orElseThrow();
    assertTrue(warning.startsWith("step 5: no learning signal for 5 steps"), warning);
    assertTrue(warning.contains("rollout.max_new_tokens"), warning);
    assertEquals(Optional.empty(), w.observe(6, step(1.0, 0.0, 1.0)), "once per streak");
  }

  @Test
  void aStepWithSignalResetsTheStreak() {
    NoSignalWatch w = new NoSignalWatch();
    for (int s = 1; s <= 4; s++) {
      w.observe(s, step(1.0, 0.0, 0.0));
    }
    assertEquals(Optional.empty(), w.observe(5, step(0.5, 0.3, 0.0)));
    for (int s = 6; s <= 9; s++) {
      assertEquals(Optional.empty(), w.observe(s, step(1.0, 0.0, 0.0)));
    }
    String warning = w.observe(10, step(1.0, 0.0, 0.0)).orElseThrow();
    assertTrue(warning.contains("rewards are equal"), warning);
  }

  @Test
  void aZeroGradientWithSpreadIsNamedToo() {
    NoSignalWatch w = new NoSignalWatch();
    Optional<String> last = Optional.empty();
    for (int s = 1; s <= 5; s++) {
      last = w.observe(s, step(0.25, 0.0, 0.0));
    }
    assertTrue(last.orElseThrow().contains("advantages are all zero"), last.get());
    NoSignalWatch healthy = new NoSignalWatch();
    for (int s = 1; s <= 10; s++) {
      assertEquals(Optional.empty(), healthy.observe(s, step(0.25, 0.7, 0.0)));
    }
  }
}

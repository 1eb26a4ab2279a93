package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Finite component scores whose weighted sum overflows (weights near Double.MAX_VALUE) are a
 * failure of the total, handled by reward.on_error: stop names the sample and the terms, zero
 * scores the row 0 and counts it in reward/errors. A BLEU order written as a fraction is refused.
 */
class RewardTotalFiniteTest {
  private static final List<String> RESPONSES = List.of("4", "five");
  private static final List<String> REFERENCES = List.of("4", "4");
  private static final RewardInput INPUT =
      Batches.of(1, RESPONSES, REFERENCES, (row, text) -> text.equals(REFERENCES.get(row)));

  private static CompositeReward overflowing(String onError) {
    // Sample 0 is right: 1e308 * 1 + 1e308 * 1 = Infinity. Sample 1 is wrong: a total of 0.
    return CompositeReward.fromConfig(
        ConfigFactory.parseString(
            "rewards = [{name = task, weight = 1e308}, {name = exact_match, weight = 1e308}]\n"
                + "reward.on_error = "
                + onError));
  }

  @Test
  void anOverflowingTotalStopsTheRunNamingTheSampleAndTheTerms() {
    RewardException e = assertThrows(RewardException.class, () -> overflowing("stop").score(INPUT));
    assertEquals(0, e.sample());
    String m = e.getMessage();
    assertTrue(m.contains("sample 0"), m);
    assertTrue(m.contains("Infinity"), m);
    assertTrue(m.contains("task 1.0E308 x 1.0"), m);
    assertTrue(m.contains("reward.on_error = zero"), m);
    assertFalse(m.contains("\n"), m);
  }

  @Test
  void underZeroTheRowScoresZeroAndCountsAsAnError() {
    RewardResult r = overflowing("zero").score(INPUT);
    assertEquals(0.0, r.total()[0]);
    assertEquals(0.0, r.total()[1]);
    assertEquals(1, r.errors());
    assertEquals(1.0, r.metrics().get("reward/errors"));
    for (double t : r.total()) {
      assertTrue(Double.isFinite(t));
    }
  }

  @Test
  void aFractionalBleuOrderIsRefusedNotTruncated() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CompositeReward.fromConfig(
                    ConfigFactory.parseString("rewards = [{name = bleu, max_n = 2.5}]")));
    assertTrue(e.getMessage().contains("max_n"), e.getMessage());
    assertTrue(e.getMessage().contains("2.5"), e.getMessage());
  }
}

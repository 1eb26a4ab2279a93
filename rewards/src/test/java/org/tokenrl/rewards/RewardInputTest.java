package org.tokenrl.rewards;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** RewardInput's shape checks and the one-row view used to localise failures. */
class RewardInputTest {

  @Test
  void columnsMustHaveOneEntryPerRow() {
    RewardInput ok = Batches.pairs(List.of("a", "b"), List.of("x", "y"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new RewardInput(
                    2,
                    ok.promptIds(),
                    ok.responseIds(),
                    ok.promptTexts(),
                    ok.responseTexts(),
                    List.of("x"),
                    ok.truncated(),
                    null));
    assertTrue(e.getMessage().contains("references has 1 rows"), e.getMessage());
  }

  @Test
  void rowsMustBeWholeGroups() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Batches.of(2, List.of("a", "b", "c"), List.of("x", "y", "z"), null));
    assertTrue(e.getMessage().contains("not a whole number of groups of 2"), e.getMessage());
  }

  @Test
  void rowViewKeepsTheOriginalRowForTheVerifier() {
    List<String> answers = List.of("1", "2", "3", "4");
    RewardInput input =
        Batches.of(2, answers, answers, (row, text) -> answers.get(row).equals(text));
    RewardInput third = input.row(2);
    assertEquals(1, third.size());
    assertEquals(1, third.groupSize());
    assertEquals(List.of("3"), third.responseTexts());
    assertEquals("q1", third.promptTexts().get(0));
    assertArrayEquals(input.responseIds()[2], third.responseIds()[0]);
    assertTrue(third.verifier().isCorrect(0, "3"));
  }
}

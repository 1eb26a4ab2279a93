package org.tokenrl.rewards;

/** The task's answer checker, as seen by rewards: is {@code responseText} correct for row {@code row}? */
@FunctionalInterface
public interface RowVerifier {
  boolean isCorrect(int row, String responseText);
}

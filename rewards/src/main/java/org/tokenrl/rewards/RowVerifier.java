package org.tokenrl.rewards;

/** The task's answer checker, as rewards see it: is {@code responseText} right for this row? */
@FunctionalInterface
public interface RowVerifier {
  boolean isCorrect(int row, String responseText);
}

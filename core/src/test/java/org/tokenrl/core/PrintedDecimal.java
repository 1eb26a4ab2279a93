package org.tokenrl.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;

/**
 * Compares a computed value with a reference printed to a fixed number of digits (a spec's worked
 * example, NLTK's output): equal to within half a unit of the last printed digit, or 1e-9 relative.
 * Shared with other modules' tests through core's test-jar.
 */
public final class PrintedDecimal {
  private PrintedDecimal() {}

  public static void assertMatches(String printed, double actual, String what) {
    BigDecimal e = new BigDecimal(printed);
    double expected = e.doubleValue();
    double halfUnit = 0.5 * Math.pow(10, -e.scale());
    double tol = Math.max(1e-9 * Math.abs(expected), expected == 0 ? 0 : halfUnit);
    assertTrue(
        Math.abs(actual - expected) <= tol, what + ": expected " + printed + " but got " + actual);
  }
}

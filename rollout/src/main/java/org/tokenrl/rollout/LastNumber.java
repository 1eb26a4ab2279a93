package org.tokenrl.rollout;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last number written in a text ("8 + 3 = 11." gives 11, "The answer is -2.5" gives -2.5): how
 * a chat model's free-form answer is judged against a numeric reference. Numbers compare by value
 * (11 equals 11.0); thousands separators are not read.
 */
final class LastNumber {
  private static final Pattern NUMBER = Pattern.compile("-?\\d+(?:\\.\\d+)?");

  private LastNumber() {}

  /** The last number in {@code text}, or null when it has none. */
  static BigDecimal of(String text) {
    Matcher m = NUMBER.matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group();
    }
    return last == null ? null : new BigDecimal(last);
  }

  /** Whether both texts end in numbers of equal value. */
  static boolean same(String reference, String response) {
    BigDecimal want = of(reference);
    BigDecimal got = of(response);
    return want != null && got != null && want.compareTo(got) == 0;
  }
}

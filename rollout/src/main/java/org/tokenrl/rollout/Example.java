package org.tokenrl.rollout;

/**
 * One prompt with its reference answer. Both use only printable ASCII, the alphabet of the
 * character tokenizer; {@code id} is unique within a task (train and held-out together).
 */
public record Example(int id, String prompt, String answer) {
  public Example {
    requirePrintableAscii("prompt", prompt);
    requirePrintableAscii("answer", answer);
  }

  /** The first character of {@code text} outside printable ASCII (' '..'~'), or -1. */
  static int firstNonPrintable(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < ' ' || c > '~') {
        return i;
      }
    }
    return -1;
  }

  static String describeNonPrintable(String field, String text) {
    char c = text.charAt(firstNonPrintable(text));
    return "\"" + field + "\" contains character U+" + String.format("%04X", (int) c)
        + " at position " + firstNonPrintable(text)
        + "; only printable ASCII (space to ~) is in the tokenizer alphabet";
  }

  private static void requirePrintableAscii(String field, String text) {
    if (text == null) {
      throw new IllegalArgumentException("example " + field + " is null");
    }
    if (firstNonPrintable(text) >= 0) {
      throw new IllegalArgumentException(describeNonPrintable(field, text));
    }
  }
}
